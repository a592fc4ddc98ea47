// The function tier's scaling and failure rules on the fake function host: no processes, no
// sleeps. Time moves when the test advances the fake clock; the test then waits (with a real
// deadline) for the tier's callbacks, which run on its waiter threads.
#include <algorithm>
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "faas/fake_function_host.h"
#include "serve/remote/function_tier.h"

namespace sl::serve {
namespace {

using std::chrono::milliseconds;

// Collects the tier's answers.
class Answers {
 public:
  InferenceCallback Callback() {
    return [this](InferenceResponse r) {
      std::lock_guard<std::mutex> lock(mu_);
      got_.push_back(std::move(r));
      cv_.notify_all();
    };
  }
  // Waits (at most 5 s of real time) until `n` answers are in; returns them.
  std::vector<InferenceResponse> WaitFor(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [&] { return got_.size() >= n; });
    return got_;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return got_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<InferenceResponse> got_;
};

class FunctionTierFakeTest : public ::testing::Test {
 protected:
  std::unique_ptr<FunctionTier> MakeTier(int64_t limit, faas::FakeScript script) {
    FunctionTierOptions o;
    o.model = "m";
    o.model_dir = "/nonexistent/model";  // the fake never reads it
    o.functions = &host_;
    o.clock = &clock_;
    o.concurrency_limit = limit;
    auto tier = FunctionTier::Create(o);
    EXPECT_TRUE(tier.ok()) << tier.status().ToString();
    host_.Script((*tier)->function_name(), std::move(script));
    return std::move(*tier);
  }
  InferenceRequest Request(TimePoint deadline = {}) {
    InferenceRequest r;
    r.model = "m";
    r.content_type = "application/json";
    r.body = R"({"inputs":[]})";
    r.deadline = deadline;
    return r;
  }
  static faas::FakeScript Takes(milliseconds d, double cost = 0) {
    return {.handler = [d, cost](const faas::InvokeRequest&) {
      auto reply = faas::FakeReply::Ok(R"({"outputs":[]})", d);
      reply.result.cost_usd = cost;
      return reply;
    }};
  }

  FakeClock clock_;
  faas::FakeFunctionHost host_{&clock_};
};

TEST_F(FunctionTierFakeTest, AtItsConcurrencyLimitTheTierRefusesWithResourceExhausted) {
  auto tier = MakeTier(2, Takes(milliseconds(100)));
  Answers answers;
  for (int i = 0; i < 3; ++i) tier->Submit(Request(), answers.Callback());
  // The third is refused at once, before any time passes.
  auto got = answers.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status.code(), Code::kResourceExhausted) << got[0].status.ToString();
  EXPECT_NE(got[0].status.message().find("concurrency limit (2)"), std::string::npos);
  TierState s = tier->State();
  EXPECT_EQ(s.inflight, 2);
  EXPECT_EQ(s.capacity, 2);
  EXPECT_FALSE(s.shares_gateway_cpu);  // not the embedded platform
  EXPECT_EQ(host_.calls().size(), 2u);  // the refused one never reached the host

  host_.Advance(milliseconds(100));
  got = answers.WaitFor(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[1].status.ok()) << got[1].status.ToString();
  EXPECT_TRUE(got[2].status.ok()) << got[2].status.ToString();
  EXPECT_EQ(got[1].body, R"({"outputs":[]})");
  EXPECT_EQ(tier->State().inflight, 0);
  // A slot is free again.
  tier->Submit(Request(), answers.Callback());
  EXPECT_EQ(tier->State().inflight, 1);
  host_.Advance(milliseconds(100));
  EXPECT_TRUE(answers.WaitFor(4).at(3).status.ok());
}

TEST_F(FunctionTierFakeTest, StateReportsInflightQueuedAndLiveInstances) {
  faas::FakeScript script = Takes(milliseconds(100));
  script.slots = 1;  // one runs at a time on the host; the rest wait in its queue
  auto tier = MakeTier(4, script);
  Answers answers;
  for (int i = 0; i < 3; ++i) tier->Submit(Request(), answers.Callback());
  TierState s = tier->State();
  EXPECT_EQ(s.inflight, 3);
  EXPECT_EQ(s.queued, 2);
  EXPECT_EQ(s.replicas, 1);
  host_.Advance(milliseconds(100));
  answers.WaitFor(1);
  s = tier->State();
  EXPECT_EQ(s.inflight, 2);
  EXPECT_EQ(s.queued, 1);
  host_.Advance(milliseconds(200));
  auto got = answers.WaitFor(3);
  ASSERT_EQ(got.size(), 3u);
  // The last two answers come from their own waiter threads, in either order.
  std::vector<double> queued_ms;
  for (const auto& r : got) queued_ms.push_back(r.queue_ms);
  std::sort(queued_ms.begin(), queued_ms.end());
  EXPECT_EQ(queued_ms, (std::vector<double>{0, 100, 200}));
  s = tier->State();
  EXPECT_EQ(s.inflight, 0);
  EXPECT_EQ(s.queued, 0);
  EXPECT_EQ(s.replicas, 1);  // one instance served all three
}

TEST_F(FunctionTierFakeTest, EwmasOfServiceTimeColdStartAndCost) {
  int n = 0;
  faas::FakeScript script{.handler = [&n](const faas::InvokeRequest&) {
                            ++n;
                            auto r = faas::FakeReply::Ok("{}", milliseconds(n == 1 ? 100 : 200));
                            r.result.cost_usd = n == 1 ? 0.001 : 0.002;
                            return r;
                          },
                          .cold_start = milliseconds(50)};
  auto tier = MakeTier(4, script);
  Answers answers;
  tier->Submit(Request(), answers.Callback());
  host_.Advance(milliseconds(150));  // 50 ms cold start + 100 ms
  auto got = answers.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].cold_start);
  EXPECT_DOUBLE_EQ(got[0].service_ms, 150);
  EXPECT_DOUBLE_EQ(got[0].cost_usd, 0.001);
  TierState s = tier->State();
  EXPECT_DOUBLE_EQ(s.service_ms_ewma, 100);
  EXPECT_DOUBLE_EQ(s.start_ms_ewma, 50);
  EXPECT_DOUBLE_EQ(s.cost_per_request_usd, 0.001);

  tier->Submit(Request(), answers.Callback());  // warm
  host_.Advance(milliseconds(200));
  got = answers.WaitFor(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_FALSE(got[1].cold_start);
  s = tier->State();
  EXPECT_DOUBLE_EQ(s.service_ms_ewma, 0.8 * 100 + 0.2 * 200);
  EXPECT_DOUBLE_EQ(s.start_ms_ewma, 50);  // only cold starts move it
  EXPECT_DOUBLE_EQ(s.cost_per_request_usd, 0.8 * 0.001 + 0.2 * 0.002);
}

TEST_F(FunctionTierFakeTest, FunctionErrorsAndRefusalsMapToStatuses) {
  std::vector<faas::FakeReply> script = {
      // The handler's own error with a status code name as its type keeps that code.
      faas::FakeReply::Error(faas::Outcome::kHandledError, "expected 784 values", milliseconds(10),
                             "INVALID_ARGUMENT"),
      faas::FakeReply::Error(faas::Outcome::kTimeout, "Task timed out after 30.00 seconds", milliseconds(30)),
      faas::FakeReply::Error(faas::Outcome::kOutOfMemory, "memory limit", milliseconds(20)),
      faas::FakeReply::Error(faas::Outcome::kCrash, "exit status 139", milliseconds(5)),
      faas::FakeReply::Refuse(ResourceExhausted("TooManyRequestsException: rate exceeded")),
      faas::FakeReply::Refuse(OutOfRange("payload over 6 MB")),
      faas::FakeReply::Refuse(Unavailable("ServiceException")),
  };
  size_t next = 0;
  auto tier = MakeTier(10, {.handler = [&](const faas::InvokeRequest&) { return script.at(next++); }});
  Answers answers;
  for (size_t i = 0; i < script.size(); ++i) {
    tier->Submit(Request(), answers.Callback());
    host_.Advance(milliseconds(50));
    answers.WaitFor(i + 1);
  }
  auto got = answers.WaitFor(script.size());
  ASSERT_EQ(got.size(), script.size());
  const std::string fn = tier->function_name();
  EXPECT_EQ(got[0].status.code(), Code::kInvalidArgument) << got[0].status.ToString();
  EXPECT_NE(got[0].status.message().find("expected 784 values"), std::string::npos);
  for (size_t i : {1, 2, 3}) {
    EXPECT_EQ(got[i].status.code(), Code::kInternal) << got[i].status.ToString();
    EXPECT_NE(got[i].status.message().find(fn), std::string::npos) << got[i].status.ToString();
  }
  EXPECT_NE(got[1].status.message().find("Sandbox.Timedout"), std::string::npos);
  EXPECT_NE(got[2].status.message().find("Runtime.OutOfMemory"), std::string::npos);
  EXPECT_NE(got[3].status.message().find("Runtime.ExitError"), std::string::npos);
  EXPECT_EQ(got[4].status.code(), Code::kResourceExhausted) << got[4].status.ToString();
  EXPECT_EQ(got[5].status.code(), Code::kInvalidArgument) << got[5].status.ToString();  // too large
  EXPECT_EQ(got[6].status.code(), Code::kUnavailable) << got[6].status.ToString();
  EXPECT_EQ(tier->State().inflight, 0);
  // Function errors ran (and cost); refusals did not: the service EWMA saw 10, 30, 20, 5 ms.
  double ewma = 0;
  for (double d : {10.0, 30.0, 20.0, 5.0}) UpdateEwma(&ewma, d);
  EXPECT_DOUBLE_EQ(tier->State().service_ms_ewma, ewma);
}

TEST_F(FunctionTierFakeTest, ADeadlinePassingFirstIsDeadlineExceededAndTheSlotIsHeldUntilTheEnd) {
  auto tier = MakeTier(1, Takes(milliseconds(200)));
  Answers answers;
  tier->Submit(Request(clock_.Now() + milliseconds(50)), answers.Callback());
  host_.Advance(milliseconds(49));
  EXPECT_EQ(answers.size(), 0u);
  host_.Advance(milliseconds(2));
  auto got = answers.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].status.code(), Code::kDeadlineExceeded) << got[0].status.ToString();
  EXPECT_NE(got[0].status.message().find(tier->function_name()), std::string::npos);
  // The invocation still runs (and holds the tier's only slot) until it ends.
  EXPECT_EQ(tier->State().inflight, 1);
  Answers refused;
  tier->Submit(Request(), refused.Callback());
  EXPECT_EQ(refused.WaitFor(1).at(0).status.code(), Code::kResourceExhausted);
  host_.Advance(milliseconds(149));
  tier->Shutdown();  // waits for the invocation's end
  EXPECT_EQ(tier->State().inflight, 0);
  EXPECT_EQ(answers.size(), 1u);  // answered once
}

TEST_F(FunctionTierFakeTest, AResultBeforeTheDeadlineIsAnswered) {
  auto tier = MakeTier(1, Takes(milliseconds(20)));
  Answers answers;
  tier->Submit(Request(clock_.Now() + milliseconds(50)), answers.Callback());
  host_.Advance(milliseconds(20));
  auto got = answers.WaitFor(1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0].status.ok()) << got[0].status.ToString();
  // Time passing after the answer changes nothing.
  host_.Advance(milliseconds(100));
  EXPECT_EQ(answers.size(), 1u);
}

}  // namespace
}  // namespace sl::serve
