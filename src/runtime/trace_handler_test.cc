#include "runtime/trace_handler.h"

#include <chrono>
#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/builtin_handlers.h"

namespace sl::runtime {
namespace {

InvocationRequest Req(const std::string& payload) {
  InvocationRequest r;
  r.payload = payload;
  return r;
}

// VmRSS of this process in MiB (the memory a trace function's instance really holds).
int64_t RssMb() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  int64_t kb = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
  }
  std::fclose(f);
  return kb < 0 ? -1 : kb / 1024;
}

TEST(TraceHandlerTest, RunsForTheDurationOnTheClockAndTouchesTheMemory) {
  FakeClock clock;
  const TimePoint t0 = clock.Now();
  const int64_t rss0 = RssMb();
  InvocationResponse r = RunTraceHandler(Req(R"({"ms": 250, "mb": 24})"), &clock);
  ASSERT_TRUE(r.success) << r.payload;
  // The fake clock does not move while touching, so the wait is the whole 250 ms.
  EXPECT_EQ(clock.Now() - t0, std::chrono::milliseconds(250));
  auto j = nlohmann::json::parse(r.payload);
  EXPECT_EQ(j["mb"], 24);
  EXPECT_DOUBLE_EQ(j["ran_ms"].get<double>(), 250.0);
  EXPECT_GE(TraceHandlerResidentMb(), 24);
  EXPECT_GE(RssMb() - rss0, 20) << "the 24 MiB were not touched (RSS " << rss0 << " -> " << RssMb() << " MiB)";
}

TEST(TraceHandlerTest, KeepsTheBufferBetweenCallsAndGrowsIt) {
  FakeClock clock;
  ASSERT_TRUE(RunTraceHandler(Req(R"({"mb": 8})"), &clock).success);
  const int64_t held = TraceHandlerResidentMb();
  EXPECT_GE(held, 8);
  ASSERT_TRUE(RunTraceHandler(Req(R"({"mb": 2})"), &clock).success);
  EXPECT_EQ(TraceHandlerResidentMb(), held) << "a smaller call must not shrink the instance's memory";
  ASSERT_TRUE(RunTraceHandler(Req(R"({"mb": 40.5})"), &clock).success);
  EXPECT_EQ(TraceHandlerResidentMb(), 41);  // rounded up to whole MiB
}

TEST(TraceHandlerTest, RealClockRunsAtLeastTheDuration) {
  const TimePoint t0 = Clock::Real()->Now();
  InvocationResponse r = RunTraceHandler(Req(R"({"ms": 15, "mb": 1})"), Clock::Real());
  ASSERT_TRUE(r.success) << r.payload;
  EXPECT_GE(Clock::Real()->Now() - t0, std::chrono::milliseconds(15));
  auto spin = RunTraceHandler(Req(R"({"ms": 5, "spin": true})"), Clock::Real());
  ASSERT_TRUE(spin.success) << spin.payload;
  EXPECT_GE(nlohmann::json::parse(spin.payload)["ran_ms"].get<double>(), 5.0);
}

TEST(TraceHandlerTest, BadPayloadsAreHandledErrorsNamingTheField) {
  FakeClock clock;
  struct Case {
    const char* payload;
    const char* says;
  } cases[] = {{"[1]", "not a JSON object"},
               {"nope", "not a JSON object"},
               {R"({"ms": -1})", "'ms' must be >= 0"},
               {R"({"mb": "big"})", "'mb' is not a number"},
               {R"({"mb": 20000})", "over 10240 MiB"}};
  for (const auto& c : cases) {
    InvocationResponse r = RunTraceHandler(Req(c.payload), &clock);
    EXPECT_FALSE(r.success) << c.payload;
    EXPECT_EQ(r.error_type, "HandlerError") << c.payload;
    EXPECT_NE(r.payload.find(c.says), std::string::npos) << c.payload << ": " << r.payload;
  }
}

TEST(TraceHandlerTest, InitTouchesTheMemoryTheEnvironmentNames) {
  ::setenv("STRAIGHTLINE_TRACE_MB", "60", 1);
  EXPECT_TRUE(TraceHandlerInit().ok());
  EXPECT_GE(TraceHandlerResidentMb(), 60);
  ::setenv("STRAIGHTLINE_TRACE_MB", "lots", 1);
  Status bad = TraceHandlerInit();
  EXPECT_EQ(bad.code(), Code::kInvalidArgument);
  EXPECT_NE(bad.message().find("STRAIGHTLINE_TRACE_MB 'lots'"), std::string::npos) << bad.ToString();
  ::unsetenv("STRAIGHTLINE_TRACE_MB");
  EXPECT_TRUE(TraceHandlerInit().ok());
}

TEST(TraceHandlerTest, IsABuiltinHandler) {
  HandlerRegistry registry;
  ASSERT_TRUE(RegisterBuiltinHandlers(&registry).ok());
  const auto* e = registry.Find("trace");
  ASSERT_NE(e, nullptr);
  InvocationResponse r = e->handler(Req(R"({"ms": 1, "mb": 1})"));
  EXPECT_TRUE(r.success) << r.payload;
}

}  // namespace
}  // namespace sl::runtime
