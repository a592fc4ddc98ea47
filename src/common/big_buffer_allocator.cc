#include "common/big_buffer_allocator.h"

#include <sys/mman.h>

namespace sl::big_buffer {
namespace {

constexpr std::size_t kHugePage = 2u << 20;

std::size_t MappedSize(std::size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

}  // namespace

void* Allocate(std::size_t bytes) {
  if (bytes < kMinBytes) return ::operator new(bytes);
  const std::size_t size = MappedSize(bytes);
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  // Advice only: without THP the mapping still works, in 4 KiB pages.
  (void)::madvise(p, size, MADV_HUGEPAGE);
  return p;
}

void Deallocate(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes < kMinBytes) {
    ::operator delete(p);
    return;
  }
  ::munmap(p, MappedSize(bytes));
}

}  // namespace sl::big_buffer
