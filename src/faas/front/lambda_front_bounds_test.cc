// The Lambda front's resource bounds (issue 16): the asynchronous payload limit of the provider
// profile, the Event queue bounded in bytes, and synchronous invocations that do not hold HTTP
// server threads while their functions run.
#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/http_client.h"
#include "faas/fake_function_host.h"
#include "faas/front/future_waiter.h"
#include "faas/front/lambda_front.h"
#include "faas/front/scripted_invoker.h"

namespace sl::faas {
namespace {

std::string InvokeUrl(const LambdaFront& front, const std::string& fn) {
  return front.endpoint() + "/2015-03-31/functions/" + fn + "/invocations";
}

HttpHeaders EventHeaders() {
  HttpHeaders h;
  h.Set("X-Amz-Invocation-Type", "Event");
  return h;
}

// A JSON payload of exactly `n` bytes.
std::string JsonOfSize(size_t n) { return "\"" + std::string(n - 2, 'x') + "\""; }

// Issue 16: a 5 MiB Event got 202 because it was checked against the 6 MiB synchronous limit.
// Behind a FunctionHost (here the fake host; the Platform in `platform serve`), an Event is
// checked against the function's provider profile's asynchronous limit: aws-lambda's 1 MiB
// (profiles/aws-lambda.yaml, limits.max_async_request_bytes).
TEST(LambdaFrontBoundsTest, AnEventIsCheckedAgainstTheProfilesAsynchronousLimit) {
  FakeClock clock;
  FakeFunctionHost host(&clock);
  FunctionSpec spec;
  spec.name = "f";
  spec.handler = "echo";
  spec.provider = "aws-lambda";
  ASSERT_TRUE(host.Deploy(spec).ok());
  FrontOptions o;
  MetricsRegistry registry;
  o.metrics = &registry;
  o.events.workers = 0;
  o.events.clock = &clock;
  auto front = LambdaFront::Start(&host, o);
  ASSERT_TRUE(front.ok()) << front.status().ToString();
  HttpClient client;

  auto over = client.Post(InvokeUrl(**front, "f"), JsonOfSize((1 << 20) + 1), EventHeaders());
  ASSERT_TRUE(over.ok());
  EXPECT_EQ(over->status, 413) << over->body;
  EXPECT_EQ(over->headers.Get("x-amzn-ErrorType"), "RequestEntityTooLargeException");
  EXPECT_NE(over->body.find("1048576"), std::string::npos) << over->body;
  EXPECT_EQ((*front)->events().size(), 0u);

  auto at_limit = client.Post(InvokeUrl(**front, "f"), JsonOfSize(1 << 20), EventHeaders());
  ASSERT_TRUE(at_limit.ok());
  EXPECT_EQ(at_limit->status, 202) << at_limit->body;
  EXPECT_EQ((*front)->events().size(), 1u);

  // The same 2 MiB payload is within the synchronous limit (DryRun validates as a sync call).
  HttpHeaders dry;
  dry.Set("X-Amz-Invocation-Type", "DryRun");
  auto dry_run = client.Post(InvokeUrl(**front, "f"), JsonOfSize(2 << 20), dry);
  ASSERT_TRUE(dry_run.ok());
  EXPECT_EQ(dry_run->status, 204) << dry_run->body;
  (*front)->Stop();
}

// FrontOptions::async_payload_limit decides when set (any invoker), e.g. Lambda's old 256 KiB.
TEST(LambdaFrontBoundsTest, TheAsynchronousLimitCanBeGiven) {
  auto invoker = ScriptedInvoker::WithStandardFunctions();
  FrontOptions o;
  MetricsRegistry registry;
  o.metrics = &registry;
  FakeClock clock;
  o.events.workers = 0;
  o.events.clock = &clock;
  o.async_payload_limit = [](const std::string& fn) -> Result<int64_t> {
    if (fn != "echo") return NotFound("no {}", fn);
    return 256 * 1024;
  };
  auto front = LambdaFront::Start(invoker.get(), o);
  ASSERT_TRUE(front.ok());
  HttpClient client;
  auto over = client.Post(InvokeUrl(**front, "echo"), JsonOfSize(256 * 1024 + 1), EventHeaders());
  ASSERT_TRUE(over.ok());
  EXPECT_EQ(over->status, 413);
  auto fits = client.Post(InvokeUrl(**front, "echo"), JsonOfSize(256 * 1024), EventHeaders());
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(fits->status, 202);
  (*front)->Stop();
}

// Over the Event queue's byte bound: 429 TooManyRequestsException with Retry-After, as Lambda
// throttles, and nothing more is held.
TEST(LambdaFrontBoundsTest, EventsOverTheQueuesBytesGet429TooManyRequests) {
  auto invoker = ScriptedInvoker::WithStandardFunctions();
  FrontOptions o;
  MetricsRegistry registry;
  o.metrics = &registry;
  FakeClock clock;
  o.events.workers = 0;  // nothing runs: what is accepted stays queued
  o.events.clock = &clock;
  o.events.max_bytes = 100 * 1024;
  auto front = LambdaFront::Start(invoker.get(), o);
  ASSERT_TRUE(front.ok());
  HttpClient client;
  int accepted = 0, throttled = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = client.Post(InvokeUrl(**front, "echo"), JsonOfSize(30 * 1024), EventHeaders());
    ASSERT_TRUE(r.ok());
    if (r->status == 202) {
      ++accepted;
      continue;
    }
    EXPECT_EQ(r->status, 429) << r->body;
    EXPECT_EQ(r->headers.Get("x-amzn-ErrorType"), "TooManyRequestsException");
    EXPECT_EQ(r->headers.Get("Retry-After"), "1");
    auto j = nlohmann::json::parse(r->body);
    EXPECT_EQ(j["Type"], "User");
    EXPECT_NE(j["message"].get<std::string>().find("bytes of payload"), std::string::npos);
    ++throttled;
  }
  EXPECT_EQ(accepted, 3);
  EXPECT_EQ(throttled, 7);
  EXPECT_EQ((*front)->events().bytes(), 3u * 30 * 1024);
  (*front)->Stop();
}

// An invoker whose synchronous invocations complete only when the test says (the Platform's
// shape: Invoke returns at once, the future completes when the function ends).
class PendingInvoker final : public Invoker {
 public:
  std::future<InvokeResult> Invoke(InvokeRequest request) override {
    std::promise<InvokeResult> p;
    auto f = p.get_future();
    if (request.type != InvocationType::kRequestResponse) {
      p.set_value(InvokeResult{});
      return f;
    }
    std::lock_guard<std::mutex> lock(mu_);
    pending_.push_back({std::move(p), std::move(request.payload)});
    cv_.notify_all();
    return f;
  }
  bool WaitForPending(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(20), [&] { return pending_.size() >= n; });
  }
  size_t pending() {
    std::lock_guard<std::mutex> lock(mu_);
    return pending_.size();
  }
  void CompleteAll() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [p, payload] : pending_) {
      InvokeResult r;
      r.payload = payload;
      p.set_value(std::move(r));
    }
    pending_.clear();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::promise<InvokeResult>, std::string>> pending_;
};

// Issue 16: seventy slow synchronous invocations held all 64 HTTP threads and /healthz took
// 2.97 s. With only 2 HTTP threads, 70 synchronous invocations wait for their functions at once
// (all 70 reach the invoker: none holds a server thread), /healthz and /metrics are answered
// meanwhile, and every invocation gets its own payload when the functions end.
TEST(LambdaFrontBoundsTest, SlowSynchronousInvocationsDoNotHoldHttpThreads) {
  PendingInvoker invoker;
  FrontOptions o;
  o.http.threads = 2;
  MetricsRegistry registry;
  o.metrics = &registry;
  auto started = LambdaFront::Start(&invoker, o);
  ASSERT_TRUE(started.ok());
  LambdaFront& front = **started;
  constexpr int kSlow = 70;
  std::vector<std::future<Result<HttpResponse>>> calls;
  for (int i = 0; i < kSlow; ++i) {
    calls.push_back(std::async(std::launch::async, [&, i] {
      HttpClient c;
      return c.Post(InvokeUrl(front, "slow"), "{\"i\":" + std::to_string(i) + "}");
    }));
  }
  ASSERT_TRUE(invoker.WaitForPending(kSlow)) << invoker.pending() << " of " << kSlow
                                             << " reached the invoker";
  EXPECT_EQ(front.sync_waiting(), static_cast<size_t>(kSlow));
  HttpClient probe;
  for (int i = 0; i < 5; ++i) {
    auto h = probe.Get(front.endpoint() + "/healthz");
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    EXPECT_EQ(h->status, 200);
  }
  auto m = probe.Get(front.endpoint() + "/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->status, 200);
  invoker.CompleteAll();
  for (int i = 0; i < kSlow; ++i) {
    auto r = calls[i].get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "{\"i\":" + std::to_string(i) + "}");
    EXPECT_EQ(r->headers.Get("X-Amz-Executed-Version"), "$LATEST");
  }
  EXPECT_EQ(front.sync_waiting(), 0u);
  front.Stop();
}

// At most max_sync_waiting synchronous invocations are waited for; the next is throttled before
// it starts (429 TooManyRequestsException), and there is room again once one ends.
TEST(LambdaFrontBoundsTest, SynchronousInvocationsOverTheWaitingCapGet429) {
  PendingInvoker invoker;
  FrontOptions o;
  o.max_sync_waiting = 3;
  MetricsRegistry registry;
  o.metrics = &registry;
  auto started = LambdaFront::Start(&invoker, o);
  ASSERT_TRUE(started.ok());
  LambdaFront& front = **started;
  std::vector<std::future<Result<HttpResponse>>> calls;
  for (int i = 0; i < 3; ++i) {
    calls.push_back(std::async(std::launch::async, [&] {
      HttpClient c;
      return c.Post(InvokeUrl(front, "slow"), "{}");
    }));
  }
  ASSERT_TRUE(invoker.WaitForPending(3));
  HttpClient client;
  auto refused = client.Post(InvokeUrl(front, "slow"), "{}");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(refused->headers.Get("x-amzn-ErrorType"), "TooManyRequestsException");
  EXPECT_EQ(invoker.pending(), 3u);  // not started
  invoker.CompleteAll();
  for (auto& c : calls) EXPECT_EQ(c.get()->status, 200);
  auto again = std::async(std::launch::async, [&] {
    HttpClient c;
    return c.Post(InvokeUrl(front, "slow"), "{}");
  });
  ASSERT_TRUE(invoker.WaitForPending(1));
  invoker.CompleteAll();
  EXPECT_EQ(again.get()->status, 200);
  front.Stop();
}

// The waiter itself: callbacks run once each with the future's result, a broken promise arrives
// as INTERNAL, and idle threads beyond keep_threads leave after lingering.
TEST(FutureWaiterTest, RunsEachCallbackOnceAndShrinksWhenIdle) {
  FutureWaiter::Options wo;
  wo.keep_threads = 1;
  wo.idle_linger = std::chrono::milliseconds(50);
  FutureWaiter waiter(wo);
  std::vector<std::promise<InvokeResult>> promises(8);
  std::mutex mu;
  std::vector<std::string> got;
  for (size_t i = 0; i < promises.size(); ++i) {
    ASSERT_TRUE(waiter.TryReserve());
    waiter.Wait(promises[i].get_future(), [&](InvokeResult r) {
      std::lock_guard<std::mutex> lock(mu);
      got.push_back(r.status.ok() ? r.payload : "error:" + r.status.message());
    });
  }
  EXPECT_EQ(waiter.waiting(), 8u);
  EXPECT_EQ(waiter.threads(), 8u);
  for (size_t i = 0; i + 1 < promises.size(); ++i) {
    InvokeResult r;
    r.payload = std::to_string(i);
    promises[i].set_value(std::move(r));
  }
  promises.back() = std::promise<InvokeResult>();  // breaks the last one
  for (int i = 0; i < 2000 && (waiter.waiting() > 0 || waiter.threads() > 1); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(waiter.waiting(), 0u);
  EXPECT_EQ(waiter.threads(), 1u);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(got.size(), 8u);
  EXPECT_EQ(std::count_if(got.begin(), got.end(),
                          [](const std::string& s) { return s.rfind("error:", 0) == 0; }),
            1);
}

}  // namespace
}  // namespace sl::faas
