// Platform tests with real processes: every invocation here runs in a forked (or exec'd)
// straightline-worker instance or a shell `bootstrap`, through the Lambda Runtime API.
#include "faas/platform.h"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/metrics.h"
#include "common/wait_until.h"
#include "faas/economics/ledger.h"
#include "faas/economics/provider_profile.h"

namespace sl::faas {
namespace {

using std::chrono::milliseconds;

InvokeResult Call(Invoker* p, const std::string& fn, const std::string& payload,
                  bool tail = false) {
  InvokeRequest req;
  req.function = fn;
  req.payload = payload;
  req.tail_log = tail;
  auto fut = p->Invoke(std::move(req));
  if (fut.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "invocation of " << fn << " did not finish in 60 s";
    return InvokeResult{};
  }
  return fut.get();
}

nlohmann::json Json(const std::string& s) { return nlohmann::json::parse(s, nullptr, false); }

FunctionSpec Builtin(const std::string& name, const std::string& handler, int64_t memory = 128,
                     double timeout = 10) {
  FunctionSpec s;
  s.name = name;
  s.handler = handler;
  s.memory_mb = memory;
  s.timeout_s = timeout;
  return s;
}

// A platform whose time is `clock` and whose maintenance runs only when the test calls
// RunMaintenance (keep-alive tests drive time instead of waiting for it).
Result<std::unique_ptr<Platform>> PlatformOnFakeClock(const TempDir& dir, FakeClock* clock) {
  PlatformOptions o;
  o.state_dir = dir.path();
  o.clock = clock;
  o.background_maintenance = false;
  return Platform::Create(o);
}

// AWS Lambda developer guide, "Tutorial: Building a custom runtime": bootstrap and function.sh,
// verbatim.
const char* const kTutorialBootstrap = R"SH(#!/bin/sh
set -euo pipefail

# Initialization - load function handler
source $LAMBDA_TASK_ROOT/"$(echo $_HANDLER | cut -d. -f1).sh"

# Processing
while true
do
  HEADERS="$(mktemp)"
  # Get an event. The HTTP request will block until one is received
  EVENT_DATA=$(curl -sS -LD "$HEADERS" "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")

  # Extract request ID by scraping response headers received above
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)

  # Run the handler function from the script
  RESPONSE=$($(echo "$_HANDLER" | cut -d. -f2) "$EVENT_DATA")

  # Send the response
  curl "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response"  -d "$RESPONSE"
done
)SH";
const char* const kTutorialFunction = R"SH(function handler () {
  EVENT_DATA=$1
  echo "$EVENT_DATA" 1>&2;
  RESPONSE="Echoing request: '$EVENT_DATA'"

  echo $RESPONSE
}
)SH";

// One platform (one template process) shared by most tests: starting one costs a libtorch init.
class PlatformTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("faas-test");
    PlatformOptions o;
    o.state_dir = dir_->path();
    auto p = Platform::Create(o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    platform_ = p->release();
    for (auto spec : {Builtin("echo", "echo"), Builtin("sleep", "sleep", 128, 1),
                      Builtin("victim", "sleep", 128, 30), Builtin("fail", "fail"),
                      Builtin("crash", "crash"), Builtin("alloc", "alloc", 128, 20),
                      Builtin("env", "env", 256), Builtin("init-error", "init-error"),
                      Builtin("no-such-handler", "does-not-exist"), Builtin("spin", "spin"),
                      Builtin("naps", "sleep", 128, 30)}) {
      ASSERT_TRUE(platform_->RegisterFunction(spec).ok()) << spec.name;
    }
    FunctionSpec one = Builtin("reserved1", "sleep");
    one.reserved_concurrency = 1;
    ASSERT_TRUE(platform_->RegisterFunction(one).ok());
  }
  static void TearDownTestSuite() {
    delete platform_;
    platform_ = nullptr;
    delete dir_;
  }
  static Platform* platform_;
  static TempDir* dir_;
};
Platform* PlatformTest::platform_ = nullptr;
TempDir* PlatformTest::dir_ = nullptr;

TEST_F(PlatformTest, ColdStartThenWarmReuseOfTheSameInstance) {
  InvokeResult a = Call(platform_, "echo", R"({"hello":"world"})");
  ASSERT_TRUE(a.status.ok()) << a.status.ToString();
  EXPECT_EQ(a.payload, R"({"hello":"world"})");
  EXPECT_TRUE(a.function_error.empty());
  EXPECT_TRUE(a.cold_start);
  EXPECT_GT(a.init_ms, 0);
  InvokeResult b = Call(platform_, "echo", R"({"n":2})");
  ASSERT_TRUE(b.status.ok());
  EXPECT_EQ(b.payload, R"({"n":2})");
  EXPECT_FALSE(b.cold_start);
  EXPECT_EQ(b.init_ms, 0);
  EXPECT_NE(a.request_id, b.request_id);
  auto info = platform_->GetFunction("echo");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->instances, 1);
  // The ledger has both, run on the same instance, priced under aws-lambda.
  auto ledger = ReadLedger(platform_->LedgerPath());
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  std::string inst_a, inst_b;
  for (const auto& rec : *ledger) {
    if (rec.request_id == a.request_id) inst_a = rec.instance_id;
    if (rec.request_id == b.request_id) {
      inst_b = rec.instance_id;
      EXPECT_EQ(rec.provider, "aws-lambda");
      EXPECT_EQ(rec.outcome, Outcome::kSuccess);
      EXPECT_FALSE(rec.cold_start);
      EXPECT_GE(rec.billed_ms, rec.duration_ms);
      EXPECT_GT(rec.cost_usd, 0);
    }
  }
  EXPECT_FALSE(inst_a.empty());
  EXPECT_EQ(inst_a, inst_b);
}

TEST_F(PlatformTest, StageTagReachesTheLedger) {
  InvokeResult r = platform_->Invoke({.function = "echo", .payload = "{}", .stage = "round-7"}).get();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  auto ledger = ReadLedger(platform_->LedgerPath());
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  int found = 0;
  for (const auto& rec : *ledger) {
    if (rec.request_id == r.request_id) {
      EXPECT_EQ(rec.stage, "round-7");
      ++found;
    }
  }
  EXPECT_EQ(found, 1);
}

TEST_F(PlatformTest, StandardEnvironmentAndRuntimeHeaders) {
  InvokeResult r = Call(platform_, "env", "{}");
  ASSERT_TRUE(r.status.ok());
  auto env = Json(r.payload);
  ASSERT_TRUE(env.is_object()) << r.payload;
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_NAME"], "env");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "256");
  EXPECT_EQ(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
  EXPECT_EQ(env["_HANDLER"], "env");
  EXPECT_EQ(env["AWS_REGION"], "us-east-1");
  EXPECT_TRUE(env.contains("LAMBDA_TASK_ROOT"));
  std::string api = env["AWS_LAMBDA_RUNTIME_API"];
  EXPECT_EQ(api.rfind("127.0.0.1:", 0), 0u) << api;
  EXPECT_EQ(std::string(env["AWS_LAMBDA_LOG_STREAM_NAME"]).find("[$LATEST]") != std::string::npos, true);
  EXPECT_EQ(env["_request_id"], r.request_id);
  EXPECT_EQ(env["_function_arn"], "arn:aws:lambda:us-east-1:000000000000:function:env");
  EXPECT_EQ(std::string(env["_trace_id"]).rfind("Root=1-", 0), 0u);
  auto now_ms = std::chrono::duration_cast<milliseconds>(
                    Clock::Real()->WallNow().time_since_epoch()).count();
  int64_t deadline = env["_deadline_ms"];
  EXPECT_GT(deadline, now_ms + 5000);   // timeout 10 s
  EXPECT_LE(deadline, now_ms + 10000);
}

TEST_F(PlatformTest, HandledErrorFromTheHandler) {
  InvokeResult r = Call(platform_, "fail", R"({"message":"bad input"})");
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.function_error, "Handled");
  auto j = Json(r.payload);
  EXPECT_EQ(j["errorMessage"], "bad input");
  EXPECT_EQ(j["errorType"], "HandlerError");
}

TEST_F(PlatformTest, TimeoutKillsTheInstanceAndReportsLikeLambda) {
  InvokeResult r = Call(platform_, "sleep", R"({"ms":5000})");
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.function_error, "Unhandled");
  auto j = Json(r.payload);
  std::string msg = j["errorMessage"];
  EXPECT_NE(msg.find(r.request_id + " Task timed out after 1.00 seconds"), std::string::npos) << msg;
  EXPECT_EQ(j["errorType"], "Sandbox.Timedout");
  EXPECT_GE(r.duration_ms, 990);
  EXPECT_LT(r.duration_ms, 3000);
  // The environment was reset: the next call is a cold start on a fresh instance.
  InvokeResult next = Call(platform_, "sleep", R"({"ms":1})");
  ASSERT_TRUE(next.status.ok());
  EXPECT_TRUE(next.function_error.empty()) << next.payload;
  EXPECT_TRUE(next.cold_start);
  auto log = ReadFileToString(platform_->LogPath("sleep"));
  ASSERT_TRUE(log.ok());
  EXPECT_NE(log->find(r.request_id + " Task timed out after 1.00 seconds"), std::string::npos);
  EXPECT_NE(log->find("REPORT RequestId: " + r.request_id), std::string::npos);
}

TEST_F(PlatformTest, MemoryLimitKillsTheInstance) {
  InvokeResult ok = Call(platform_, "alloc", R"({"mb":16})");
  ASSERT_TRUE(ok.status.ok());
  EXPECT_TRUE(ok.function_error.empty()) << ok.payload;
  EXPECT_GE(ok.max_memory_mb, 16);
  InvokeResult r = Call(platform_, "alloc", R"({"mb":400,"hold_ms":3000})");
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.function_error, "Unhandled");
  auto j = Json(r.payload);
  EXPECT_EQ(j["errorType"], "Runtime.OutOfMemory") << r.payload;
  EXPECT_NE(std::string(j["errorMessage"]).find("signal: killed"), std::string::npos);
  if (platform_->isolation().memory_cgroup) {
    EXPECT_GE(r.max_memory_mb, 120);
  }
}

TEST_F(PlatformTest, KillMinus9MidInvocationFailsItAndReplacesTheInstance) {
  InvokeResult first = Call(platform_, "victim", R"({"ms":0})");
  ASSERT_TRUE(first.status.ok());
  // The instance's pid as the host sees it (inside its sandbox it is not the same number).
  auto info = platform_->GetFunction("victim");
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->instance_pids.size(), 1u);
  int pid = info->instance_pids[0];
  ASSERT_GT(pid, 1);
  int inside_pid = Json(first.payload)["pid"];
  InvokeRequest req{"victim", R"({"ms":20000})"};
  auto fut = platform_->Invoke(req);
  std::string needle = "sleep: pid " + std::to_string(inside_pid) + " sleeping 20000 ms";
  ASSERT_TRUE(WaitUntil([&] {
    auto log = ReadFileToString(platform_->LogPath("victim"));
    return log.ok() && log->find(needle) != std::string::npos;
  })) << "the handler never started";
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  InvokeResult r = fut.get();
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.function_error, "Unhandled");
  auto j = Json(r.payload);
  EXPECT_EQ(j["errorType"], "Runtime.ExitError");
  EXPECT_EQ(j["errorMessage"], "RequestId: " + r.request_id +
                                   " Error: Runtime exited with error: signal: killed");
  InvokeResult after = Call(platform_, "victim", R"({"ms":0})");
  ASSERT_TRUE(after.status.ok());
  EXPECT_TRUE(after.cold_start);
  info = platform_->GetFunction("victim");
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->instance_pids.size(), 1u);
  EXPECT_NE(info->instance_pids[0], pid);
}

TEST_F(PlatformTest, HandlerCrashIsAnExitError) {
  InvokeResult r = Call(platform_, "crash", R"({"how":"abort"})");
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.function_error, "Unhandled");
  auto j = Json(r.payload);
  EXPECT_EQ(j["errorType"], "Runtime.ExitError");
  EXPECT_NE(std::string(j["errorMessage"]).find("signal: aborted"), std::string::npos) << r.payload;
  InvokeResult e = Call(platform_, "crash", R"({"how":"exit","code":7})");
  EXPECT_NE(std::string(Json(e.payload)["errorMessage"]).find("exit status 7"), std::string::npos);
}

TEST_F(PlatformTest, InitFailuresAreReportedToTheTriggeringInvocation) {
  InvokeResult r = Call(platform_, "init-error", "{}");
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.function_error, "Unhandled");
  EXPECT_EQ(Json(r.payload)["errorType"], "Runtime.InitError") << r.payload;
  InvokeResult h = Call(platform_, "no-such-handler", "{}");
  ASSERT_TRUE(h.status.ok());
  EXPECT_EQ(Json(h.payload)["errorType"], "Runtime.HandlerNotFound") << h.payload;
}

TEST_F(PlatformTest, ReservedConcurrencyThrottles) {
  InvokeRequest req{"reserved1", R"({"ms":1500})"};
  auto running = platform_->Invoke(req);
  InvokeResult throttled = Call(platform_, "reserved1", R"({"ms":1})");
  EXPECT_EQ(throttled.status.code(), Code::kResourceExhausted) << throttled.status.ToString();
  EXPECT_NE(throttled.status.message().find("reserved1"), std::string::npos);
  InvokeResult r = running.get();
  EXPECT_TRUE(r.status.ok());
  EXPECT_TRUE(r.function_error.empty()) << r.payload;
  EXPECT_TRUE(Call(platform_, "reserved1", R"({"ms":1})").status.ok());  // free again
}

TEST_F(PlatformTest, RequestValidation) {
  std::string big = "\"" + std::string(6 * 1024 * 1024, 'x') + "\"";
  EXPECT_EQ(Call(platform_, "echo", big).status.code(), Code::kOutOfRange);
  EXPECT_EQ(Call(platform_, "echo", "{not json").status.code(), Code::kInvalidArgument);
  InvokeResult nf = Call(platform_, "nope", "{}");
  EXPECT_EQ(nf.status.code(), Code::kNotFound);
  EXPECT_NE(nf.status.message().find("function:nope"), std::string::npos);
  InvokeRequest dry{"echo", "{}", InvocationType::kDryRun};
  EXPECT_TRUE(platform_->Invoke(dry).get().status.ok());
}

TEST_F(PlatformTest, MapKeepsPayloadOrderAndRunsConcurrently) {
  std::vector<std::string> payloads;
  for (int i = 0; i < 24; ++i) payloads.push_back(fmt::format(R"({{"i":{}}})", i));
  auto futures = platform_->Map("echo", payloads);
  ASSERT_EQ(futures.size(), payloads.size());
  for (size_t i = 0; i < futures.size(); ++i) {
    InvokeResult r = futures[i].get();
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.payload, payloads[i]);
  }
  // A map larger than the function's concurrency waits for slots instead of being throttled.
  auto limited = platform_->Map("reserved1", {R"({"ms":50})", R"({"ms":50})", R"({"ms":50})"});
  double waited = 0;
  for (auto& f : limited) {
    InvokeResult r = f.get();
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_TRUE(r.function_error.empty());
    waited = std::max(waited, r.queued_ms);
  }
  EXPECT_GT(waited, 90);  // the third waited for two 50 ms runs
  // Six 400 ms sleeps at 128 MB (0.07 vCPU each) all fit on this machine at once.
  std::vector<std::string> naps(6, R"({"ms":400})");
  auto t0 = Clock::Real()->Now();
  auto nf = platform_->Map("naps", naps);
  for (auto& f : nf) {
    InvokeResult r = f.get();
    EXPECT_TRUE(r.status.ok());
    EXPECT_TRUE(r.function_error.empty()) << r.payload;
    EXPECT_GE(r.duration_ms, 399);
  }
  double wall_ms = std::chrono::duration<double, std::milli>(Clock::Real()->Now() - t0).count();
  EXPECT_LT(wall_ms, 6 * 400 * 0.75) << "the six sleeps did not overlap";
}

TEST_F(PlatformTest, LogStreamAndTail) {
  InvokeResult r = Call(platform_, "fail", R"({"message":"for the log"})", /*tail=*/true);
  ASSERT_TRUE(r.status.ok());
  EXPECT_NE(r.log_tail.find("START RequestId: " + r.request_id + " Version: $LATEST"), std::string::npos);
  EXPECT_NE(r.log_tail.find("fail: for the log"), std::string::npos) << r.log_tail;
  EXPECT_NE(r.log_tail.find("END RequestId: " + r.request_id), std::string::npos);
  EXPECT_NE(r.log_tail.find("REPORT RequestId: " + r.request_id + "\tDuration: "), std::string::npos);
  EXPECT_LE(r.log_tail.size(), 4096u);
  auto log = ReadFileToString(platform_->LogPath("fail"));
  ASSERT_TRUE(log.ok());
  size_t start = log->find("START RequestId: " + r.request_id);
  size_t out = log->find("fail: for the log", start);
  size_t end = log->find("END RequestId: " + r.request_id);
  ASSERT_NE(start, std::string::npos);
  EXPECT_LT(start, out);
  EXPECT_LT(out, end);
}

TEST_F(PlatformTest, CpuFollowsMemoryUnderACgroupQuota) {
  if (!platform_->isolation().cpu_cgroup) GTEST_SKIP() << "no cgroup cpu controller here";
  InvokeResult r = Call(platform_, "spin", R"({"ms":600})");
  ASSERT_TRUE(r.status.ok());
  double cpu_ms = Json(r.payload)["cpu_ms"];
  // 128 MB buys 128/1769 = 0.072 vCPU on Lambda: ~43 ms of CPU in 600 ms (CFS granularity
  // lets it overshoot by a period or so).
  EXPECT_LT(cpu_ms, 150) << r.payload;
  EXPECT_GT(cpu_ms, 10) << r.payload;
}

TEST_F(PlatformTest, ShellBootstrapFromAwsTutorialRunsUnmodified) {
  if (::access("/usr/bin/curl", X_OK) != 0) GTEST_SKIP() << "curl not installed";
  TempDir code("bootstrap");
  ASSERT_TRUE(WriteFileAtomic(code.Join("bootstrap"), kTutorialBootstrap).ok());
  ASSERT_TRUE(WriteFileAtomic(code.Join("function.sh"), kTutorialFunction).ok());
  ASSERT_EQ(::chmod(code.Join("bootstrap").c_str(), 0755), 0);
  FunctionSpec spec;
  spec.name = "shell";
  spec.kind = HandlerKind::kBootstrap;
  spec.code_dir = code.path();
  spec.handler = "function.handler";
  spec.memory_mb = 1024;
  spec.timeout_s = 20;
  ASSERT_TRUE(platform_->RegisterFunction(spec).ok());
  InvokeResult r = Call(platform_, "shell", R"({"text":"Hello"})", true);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.function_error.empty()) << r.payload << "\n" << r.log_tail;
  EXPECT_EQ(r.payload, R"(Echoing request: '{"text":"Hello"}')") << r.log_tail;
  EXPECT_TRUE(r.cold_start);
  InvokeResult warm = Call(platform_, "shell", R"({"text":"again"})");
  EXPECT_EQ(warm.payload, R"(Echoing request: '{"text":"again"}')");
  EXPECT_FALSE(warm.cold_start);
}

// A custom runtime that answers each event {"bytes":N} with a JSON string of exactly N bytes:
// no built-in handler returns more than it was sent, and the request and response limits are
// the same size, so only a handler that makes its response can cross the response limit.
const char* const kSizedResponseBootstrap = R"SH(#!/bin/sh
set -eu
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true
do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -D "$HEADERS" "$API/next")
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  N=$(printf '%s' "$EVENT" | tr -cd 0-9)
  BODY="$(mktemp)"
  { printf '"'; head -c $((N - 2)) /dev/zero | tr '\0' x; printf '"'; } > "$BODY"
  curl -sS -o /dev/null --data-binary @"$BODY" "$API/$REQUEST_ID/response"
  rm -f "$HEADERS" "$BODY"
done
)SH";

TEST_F(PlatformTest, ResponseOverTheProfileLimitFailsWithResponseSizeTooLarge) {
  if (::access("/usr/bin/curl", X_OK) != 0) GTEST_SKIP() << "curl not installed";
  auto profile = LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok()) << profile.status().ToString();
  const int64_t limit = profile->max_sync_response_bytes;  // 6 MB
  ASSERT_GT(limit, 2);
  TempDir code("sized");
  ASSERT_TRUE(WriteFileAtomic(code.Join("bootstrap"), kSizedResponseBootstrap).ok());
  ASSERT_EQ(::chmod(code.Join("bootstrap").c_str(), 0755), 0);
  FunctionSpec spec;
  spec.name = "sized";
  spec.kind = HandlerKind::kBootstrap;
  spec.code_dir = code.path();
  spec.handler = "sized.handler";
  spec.memory_mb = 1024;
  spec.timeout_s = 20;
  ASSERT_TRUE(platform_->RegisterFunction(spec).ok());

  // Exactly at the limit: delivered whole.
  InvokeResult at = Call(platform_, "sized", fmt::format(R"({{"bytes":{}}})", limit));
  ASSERT_TRUE(at.status.ok()) << at.status.ToString();
  EXPECT_TRUE(at.function_error.empty()) << at.payload.substr(0, 300);
  EXPECT_EQ(static_cast<int64_t>(at.payload.size()), limit);

  // One byte over: Lambda's Unhandled function error instead of the payload.
  InvokeResult over = Call(platform_, "sized", fmt::format(R"({{"bytes":{}}})", limit + 1));
  ASSERT_TRUE(over.status.ok()) << over.status.ToString();
  EXPECT_EQ(over.function_error, "Unhandled");
  ASSERT_LT(over.payload.size(), 1024u) << "the oversized response was passed through";
  auto j = Json(over.payload);
  EXPECT_EQ(j["errorType"], "Function.ResponseSizeTooLarge") << over.payload;
  EXPECT_EQ(j["errorMessage"],
            fmt::format("Response payload size ({} bytes) exceeded maximum allowed payload size "
                        "({} bytes).", limit + 1, limit))
      << over.payload;
  auto ledger = ReadLedger(platform_->LedgerPath());
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  int found = 0;
  for (const auto& rec : *ledger) {
    if (rec.request_id == at.request_id) {
      EXPECT_EQ(rec.outcome, Outcome::kSuccess);
    }
    if (rec.request_id != over.request_id) continue;
    ++found;
    EXPECT_EQ(rec.outcome, Outcome::kUnhandled);
    EXPECT_EQ(rec.error_type, "Function.ResponseSizeTooLarge");
    EXPECT_GT(rec.cost_usd, 0);  // the handler ran: billed like any failed invocation
  }
  EXPECT_EQ(found, 1);
}

TEST(PlatformKeepAlive, IdleInstanceExpiresOnTheInjectedClock) {
  TempDir dir("faas-keepalive");
  FakeClock clock;
  auto p = PlatformOnFakeClock(dir, &clock);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  FunctionSpec spec = Builtin("ka", "echo");
  spec.keep_alive = "fixed:60s";
  ASSERT_TRUE((*p)->RegisterFunction(spec).ok());
  EXPECT_TRUE(Call(p->get(), "ka", "{}").cold_start);
  clock.Advance(std::chrono::seconds(59));
  (*p)->RunMaintenance();
  EXPECT_EQ((*p)->GetFunction("ka")->instances, 1);
  EXPECT_FALSE(Call(p->get(), "ka", "{}").cold_start);  // warm; idle clock restarts
  clock.Advance(std::chrono::seconds(59));
  (*p)->RunMaintenance();
  EXPECT_EQ((*p)->GetFunction("ka")->instances, 1);
  clock.Advance(std::chrono::seconds(2));  // 61 s idle
  (*p)->RunMaintenance();
  EXPECT_EQ((*p)->GetFunction("ka")->instances, 0);  // scaled to zero
  InvokeResult again = Call(p->get(), "ka", "{}");
  ASSERT_TRUE(again.status.ok());
  EXPECT_TRUE(again.cold_start);
}

TEST(PlatformCapacity, QueuesForLocalCapacityAndThrottlesAtTheAccountLimit) {
  TempDir dir("faas-capacity");
  PlatformOptions o;
  o.state_dir = dir.path();
  o.local_cpus = 1;        // one 1,769 MB instance (1 vCPU) at a time
  o.max_concurrency = 3;
  o.spawn_mode = SpawnMode::kExec;  // and exercise plain exec instances
  auto p = Platform::Create(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE((*p)->RegisterFunction(Builtin("big", "sleep", 1769, 30)).ok());
  // Warm one instance first so queueing is not mixed with cold starts.
  ASSERT_TRUE(Call(p->get(), "big", R"({"ms":1})").status.ok());
  auto futures = (*p)->Map("big", {R"({"ms":300})", R"({"ms":300})", R"({"ms":300})"});
  InvokeResult throttled = Call(p->get(), "big", R"({"ms":1})");
  EXPECT_EQ(throttled.status.code(), Code::kResourceExhausted);
  EXPECT_NE(throttled.status.message().find("account concurrency"), std::string::npos);
  double max_queued = 0;
  for (auto& f : futures) {
    InvokeResult r = f.get();
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_TRUE(r.function_error.empty()) << r.payload;
    EXPECT_LT(r.duration_ms, 600) << "queueing leaked into duration";
    max_queued = std::max(max_queued, r.queued_ms);
  }
  EXPECT_GT(max_queued, 450);  // the third waited for two others
  EXPECT_EQ((*p)->GetFunction("big")->instances, 1);  // no second instance could fit
}

}  // namespace
}  // namespace sl::faas

namespace sl::faas {
namespace {

TEST_F(PlatformTest, ProvisionedInstancesAreWarmBeforeTheFirstCall) {
  FunctionSpec spec = Builtin("provisioned", "echo");
  spec.provisioned_concurrency = 2;
  ASSERT_TRUE(platform_->RegisterFunction(spec).ok());
  ASSERT_TRUE(WaitUntil([&] { return platform_->GetFunction("provisioned")->idle_instances == 2; }));
  InvokeResult r = Call(platform_, "provisioned", R"({"p":1})");
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.cold_start);
  EXPECT_EQ(r.payload, R"({"p":1})");
  platform_->RunMaintenance();  // provisioned instances never expire
  EXPECT_EQ(platform_->GetFunction("provisioned")->instances, 2);
}

TEST_F(PlatformTest, EventInvocationsAreAcceptedAndRetriedTwice) {
  FunctionSpec spec = Builtin("async-fail", "fail");
  ASSERT_TRUE(platform_->RegisterFunction(spec).ok());
  InvokeRequest req{"async-fail", R"({"message":"always"})", InvocationType::kEvent};
  InvokeResult accepted = platform_->Invoke(req).get();
  ASSERT_TRUE(accepted.status.ok());
  EXPECT_TRUE(accepted.payload.empty());
  // Three attempts in all (the first + two retries), each a ledger line.
  auto attempts = [&] {
    auto ledger = ReadLedger(platform_->LedgerPath());
    int n = 0;
    if (ledger.ok()) {
      for (const auto& rec : *ledger) n += rec.function == "async-fail";
    }
    return n;
  };
  // The event counts as pending until its last attempt has finished: then exactly three.
  EXPECT_TRUE(WaitUntil([&] { return platform_->GetFunction("async-fail")->events_pending == 0; }));
  EXPECT_EQ(attempts(), 3);
  EXPECT_EQ(platform_->GetFunction("async-fail")->inflight, 0);
}

TEST(PlatformWithoutCgroups, MemoryLimitFallsBackToRssPolling) {
  TempDir dir("faas-nocg");
  PlatformOptions o;
  o.state_dir = dir.path();
  o.use_cgroups = false;
  o.maintenance_interval = milliseconds(20);
  auto p = Platform::Create(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_FALSE((*p)->isolation().memory_cgroup);
  EXPECT_EQ((*p)->isolation().memory_method, "rss-poll");
  EXPECT_EQ((*p)->isolation().cpu_method, "none");
  ASSERT_TRUE((*p)->RegisterFunction(Builtin("alloc", "alloc", 128, 20)).ok());
  InvokeResult r = Call(p->get(), "alloc", R"({"mb":400,"hold_ms":5000})");
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(Json(r.payload)["errorType"], "Runtime.OutOfMemory") << r.payload;
  EXPECT_LT(r.duration_ms, 4000);  // killed by the poll, not finished
  // Without a CPU quota the ledger says so.
  auto ledger = ReadLedger((*p)->LedgerPath());
  ASSERT_TRUE(ledger.ok());
  ASSERT_FALSE(ledger->empty());
  EXPECT_FALSE(ledger->back().cpu_enforced);
  EXPECT_EQ(ledger->back().outcome, Outcome::kOutOfMemory);
}

}  // namespace
}  // namespace sl::faas

namespace sl::faas {
namespace {

// Hybrid histogram policy (Shahrad et al.): with a regular 5-minute inter-arrival pattern the
// platform unloads the instance right after each call and pre-warms one just before the next.
TEST(PlatformKeepAlive, HybridPolicyUnloadsAndPreWarmsBeforeTheNextArrival) {
  TempDir dir("faas-hybrid");
  FakeClock clock;
  auto p = PlatformOnFakeClock(dir, &clock);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  FunctionSpec spec = Builtin("periodic", "echo");
  spec.keep_alive = "hybrid";
  ASSERT_TRUE((*p)->RegisterFunction(spec).ok());
  auto settled = [&] {  // no instance still initialising
    auto info = (*p)->GetFunction("periodic");
    return info->instances == info->idle_instances;
  };
  for (int i = 0; i < 12; ++i) {  // build the idle-time histogram: 12 idle times of 5 min
    ASSERT_TRUE(Call(p->get(), "periodic", "{}").status.ok());
    clock.Advance(std::chrono::minutes(5));
    (*p)->RunMaintenance();
    ASSERT_TRUE(WaitUntil(settled));
  }
  ASSERT_TRUE(Call(p->get(), "periodic", "{}").status.ok());
  (*p)->RunMaintenance();  // idle starts: the policy says pre-warm, so unload now
  EXPECT_EQ((*p)->GetFunction("periodic")->instances, 0);
  clock.Advance(std::chrono::minutes(4) + std::chrono::seconds(40));  // past 5 min * (1 - 10%)
  (*p)->RunMaintenance();  // pre-warm
  EXPECT_EQ((*p)->GetFunction("periodic")->instances, 1);
  ASSERT_TRUE(WaitUntil(settled));
  clock.Advance(std::chrono::seconds(20));
  InvokeResult r = Call(p->get(), "periodic", "{}");
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.cold_start) << "the pre-warmed instance should have served the arrival";
}

}  // namespace
}  // namespace sl::faas

namespace sl::faas {
namespace {

TEST_F(PlatformTest, MetricsCountInvocationsColdStartsErrorsAndThrottles) {
  FunctionSpec spec = Builtin("metered", "fail");
  spec.reserved_concurrency = 1;
  ASSERT_TRUE(platform_->RegisterFunction(spec).ok());
  auto running = platform_->Invoke({"metered", R"({"message":"m"})"});
  InvokeResult throttled = Call(platform_, "metered", "{}");
  EXPECT_EQ(throttled.status.code(), Code::kResourceExhausted);
  ASSERT_TRUE(running.get().status.ok());
  ASSERT_TRUE(Call(platform_, "metered", R"({"message":"m"})").status.ok());
  std::string text = MetricsRegistry::Default()->Render();
  EXPECT_NE(text.find(R"(sl_faas_invocations_total{function="metered",outcome="handled_error"} 2)"),
            std::string::npos) << text;
  EXPECT_NE(text.find(R"(sl_faas_invocations_total{function="metered",outcome="throttled"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(sl_faas_errors_total{function="metered",error_type="HandlerError"} 2)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(sl_faas_throttles_total{function="metered"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(sl_faas_cold_starts_total{function="metered"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(sl_faas_warm_instances{function="metered"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(sl_faas_duration_seconds_count{function="metered"} 2)"), std::string::npos);
  // The cost counter is what the ledger billed (issue 19: the dashboard's cost so far).
  auto ledger = ReadLedger(platform_->LedgerPath());
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  double billed = 0;
  for (const auto& r : *ledger) billed += r.function == "metered" ? r.cost_usd : 0;
  EXPECT_GT(billed, 0);
  const std::string cost = R"(sl_faas_cost_usd_total{function="metered",provider=")" + spec.provider + "\"} ";
  const size_t at = text.find(cost);
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_NEAR(std::stod(text.substr(at + cost.size())), billed, 1e-12);
}

}  // namespace
}  // namespace sl::faas

namespace sl::faas {
namespace {

// Cloud Run functions can serve up to 1,000 requests per instance when configured; the shipped
// profile records the default (1), so this test derives a profile allowing 4.
TEST_F(PlatformTest, InstanceConcurrencyServesSeveralRequestsOnOneInstance) {
  auto text = ReadFileToString(ProviderProfilesDir() + "/gcp-cloud-run-functions.yaml");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const std::string from = "max_concurrency_per_instance: {value: 1,";
  size_t at = text->find(from);
  ASSERT_NE(at, std::string::npos);
  text->replace(at, from.size(), "max_concurrency_per_instance: {value: 4,");
  TempDir profiles("profiles");
  std::string path = profiles.Join("gcp-cloud-run-functions.yaml");
  ASSERT_TRUE(WriteFileAtomic(path, *text).ok());
  FunctionSpec spec = Builtin("shared", "sleep", 1024, 30);
  spec.provider = path;
  spec.instance_concurrency = 4;
  Status registered = platform_->RegisterFunction(spec);
  ASSERT_TRUE(registered.ok()) << registered.ToString();
  ASSERT_TRUE(Call(platform_, "shared", R"({"ms":1})").status.ok());  // one warm instance
  auto t0 = Clock::Real()->Now();
  auto futures = platform_->Map("shared", std::vector<std::string>(4, R"({"ms":500})"));
  std::set<int> pids;
  for (auto& f : futures) {
    InvokeResult r = f.get();
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    ASSERT_TRUE(r.function_error.empty()) << r.payload;
    EXPECT_FALSE(r.cold_start);
    pids.insert(Json(r.payload)["pid"].get<int>());
  }
  double wall_ms = std::chrono::duration<double, std::milli>(Clock::Real()->Now() - t0).count();
  EXPECT_EQ(pids.size(), 1u) << "all four ran in the same instance";
  EXPECT_LT(wall_ms, 1500) << "the four requests did not overlap";
  EXPECT_EQ(platform_->GetFunction("shared")->instances, 1);
}

TEST_F(PlatformTest, AFailedColdStartCountsAsAColdStart) {
  InvokeResult r = Call(platform_, "init-error", "{}");
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(r.cold_start);
  const std::string text = MetricsRegistry::Default()->Render();
  EXPECT_EQ(text.find(R"(sl_faas_cold_starts_total{function="init-error"} 0)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(sl_faas_cold_starts_total{function="init-error"})"), std::string::npos) << text;
}

// The first call on a new platform waits for its template process to boot (libtorch): that is
// platform start, reported apart, not "queued for local capacity" on an idle machine.
TEST(PlatformStart, TheTemplateBootIsPlatformStartNotQueueing) {
  TempDir dir("faas-start");
  PlatformOptions o;
  o.state_dir = dir.path();
  auto p = Platform::Create(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE((*p)->RegisterFunction(Builtin("echo", "echo")).ok());
  InvokeResult first = Call(p->get(), "echo", "{}");
  ASSERT_TRUE(first.status.ok()) << first.status.ToString();
  EXPECT_LT(first.queued_ms, 100) << "platform start " << first.platform_start_ms << " ms";
  EXPECT_GT(first.platform_start_ms, 0);
  InvokeResult second = Call(p->get(), "echo", "{}");
  EXPECT_EQ(second.platform_start_ms, 0);
}

// Exec'ing the worker at 128 MB (0.07 vCPU on Lambda) loads libtorch: ~0.7 CPU-seconds, which
// took ~10 s at the size's share and failed INIT. INIT runs at a full vCPU; the call at the share.
TEST(PlatformExec, ABuiltinAt128MbStartsByExecAndRunsAtItsShareAfterInit) {
  TempDir dir("faas-exec");
  PlatformOptions o;
  o.state_dir = dir.path();
  o.spawn_mode = SpawnMode::kExec;
  o.torch_free_template = false;  // exec the libtorch-linked worker, the case this is about
  auto p = Platform::Create(o);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE((*p)->RegisterFunction(Builtin("spin", "spin")).ok());
  InvokeResult r = Call(p->get(), "spin", R"({"ms":600})");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.outcome, Outcome::kSuccess) << r.payload;
  if (!(*p)->isolation().cpu_cgroup) GTEST_SKIP() << "no cgroup cpu controller here";
  EXPECT_LT(r.init_ms, 5000);
  const double cpu_ms = Json(r.payload)["cpu_ms"];
  EXPECT_LT(cpu_ms, 150) << r.payload;  // 0.072 vCPU of 600 ms, as in CpuFollowsMemoryUnderACgroupQuota
}

}  // namespace
}  // namespace sl::faas

namespace sl::faas {
namespace {

// The "Runtime Version" of a function's INIT_START log lines (the worker its instance runs).
std::string RuntimeVersionOf(Platform* p, const std::string& function) {
  std::string log = ReadFileToString(p->LogPath(function)).value_or("");
  const std::string key = "Runtime Version: ";
  size_t at = log.find(key);
  if (at == std::string::npos) return "(no INIT_START in " + function + ".log)";
  at += key.size();
  return log.substr(at, log.find(' ', at) - at);
}

// Built-in handlers start from the template of straightline-worker-base, which loads no libtorch
// (issue 17: a one-shot `invoke sleep` paid ~0.35 s for it); a handler only straightline-worker
// has (an ML one) from that worker's template; torch_free_template = false puts every function
// on the worker's.
TEST(PlatformTemplates, BuiltinsStartFromTheTorchFreeWorkerAndMlHandlersFromTheWorker) {
  for (bool torch_free : {true, false}) {
    SCOPED_TRACE(torch_free ? "torch_free_template" : "one template");
    TempDir dir("faas-templates");
    PlatformOptions o;
    o.state_dir = dir.path();
    o.torch_free_template = torch_free;
    auto p = Platform::Create(o);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    ASSERT_TRUE((*p)->RegisterFunction(Builtin("echo", "echo")).ok());
    ASSERT_TRUE((*p)->RegisterFunction(Builtin("shard", "train-shard", 512)).ok());
    InvokeResult e = Call(p->get(), "echo", R"({"a":1})");
    ASSERT_TRUE(e.status.ok()) << e.status.ToString();
    EXPECT_EQ(e.payload, R"({"a":1})");
    InvokeResult s = Call(p->get(), "shard", "{}");  // a bad request: the handler answers an error
    ASSERT_TRUE(s.status.ok()) << s.status.ToString();
    (*p)->Shutdown();
    EXPECT_EQ(RuntimeVersionOf(p->get(), "echo"), torch_free ? "straightline-worker-base" : "straightline-worker");
    EXPECT_EQ(RuntimeVersionOf(p->get(), "shard"), "straightline-worker");
  }
}

}  // namespace
}  // namespace sl::faas
