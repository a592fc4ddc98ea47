#include "store/file_download.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <utility>

#include <fmt/format.h>

#include "store/io.h"

namespace sl::store {

Result<FileDownload> FileDownload::Create(const std::string& path, std::string what) {
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::string dir = ".", base = path;
  if (size_t slash = path.rfind('/'); slash != std::string::npos) {
    dir = slash == 0 ? "/" : path.substr(0, slash);
    base = path.substr(slash + 1);
  }
  std::string tmp = fmt::format("{}/.{}.sl-get-{:x}", dir, base, rng());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(errno, fmt::format("{}: creating {}", what, tmp));
  return FileDownload(path, std::move(tmp), std::move(what), fd);
}

FileDownload::FileDownload(std::string path, std::string tmp, std::string what, int fd)
    : path_(std::move(path)), tmp_(std::move(tmp)), what_(std::move(what)), fd_(fd) {}

FileDownload::FileDownload(FileDownload&& other) noexcept
    : path_(std::move(other.path_)),
      tmp_(std::move(other.tmp_)),
      what_(std::move(other.what_)),
      fd_(std::exchange(other.fd_, -1)),
      written_(other.written_),
      committed_(std::exchange(other.committed_, true)) {}

FileDownload::~FileDownload() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

Status FileDownload::Restart() {
  written_ = 0;
  if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) {
    return ErrnoError(errno, fmt::format("{}: truncating {}", what_, tmp_));
  }
  return Status::Ok();
}

Status FileDownload::Append(std::string_view chunk) {
  if (int err = WriteAll(fd_, chunk); err != 0) {
    return ErrnoError(err, fmt::format("{}: writing {} at byte {}", what_, tmp_, written_));
  }
  written_ += chunk.size();
  return Status::Ok();
}

Status FileDownload::Commit() {
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) return ErrnoError(errno, fmt::format("{}: closing {}", what_, tmp_));
  if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
    return ErrnoError(errno, fmt::format("{}: renaming to {}", what_, path_));
  }
  committed_ = true;
  return Status::Ok();
}

}  // namespace sl::store
