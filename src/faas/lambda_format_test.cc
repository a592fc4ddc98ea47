#include "faas/lambda_format.h"

#include <signal.h>

#include <regex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sl::faas {
namespace {

TEST(LambdaFormat, RequestIdIsUuidV4) {
  std::regex uuid("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::string a = RandomRequestId();
  EXPECT_TRUE(std::regex_match(a, uuid)) << a;
  EXPECT_NE(a, RandomRequestId());
}

TEST(LambdaFormat, LogLinesMatchLambda) {
  EXPECT_EQ(StartLine("abc"), "START RequestId: abc Version: $LATEST\n");
  EXPECT_EQ(EndLine("abc"), "END RequestId: abc\n");
  ReportFields f;
  f.duration_ms = 12.345;
  f.billed_ms = 13;
  f.memory_mb = 128;
  f.max_memory_used_mb = 18;
  EXPECT_EQ(ReportLine("abc", f),
            "REPORT RequestId: abc\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 "
            "MB\tMax Memory Used: 18 MB\n");
  f.init_ms = 120.5;
  f.status = "timeout";
  EXPECT_EQ(ReportLine("abc", f),
            "REPORT RequestId: abc\tDuration: 12.35 ms\tBilled Duration: 13 ms\tMemory Size: 128 "
            "MB\tMax Memory Used: 18 MB\tInit Duration: 120.50 ms\tStatus: timeout\n");
}

TEST(LambdaFormat, TimeoutErrorNamesRequestAndSeconds) {
  WallTime t{};  // 1970-01-01T00:00:00.000Z
  auto j = nlohmann::json::parse(TimeoutErrorJson(t, "rid", 3));
  EXPECT_EQ(j["errorMessage"], "1970-01-01T00:00:00.000Z rid Task timed out after 3.00 seconds");
  EXPECT_EQ(j["errorType"], "Sandbox.Timedout");
}

TEST(LambdaFormat, ExitErrorsDescribeTheWaitStatus) {
  int killed = SIGKILL;         // WIFSIGNALED, no core
  int exited = 3 << 8;          // WIFEXITED, status 3
  EXPECT_EQ(DescribeWaitStatus(killed), "signal: killed");
  EXPECT_EQ(DescribeWaitStatus(exited), "exit status 3");
  auto j = nlohmann::json::parse(ExitErrorJson("rid", killed));
  EXPECT_EQ(j["errorMessage"], "RequestId: rid Error: Runtime exited with error: signal: killed");
  EXPECT_EQ(j["errorType"], "Runtime.ExitError");
  EXPECT_EQ(nlohmann::json::parse(OutOfMemoryErrorJson("rid"))["errorType"], "Runtime.OutOfMemory");
}

TEST(LambdaFormat, ArnAndStreamName) {
  EXPECT_EQ(FunctionArn("us-east-1", "f"), "arn:aws:lambda:us-east-1:000000000000:function:f");
  WallTime t{};
  EXPECT_EQ(LogStreamName(t, "ab12"), "1970/01/01/[$LATEST]ab12");
  std::string trace = RandomTraceId(t);
  EXPECT_EQ(trace.rfind("Root=1-00000000-", 0), 0u) << trace;
}

}  // namespace
}  // namespace sl::faas
