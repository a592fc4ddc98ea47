// LocalTier (serve::Tier kind kLocal): in-process inference on a bounded pool of worker threads
// with dynamic batching, as Triton's dynamic batcher does — the StraightLine paper's "local web
// server" without its single thread.
//
// Each model has one FIFO queue. A free worker takes the oldest request and keeps collecting
// requests of the same model until the batch holds max_batch samples or the oldest request has
// waited max_queue_delay; then it runs them as ONE forward pass (dense models; text models run
// sample by sample) and answers each request with its own v2 response. Requests whose deadline
// passed while queued are answered DEADLINE_EXCEEDED without running.
//
// A request that is alone — the gateway held no other (InferenceRequest::alone) — and finds the
// tier idle (no request queued, no batch running) runs at once on the thread that submitted it,
// as a batch of one (run_lone_requests_inline): it could not have batched with anything, and
// handing it to a worker thread and its answer back costs two thread switches — at one
// connection the largest cost around the forward pass (docs/benchmarks.md, issue 22). It counts
// as one of the `threads` while it runs; requests that arrive meanwhile queue for the workers as
// before. Under concurrency requests are never alone: running them on the HTTP threads whenever
// the tier idled for a moment cost throughput at 16 and 64 connections (docs/benchmarks.md).
//
// Bounded: at most queue_limit requests wait (over all models); Submit beyond that answers
// RESOURCE_EXHAUSTED at once on the caller's thread. TierState: replicas = threads, capacity =
// queue_limit + threads × max_batch, service_ms_ewma = measured forward time per request
// (batch time / requests in the batch).
// Metrics (when a registry is given): sl_serve_local_batch_size (histogram of requests per
// batch), sl_serve_local_queue_depth (gauge).
// Thread safety: Submit/State from any thread. Shutdown fails queued requests with UNAVAILABLE,
// lets running batches finish and joins the threads (idempotent; the destructor calls it).
// Ownership: borrows the ModelRepository, which must outlive the tier.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "common/clock.h"
#include "common/status.h"
#include "serve/model_repository.h"
#include "serve/api/tier.h"

namespace sl {
class MetricsRegistry;
}

namespace sl::serve {

struct LocalTierOptions {
  int64_t threads = 0;                         // inference threads; 0: hardware threads
  int64_t max_batch = 32;                      // samples per forward pass; 1 disables batching
  std::chrono::microseconds max_queue_delay{500};
  int64_t queue_limit = 256;                   // requests waiting, over all models
  MetricsRegistry* metrics = nullptr;          // null: no metrics
  // Queue times, the batching delay, deadlines and forward-pass times (not owned). Null:
  // Clock::Real(). On another clock (tests) the batching wait re-checks it every millisecond.
  Clock* clock = nullptr;
  // Observer called on the worker thread before each forward pass with the batch's sample count
  // (instrumentation; tests use it to hold a worker busy deterministically). May be empty.
  std::function<void(int64_t samples)> on_batch_start;
  // Run a request that finds the tier idle on the submitting thread (see above). Submit then
  // returns after the answer was given.
  bool run_lone_requests_inline = true;
};

class LocalTier final : public Tier {
 public:
  static Result<std::unique_ptr<LocalTier>> Create(const ModelRepository* models,
                                                   LocalTierOptions options);
  ~LocalTier() override;

  TierKind kind() const override { return TierKind::kLocal; }
  std::vector<std::string> Models() const override;
  void Submit(InferenceRequest request, InferenceCallback done) override;
  TierState State() const override;
  void Shutdown() override;

  // Batches run so far and the samples in them (tests and the bench read the mean batch size).
  int64_t batches_run() const;
  int64_t samples_run() const;

  class Impl;

 private:
  explicit LocalTier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sl::serve
