#include "common/malloc_tuning.h"

#include <malloc.h>

namespace sl {

bool TuneMallocForTensorWork() {
  constexpr int kMmapThreshold = 32 << 20;   // glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
  constexpr int kTrimThreshold = 256 << 20;
  const bool mmap_ok = mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1;
  const bool trim_ok = mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
  return mmap_ok && trim_ok;
}

}  // namespace sl
