// A deterministic tar (POSIX ustar + pax extended headers) writer for image layers and archives.
//
// Determinism is the caller's order plus this writer's fixed fields: every entry gets the mtime
// given at construction, uid/gid 0 with empty user/group names (numeric owner), no atime/ctime,
// no device numbers; names longer than ustar allows go in a pax 'x' header with a fixed name.
// The writer does not sort: callers add entries in the order they want (layers sort by path).
//
// Paths are archive paths without a leading '/' ("usr/bin/straightline"); directories are
// written with a trailing '/'.
// Ownership: writes into a ByteSink it does not own; Finish() writes the end-of-archive blocks
// and finishes the sink.
// Thread safety: none.
// Failure contract: the first error is returned (a source file's errors name that file) and the
// archive must be discarded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "package/byte_sink.h"

namespace sl::package {

class TarWriter {
 public:
  TarWriter(ByteSink* out, int64_t mtime) : out_(out), mtime_(mtime) {}

  Status AddDirectory(std::string_view path, uint32_t mode = 0755);
  Status AddFile(std::string_view path, std::string_view contents, uint32_t mode = 0644);
  // Streams `source` (a regular file) in; fails if its size changes while it is read.
  Status AddFileFrom(std::string_view path, const std::string& source, uint32_t mode);
  Status AddSymlink(std::string_view path, std::string_view target);
  Status Finish();

  uint64_t bytes_written() const { return written_; }

  // The 512-byte ustar header of one entry (exposed for tests). typeflag: '0' file, '5'
  // directory, '2' symlink, 'x' pax. `name` and `link` must already fit (see AddEntryHeader).
  static std::string UstarHeader(std::string_view name, std::string_view prefix, uint32_t mode,
                                 uint64_t size, int64_t mtime, char typeflag,
                                 std::string_view link);
  // One pax record: "LEN key=value\n" where LEN counts the whole record.
  static std::string PaxRecord(std::string_view key, std::string_view value);

 private:
  Status AddEntryHeader(std::string_view path, uint32_t mode, uint64_t size, char typeflag,
                        std::string_view link);
  Status Put(std::string_view data);
  Status Pad(uint64_t size);

  ByteSink* out_;
  int64_t mtime_;
  uint64_t written_ = 0;
  bool finished_ = false;
};

}  // namespace sl::package
