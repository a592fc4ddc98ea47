// Small POSIX I/O loops shared by the backends: they retry EINTR and short transfers and return
// the errno of a real failure (0 on success), leaving the message to the caller, who knows the
// URI and key to name.
// Thread safety: stateless.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sl::store {

// Writes all of `data` to fd. Returns 0 or an errno.
int WriteAll(int fd, std::string_view data);
// Reads exactly `length` bytes at `offset` into out (resized). Returns 0, an errno, or -1 if the
// file ended early (it shrank under us).
int PReadExact(int fd, uint64_t offset, uint64_t length, std::string* out);

}  // namespace sl::store
