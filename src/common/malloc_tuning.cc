#include "common/malloc_tuning.h"

#include <malloc.h>

#include <cstdlib>

namespace sl {

bool TuneMallocForTensorWork() {
  constexpr int kMmapThreshold = 32 << 20;   // glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
  constexpr int kTrimThreshold = 256 << 20;
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
  return mmap_ok && trim_ok;
}

std::string GlibcTunablesWithHugePages(std::string_view existing) {
  constexpr std::string_view kName = "glibc.malloc.hugetlb";
  for (size_t at = 0; at <= existing.size();) {
    size_t end = existing.find(':', at);
    if (end == std::string_view::npos) end = existing.size();
    std::string_view pair = existing.substr(at, end - at);
    if (pair.substr(0, pair.find('=')) == kName) return std::string(existing);
    at = end + 1;
  }
  std::string out(existing);
  if (!out.empty()) out += ':';
  out += kName;
  out += "=1";
  return out;
}

std::string GlibcTunablesForTensorWorkers() {
  const char* existing = std::getenv("GLIBC_TUNABLES");
  return GlibcTunablesWithHugePages(existing == nullptr ? "" : existing);
}

}  // namespace sl
