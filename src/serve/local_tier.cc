#include "serve/local_tier.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "common/log.h"
#include "common/metrics.h"
#include "serve/v2/v2_predict.h"

namespace sl::serve {
namespace {

struct Pending {
  InferenceRequest request;
  InferenceCallback done;
  // The version current when the request arrived: it runs on that one even if the repository
  // swaps in another meanwhile (ModelRepository::Replace).
  std::shared_ptr<const ServedModel> model;
  TimePoint enqueued;
};

double MsBetween(TimePoint a, TimePoint b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

class LocalTier::Impl {
 public:
  Impl(const ModelRepository* models, LocalTierOptions options)
      : models_(models), options_(options),
        clock_(options.clock != nullptr ? options.clock : Clock::Real()) {
    if (options_.metrics != nullptr) {
      auto batch = options_.metrics->AddHistogram(
          "sl_serve_local_batch_size", "Samples per forward pass of the local tier.", {},
          {1, 2, 4, 8, 16, 32, 64, 128, 256});
      if (batch.ok()) batch_hist_ = (*batch)->WithLabels({}).value();
      auto depth = options_.metrics->AddGauge("sl_serve_local_queue_depth",
                                              "Requests waiting in the local tier's queue.");
      if (depth.ok()) depth_gauge_ = (*depth)->WithLabels({}).value();
    }
    for (int64_t i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Loop(); });
  }

  ~Impl() { Shutdown(); }

  void Submit(InferenceRequest request, InferenceCallback done) {
    std::shared_ptr<const ServedModel> model =
        request.served != nullptr ? request.served : models_->Find(request.model);
    if (model == nullptr) {
      InferenceResponse r;
      r.status = NotFound("local tier: unknown model '{}'", request.model);
      done(std::move(r));
      return;
    }
    Status refused;
    std::vector<Pending> alone;  // the idle tier's inline batch of one
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stop_) {
        refused = Unavailable("local tier: shutting down");
      } else if (queued_ >= options_.queue_limit) {
        refused = ResourceExhausted("local tier: queue full ({} requests waiting)", queued_);
      } else if (options_.run_lone_requests_inline && request.alone && queued_ == 0 && busy_ == 0) {
        alone.push_back({std::move(request), std::move(done), std::move(model), clock_->Now()});
        ++busy_;
        ++inflight_;
      } else {
        std::deque<Pending>& q = queues_[model->name];
        q.push_back({std::move(request), std::move(done), std::move(model), clock_->Now()});
        ++queued_;
        SetDepth();
      }
    }
    if (!refused.ok()) {
      InferenceResponse r;
      r.status = std::move(refused);
      done(std::move(r));
      return;
    }
    if (!alone.empty()) {
      Run(alone);
      std::lock_guard<std::mutex> l(mu_);
      --inflight_;
      --busy_;
      if (queued_ > 0) cv_.notify_one();  // what arrived meanwhile waited for this slot
      return;
    }
    cv_.notify_one();
  }

  TierState State() const {
    TierState s;
    s.kind = TierKind::kLocal;
    s.shares_gateway_cpu = true;
    std::lock_guard<std::mutex> l(mu_);
    s.available = !stop_;
    s.inflight = inflight_;
    s.queued = queued_;
    s.replicas = options_.threads;
    s.max_replicas = options_.threads;
    s.capacity = options_.queue_limit + options_.threads * options_.max_batch;
    s.service_ms_ewma = service_ms_ewma_;
    return s;
  }

  void Shutdown() {
    std::map<std::string, std::deque<Pending>, std::less<>> dropped;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stop_ && threads_.empty()) return;
      stop_ = true;
      dropped.swap(queues_);
      queued_ = 0;
      SetDepth();
    }
    cv_.notify_all();
    for (auto& [model, q] : dropped) {
      for (Pending& p : q) {
        InferenceResponse r;
        r.status = Unavailable("local tier: shutting down");
        p.done(std::move(r));
      }
    }
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> l(mu_);
      threads.swap(threads_);
    }
    for (auto& t : threads) t.join();
  }

  int64_t batches() const { return batches_.load(); }
  int64_t samples() const { return samples_.load(); }
  std::vector<std::string> Models() const { return models_->Names(); }

 private:
  void SetDepth() {
    if (depth_gauge_ != nullptr) depth_gauge_->Set(static_cast<double>(queued_));
  }

  // The queue whose front request is oldest; null when all are empty. Caller holds mu_.
  std::deque<Pending>* OldestQueue() {
    std::deque<Pending>* best = nullptr;
    for (auto& [model, q] : queues_) {
      if (!q.empty() && (best == nullptr || q.front().enqueued < best->front().enqueued)) best = &q;
    }
    return best;
  }

  void Loop() {
    std::unique_lock<std::mutex> l(mu_);
    while (true) {
      // A free slot too: a request running inline on its caller's thread holds one of them.
      cv_.wait(l, [&] { return stop_ || (queued_ > 0 && busy_ < options_.threads); });
      if (stop_) return;
      std::deque<Pending>* q = OldestQueue();
      std::vector<Pending> batch;
      int64_t samples = 0;
      auto take = [&] {
        samples += q->front().request.batch;
        batch.push_back(std::move(q->front()));
        q->pop_front();
        --queued_;
      };
      take();
      // Text models run sample by sample: no point in waiting for company.
      const bool batchable = !batch.front().model->input.text && options_.max_batch > 1;
      const auto flush_at = batch.front().enqueued + options_.max_queue_delay;
      ++busy_;
      while (batchable) {
        if (!q->empty()) {
          if (samples + q->front().request.batch > options_.max_batch) break;
          // One forward pass runs one version: a batch stops where a newer version's requests
          // begin (after a swap, the old version's requests are ahead of them in the queue).
          if (q->front().model != batch.front().model) break;
          take();
          continue;
        }
        // Wait for more only while every other worker is busy: with an idle worker, running
        // now costs no throughput, and waiting would only add latency.
        if (stop_ || busy_ < options_.threads || samples >= options_.max_batch ||
            clock_->Now() >= flush_at) {
          break;
        }
        if (clock_ == Clock::Real()) {
          cv_.wait_until(l, flush_at);
        } else {
          cv_.wait_for(l, std::chrono::milliseconds(1));  // a test's clock moves without notice
        }
        if (stop_) break;
      }
      inflight_ += static_cast<int64_t>(batch.size());
      SetDepth();
      l.unlock();
      Run(batch);
      l.lock();
      inflight_ -= static_cast<int64_t>(batch.size());
      --busy_;
      if (queued_ > 0) cv_.notify_one();
    }
  }

  // Runs one batch (all of one model) and answers every request. Called without mu_.
  void Run(std::vector<Pending>& batch) {
    TimePoint start = clock_->Now();
    const ServedModel& model = *batch.front().model;
    std::vector<Pending*> live;
    for (Pending& p : batch) {
      if (p.request.deadline != TimePoint{} && start >= p.request.deadline) {
        InferenceResponse r;
        r.status = DeadlineExceeded("local tier: request deadline passed after {:.1f} ms in the queue",
                                    MsBetween(p.enqueued, start));
        r.queue_ms = MsBetween(p.enqueued, start);
        p.done(std::move(r));
      } else {
        live.push_back(&p);
      }
    }
    if (live.empty()) return;
    int64_t live_samples = 0;
    for (Pending* p : live) live_samples += p->request.batch;
    if (options_.on_batch_start) {
      options_.on_batch_start(live_samples);
      start = clock_->Now();
    }

    std::vector<Result<std::string>> bodies;
    bodies.reserve(live.size());
    if (!model.input.text && live.size() > 1) {
      std::vector<float> all;
      all.reserve(static_cast<size_t>(live_samples * model.input.Numel()));
      for (Pending* p : live) all.insert(all.end(), p->request.dense.begin(), p->request.dense.end());
      auto preds = model.predictor->PredictDense(all, live_samples);
      if (preds.ok()) {
        size_t at = 0;
        for (Pending* p : live) {
          auto n = static_cast<size_t>(p->request.batch);
          std::span<const ml::Prediction> mine(preds->data() + at, n);
          bodies.emplace_back(v2::EncodePredictions(p->request, model.version, mine));
          at += n;
        }
      }
      // else: a batch-level failure must not fail the neighbours of one bad request, so each
      // runs alone below.
    }
    if (bodies.empty()) {
      for (Pending* p : live) bodies.push_back(v2::RunPredictions(*model.predictor, p->request, model.version));
    }
    const TimePoint end = clock_->Now();
    const double run_ms = MsBetween(start, end);
    batches_.fetch_add(1);
    samples_.fetch_add(live_samples);
    if (batch_hist_ != nullptr) batch_hist_->Observe(static_cast<double>(live_samples));
    {
      std::lock_guard<std::mutex> l(mu_);
      const double per_request = run_ms / static_cast<double>(live.size());
      UpdateEwma(&service_ms_ewma_, per_request);
    }
    for (size_t i = 0; i < live.size(); ++i) {
      InferenceResponse r;
      r.queue_ms = MsBetween(live[i]->enqueued, start);
      r.service_ms = run_ms;
      r.batch_size = live_samples;
      r.model_version = model.version;
      if (bodies[i].ok()) {
        r.body = std::move(*bodies[i]);
      } else {
        r.status = bodies[i].status();
      }
      live[i]->done(std::move(r));
    }
  }

  const ModelRepository* models_;
  const LocalTierOptions options_;
  Clock* const clock_;  // never null
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // By model name; a queue may hold two versions of its model around a swap, oldest first.
  std::map<std::string, std::deque<Pending>, std::less<>> queues_;  // GUARDED_BY(mu_)
  int64_t queued_ = 0;                                         // GUARDED_BY(mu_)
  int64_t inflight_ = 0;                                       // GUARDED_BY(mu_)
  int64_t busy_ = 0;                                           // GUARDED_BY(mu_) threads in a batch
  double service_ms_ewma_ = 0;                                 // GUARDED_BY(mu_)
  bool stop_ = false;                                          // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
  std::atomic<int64_t> batches_{0}, samples_{0};
  Histogram* batch_hist_ = nullptr;
  Gauge* depth_gauge_ = nullptr;
};

Result<std::unique_ptr<LocalTier>> LocalTier::Create(const ModelRepository* models,
                                                     LocalTierOptions options) {
  if (models == nullptr) return InvalidArgument("local tier: no model repository");
  if (options.threads <= 0) {
    options.threads = std::max<int64_t>(1, std::thread::hardware_concurrency());
  }
  if (options.max_batch < 1 || options.max_batch > v2::kMaxBatch) {
    return InvalidArgument("local tier: max batch {} is outside [1, {}]", options.max_batch,
                           v2::kMaxBatch);
  }
  if (options.queue_limit < 1) {
    return InvalidArgument("local tier: queue limit {} must be at least 1", options.queue_limit);
  }
  if (options.max_queue_delay.count() < 0) {
    return InvalidArgument("local tier: max queue delay must not be negative");
  }
  // One intra-op thread per inference thread: those are the parallelism, and torch's own pool on
  // top of them would oversubscribe the cores.
  ml::SetInferenceThreads(1);
  return std::unique_ptr<LocalTier>(new LocalTier(std::make_unique<Impl>(models, options)));
}

LocalTier::LocalTier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LocalTier::~LocalTier() { impl_->Shutdown(); }
std::vector<std::string> LocalTier::Models() const { return impl_->Models(); }
void LocalTier::Submit(InferenceRequest request, InferenceCallback done) {
  impl_->Submit(std::move(request), std::move(done));
}
TierState LocalTier::State() const { return impl_->State(); }
void LocalTier::Shutdown() { impl_->Shutdown(); }
int64_t LocalTier::batches_run() const { return impl_->batches(); }
int64_t LocalTier::samples_run() const { return impl_->samples(); }

}  // namespace sl::serve
