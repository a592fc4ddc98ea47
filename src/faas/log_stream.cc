#include "faas/log_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_util.h"
#include "common/log.h"

namespace sl::faas {

Result<std::unique_ptr<LogStream>> LogStream::Open(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) SL_RETURN_IF_ERROR(MakeDirs(path.substr(0, slash)));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, "open log stream " + path);
  return std::unique_ptr<LogStream>(new LogStream(path, fd));
}

LogStream::~LogStream() { ::close(fd_); }

void LogStream::Append(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (!warned_.exchange(true)) {
        SL_LOG_WARN("faas", "log stream {}: write: {}", path_, std::strerror(errno));
      }
      return;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

Result<std::string> TailFile(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, path);
  struct stat st {};
  ::fstat(fd, &st);
  off_t size = st.st_size;
  off_t start = size > static_cast<off_t>(max_bytes) ? size - static_cast<off_t>(max_bytes) : 0;
  std::string out(static_cast<size_t>(size - start), '\0');
  ssize_t n = ::pread(fd, out.data(), out.size(), start);
  int err = errno;
  ::close(fd);
  if (n < 0) return ErrnoError(err, path);
  out.resize(static_cast<size_t>(n));
  if (start > 0) {
    size_t nl = out.find('\n');
    if (nl != std::string::npos) out.erase(0, nl + 1);
  }
  return out;
}

}  // namespace sl::faas
