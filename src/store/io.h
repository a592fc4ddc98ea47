// Small POSIX I/O loops shared by the backends: they retry EINTR and short transfers and return
// the errno of a real failure (0 on success), leaving the message to the caller, who knows the
// URI and key to name.
// Thread safety: stateless.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "store/checksum.h"

namespace sl::store {

// Writes all of `data` to fd. Returns 0 or an errno.
int WriteAll(int fd, std::string_view data);
// Reads exactly `length` bytes at `offset` into out (resized). Returns 0, an errno, or -1 if the
// file ended early (it shrank under us).
int PReadExact(int fd, uint64_t offset, uint64_t length, std::string* out);

// Copies `length` bytes of in_fd (from offset 0) to out_fd (from offset 0) and returns the
// checksum ("<algorithm>:<hex>", checksum.h) of the bytes written, computed from out_fd on a
// second thread right behind the copy. The copy runs in the kernel (copy_file_range) where
// possible, buffered otherwise (other filesystems, old kernels): on the VMs this runs on, copying
// user memory into the page cache costs several times what the kernel's own copy does. out_fd
// must be a private file nobody else truncates (it is mapped). Returns 0, an errno, or -1 if
// in_fd ended early.
int CopyAndChecksum(int in_fd, int out_fd, uint64_t length, ChecksumAlgorithm algorithm, std::string* checksum);

}  // namespace sl::store
