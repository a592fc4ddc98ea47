// CpuPool: `cores` CPUs shared by the jobs running on them, as an OS shares cores between
// runnable threads (egalitarian processor sharing): with n jobs each progresses at
// min(1, cores / n) CPU-seconds per second, so a job of d CPU-ms takes d ms while the pool is not
// oversubscribed and proportionally longer when it is. One pool models one machine's (or one
// cgroup's) CPU: the local server's cores, one container replica's CPU quota, one function
// instance's vCPUs, or — to validate against a run on this host — the one set of cores every tier
// shares.
// Implementation: attained service per job grows at the common rate, so jobs finish in order of
// (start progress + demand); one pending completion event is kept and re-aimed when n changes.
// Failure contract: cores must be > 0 (INVALID_ARGUMENT from Make... is the caller's; the
// constructor clamps to a tiny positive value). Thread safety: the EventLoop's thread only.
#pragma once
#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "serve/sim/event_loop.h"

namespace sl::serve::sim {

class CpuPool {
 public:
  CpuPool(EventLoop* loop, double cores);
  // Runs a job of `cpu_ms` CPU-milliseconds; `done` runs (on the loop) when it has had them.
  void Run(double cpu_ms, std::function<void()> done);
  double cores() const { return cores_; }
  int64_t running() const { return static_cast<int64_t>(jobs_.size()); }
  // CPU-ms handed out so far (for utilisation figures).
  double busy_cpu_ms() const;

 private:
  struct Job {
    double finish_v;  // progress (ms of attained service per job) at which it is done
    uint64_t seq;
    std::function<void()> done;
  };
  struct Later {
    bool operator()(const Job& a, const Job& b) const {
      return a.finish_v != b.finish_v ? a.finish_v > b.finish_v : a.seq > b.seq;
    }
  };
  double Rate() const;   // per-job progress per ms of time
  void Advance();        // progress up to Now()
  void Aim();            // (re)schedules the next completion
  void Complete(uint64_t generation);

  EventLoop* loop_;
  double cores_;
  double v_ = 0;                 // attained service per job since the pool started (ms)
  TimePoint last_{};
  double busy_ms_ = 0;           // integral of min(n, cores) dt
  uint64_t seq_ = 0, generation_ = 0;
  std::priority_queue<Job, std::vector<Job>, Later> jobs_;
};

}  // namespace sl::serve::sim
