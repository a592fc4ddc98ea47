// Small filesystem helpers with errors that name the path and errno.
//
// WriteFileAtomic writes to a temporary file in the same directory, fsyncs it, renames it over
// the target and fsyncs the directory: a reader sees the old file or the new one, never a torn
// one, even if the writer is killed midway.
// Thread safety: stateless; concurrent calls on different paths are independent.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sl {

Result<std::string> ReadFileToString(const std::string& path);
Status WriteFileAtomic(const std::string& path, std::string_view contents);
// mkdir -p; OK if it already exists as a directory.
Status MakeDirs(const std::string& path);
bool PathExists(const std::string& path);
bool IsDirectory(const std::string& path);

// A fresh directory under $TMPDIR (or /tmp) named prefix-XXXXXX; removed with its contents
// when the TempDir is destroyed. For tests and scratch space.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "straightline");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Join(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// "1.5 KiB", "64.0 MiB", "12 B".
std::string HumanBytes(uint64_t bytes);
// "850 µs", "12.3 ms", "4.20 s", "3m05s", "1h02m".
std::string HumanSeconds(double seconds);

}  // namespace sl
