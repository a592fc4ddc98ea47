#include "serve/sim/tier_models.h"

#include <algorithm>
#include <cmath>

#include "faas/economics/pricing.h"

namespace sl::serve::sim {
namespace {

double MsBetween(TimePoint a, TimePoint b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

void Answer(SimCallback& done, Status status, double queue_ms) {
  InferenceResponse r;
  r.status = std::move(status);
  r.queue_ms = queue_ms;
  done(std::move(r));
}

bool Expired(const SimRequest& r, TimePoint now) {
  return r.deadline != TimePoint{} && now >= r.deadline;
}

}  // namespace

// ---------------------------------------------------------------------------------- local tier

SimLocalTier::SimLocalTier(EventLoop* loop, CpuPool* pool, SimLocalOptions options, WorkFn work,
                           bool shared)
    : loop_(loop), pool_(pool), o_(options), work_(std::move(work)), shared_(shared) {
  o_.threads = std::max<int64_t>(1, o_.threads);
  o_.max_batch = std::max<int64_t>(1, o_.max_batch);
  o_.queue_limit = std::max<int64_t>(1, o_.queue_limit);
  stats_.peak_replicas = o_.threads;  // a fixed pool
}

TierState SimLocalTier::State() {
  TierState s;
  s.kind = TierKind::kLocal;
  s.shares_gateway_cpu = true;  // the gateway runs on the local server
  s.available = true;
  s.inflight = inflight_;
  s.queued = static_cast<int64_t>(queue_.size());
  s.replicas = o_.threads;
  s.max_replicas = o_.threads;
  s.capacity = o_.queue_limit + o_.threads * o_.max_batch;
  s.service_ms_ewma = service_ewma_;
  (void)shared_;
  return s;
}

void SimLocalTier::Submit(const SimRequest& request, SimCallback done) {
  if (static_cast<int64_t>(queue_.size()) >= o_.queue_limit) {
    ++stats_.refused;
    return Answer(done, ResourceExhausted("local tier: queue full ({} requests waiting)", queue_.size()), 0);
  }
  Pending p{request, std::move(done), loop_->Now()};
  if (collecting_) {
    // The waiting worker takes it at once if it fits its batch (LocalTier::Impl::Loop).
    if (collected_samples_ + request.samples <= o_.max_batch) {
      collected_samples_ += request.samples;
      collected_.push_back(std::move(p));
      if (collected_samples_ >= o_.max_batch) FlushCollector(collect_gen_);
      return;
    }
    FlushCollector(collect_gen_);
  }
  queue_.push_back(std::move(p));
  Dispatch();
}

void SimLocalTier::FlushCollector(uint64_t generation) {
  if (!collecting_ || generation != collect_gen_) return;
  collecting_ = false;
  ++collect_gen_;
  std::vector<Pending> batch;
  batch.swap(collected_);
  collected_samples_ = 0;
  RunBatch(std::move(batch));
}

void SimLocalTier::Dispatch() {
  while (busy_ < o_.threads && !queue_.empty() && !collecting_) {
    std::vector<Pending> batch;
    int64_t samples = 0;
    do {
      samples += queue_.front().request.samples;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    } while (!queue_.empty() && samples + queue_.front().request.samples <= o_.max_batch &&
             o_.max_batch > 1);
    ++busy_;
    const TimePoint flush_at = batch.front().enqueued + o_.max_queue_delay;
    if (o_.max_batch > 1 && queue_.empty() && busy_ == o_.threads && samples < o_.max_batch &&
        loop_->Now() < flush_at) {
      collecting_ = true;
      collected_ = std::move(batch);
      collected_samples_ = samples;
      const uint64_t gen = collect_gen_;
      loop_->Schedule(flush_at, [this, gen] { FlushCollector(gen); });
      return;
    }
    RunBatch(std::move(batch));
  }
}

void SimLocalTier::RunBatch(std::vector<Pending> batch) {
  const TimePoint start = loop_->Now();
  auto live = std::make_shared<std::vector<Pending>>();
  int64_t samples = 0;
  double work = 0;
  for (Pending& p : batch) {
    if (Expired(p.request, start)) {
      ++stats_.expired;
      Answer(p.done, DeadlineExceeded("local tier: request deadline passed after {:.1f} ms in the queue",
                                      MsBetween(p.enqueued, start)),
             MsBetween(p.enqueued, start));
      continue;
    }
    samples += p.request.samples;
    work += work_(p.request.samples);
    live->push_back(std::move(p));
  }
  if (live->empty()) {
    --busy_;
    Dispatch();
    return;
  }
  inflight_ += static_cast<int64_t>(live->size());
  pool_->Run(work, [this, live, start, samples] {
    const TimePoint end = loop_->Now();
    const double run_ms = MsBetween(start, end);
    UpdateEwma(&service_ewma_, run_ms / static_cast<double>(live->size()));
    inflight_ -= static_cast<int64_t>(live->size());
    --busy_;
    for (Pending& p : *live) {
      InferenceResponse r;
      r.queue_ms = MsBetween(p.enqueued, start);
      r.service_ms = run_ms;
      r.batch_size = samples;
      ++stats_.answered_ok;
      p.done(std::move(r));
    }
    Dispatch();
  });
}

// ------------------------------------------------------------------------------ container tier

SimContainerTier::SimContainerTier(EventLoop* loop, CpuPool* shared_pool,
                                   SimContainerOptions options, WorkFn work)
    : loop_(loop), shared_pool_(shared_pool), o_(options), work_(std::move(work)) {
  o_.max_replicas = std::max<int64_t>(1, o_.max_replicas);
  o_.min_replicas = std::clamp<int64_t>(o_.min_replicas, 0, o_.max_replicas);
  o_.replica_concurrency = std::max<int64_t>(1, o_.replica_concurrency);
  o_.queue_per_replica = std::max<int64_t>(1, o_.queue_per_replica);
  if (o_.supervise_interval.count() <= 0) o_.supervise_interval = std::chrono::milliseconds(50);
  for (int64_t i = 0; i < o_.min_replicas; ++i) StartReplica(/*ready_now=*/true);
  loop_->After(o_.supervise_interval, [this] { Supervise(); });
}

std::shared_ptr<SimContainerTier::Replica> SimContainerTier::StartReplica(bool ready_now) {
  auto rep = std::make_shared<Replica>();
  rep->spawned = loop_->Now();
  rep->last_busy = rep->spawned;
  if (shared_pool_ != nullptr) {
    rep->pool = shared_pool_;
  } else {
    rep->own_pool = std::make_unique<CpuPool>(loop_, o_.cpus_per_replica > 0 ? o_.cpus_per_replica
                                                                             : static_cast<double>(o_.replica_concurrency));
    rep->pool = rep->own_pool.get();
  }
  live_.push_back(rep);
  stats_.peak_replicas = std::max<int64_t>(stats_.peak_replicas, static_cast<int64_t>(live_.size()));
  if (ready_now) {
    rep->state = RState::kReady;
    return rep;
  }
  ++stats_.starts;
  loop_->AfterMs(o_.start_ms, [this, rep] {
    if (rep->retired) return;
    rep->state = RState::kReady;
    rep->last_busy = loop_->Now();
    UpdateEwma(&start_ewma_, MsBetween(rep->spawned, rep->last_busy));
    Dispatch(rep);
  });
  return rep;
}

TierState SimContainerTier::State() {
  TierState s;
  s.kind = TierKind::kContainer;
  s.shares_gateway_cpu = shared_pool_ != nullptr;
  s.available = true;
  for (const auto& r : live_) {
    s.inflight += r->inflight;
    s.queued += static_cast<int64_t>(r->queue.size());
    if (r->state == RState::kReady) ++s.replicas;
  }
  s.capacity = o_.max_replicas * (o_.queue_per_replica + o_.replica_concurrency);
  s.max_replicas = o_.max_replicas;
  s.service_ms_ewma = service_ewma_;
  s.start_ms_ewma = start_ewma_;
  return s;
}

void SimContainerTier::Submit(const SimRequest& request, SimCallback done) {
  const TimePoint now = loop_->Now();
  if (Expired(request, now)) {
    ++stats_.expired;
    return Answer(done, DeadlineExceeded("container tier: request deadline passed before queueing"), 0);
  }
  // ContainerTier::Submit: the least-loaded ready replica with room, else a starting one; one
  // more replica when none is ready with room (and none is starting, unless nothing had room).
  std::shared_ptr<Replica> best;
  auto load = [](const Replica& r) { return static_cast<int64_t>(r.queue.size()) + r.inflight; };
  for (RState want : {RState::kReady, RState::kStarting}) {
    for (const auto& r : live_) {
      if (r->state != want || static_cast<int64_t>(r->queue.size()) >= o_.queue_per_replica) continue;
      if (!best || load(*r) < load(*best)) best = r;
    }
    if (best) break;
  }
  if ((!best || best->state != RState::kReady) &&
      static_cast<int64_t>(live_.size()) < o_.max_replicas) {
    const bool any_starting = std::any_of(live_.begin(), live_.end(), [](const auto& r) {
      return r->state == RState::kStarting;
    });
    if (!best || !any_starting) best = StartReplica(/*ready_now=*/false);
  }
  if (!best) {
    ++stats_.refused;
    return Answer(done, ResourceExhausted("container tier: every replica's queue is full ({} replicas x {} queued, max {} replicas)",
                                          live_.size(), o_.queue_per_replica, o_.max_replicas),
                  0);
  }
  best->queue.push_back(Pending{request, std::move(done), now, best->state == RState::kStarting});
  Dispatch(best);
}

void SimContainerTier::Dispatch(const std::shared_ptr<Replica>& rep) {
  while (rep->state == RState::kReady && !rep->retired && rep->inflight < o_.replica_concurrency &&
         !rep->queue.empty()) {
    auto p = std::make_shared<Pending>(std::move(rep->queue.front()));
    rep->queue.pop_front();
    const TimePoint start = loop_->Now();
    if (Expired(p->request, start)) {
      ++stats_.expired;
      Answer(p->done, DeadlineExceeded("container tier: request deadline passed after {:.1f} ms in a replica's queue",
                                       MsBetween(p->enqueued, start)),
             MsBetween(p->enqueued, start));
      continue;
    }
    ++rep->inflight;
    rep->pool->Run(work_(p->request.samples), [this, rep, p, start] {
      const TimePoint end = loop_->Now();
      --rep->inflight;
      rep->last_busy = end;
      InferenceResponse r;
      r.queue_ms = MsBetween(p->enqueued, start);
      r.service_ms = MsBetween(start, end);
      r.cold_start = p->waited_for_start;
      UpdateEwma(&service_ewma_, r.service_ms);
      ++stats_.answered_ok;
      p->done(std::move(r));
      Dispatch(rep);
    });
  }
}

void SimContainerTier::Supervise() {
  if (stopped_) return;
  const TimePoint now = loop_->Now();
  const int64_t n = static_cast<int64_t>(live_.size());
  if (n < o_.min_replicas) {
    for (int64_t i = n; i < o_.min_replicas; ++i) StartReplica(false);
  } else if (n > 0 && n < o_.max_replicas) {
    int64_t queued = 0;
    bool starting = false;
    for (const auto& r : live_) {
      queued += static_cast<int64_t>(r->queue.size());
      starting = starting || r->state == RState::kStarting;
    }
    if (!starting && static_cast<double>(queued) / static_cast<double>(n) > o_.scale_up_queue_depth) {
      StartReplica(false);
    }
  }
  if (static_cast<int64_t>(live_.size()) > o_.min_replicas) {
    for (auto it = live_.begin(); it != live_.end(); ++it) {
      const auto& r = *it;
      if (r->state == RState::kReady && r->queue.empty() && r->inflight == 0 &&
          now - r->last_busy >= o_.idle_before_scale_down) {
        r->retired = true;
        ++stats_.stops;
        live_.erase(it);
        break;
      }
    }
  }
  loop_->After(o_.supervise_interval, [this] { Supervise(); });
}

// ------------------------------------------------------------------------------- function tier

Result<std::unique_ptr<SimFunctionTier>> SimFunctionTier::Make(EventLoop* loop, CpuPool* shared_pool,
                                                               SimFunctionOptions options,
                                                               faas::ProviderProfile profile,
                                                               WorkFn work) {
  SL_RETURN_IF_ERROR(faas::CheckMemorySize(profile, options.memory_mb));
  if (options.concurrency_limit < 1) {
    return InvalidArgument("function tier: concurrency limit {} must be >= 1", options.concurrency_limit);
  }
  return std::unique_ptr<SimFunctionTier>(
      new SimFunctionTier(loop, shared_pool, options, std::move(profile), std::move(work)));
}

SimFunctionTier::SimFunctionTier(EventLoop* loop, CpuPool* shared_pool, SimFunctionOptions options,
                                 faas::ProviderProfile profile, WorkFn work)
    : loop_(loop), shared_pool_(shared_pool), o_(options), profile_(std::move(profile)),
      work_(std::move(work)), rng_(options.seed * 0x9e3779b97f4a7c15ULL + 17) {}

void SimFunctionTier::Expire() {
  const TimePoint now = loop_->Now();
  while (!idle_.empty() && now - idle_.front() >= o_.keep_alive) {
    idle_.pop_front();
    ++stats_.stops;
  }
}

double SimFunctionTier::ColdStartMs() {
  double ms = std::max(0.0, o_.init_ms);
  const double mean = profile_.cold_start_mean_ms, sd = profile_.cold_start_sd_ms;
  if (o_.profile_cold_start && mean > 0) {
    if (sd <= 0) {
      ms += mean;
    } else {  // lognormal with that mean and sd
      const double s2 = std::log(1 + (sd * sd) / (mean * mean));
      std::normal_distribution<double> z(std::log(mean) - s2 / 2, std::sqrt(s2));
      ms += std::exp(z(rng_));
    }
  }
  return ms;
}

TierState SimFunctionTier::State() {
  Expire();
  TierState s;
  s.kind = TierKind::kFunction;
  s.shares_gateway_cpu = shared_pool_ != nullptr;
  s.available = true;
  s.inflight = inflight_;
  s.capacity = o_.concurrency_limit;
  s.max_replicas = o_.concurrency_limit;
  s.replicas = inflight_ + static_cast<int64_t>(idle_.size());
  s.service_ms_ewma = service_ewma_;
  s.start_ms_ewma = start_ewma_;
  s.cost_per_request_usd = cost_ewma_;
  return s;
}

void SimFunctionTier::Submit(const SimRequest& request, SimCallback done) {
  if (inflight_ >= o_.concurrency_limit) {
    ++stats_.refused;
    return Answer(done, ResourceExhausted("function tier: at its concurrency limit ({})", o_.concurrency_limit), 0);
  }
  ++inflight_;
  Expire();
  double init_ms = 0;
  if (!idle_.empty()) {
    idle_.pop_back();  // the most recently used instance
  } else {
    init_ms = ColdStartMs();
    ++stats_.starts;
  }
  stats_.peak_replicas = std::max<int64_t>(stats_.peak_replicas, inflight_ + static_cast<int64_t>(idle_.size()));
  const double work = work_(request.samples);
  const TimePoint placed = loop_->Now();
  if (shared_pool_ == nullptr) {
    loop_->AfterMs(init_ms + work, [this, init_ms, work, placed, done = std::move(done)]() mutable {
      Finish(init_ms, work, placed, std::move(done));
    });
    return;
  }
  auto run = [this, init_ms, placed, work, done = std::move(done)]() mutable {
    const TimePoint started = loop_->Now();
    shared_pool_->Run(work, [this, init_ms, placed, started, done = std::move(done)]() mutable {
      Finish(init_ms > 0 ? MsBetween(placed, started) : 0, MsBetween(started, loop_->Now()), placed,
             std::move(done));
    });
  };
  if (init_ms > 0) {
    shared_pool_->Run(init_ms, std::move(run));
  } else {
    run();
  }
}

void SimFunctionTier::Finish(double init_ms, double duration_ms, TimePoint placed, SimCallback done) {
  (void)placed;
  --inflight_;
  idle_.push_back(loop_->Now());
  InferenceResponse r;
  r.cold_start = init_ms > 0;
  r.service_ms = init_ms + duration_ms;
  auto billed = faas::PriceInvocation(profile_, duration_ms, o_.memory_mb, 0, init_ms);
  if (billed.ok()) r.cost_usd = billed->cost_usd;
  UpdateEwma(&service_ewma_, duration_ms);
  if (r.cold_start) UpdateEwma(&start_ewma_, init_ms);
  UpdateEwma(&cost_ewma_, r.cost_usd);
  stats_.cost_usd += r.cost_usd;
  ++stats_.answered_ok;
  done(std::move(r));
}

}  // namespace sl::serve::sim
