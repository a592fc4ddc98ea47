// What first-touch page faults cost on this machine: fills a fresh 188 MB buffer (the size of
// Fashion-MNIST's train pool as floats) in 4 KiB pages (std::vector) and in an mmap advised with
// MADV_HUGEPAGE (what common/big_buffer_allocator.h does), then writes each again. Twice, because
// the first huge-page run may pay for the kernel's compaction. No flags.
//   build/bench/page_fault_probe
#include <sys/mman.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

int main() {
  constexpr size_t kFloats = 47'040'000;  // 60,000 × 784
  constexpr size_t kBytes = kFloats * sizeof(float);
  auto t = std::chrono::steady_clock::now();
  auto ms = [&] {
    auto now = std::chrono::steady_clock::now();
    double r = std::chrono::duration<double, std::milli>(now - t).count();
    t = now;
    return r;
  };
  for (int pass = 1; pass <= 2; ++pass) {
    ms();
    {
      std::vector<float> v(kFloats);
      double first = ms();
      std::memset(v.data(), 1, kBytes);
      std::printf("pass %d, 4 KiB pages: first touch %.1f ms, second write %.1f ms\n", pass, first, ms());
    }
    ms();
    void* p = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    (void)::madvise(p, kBytes, MADV_HUGEPAGE);
    std::memset(p, 0, kBytes);
    double first = ms();
    std::memset(p, 1, kBytes);
    std::printf("pass %d, MADV_HUGEPAGE:  first touch %.1f ms, second write %.1f ms\n", pass, first, ms());
    ::munmap(p, kBytes);
  }
  return 0;
}
