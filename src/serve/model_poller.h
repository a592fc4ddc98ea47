// ModelPoller: picks up new versions of store models while serving (`serve --poll-s N`, issue 20).
//
// Every `period` on the injected Clock (or when PollNow is called) it reads each store model's
// manifest.json (StoreModelSource::Latest: the version is the manifest's SHA-256). A version other
// than the one served is fetched, verified and loaded on the poller's thread — requests keep
// being served meanwhile — and then swapped in with ModelRepository::Replace: requests that
// already took the old version finish on it, new ones get the new one. The cache keeps the new
// version and the one before it.
//
// A version that fails (wrong checksum or size, a manifest the loader refuses) is logged as an
// error naming the object and both sums, and the old version keeps serving. It is not fetched
// again while its weights object stays the same (same size, ETag and checksum): an upload caught
// halfway (manifest first, weights still the old ones) is retried once the weights change. A
// store that cannot be reached, or a missing manifest, is logged as a warning and polled again
// next time.
//
// Ownership: owns the sources; borrows the repository (and the clock and metrics registry of the
// options), which must outlive the poller.
// Thread safety: PollNow may be called from any thread (polls run one at a time); Stop joins the
// polling thread and is idempotent; the destructor calls it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/status.h"
#include "serve/model_repository.h"
#include "serve/store_model_source.h"

namespace sl::serve {

struct ModelPollerOptions {
  // Time between polls; 0: no polling thread (PollNow only).
  std::chrono::nanoseconds period{0};
  // Not owned; null: Clock::Real(). On another clock the thread re-reads it every millisecond.
  Clock* clock = nullptr;
  // Not owned; null: no metrics. sl_serve_model_polls_total{model, result} counts every poll by
  // its outcome (ChangeName: unchanged, swapped, refused, skipped, error).
  MetricsRegistry* metrics = nullptr;
};

class ModelPoller {
 public:
  enum class Change { kUnchanged, kSwapped, kRefused, kSkipped, kError };
  struct Outcome {
    std::string model;
    Change change = Change::kUnchanged;
    std::string version;    // the version published (when it could be read)
    bool downloaded = false;  // kSwapped: the weights were downloaded (else: from the cache)
    Status status;          // kRefused / kError: why
  };

  static Result<std::unique_ptr<ModelPoller>> Start(ModelRepository* repository,
                                                    std::vector<std::unique_ptr<StoreModelSource>> sources,
                                                    ModelPollerOptions options);
  ~ModelPoller();
  ModelPoller(const ModelPoller&) = delete;
  ModelPoller& operator=(const ModelPoller&) = delete;

  // One poll of every model, now, on the caller's thread; one Outcome per model.
  std::vector<Outcome> PollNow();
  void Stop();

  int64_t polls() const;  // completed polls (thread and PollNow)
  // Blocks until the polling thread has compared the clock with its next poll time `n` more
  // times, or `timeout` passes; true when it has. With a FakeClock, a test advances time and
  // waits for looks instead of sleeping to show that a poll did not happen.
  bool WaitForLooks(int64_t n, std::chrono::milliseconds timeout) const;
  int64_t swaps() const;
  int64_t refusals() const;

 private:
  ModelPoller() = default;
  void Loop(TimePoint first);
  Outcome PollOne(StoreModelSource& source);

  // What a refused version's weights object looked like, to tell a re-upload from the same bytes.
  struct Refused {
    std::string version, weights_signature;
  };

  ModelRepository* repository_ = nullptr;
  std::vector<std::unique_ptr<StoreModelSource>> sources_;
  ModelPollerOptions options_;
  Clock* clock_ = nullptr;
  CounterFamily* polls_metric_ = nullptr;  // null without a registry

  std::mutex poll_mu_;  // one poll at a time
  std::map<std::string, Refused> refused_;  // GUARDED_BY(poll_mu_), by model name

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // GUARDED_BY(mu_)
  int64_t polls_ = 0, swaps_ = 0, refusals_ = 0;  // GUARDED_BY(mu_)
  int64_t looks_ = 0;                              // GUARDED_BY(mu_)
  mutable std::condition_variable looked_;
  std::thread thread_;
};

std::string_view ChangeName(ModelPoller::Change c);  // "unchanged", "swapped", ...

}  // namespace sl::serve
