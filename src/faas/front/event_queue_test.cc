#include "faas/front/event_queue.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include <gtest/gtest.h>

#include "common/metrics.h"

namespace sl::faas {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// Answers each call with the next scripted result (the last one repeats) and records the calls.
class SequenceInvoker final : public Invoker {
 public:
  void Push(InvokeResult r) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back(std::move(r));
  }
  std::future<InvokeResult> Invoke(InvokeRequest request) override {
    std::promise<InvokeResult> p;
    std::lock_guard<std::mutex> lock(mu_);
    seen_.push_back(request);
    InvokeResult r = script_.size() > 1 ? script_.front() : script_.back();
    if (script_.size() > 1) script_.pop_front();
    p.set_value(r);
    return p.get_future();
  }
  std::vector<std::future<InvokeResult>> Map(const std::string&,
                                             const std::vector<std::string>&) override {
    return {};
  }
  size_t calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.size();
  }
  InvokeRequest last() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.back();
  }

 private:
  std::mutex mu_;
  std::deque<InvokeResult> script_;
  std::vector<InvokeRequest> seen_;
};

InvokeResult Ok() { return InvokeResult{}; }
InvokeResult FunctionError() {
  InvokeResult r;
  r.function_error = "Unhandled";
  r.payload = R"({"errorMessage":"x","errorType":"E"})";
  return r;
}
InvokeResult Failed(Status s) {
  InvokeResult r;
  r.status = std::move(s);
  return r;
}

class EventQueueTest : public ::testing::Test {
 protected:
  EventQueue::Options Opts() {
    EventQueue::Options o;
    o.workers = 0;
    o.clock = &clock_;
    o.metrics = &registry_;
    o.on_finished = [this](const EventOutcome& e) { outcomes_.push_back(e); };
    return o;
  }
  InvokeRequest Req(const std::string& payload = "{}") {
    InvokeRequest r;
    r.function = "f";
    r.payload = payload;
    r.type = InvocationType::kEvent;
    return r;
  }
  FakeClock clock_;
  MetricsRegistry registry_;
  SequenceInvoker invoker_;
  std::vector<EventOutcome> outcomes_;
};

TEST_F(EventQueueTest, SucceedsOnFirstAttemptAsSynchronousCall) {
  invoker_.Push(Ok());
  EventQueue q(&invoker_, Opts());
  ASSERT_TRUE(q.Enqueue(Req(R"({"a":1})"), "rid").ok());
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.RunDue(), 1);
  EXPECT_EQ(q.size(), 0u);
  EXPECT_EQ(invoker_.last().type, InvocationType::kRequestResponse);
  EXPECT_EQ(invoker_.last().payload, R"({"a":1})");
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_TRUE(outcomes_[0].succeeded);
  EXPECT_EQ(outcomes_[0].request_id, "rid");
  EXPECT_EQ(outcomes_[0].attempts, 1);
}

TEST_F(EventQueueTest, FunctionErrorRetriedTwiceAfterOneThenTwoMinutes) {
  invoker_.Push(FunctionError());
  EventQueue q(&invoker_, Opts());
  ASSERT_TRUE(q.Enqueue(Req(), "rid").ok());
  EXPECT_EQ(q.RunDue(), 1);
  EXPECT_EQ(q.size(), 1u);  // waiting for its first retry
  clock_.Advance(seconds(59));
  EXPECT_EQ(q.RunDue(), 0);
  clock_.Advance(seconds(1));
  EXPECT_EQ(q.RunDue(), 1);
  clock_.Advance(seconds(119));
  EXPECT_EQ(q.RunDue(), 0);
  clock_.Advance(seconds(1));
  EXPECT_EQ(q.RunDue(), 1);
  EXPECT_EQ(q.size(), 0u);
  clock_.Advance(minutes(10));
  EXPECT_EQ(q.RunDue(), 0);
  EXPECT_EQ(invoker_.calls(), 3u);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_FALSE(outcomes_[0].succeeded);
  EXPECT_EQ(outcomes_[0].reason, "retries_exhausted");
  EXPECT_EQ(outcomes_[0].attempts, 3);
  EXPECT_EQ(outcomes_[0].last.function_error, "Unhandled");
  EXPECT_NE(registry_.Render().find("sl_front_event_retries_total{function=\"f\"} 2"),
            std::string::npos)
      << registry_.Render();
}

TEST_F(EventQueueTest, SucceedsOnRetry) {
  invoker_.Push(FunctionError());
  invoker_.Push(Ok());
  EventQueue q(&invoker_, Opts());
  ASSERT_TRUE(q.Enqueue(Req(), "rid").ok());
  q.RunDue();
  clock_.Advance(minutes(1));
  EXPECT_EQ(q.RunDue(), 1);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_TRUE(outcomes_[0].succeeded);
  EXPECT_EQ(outcomes_[0].attempts, 2);
}

TEST_F(EventQueueTest, BoundedQueueRejectsWithResourceExhausted) {
  invoker_.Push(Ok());
  auto o = Opts();
  o.max_events = 2;
  EventQueue q(&invoker_, o);
  ASSERT_TRUE(q.Enqueue(Req(), "a").ok());
  ASSERT_TRUE(q.Enqueue(Req(), "b").ok());
  Status full = q.Enqueue(Req(), "c");
  EXPECT_EQ(full.code(), Code::kResourceExhausted);
  EXPECT_NE(full.message().find("limit 2"), std::string::npos) << full.ToString();
  EXPECT_EQ(q.RunDue(), 2);
  EXPECT_TRUE(q.Enqueue(Req(), "d").ok());  // room again
}

// Issue 16: 40 events of 5 MiB took a front from 302 to 773 MB. The queue is bounded in payload
// bytes too; finished events give their bytes back.
TEST_F(EventQueueTest, QueueIsBoundedInPayloadBytes) {
  invoker_.Push(Ok());
  invoker_.Push(Ok());
  auto o = Opts();
  o.max_bytes = 1000;
  EventQueue q(&invoker_, o);
  ASSERT_TRUE(q.Enqueue(Req(std::string(600, '1')), "a").ok());
  EXPECT_EQ(q.bytes(), 600u);
  Status full = q.Enqueue(Req(std::string(600, '2')), "b");
  EXPECT_EQ(full.code(), Code::kResourceExhausted);
  EXPECT_NE(full.message().find("hold 600 bytes of payload (limit 1000)"), std::string::npos)
      << full.ToString();
  ASSERT_TRUE(q.Enqueue(Req(std::string(400, '3')), "c").ok());  // fits exactly
  EXPECT_EQ(q.bytes(), 1000u);
  EXPECT_EQ(q.RunDue(), 2);
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_TRUE(q.Enqueue(Req(std::string(600, '4')), "d").ok());  // room again
  EXPECT_NE(registry_.Render().find("sl_front_event_queue_bytes 600"), std::string::npos);
}

TEST_F(EventQueueTest, ThrottleBacksOffExponentiallyWithoutUsingRetriesUntilMaxAge) {
  invoker_.Push(Failed(ResourceExhausted("throttled")));
  auto o = Opts();
  o.throttle_backoff_initial = seconds(1);
  o.throttle_backoff_max = seconds(4);
  o.max_event_age = seconds(20);
  EventQueue q(&invoker_, o);
  ASSERT_TRUE(q.Enqueue(Req(), "rid").ok());
  std::vector<int> gaps;  // seconds between attempts
  int since = 0;
  for (int t = 0; t <= 30; ++t) {
    if (q.RunDue() == 1) {
      gaps.push_back(since);
      since = 0;
    }
    clock_.Advance(seconds(1));
    ++since;
  }
  // Attempts at t=0,1,3,7,11,15,19; the next (t=23) would exceed the 20 s maximum age.
  EXPECT_EQ(gaps, (std::vector<int>{0, 1, 2, 4, 4, 4, 4}));
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].reason, "expired");
  EXPECT_EQ(outcomes_[0].attempts, 7);  // more than max_retries: throttles do not count
}

TEST_F(EventQueueTest, PlatformRejectionIsDroppedWithoutRetry) {
  invoker_.Push(Failed(NotFound("Function not found: f")));
  EventQueue q(&invoker_, Opts());
  ASSERT_TRUE(q.Enqueue(Req(), "rid").ok());
  EXPECT_EQ(q.RunDue(), 1);
  EXPECT_EQ(q.size(), 0u);
  ASSERT_EQ(outcomes_.size(), 1u);
  EXPECT_EQ(outcomes_[0].reason, "rejected");
  EXPECT_EQ(outcomes_[0].last.status.code(), Code::kNotFound);
}

TEST_F(EventQueueTest, StopDropsQueuedEventsAndRefusesNewOnes) {
  invoker_.Push(FunctionError());
  EventQueue q(&invoker_, Opts());
  ASSERT_TRUE(q.Enqueue(Req(), "a").ok());
  q.RunDue();  // now waiting to retry
  ASSERT_TRUE(q.Enqueue(Req(), "b").ok());
  q.Stop();
  EXPECT_EQ(q.size(), 0u);
  ASSERT_EQ(outcomes_.size(), 2u);
  EXPECT_EQ(outcomes_[0].reason, "stopped");
  EXPECT_EQ(outcomes_[1].reason, "stopped");
  EXPECT_EQ(q.Enqueue(Req(), "c").code(), Code::kUnavailable);
  q.Stop();  // idempotent
}

TEST(EventQueueWorkersTest, WorkerThreadsRunEventsAndRetriesOnTheRealClock) {
  SequenceInvoker invoker;
  invoker.Push(FunctionError());
  invoker.Push(Ok());
  MetricsRegistry registry;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<EventOutcome> done;
  EventQueue::Options o;
  o.workers = 2;
  o.metrics = &registry;
  o.retry_delays = {std::chrono::milliseconds(0)};  // no waiting on the real clock
  o.on_finished = [&](const EventOutcome& e) {
    std::lock_guard<std::mutex> lock(mu);
    done.push_back(e);
    cv.notify_all();
  };
  EventQueue q(&invoker, o);
  InvokeRequest r;
  r.function = "f";
  ASSERT_TRUE(q.Enqueue(r, "rid").ok());
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, seconds(10), [&] { return !done.empty(); }));
  EXPECT_TRUE(done[0].succeeded);
  EXPECT_EQ(done[0].attempts, 2);
}

}  // namespace
}  // namespace sl::faas
