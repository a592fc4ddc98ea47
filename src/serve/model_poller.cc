#include "serve/model_poller.h"

#include <fmt/format.h>

#include "common/log.h"
#include "serve/model_sources.h"

namespace sl::serve {
namespace {

std::string WeightsSignature(const store::ObjectInfo& info) {
  return fmt::format("{}|{}|{}|{}", info.size, info.etag, info.checksum,
                     info.modified.time_since_epoch().count());
}

}  // namespace

std::string_view ChangeName(ModelPoller::Change c) {
  switch (c) {
    case ModelPoller::Change::kUnchanged: return "unchanged";
    case ModelPoller::Change::kSwapped: return "swapped";
    case ModelPoller::Change::kRefused: return "refused";
    case ModelPoller::Change::kSkipped: return "skipped";
    case ModelPoller::Change::kError: return "error";
  }
  return "?";
}

Result<std::unique_ptr<ModelPoller>> ModelPoller::Start(
    ModelRepository* repository, std::vector<std::unique_ptr<StoreModelSource>> sources,
    ModelPollerOptions options) {
  if (repository == nullptr) return InvalidArgument("model poller: no repository");
  if (options.period.count() < 0) return InvalidArgument("model poller: negative period");
  for (const auto& s : sources) {
    if (repository->Find(s->name()) == nullptr) {
      return InvalidArgument("model poller: model '{}' ({}) is not in the repository", s->name(), s->uri());
    }
  }
  auto p = std::unique_ptr<ModelPoller>(new ModelPoller());
  p->repository_ = repository;
  p->sources_ = std::move(sources);
  p->options_ = options;
  p->clock_ = options.clock != nullptr ? options.clock : Clock::Real();
  if (options.metrics != nullptr) {
    SL_ASSIGN_OR_RETURN(p->polls_metric_,
                        options.metrics->AddCounter("sl_serve_model_polls_total",
                                                    "Polls of a store model for a new version, by "
                                                    "outcome (swapped, refused, ...).",
                                                    {"model", "result"}));
  }
  if (options.period.count() > 0 && !p->sources_.empty()) {
    // The first period counts from here, not from whenever the thread gets to run.
    const TimePoint first = p->clock_->Now() + options.period;
    p->thread_ = std::thread([raw = p.get(), first] { raw->Loop(first); });
  }
  return p;
}

ModelPoller::~ModelPoller() { Stop(); }

void ModelPoller::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ModelPoller::WaitForLooks(int64_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> l(mu_);
  const int64_t target = looks_ + n;
  return looked_.wait_for(l, timeout, [&] { return looks_ >= target; });
}

void ModelPoller::Loop(TimePoint next) {
  std::unique_lock<std::mutex> l(mu_);
  while (!stop_) {
    const bool due = clock_->Now() >= next;
    ++looks_;
    looked_.notify_all();
    if (!due) {
      if (clock_ == Clock::Real()) {
        cv_.wait_until(l, next);
      } else {
        cv_.wait_for(l, std::chrono::milliseconds(1));  // a test's clock moves without notice
      }
      continue;
    }
    l.unlock();
    PollNow();
    l.lock();
    next = clock_->Now() + options_.period;
  }
}

std::vector<ModelPoller::Outcome> ModelPoller::PollNow() {
  std::lock_guard<std::mutex> poll(poll_mu_);
  std::vector<Outcome> out;
  int64_t swaps = 0, refusals = 0;
  for (auto& source : sources_) {
    Outcome o = PollOne(*source);
    if (polls_metric_ != nullptr) {
      if (auto c = polls_metric_->WithLabels({o.model, std::string(ChangeName(o.change))}); c.ok()) (*c)->Inc();
    }
    if (o.change == Change::kSwapped) ++swaps;
    if (o.change == Change::kRefused) ++refusals;
    out.push_back(std::move(o));
  }
  std::lock_guard<std::mutex> l(mu_);
  ++polls_;
  swaps_ += swaps;
  refusals_ += refusals;
  return out;
}

ModelPoller::Outcome ModelPoller::PollOne(StoreModelSource& source) {
  Outcome o;
  o.model = source.name();
  std::shared_ptr<const ServedModel> current = repository_->Find(source.name());
  const std::string serving = current != nullptr ? current->version : "";
  auto latest = source.Latest();
  if (!latest.ok()) {
    o.change = Change::kError;
    o.status = latest.status();
    SL_LOG_WARN("serve", "model {}: poll of {} failed, still serving version {}: {}", source.name(),
                source.uri(), serving, o.status.ToString());
    return o;
  }
  o.version = latest->version;
  if (latest->version == serving) return o;  // kUnchanged

  std::string signature;
  if (auto it = refused_.find(source.name()); it != refused_.end() && it->second.version == latest->version) {
    auto head = source.HeadWeights(*latest);
    if (head.ok()) signature = WeightsSignature(*head);
    if (head.ok() && signature == it->second.weights_signature) {
      o.change = Change::kSkipped;
      return o;  // refused already, and its weights have not changed since
    }
  }
  bool downloaded = false;
  auto model = LoadFromStore(source, *latest, &downloaded);
  if (!model.ok()) {
    o.change = Change::kRefused;
    o.status = model.status();
    if (signature.empty()) {
      if (auto head = source.HeadWeights(*latest); head.ok()) signature = WeightsSignature(*head);
    }
    refused_[source.name()] = Refused{latest->version, signature};
    SL_LOG_ERROR("serve", "model {}: version {} from {} refused, still serving version {}: {}",
                 source.name(), latest->version, source.uri(), serving, o.status.ToString());
    return o;
  }
  if (Status s = repository_->Replace(*model); !s.ok()) {
    o.change = Change::kError;
    o.status = s;
    SL_LOG_ERROR("serve", "model {}: version {} could not be swapped in: {}", source.name(),
                 latest->version, s.ToString());
    return o;
  }
  refused_.erase(source.name());
  o.change = Change::kSwapped;
  o.downloaded = downloaded;
  SL_LOG_INFO("serve", "model {}: now serving version {} from {} ({}; was {}); requests in flight "
                       "finish on the old version",
              source.name(), latest->version, source.uri(),
              downloaded ? "downloaded and verified" : "from the cache", serving);
  source.Prune({latest->version, serving});
  return o;
}

int64_t ModelPoller::polls() const {
  std::lock_guard<std::mutex> l(mu_);
  return polls_;
}

int64_t ModelPoller::swaps() const {
  std::lock_guard<std::mutex> l(mu_);
  return swaps_;
}

int64_t ModelPoller::refusals() const {
  std::lock_guard<std::mutex> l(mu_);
  return refusals_;
}

}  // namespace sl::serve
