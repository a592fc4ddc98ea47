// The tiers of the gateway as the simulator models them (issue 21 §5): the same admission,
// queueing, scaling and TierState rules as serve/local_tier.h, serve/remote/container_tier.h and
// serve/remote/function_tier.h, with the work of each request drawn from the calibration
// (calibration.h) and run on a CpuPool (cpu_pool.h) instead of a model.
//
// SimLocalTier      `threads` workers over one bounded FIFO (queue_limit; beyond it
//                   RESOURCE_EXHAUSTED at once); a free worker takes the oldest requests up to
//                   max_batch samples and, when it is the last free worker and the batch is not
//                   full, collects arrivals until the oldest has waited max_queue_delay; a batch
//                   costs the sum of its requests' work; requests past their deadline when their
//                   batch starts are answered DEADLINE_EXCEEDED without running. capacity =
//                   queue_limit + threads × max_batch.
// SimContainerTier  min..max replicas, each with queue_per_replica places and
//                   replica_concurrency requests running on its own CPU (cpus_per_replica);
//                   Submit picks the least-loaded ready replica with room, else a starting one,
//                   and starts one more as ContainerTier::Submit does; the supervisor round
//                   (every supervise_interval) scales up when the mean queue per live replica
//                   exceeds scale_up_queue_depth and none is starting, and stops one replica idle
//                   for idle_before_scale_down above min. A start takes start_ms. Replicas in
//                   `min_replicas` are ready at time 0 (serve waits for them before it listens).
// SimFunctionTier   at most concurrency_limit invocations (beyond: RESOURCE_EXHAUSTED); an idle
//                   instance (the most recently used) takes the request warm, else a new instance
//                   cold-starts (our INIT measured here + the provider profile's platform
//                   cold start, lognormal with the profile's mean and sd); an instance idle for
//                   keep_alive is gone. Billed with the profile (faas/economics/pricing.h).
// Every tier's service time comes from `work(samples)` (CPU-ms); `pool` null gives each replica /
// instance CPUs of its own (separate machines), non-null runs everything on that one pool (the
// tiers share the cores, as on one host; TierState::shares_gateway_cpu is then true).
// Callbacks run on the EventLoop, possibly inside Submit (refusals), as the real tiers' may.
// Thread safety: the EventLoop's thread only.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "faas/economics/provider_profile.h"
#include "serve/api/tier.h"
#include "serve/sim/cpu_pool.h"
#include "serve/sim/event_loop.h"

namespace sl::serve::sim {

struct SimRequest {
  int64_t samples = 1;
  int64_t wire_bytes = 0;
  TimePoint arrival{};
  TimePoint deadline{};  // {}: none
};
using SimCallback = std::function<void(InferenceResponse)>;
// CPU-ms of one request of `samples` samples on this tier (a draw).
using WorkFn = std::function<double(int64_t samples)>;

struct SimTierStats {
  int64_t answered_ok = 0;
  int64_t refused = 0;          // RESOURCE_EXHAUSTED at Submit
  int64_t expired = 0;          // DEADLINE_EXCEEDED before running
  int64_t starts = 0;           // container replicas started / function cold starts
  int64_t stops = 0;            // replicas scaled down / instances expired
  int64_t peak_replicas = 0;
  double cost_usd = 0;
};

class SimTier {
 public:
  virtual ~SimTier() = default;
  virtual TierKind kind() const = 0;
  virtual TierState State() = 0;
  virtual void Submit(const SimRequest& request, SimCallback done) = 0;
  // Ends periodic work (the container supervisor) so the loop can drain.
  virtual void Stop() {}
  const SimTierStats& stats() const { return stats_; }

 protected:
  SimTierStats stats_;
};

struct SimLocalOptions {
  int64_t threads = 2;
  int64_t max_batch = 32;
  Nanos max_queue_delay = std::chrono::microseconds(500);
  int64_t queue_limit = 256;
};

class SimLocalTier final : public SimTier {
 public:
  // `pool` (required, not owned): the local server's cores, or the shared ones.
  SimLocalTier(EventLoop* loop, CpuPool* pool, SimLocalOptions options, WorkFn work, bool shared);
  TierKind kind() const override { return TierKind::kLocal; }
  TierState State() override;
  void Submit(const SimRequest& request, SimCallback done) override;

 private:
  struct Pending {
    SimRequest request;
    SimCallback done;
    TimePoint enqueued;
  };
  void Dispatch();
  void RunBatch(std::vector<Pending> batch);
  void FlushCollector(uint64_t generation);

  EventLoop* loop_;
  CpuPool* pool_;
  SimLocalOptions o_;
  WorkFn work_;
  bool shared_;
  std::deque<Pending> queue_;
  int64_t busy_ = 0, inflight_ = 0;
  double service_ewma_ = 0;
  // The worker that waits for company (at most one: only the last free worker waits).
  bool collecting_ = false;
  std::vector<Pending> collected_;
  int64_t collected_samples_ = 0;
  uint64_t collect_gen_ = 0;
};

struct SimContainerOptions {
  int64_t min_replicas = 1;
  int64_t max_replicas = 2;
  int64_t replica_concurrency = 2;
  int64_t queue_per_replica = 16;
  double scale_up_queue_depth = 2;
  Nanos idle_before_scale_down = std::chrono::seconds(30);
  Nanos supervise_interval = std::chrono::milliseconds(50);
  double cpus_per_replica = 1;
  double start_ms = 0;  // placement_sim: <= 0 is the calibration's measured start (else 1,000 ms)
};

class SimContainerTier final : public SimTier {
 public:
  // `shared_pool` null: each replica has its own pool of cpus_per_replica.
  SimContainerTier(EventLoop* loop, CpuPool* shared_pool, SimContainerOptions options, WorkFn work);
  TierKind kind() const override { return TierKind::kContainer; }
  TierState State() override;
  void Submit(const SimRequest& request, SimCallback done) override;
  void Stop() override { stopped_ = true; }
  int64_t live_replicas() const { return static_cast<int64_t>(live_.size()); }

 private:
  enum class RState { kStarting, kReady };
  struct Pending {
    SimRequest request;
    SimCallback done;
    TimePoint enqueued;
    bool waited_for_start;
  };
  struct Replica {
    RState state = RState::kStarting;
    std::deque<Pending> queue;
    int64_t inflight = 0;
    TimePoint spawned{}, last_busy{};
    std::unique_ptr<CpuPool> own_pool;
    CpuPool* pool = nullptr;
    bool retired = false;
  };
  std::shared_ptr<Replica> StartReplica(bool ready_now);
  void Dispatch(const std::shared_ptr<Replica>& rep);
  void Supervise();

  EventLoop* loop_;
  CpuPool* shared_pool_;
  SimContainerOptions o_;
  WorkFn work_;
  std::vector<std::shared_ptr<Replica>> live_;
  double service_ewma_ = 0, start_ewma_ = 0;
  bool stopped_ = false;
};

struct SimFunctionOptions {
  int64_t concurrency_limit = 0;     // >= 1 for Make; placement_sim: 0 is the profile's default
  Nanos keep_alive = std::chrono::seconds(600);
  int64_t memory_mb = 1024;
  double init_ms = -1;                // our INIT (model load) measured here; < 0: the calibration's
  bool profile_cold_start = true;     // + the profile's platform cold start (lognormal)
  uint64_t seed = 1;
};

class SimFunctionTier final : public SimTier {
 public:
  // `shared_pool` null: every instance runs on its own (the work is taken as measured under
  // the instance's CPU share); else INIT and the work run on the shared cores.
  // INVALID_ARGUMENT (from Make) when the memory size is not one the profile allows.
  static Result<std::unique_ptr<SimFunctionTier>> Make(EventLoop* loop, CpuPool* shared_pool,
                                                       SimFunctionOptions options,
                                                       faas::ProviderProfile profile, WorkFn work);
  TierKind kind() const override { return TierKind::kFunction; }
  TierState State() override;
  void Submit(const SimRequest& request, SimCallback done) override;

 private:
  SimFunctionTier(EventLoop* loop, CpuPool* shared_pool, SimFunctionOptions options,
                  faas::ProviderProfile profile, WorkFn work);
  void Expire();
  double ColdStartMs();
  void Finish(double init_ms, double duration_ms, TimePoint placed, SimCallback done);

  EventLoop* loop_;
  CpuPool* shared_pool_;
  SimFunctionOptions o_;
  faas::ProviderProfile profile_;
  WorkFn work_;
  std::mt19937_64 rng_;
  int64_t inflight_ = 0;             // invocations running (incl. cold starts)
  std::deque<TimePoint> idle_;       // idle instances by the time they became idle (back: newest)
  double service_ewma_ = 0, start_ewma_ = 0, cost_ewma_ = 0;
};

}  // namespace sl::serve::sim
