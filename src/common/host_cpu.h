// HostCpuMeter: how busy this host's CPUs were lately, from /proc/stat (all cores together).
//
// The adaptive placer uses it to tell whether the gateway's cores are saturated: when they are,
// moving a request to another tier on the same cores adds no capacity (serve/placement/
// adaptive_placer.h). BusyFraction() returns the share of CPU time that was not idle (idle and
// iowait count as idle; guest time is already inside user time) between the last two samples,
// taken at most once per `period`; the caller that finds the sample stale takes the next one
// (one read of /proc/stat, ~10 µs). Before two samples exist, or when /proc/stat cannot be read
// or parsed, it returns -1 ("unknown") and keeps trying.
// Thread safety: BusyFraction() may be called from any number of threads; a caller that finds
// another one sampling returns the previous value instead of waiting.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace sl {

struct CpuTimes {
  uint64_t busy = 0;   // jiffies not idle
  uint64_t total = 0;  // all jiffies
};

// Parses the aggregate "cpu " line of /proc/stat's text. INVALID_ARGUMENT naming the field that
// is missing or not a number.
Result<CpuTimes> ParseProcStatCpu(std::string_view proc_stat);

class HostCpuMeter {
 public:
  using Reader = std::function<Result<std::string>()>;  // returns /proc/stat's text
  // clock: not owned (null: the real clock); read: null reads /proc/stat.
  explicit HostCpuMeter(Clock* clock = nullptr, Nanos period = std::chrono::milliseconds(200),
                        Reader read = nullptr);
  double BusyFraction();

 private:
  Clock* clock_;
  Nanos period_;
  Reader read_;
  std::mutex mu_;                 // held while sampling
  bool have_sample_ = false;      // GUARDED_BY(mu_)
  CpuTimes last_;                 // GUARDED_BY(mu_)
  TimePoint last_at_{};           // GUARDED_BY(mu_)
  std::atomic<double> busy_{-1};  // the latest fraction; -1: unknown
};

}  // namespace sl
