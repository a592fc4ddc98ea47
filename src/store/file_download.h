// FileDownload: an object fetched into a local file that appears at its path only whole. The
// bytes go to a temporary file next to the destination (".NAME.sl-get-RANDOM", same directory,
// so the final rename is atomic); Restart() empties it before every attempt of a retried
// request, Commit() closes it and renames it into place, and a download that is not committed
// removes its temporary file when destroyed. The HTTP backends' GetToFile is this plus their own
// request and checksum verification.
// Ownership: owns the temporary file and its descriptor. Thread safety: one thread at a time.
// Failure contract: errors name `what` (the store URI and key) and the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sl::store {

class FileDownload {
 public:
  // Creates the temporary file next to `path`.
  static Result<FileDownload> Create(const std::string& path, std::string what);
  FileDownload(FileDownload&& other) noexcept;
  FileDownload& operator=(FileDownload&&) = delete;
  ~FileDownload();

  Status Restart();                      // empties the temporary file (before each attempt)
  Status Append(std::string_view chunk);
  Status Commit();                       // close and rename into place

 private:
  FileDownload(std::string path, std::string tmp, std::string what, int fd);
  std::string path_, tmp_, what_;
  int fd_ = -1;
  uint64_t written_ = 0;
  bool committed_ = false;
};

}  // namespace sl::store
