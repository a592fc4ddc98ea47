#include "faas/economics/ledger.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "common/file_util.h"

namespace sl::faas {

Result<std::unique_ptr<LedgerWriter>> LedgerWriter::Open(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) SL_RETURN_IF_ERROR(MakeDirs(path.substr(0, slash)));
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, "open ledger " + path);
  return std::unique_ptr<LedgerWriter>(new LedgerWriter(path, fd));
}

LedgerWriter::~LedgerWriter() { ::close(fd_); }

Status LedgerWriter::Append(const InvocationRecord& record) {
  std::string line = RecordToJson(record).dump();
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(mu_);
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ErrnoError(errno, "append to ledger " + path_);
  if (static_cast<size_t>(n) != line.size()) {
    // Retrying would split the line around another writer's; report instead.
    return ResourceExhausted("append to ledger {}: short write ({} of {} bytes; disk full?)", path_,
                             n, line.size());
  }
  return Status::Ok();
}

Result<std::vector<InvocationRecord>> ParseLedger(const std::string& text, const std::string& file) {
  std::vector<InvocationRecord> out;
  size_t pos = 0;
  int64_t line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    std::string where = fmt::format("{}:{}", file, line_no);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
      return DataLoss("{}: invalid JSON: '{}'", where,
                      line.size() > 80 ? std::string(line.substr(0, 80)) + "..." : std::string(line));
    }
    SL_ASSIGN_OR_RETURN(InvocationRecord r, RecordFromJson(j, where));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<InvocationRecord>> ReadLedger(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseLedger(text, path);
}

}  // namespace sl::faas
