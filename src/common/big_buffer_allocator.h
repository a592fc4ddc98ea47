// BigBufferAllocator<T>: a std::allocator replacement for buffers of tens to hundreds of MB
// (a dataset's features) that asks the kernel for transparent huge pages.
//
// Why: on this project's VMs a first-touch page fault costs ~11 µs per 4 KiB page, so filling a
// fresh 188 MB buffer (Fashion-MNIST's train pool as floats) took 0.5–0.7 s; in 2 MiB pages
// 25–60 ms once the kernel has free huge pages (bench/page_fault_probe; docs/benchmarks.md,
// "Serverless training: time to accuracy"). glibc can do this for every allocation (GLIBC_TUNABLES=
// glibc.malloc.hugetlb=1, common/malloc_tuning.h), but only when set before the process starts;
// this allocator does it for the buffers that matter from inside any process.
//
// Allocations of at least kMinBytes are their own mmap() (rounded up to 2 MiB) advised with
// MADV_HUGEPAGE, which works under THP mode "madvise" (Debian's default) and "always", and is
// harmless under "never" (then these are ordinary 4 KiB pages). Smaller ones use operator new.
// Stateless; all instances compare equal; thread-safe. Allocation failure throws std::bad_alloc
// as std::allocator does.
#pragma once

#include <cstddef>
#include <new>

namespace sl {

namespace big_buffer {
inline constexpr std::size_t kMinBytes = 4u << 20;
void* Allocate(std::size_t bytes);                 // throws std::bad_alloc
void Deallocate(void* p, std::size_t bytes) noexcept;
}  // namespace big_buffer

template <typename T>
struct BigBufferAllocator {
  using value_type = T;
  BigBufferAllocator() noexcept = default;
  template <typename U>
  BigBufferAllocator(const BigBufferAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(big_buffer::Allocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { big_buffer::Deallocate(p, n * sizeof(T)); }

  template <typename U>
  bool operator==(const BigBufferAllocator<U>&) const noexcept { return true; }
};

}  // namespace sl
