#include "faas/front/event_queue.h"

#include <algorithm>

#include "common/log.h"

namespace sl::faas {
namespace {

bool IsThrottleOrTransient(Code c) {
  return c == Code::kResourceExhausted || c == Code::kUnavailable;
}

}  // namespace

EventQueue::EventQueue(Invoker* invoker, Options options)
    : invoker_(invoker), options_(std::move(options)) {
  if (options_.clock == nullptr) options_.clock = Clock::Real();
  MetricsRegistry* reg = options_.metrics ? options_.metrics : MetricsRegistry::Default();
  // Registration only fails on a name clash with another shape: then the queue runs unmetered.
  if (auto g = reg->AddGauge("sl_front_event_queue_depth",
                             "Asynchronous (Event) invocations accepted and not yet finished.");
      g.ok()) {
    if (auto cell = (*g)->WithLabels({}); cell.ok()) depth_ = *cell;
  }
  if (auto g = reg->AddGauge("sl_front_event_queue_bytes",
                             "Payload bytes of the Event invocations accepted and not yet "
                             "finished.");
      g.ok()) {
    if (auto cell = (*g)->WithLabels({}); cell.ok()) bytes_gauge_ = *cell;
  }
  if (auto c = reg->AddCounter("sl_front_event_retries_total",
                               "Event invocation attempts after the first.", {"function"});
      c.ok()) {
    retries_ = *c;
  }
  if (auto c = reg->AddCounter("sl_front_events_finished_total",
                               "Event invocations finished, by outcome.", {"function", "outcome"});
      c.ok()) {
    finished_ = *c;
  }
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

EventQueue::~EventQueue() { Stop(); }

Status EventQueue::Enqueue(InvokeRequest request, std::string request_id) {
  request.type = InvocationType::kRequestResponse;
  request.tail_log = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) {
      return Unavailable("event queue: stopped; event {} for function '{}' not accepted",
                         request_id, request.function);
    }
    if (due_.size() + in_progress_ >= options_.max_events) {
      return ResourceExhausted(
          "event queue: {} asynchronous invocations already queued (limit {}); event for "
          "function '{}' not accepted",
          due_.size() + in_progress_, options_.max_events, request.function);
    }
    const size_t size = request.payload.size();
    if (options_.max_bytes > 0 && bytes_ + size > options_.max_bytes) {
      return ResourceExhausted(
          "event queue: asynchronous invocations already queued hold {} bytes of payload (limit "
          "{}); event of {} bytes for function '{}' not accepted",
          bytes_, options_.max_bytes, size, request.function);
    }
    bytes_ += size;
    TimePoint now = options_.clock->Now();
    Event e{std::move(request), std::move(request_id), now, 0, 0, 0};
    due_.emplace(now, std::move(e));
    if (depth_) depth_->Set(static_cast<double>(due_.size() + in_progress_));
    if (bytes_gauge_) bytes_gauge_->Set(static_cast<double>(bytes_));
  }
  cv_.notify_one();
  return Status::Ok();
}

bool EventQueue::PopDue(TimePoint now, Event* out) {
  if (due_.empty() || due_.begin()->first > now) return false;
  *out = std::move(due_.begin()->second);
  due_.erase(due_.begin());
  ++in_progress_;
  return true;
}

int EventQueue::RunDue() {
  // Only events due now: collect first, so that a zero-delay retry is not run in this call.
  std::vector<Event> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return 0;
    TimePoint now = options_.clock->Now();
    Event e;
    while (PopDue(now, &e)) batch.push_back(std::move(e));
  }
  for (auto& e : batch) Attempt(std::move(e));
  return static_cast<int>(batch.size());
}

void EventQueue::Attempt(Event event) {
  if (event.attempts > 0 && retries_) {
    if (auto c = retries_->WithLabels({event.request.function}); c.ok()) (*c)->Inc();
  }
  ++event.attempts;
  InvokeResult r;
  try {
    r = invoker_->Invoke(event.request).get();
  } catch (const std::exception& e) {  // a broken promise must not kill the worker
    r.status = Internal("invoke '{}': {}", event.request.function, e.what());
  }
  TimePoint now = options_.clock->Now();
  Nanos delay{0};
  if (r.status.ok() && r.function_error.empty()) {
    return Finish(event, true, "success", std::move(r));
  }
  if (r.status.ok()) {  // the handler failed: Lambda retries twice
    if (event.function_error_retries >= options_.max_retries) {
      SL_LOG_WARN("front", "event {} for function '{}': {} error after {} attempts, dropped: {}",
                  event.request_id, event.request.function, r.function_error, event.attempts,
                  r.payload.substr(0, 256));
      return Finish(event, false, "retries_exhausted", std::move(r));
    }
    const auto& delays = options_.retry_delays;
    delay = delays.empty() ? Nanos(0)
                           : delays[std::min<size_t>(event.function_error_retries, delays.size() - 1)];
    ++event.function_error_retries;
  } else if (IsThrottleOrTransient(r.status.code())) {
    Nanos backoff = options_.throttle_backoff_initial;
    for (int i = 0; i < event.throttled_attempts && backoff < options_.throttle_backoff_max; ++i) {
      backoff *= 2;
    }
    delay = std::min(backoff, options_.throttle_backoff_max);
    ++event.throttled_attempts;
    if (now + delay - event.accepted > options_.max_event_age) {
      SL_LOG_WARN("front", "event {} for function '{}' older than its maximum age, dropped: {}",
                  event.request_id, event.request.function, r.status.ToString());
      return Finish(event, false, "expired", std::move(r));
    }
  } else {
    SL_LOG_WARN("front", "event {} for function '{}' rejected by the platform, dropped: {}",
                event.request_id, event.request.function, r.status.ToString());
    return Finish(event, false, "rejected", std::move(r));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopped_) {
      --in_progress_;
      due_.emplace(now + delay, std::move(event));
      cv_.notify_one();
      return;
    }
  }
  Finish(event, false, "stopped", std::move(r));
}

void EventQueue::Finish(Event& event, bool succeeded, const char* reason, InvokeResult last) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --in_progress_;
    bytes_ -= std::min(bytes_, event.request.payload.size());
    if (depth_) depth_->Set(static_cast<double>(due_.size() + in_progress_));
    if (bytes_gauge_) bytes_gauge_->Set(static_cast<double>(bytes_));
  }
  cv_.notify_all();  // Stop() waits for in-progress attempts
  if (finished_) {
    if (auto c = finished_->WithLabels({event.request.function, reason}); c.ok()) (*c)->Inc();
  }
  if (options_.on_finished) {
    EventOutcome o;
    o.request_id = event.request_id;
    o.function = event.request.function;
    o.attempts = event.attempts;
    o.succeeded = succeeded;
    o.reason = reason;
    o.last = std::move(last);
    options_.on_finished(o);
  }
}

void EventQueue::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopped_) {
    Event e;
    TimePoint now = options_.clock->Now();
    if (PopDue(now, &e)) {
      lock.unlock();
      Attempt(std::move(e));
      lock.lock();
      continue;
    }
    // Sleep until the earliest due time (bounded, so a FakeClock moved by a test is noticed).
    Nanos wait = std::chrono::milliseconds(50);
    if (!due_.empty()) wait = std::clamp<Nanos>(due_.begin()->first - now, Nanos(0), wait);
    cv_.wait_for(lock, wait);
  }
}

void EventQueue::Stop() {
  std::multimap<TimePoint, Event> dropped;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopped_ && workers_.empty()) return;
    stopped_ = true;
    dropped.swap(due_);
    in_progress_ += dropped.size();  // Finish() decrements once per event
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  for (auto& [due, e] : dropped) {
    SL_LOG_WARN("front", "event {} for function '{}' dropped: front stopping", e.request_id,
                e.request.function);
    Finish(e, false, "stopped", InvokeResult{});
  }
  // Attempts started by RunDue on other threads finish on their own; wait for them.
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return in_progress_ == 0; });
}

size_t EventQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return due_.size() + in_progress_;
}

size_t EventQueue::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

}  // namespace sl::faas
