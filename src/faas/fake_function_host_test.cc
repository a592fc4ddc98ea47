// The fake function host's own contract: time, queueing, throttling, instances, records.
#include "faas/fake_function_host.h"

#include <gtest/gtest.h>

namespace sl::faas {
namespace {

using std::chrono::milliseconds;

bool Ready(const std::future<InvokeResult>& f) { return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }

InvokeRequest Req(std::string function, std::string payload = "") {
  InvokeRequest r;
  r.function = std::move(function);
  r.payload = std::move(payload);
  return r;
}

FunctionSpec Spec(const std::string& name, int64_t reserved = 0) {
  FunctionSpec s;
  s.name = name;
  s.reserved_concurrency = reserved;
  return s;
}

TEST(FakeFunctionHostTest, AnInvocationEndsWhenTimeReachesItsEndInTimeOrder) {
  FakeClock clock;
  FakeFunctionHost host(&clock);
  ASSERT_TRUE(host.Deploy(Spec("f")).ok());
  host.Script("f", {.handler = [](const InvokeRequest& r) {
                      return FakeReply::Ok("echo " + r.payload, milliseconds(r.payload == "slow" ? 300 : 100));
                    },
                    .cold_start = milliseconds(50)});
  const TimePoint t0 = clock.Now();
  auto slow = host.Invoke(Req("f", "slow"));
  auto fast = host.Invoke(Req("f", "fast"));
  EXPECT_EQ(host.NextEnd(), t0 + milliseconds(150));
  host.Advance(milliseconds(149));
  EXPECT_FALSE(Ready(fast));
  host.Advance(milliseconds(1));
  ASSERT_TRUE(Ready(fast));
  EXPECT_FALSE(Ready(slow));
  InvokeResult r = fast.get();
  EXPECT_TRUE(r.status.ok());
  EXPECT_EQ(r.outcome, Outcome::kSuccess);
  EXPECT_EQ(r.payload, "echo fast");
  EXPECT_TRUE(r.cold_start);
  EXPECT_DOUBLE_EQ(r.init_ms, 50);
  EXPECT_DOUBLE_EQ(r.duration_ms, 100);
  EXPECT_DOUBLE_EQ(r.billed_ms, 100);
  host.Advance(milliseconds(1000));
  EXPECT_EQ(clock.Now(), t0 + milliseconds(1150));  // Advance moves the clock all the way
  ASSERT_TRUE(Ready(slow));
  EXPECT_DOUBLE_EQ(slow.get().duration_ms, 300);
  // Two idle instances now: the next call is warm.
  auto warm = host.Invoke(Req("f", "fast"));
  host.Advance(milliseconds(100));
  EXPECT_FALSE(warm.get().cold_start);
  auto d = host.Describe("f");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->has_live_state);
  EXPECT_EQ(d->host, "fake");
  EXPECT_EQ(d->instances, 2);
  EXPECT_EQ(d->idle_instances, 2);
  EXPECT_EQ(d->inflight, 0);
}

TEST(FakeFunctionHostTest, SlotsQueueAndTheReservedConcurrencyThrottles) {
  FakeClock clock;
  FakeFunctionHost host(&clock);
  ASSERT_TRUE(host.Deploy(Spec("f", /*reserved=*/3)).ok());
  host.Script("f", {.handler = [](const InvokeRequest&) { return FakeReply::Ok("{}", milliseconds(100)); },
                    .slots = 1});
  std::vector<std::future<InvokeResult>> f;
  for (int i = 0; i < 4; ++i) f.push_back(host.Invoke(Req("f")));
  // The fourth is over the reserved concurrency of 3: refused at once.
  ASSERT_TRUE(Ready(f[3]));
  InvokeResult throttled = f[3].get();
  EXPECT_EQ(throttled.status.code(), Code::kResourceExhausted);
  EXPECT_EQ(throttled.outcome, Outcome::kThrottled);
  auto d = host.Describe("f");
  EXPECT_EQ(d->inflight, 3);
  EXPECT_EQ(d->queued, 2);
  host.Advance(milliseconds(250));
  EXPECT_TRUE(Ready(f[0]) && Ready(f[1]));
  EXPECT_FALSE(Ready(f[2]));
  EXPECT_DOUBLE_EQ(f[1].get().queued_ms, 100);
  host.Advance(milliseconds(50));
  EXPECT_DOUBLE_EQ(f[2].get().queued_ms, 200);
  EXPECT_EQ(host.Describe("f")->instances, 1);
  auto calls = host.calls("f");
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[3].state, FakeFunctionHost::Call::State::kRefused);
  EXPECT_EQ(*calls[2].started - calls[2].accepted, milliseconds(200));
  EXPECT_EQ(*calls[2].ended - *calls[2].started, milliseconds(100));
}

TEST(FakeFunctionHostTest, ManualInvocationsEndWhenTheTestSays) {
  FakeClock clock;
  FakeFunctionHost host(&clock);
  ASSERT_TRUE(host.Deploy(Spec("f")).ok());
  host.Script("f", {.handler = [](const InvokeRequest&) {
                      FakeReply r = FakeReply::Ok("scripted", milliseconds(0));
                      r.manual = true;
                      return r;
                    }});
  auto a = host.Invoke(Req("f"));
  auto b = host.Invoke(Req("f"));
  EXPECT_FALSE(host.NextEnd().has_value());
  host.Advance(milliseconds(10'000));
  EXPECT_FALSE(Ready(a));
  const auto calls = host.calls();
  ASSERT_TRUE(host.Complete(calls[0].request_id));
  EXPECT_EQ(a.get().payload, "scripted");
  InvokeResult crash;
  crash.function_error = "Unhandled";
  crash.outcome = Outcome::kCrash;
  ASSERT_TRUE(host.Complete(calls[1].request_id, crash));
  InvokeResult rb = b.get();
  EXPECT_EQ(rb.outcome, Outcome::kCrash);
  EXPECT_DOUBLE_EQ(rb.duration_ms, 10'000);
  EXPECT_FALSE(host.Complete(calls[1].request_id));  // not running any more
}

TEST(FakeFunctionHostTest, ErrorsRefusalsAndUnknownFunctions) {
  FakeClock clock;
  FakeFunctionHost host(&clock);
  EXPECT_EQ(host.Deploy(Spec("")).code(), Code::kInvalidArgument);
  ASSERT_TRUE(host.Deploy(Spec("f")).ok());
  int n = 0;
  host.Script("f", {.handler = [&n](const InvokeRequest&) {
                      return ++n == 1 ? FakeReply::Error(Outcome::kTimeout, "Task timed out", milliseconds(30))
                                      : FakeReply::Refuse(Unavailable("ServiceException"));
                    }});
  auto timeout = host.Invoke(Req("f"));
  auto refused = host.Invoke(Req("f"));
  ASSERT_TRUE(Ready(refused));  // refusals take no time
  InvokeResult rr = refused.get();
  EXPECT_EQ(rr.status.code(), Code::kUnavailable);
  EXPECT_EQ(rr.outcome, Outcome::kPlatformError);
  host.Advance(milliseconds(30));
  InvokeResult rt = timeout.get();
  EXPECT_TRUE(rt.status.ok());
  EXPECT_EQ(rt.function_error, "Unhandled");
  EXPECT_EQ(rt.outcome, Outcome::kTimeout);
  EXPECT_NE(rt.payload.find("Sandbox.Timedout"), std::string::npos);

  auto missing = host.Invoke(Req("nope"));
  ASSERT_TRUE(Ready(missing));
  InvokeResult rm = missing.get();
  EXPECT_EQ(rm.status.code(), Code::kNotFound);
  EXPECT_EQ(rm.outcome, Outcome::kPlatformError);
  EXPECT_EQ(host.Describe("nope").status().code(), Code::kNotFound);
  // Deploying again keeps the function as it is.
  ASSERT_TRUE(host.Deploy(Spec("f", 7)).ok());
  EXPECT_EQ(host.Describe("f")->spec.reserved_concurrency, 0);
}

TEST(FakeFunctionHostTest, ACallerThatAdvancesTheClockItselfSeesEndsOnItsNextCall) {
  FakeClock clock;
  FakeFunctionHost host(&clock);
  ASSERT_TRUE(host.Deploy(Spec("f")).ok());
  host.Script("f", {.handler = [](const InvokeRequest&) { return FakeReply::Ok("{}", milliseconds(20)); }});
  auto f = host.Invoke(Req("f"));
  clock.SleepFor(milliseconds(25));
  EXPECT_FALSE(Ready(f));  // nobody asked the host yet
  EXPECT_EQ(host.Describe("f")->inflight, 0);
  ASSERT_TRUE(Ready(f));
  EXPECT_DOUBLE_EQ(f.get().duration_ms, 20);  // its scripted end, not when it was noticed
}

TEST(FakeFunctionHostTest, UnfinishedInvocationsEndUnavailableWithTheHost) {
  FakeClock clock;
  std::future<InvokeResult> f;
  {
    FakeFunctionHost host(&clock);
    ASSERT_TRUE(host.Deploy(Spec("f")).ok());
    host.Script("f", {.handler = [](const InvokeRequest&) { return FakeReply::Ok("{}", milliseconds(1000)); }});
    f = host.Invoke(Req("f"));
  }
  ASSERT_TRUE(Ready(f));
  EXPECT_EQ(f.get().status.code(), Code::kUnavailable);
}

}  // namespace
}  // namespace sl::faas
