// End to end with real processes: LambdaHost → the Lambda API front → the embedded platform
// running straightline-worker's built-in handlers, i.e. `--platform lambda --endpoint-url` against
// `straightline platform serve`. The platform's REPORT line (with Memory Size, Max Memory Used and
// Init Duration on a cold start) must come back as the caller's billing.
#include <gtest/gtest.h>

#include <filesystem>

#include "faas/front/lambda_front.h"
#include "faas/platform.h"
#include "faas/remote/lambda_host.h"
#include "faas/remote/remote_test_util.h"

namespace sl::faas {
namespace {

FunctionSpec Builtin(const std::string& name, const std::string& handler) {
  FunctionSpec s;
  s.name = name;
  s.handler = handler;
  s.memory_mb = 256;
  s.timeout_s = 10;
  return s;
}

TEST(LambdaHostOnPlatform, ReportLineAndTypedOutcomesFromRealInstances) {
  std::string dir = ::testing::TempDir() + "/sl-remote-platform-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  MetricsRegistry registry;
  PlatformOptions po;
  po.state_dir = dir;
  po.metrics = &registry;
  auto platform = Platform::Create(po);
  ASSERT_TRUE(platform.ok()) << platform.status().ToString();
  for (const auto& spec : {Builtin("echo", "echo"), Builtin("crash", "crash")}) {
    ASSERT_TRUE((*platform)->RegisterFunction(spec).ok()) << spec.name;
  }
  FrontOptions fo;
  fo.metrics = &registry;
  fo.events.workers = 0;
  auto front = LambdaFront::Start(platform->get(), fo);
  ASSERT_TRUE(front.ok()) << front.status().ToString();

  testing::NoSleepClock clock;
  LambdaHostOptions o;
  o.endpoint_url = (*front)->endpoint();
  o.credentials = AwsCredentials{"AKID", "secret", ""};
  o.env = MapEnv({});
  o.clock = &clock;
  o.ledger_path = dir + "/caller-ledger.jsonl";
  auto host = LambdaHost::Create(o);
  ASSERT_TRUE(host.ok()) << host.status().ToString();

  InvokeRequest req;
  req.function = "echo";
  req.payload = R"({"hello":"platform"})";
  InvokeResult cold = (*host)->Invoke(req).get();
  ASSERT_TRUE(cold.status.ok()) << cold.status.ToString();
  EXPECT_EQ(cold.payload, req.payload);
  EXPECT_EQ(cold.billing, BillingSource::kPlatformReport);
  EXPECT_TRUE(cold.cold_start);
  EXPECT_GT(cold.init_ms, 0);
  EXPECT_GT(cold.max_memory_mb, 0);
  EXPECT_GT(cold.billed_ms, 0);
  EXPECT_GT(cold.cost_usd, 0);
  InvokeResult warm = (*host)->Invoke(req).get();
  ASSERT_TRUE(warm.status.ok()) << warm.status.ToString();
  EXPECT_FALSE(warm.cold_start);

  req.function = "crash";
  InvokeResult crash = (*host)->Invoke(req).get();
  ASSERT_TRUE(crash.status.ok()) << crash.status.ToString();
  EXPECT_EQ(crash.outcome, Outcome::kCrash) << crash.payload;
  EXPECT_EQ(crash.function_error, "Unhandled");

  host->reset();
  (*front)->Stop();
  platform->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sl::faas
