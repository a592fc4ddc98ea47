#include "runtime/handler_registry.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "runtime/builtin_handlers.h"

namespace sl::runtime {
namespace {

TEST(HandlerRegistry, RegisterFindAndRejectDuplicates) {
  HandlerRegistry reg;
  ASSERT_TRUE(reg.Register("a", [](const InvocationRequest&) {
    return InvocationResponse::Success("1");
  }).ok());
  EXPECT_EQ(reg.Register("a", [](const InvocationRequest&) {
    return InvocationResponse::Success("2");
  }).code(), Code::kAlreadyExists);
  ASSERT_NE(reg.Find("a"), nullptr);
  EXPECT_EQ(reg.Find("a")->handler(InvocationRequest{}).payload, "1");
  EXPECT_EQ(reg.Find("b"), nullptr);
}

TEST(HandlerRegistry, FailureIsLambdaErrorJson) {
  auto r = InvocationResponse::Failure("boom", "MyError");
  EXPECT_FALSE(r.success);
  auto j = nlohmann::json::parse(r.payload);
  EXPECT_EQ(j["errorMessage"], "boom");
  EXPECT_EQ(j["errorType"], "MyError");
  EXPECT_TRUE(j["stackTrace"].is_array());
}

TEST(HandlerRegistry, RemainingTimeFollowsTheDeadline) {
  InvocationRequest req;
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 Clock::Real()->WallNow().time_since_epoch()).count();
  req.deadline_ms = now + 5000;
  EXPECT_GT(req.RemainingTime().count(), 4000);
  EXPECT_LE(req.RemainingTime().count(), 5000);
}

TEST(BuiltinHandlers, BehaveAsDocumented) {
  HandlerRegistry reg;
  ASSERT_TRUE(RegisterBuiltinHandlers(&reg).ok());
  for (const char* name : {"noop", "echo", "sleep", "fail", "crash", "alloc", "env", "spin", "init-error"}) {
    EXPECT_NE(reg.Find(name), nullptr) << name;
  }
  InvocationRequest req;
  req.payload = R"({"x":1})";
  EXPECT_EQ(reg.Find("echo")->handler(req).payload, R"({"x":1})");
  EXPECT_EQ(reg.Find("noop")->handler(req).payload, "{}");
  req.payload = R"({"message":"nope"})";
  auto f = reg.Find("fail")->handler(req);
  EXPECT_FALSE(f.success);
  EXPECT_EQ(f.error_type, "HandlerError");
  req.payload = R"({"mb":8})";
  EXPECT_EQ(nlohmann::json::parse(reg.Find("alloc")->handler(req).payload)["allocated_mb"], 8);
  req.payload = R"({"ms":5})";
  auto s = nlohmann::json::parse(reg.Find("sleep")->handler(req).payload);
  EXPECT_EQ(s["slept_ms"], 5);
  EXPECT_EQ(s["pid"], static_cast<int>(::getpid()));
  EXPECT_FALSE(reg.Find("init-error")->init().ok());
}

}  // namespace
}  // namespace sl::runtime
