// EventQueue: Lambda's asynchronous invocation (InvocationType=Event). The front accepts an event
// (HTTP 202) into this bounded queue; workers invoke it synchronously through an Invoker and retry
// like Lambda does:
//   * function error (status OK, function_error set): retried max_retries times (Lambda: 2),
//     waiting retry_delays[i] before retry i+1 (Lambda: about 1 minute, then 2 minutes);
//   * throttled / transient (RESOURCE_EXHAUSTED, UNAVAILABLE): retried with exponential backoff
//     (throttle_backoff_initial doubling up to throttle_backoff_max), not counted against
//     max_retries, until the event is older than max_event_age (Lambda: 6 hours);
//   * any other platform error (NOT_FOUND, INVALID_ARGUMENT, OUT_OF_RANGE, ...): dropped.
// Every finished event (succeeded or dropped) is reported once to Options::on_finished.
//
// Time comes from the injected Clock: with workers = 0 nothing runs by itself and a test drives
// the queue with RunDue() after advancing a FakeClock — no sleeps.
// Ownership: the invoker is not owned and must outlive the queue.
// Thread safety: all methods may be called from any thread. Stop() (also run by the destructor)
// waits for attempts in progress and drops what is still queued (reported as "stopped").
// Failure contract: Enqueue fails with RESOURCE_EXHAUSTED (queue full: max_events events, or
// max_bytes of payloads accepted and unfinished — issue 16: 40 events of 5 MiB took a front from
// 302 to 773 MB — naming the limit) or UNAVAILABLE (stopped); it never blocks on an invocation.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/status.h"
#include "faas/invoker.h"

namespace sl::faas {

struct EventOutcome {
  std::string request_id;   // the id the front returned with 202
  std::string function;
  int attempts = 0;         // invocations made (throttled attempts included)
  bool succeeded = false;
  std::string reason;       // "success" | "retries_exhausted" | "expired" | "rejected" | "stopped"
  InvokeResult last;        // the last attempt's result (empty when never attempted)
};

class EventQueue {
 public:
  struct Options {
    size_t max_events = 10000;  // accepted and unfinished, including those waiting for a retry
    size_t max_bytes = 128u << 20;  // their payloads' bytes; 0: no limit
    int workers = 4;            // threads running due events; 0: only RunDue() runs them
    int max_retries = 2;        // on function error
    std::vector<Nanos> retry_delays = {std::chrono::minutes(1), std::chrono::minutes(2)};
    Nanos throttle_backoff_initial = std::chrono::seconds(1);
    Nanos throttle_backoff_max = std::chrono::minutes(5);
    Nanos max_event_age = std::chrono::hours(6);
    Clock* clock = Clock::Real();   // not owned, never null
    MetricsRegistry* metrics = nullptr;  // null: MetricsRegistry::Default()
    std::function<void(const EventOutcome&)> on_finished;  // called on a worker / RunDue thread
  };

  EventQueue(Invoker* invoker, Options options);
  ~EventQueue();
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;

  // Accepts an event for later invocation (request.type is ignored: attempts are synchronous).
  Status Enqueue(InvokeRequest request, std::string request_id);

  // Runs, on the calling thread, every event due at clock->Now(), one attempt each (a retry
  // scheduled with zero delay waits for the next call). Returns the number of attempts made.
  int RunDue();

  size_t size() const;  // accepted and unfinished (queued, waiting to retry, or in progress)
  size_t bytes() const;  // their payloads' bytes
  void Stop();

 private:
  struct Event {
    InvokeRequest request;
    std::string request_id;
    TimePoint accepted;
    int attempts = 0;
    int function_error_retries = 0;
    int throttled_attempts = 0;
  };

  // Pops one event due at `now`, or returns false.
  bool PopDue(TimePoint now, Event* out);  // REQUIRES(mu_)
  // Invokes once and reschedules or finishes the event. Called without mu_.
  void Attempt(Event event);
  void Finish(Event& event, bool succeeded, const char* reason, InvokeResult last);
  void WorkerLoop();

  Invoker* invoker_;
  Options options_;
  Gauge* depth_ = nullptr;
  Gauge* bytes_gauge_ = nullptr;
  CounterFamily* retries_ = nullptr;
  CounterFamily* finished_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<TimePoint, Event> due_;  // GUARDED_BY(mu_) by due time, FIFO among equals
  size_t in_progress_ = 0;               // GUARDED_BY(mu_)
  size_t bytes_ = 0;                     // GUARDED_BY(mu_) payload bytes of size() events
  bool stopped_ = false;                 // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;
};

}  // namespace sl::faas
