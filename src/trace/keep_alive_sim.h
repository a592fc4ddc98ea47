// Keep-alive simulation in virtual time (issue 21 §2): a unit's invocations are played against
// the platform's own KeepAlivePolicy (faas/economics/keep_alive_policy.h, the same objects
// MakeKeepAlivePolicy gives the platform), without processes or clocks: time is the calls'
// timestamps.
//
// The instance model is the platform's (platform_schedule.cc, platform_lifecycle.cc):
//   * an arrival calls RecordArrival, then takes a loaded instance with a free slot, preferring
//     one already busy, the oldest first; with none, it is a cold start: a new instance (busy
//     for cold_start + duration);
//   * when an instance's last slot frees it goes idle: Decide, then RecordCompletion, and
//     PlanIdle turns the decision into an unload time (an arrival at or after it finds the
//     instance gone); unloading an instance whose decision pre-warms schedules a fresh instance
//     (faas::PrewarmSchedule, the same bookkeeping the platform keeps per function), loaded then
//     if the unit has no instance and kept for the decision's keep_alive;
//   * instance_concurrency slots per instance; 0 = unlimited, one instance per unit (Shahrad et
//     al.'s model: an app is loaded or not).
// Loading is instantaneous apart from cold_start, and capacity is unlimited (a provider's).
// Wasted memory time is the unit's memory x the time its instances are loaded with no
// invocation running, up to the horizon (idle time past the end of the trace is not counted).
//
// Thread safety: SimulateUnit uses only its arguments; the policy must not be shared with a
// running platform (its history would mix). Failure contract: none; inputs come from workload.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/clock.h"
#include "faas/economics/keep_alive_policy.h"
#include "trace/workload.h"

namespace sl::trace {

struct SimOptions {
  int64_t instance_concurrency = 0;  // slots per instance; 0 = unlimited
  Nanos cold_start{0};               // added to a cold invocation's time on its instance
};

struct UnitOutcome {
  int64_t invocations = 0;
  int64_t cold_starts = 0;
  int64_t instances_started = 0;  // cold starts + pre-warms
  int64_t prewarms = 0;
  double idle_seconds = 0;        // instance-seconds loaded with nothing running
  double wasted_gb_s = 0;         // idle_seconds x memory_mb / 1024
  // Why instances stayed or went: each Decide's reason ("fixed", "histogram", "no-history", ...)
  // and the sum of the keep-alive times it chose (their mean explains the idle time).
  std::map<std::string, int64_t> decisions;
  double keep_alive_s_sum = 0;
};

// Plays unit.calls (sorted by start) up to horizon against policy, which is keyed by unit.key.
UnitOutcome SimulateUnit(const WorkloadUnit& unit, Nanos horizon, faas::KeepAlivePolicy& policy,
                         const SimOptions& options);

}  // namespace sl::trace
