#include "store/io.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>


namespace sl::store {

int WriteAll(int fd, std::string_view data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    off += static_cast<size_t>(n);
  }
  return 0;
}

int PReadExact(int fd, uint64_t offset, uint64_t length, std::string* out) {
  out->resize(length);
  uint64_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, out->data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return -1;
    done += static_cast<uint64_t>(n);
  }
  return 0;
}

namespace {

constexpr uint64_t kPipelineChunk = 8ull << 20;  // a multiple of the page size (mmap offsets)

// Copies [off, off+n) of in_fd to the same offsets of out_fd.
int CopyChunk(int in_fd, int out_fd, uint64_t off, uint64_t n, bool* use_kernel, std::string* buf) {
  loff_t in_off = static_cast<loff_t>(off), out_off = static_cast<loff_t>(off);
  uint64_t end = off + n;
  while (*use_kernel && static_cast<uint64_t>(in_off) < end) {
    ssize_t r = ::copy_file_range(in_fd, &in_off, out_fd, &out_off, static_cast<size_t>(end - in_off), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP || errno == EBADF) {
        *use_kernel = false;  // finish with a buffered copy from where the kernel stopped
        break;
      }
      return errno;
    }
    if (r == 0) return -1;
  }
  while (static_cast<uint64_t>(in_off) < end) {
    uint64_t len = std::min<uint64_t>(end - static_cast<uint64_t>(in_off), 1 << 20);
    int err = PReadExact(in_fd, static_cast<uint64_t>(in_off), len, buf);
    if (err != 0) return err;
    size_t done = 0;
    while (done < buf->size()) {
      ssize_t w = ::pwrite(out_fd, buf->data() + done, buf->size() - done, out_off + static_cast<loff_t>(done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return errno;
      done += static_cast<size_t>(w);
    }
    in_off += static_cast<loff_t>(len);
    out_off += static_cast<loff_t>(len);
  }
  return 0;
}

// Hashes [off, off+n) of fd one window of at most kPipelineChunk at a time: mapped pages count in
// the process's RSS while mapped, so one mapping of a 512 MiB object made `store get` peak at
// 680 MB; windows keep it at the process's own size plus a few chunks. `off` must be page
// aligned (callers pass multiples of kPipelineChunk).
int HashRange(int fd, uint64_t off, uint64_t n, Checksummer* hasher, std::string* buf) {
  for (uint64_t o = off; o < off + n; o += kPipelineChunk) {
    const uint64_t len = std::min(kPipelineChunk, off + n - o);
    void* map = ::mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(o));
    if (map != MAP_FAILED) {
      hasher->Update(std::string_view(static_cast<const char*>(map), len));
      ::munmap(map, len);
      continue;
    }
    for (uint64_t p = o; p < o + len; p += 1 << 20) {
      int err = PReadExact(fd, p, std::min<uint64_t>(1 << 20, o + len - p), buf);
      if (err != 0) return err;
      hasher->Update(*buf);
    }
  }
  return 0;
}

}  // namespace

int CopyAndChecksum(int in_fd, int out_fd, uint64_t length, ChecksumAlgorithm algorithm, std::string* checksum) {
  Checksummer hasher(algorithm);
  std::mutex mu;
  std::condition_variable cv;
  uint64_t copied = 0;  // GUARDED_BY(mu): bytes of out_fd ready to hash
  bool copy_failed = false;  // GUARDED_BY(mu)
  int hash_err = 0;
  std::thread hash_thread;
  if (length > kPipelineChunk) {
    hash_thread = std::thread([&] {
      std::string buf;
      uint64_t hashed = 0;
      while (hashed < length) {
        uint64_t ready;
        {
          std::unique_lock<std::mutex> lock(mu);
          cv.wait(lock, [&] { return copied > hashed || copy_failed; });
          if (copy_failed) return;
          ready = copied;
        }
        hash_err = HashRange(out_fd, hashed, ready - hashed, &hasher, &buf);
        if (hash_err != 0) return;
        hashed = ready;
      }
    });
  }
  bool use_kernel = true;
  std::string buf;
  int err = 0;
  for (uint64_t off = 0; off < length && err == 0; off += kPipelineChunk) {
    uint64_t n = std::min(kPipelineChunk, length - off);
    err = CopyChunk(in_fd, out_fd, off, n, &use_kernel, &buf);
    std::lock_guard<std::mutex> lock(mu);
    if (err == 0) {
      copied = off + n;
    } else {
      copy_failed = true;
    }
    cv.notify_one();
  }
  if (hash_thread.joinable()) {
    hash_thread.join();
  } else if (err == 0 && length > 0) {
    err = HashRange(out_fd, 0, length, &hasher, &buf);  // small: hash inline
  }
  if (err != 0) return err;
  if (hash_err != 0) return hash_err;
  *checksum = hasher.Finish();
  return 0;
}

}  // namespace sl::store
