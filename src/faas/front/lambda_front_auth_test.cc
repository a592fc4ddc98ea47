// LambdaFront with SigV4 verification on, over real HTTP: signed requests pass, wrong or missing
// signatures get Lambda's 403s before any routing; /healthz stays open; /metrics follows
// metrics_open. Requests are signed with common/sigv4.h the way the AWS SDKs sign (path encoded
// twice); the SDKs themselves are exercised by awscli_test.cc and js_sdk_test.cc.
#include "faas/front/lambda_front.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/http_client.h"
#include "common/sha256.h"
#include "faas/front/scripted_invoker.h"

namespace sl::faas {
namespace {

const AwsCredentials kGood{"AKIDSERVER", "server-secret", ""};

class LambdaFrontAuthTest : public ::testing::Test {
 protected:
  void Start(bool metrics_open = false) {
    invoker_ = ScriptedInvoker::WithStandardFunctions();
    SigV4VerifierOptions vo;
    vo.clock = &clock_;
    auto verifier = SigV4Verifier::Create({kGood}, vo);
    ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
    FrontOptions o;
    o.metrics = &registry_;
    o.events.workers = 0;
    o.auth = std::move(verifier).value();
    o.metrics_open = metrics_open;
    o.list_functions = [] {
      return std::vector<FunctionSummary>{{"echo", "straightline-builtin", "echo", "", 128, 3}};
    };
    auto front = LambdaFront::Start(invoker_.get(), o);
    ASSERT_TRUE(front.ok()) << front.status().ToString();
    front_ = std::move(front).value();
  }
  void TearDown() override {
    if (front_) front_->Stop();
  }

  // Sends `method path` signed with `creds` at `when` (x-amz-date), as an SDK would.
  Result<HttpResponse> Send(const std::string& method, const std::string& encoded_path,
                            const std::string& body, const AwsCredentials& creds,
                            std::optional<WallTime> when = std::nullopt) {
    SigV4Request s;
    s.method = method;
    s.encoded_path = encoded_path;
    s.headers["host"] = "127.0.0.1:" + std::to_string(front_->port());
    s.payload_sha256 = Sha256Hex(body);
    s.uri_escape_path = true;
    std::string auth = SignV4(s, creds, "us-east-1", "lambda", when.value_or(clock_.WallNow()));
    HttpHeaders h;
    for (const auto& [k, v] : s.headers) {
      if (k != "host") h.Set(k, v);
    }
    h.Set("Authorization", auth);
    return client_.Send(method, front_->endpoint() + encoded_path, body, h);
  }

  static std::string ErrorType(const HttpResponse& r) {
    return std::string(r.headers.Get("x-amzn-ErrorType"));
  }

  FakeClock clock_;
  MetricsRegistry registry_;
  std::unique_ptr<ScriptedInvoker> invoker_;
  std::unique_ptr<LambdaFront> front_;
  HttpClient client_;
};

TEST_F(LambdaFrontAuthTest, SignedInvokeOfAQualifiedArnSucceeds) {
  Start();
  auto r = Send("POST",
                "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3A"
                "echo%3A%24LATEST/invocations",
                R"({"a":1})", kGood);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->body, R"({"a":1})");
  auto list = Send("GET", "/2015-03-31/functions/", "", kGood);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->status, 200) << list->body;
}

TEST_F(LambdaFrontAuthTest, WrongSecretUnknownKeyAndNoSignatureAre403sWithLambdasTypes) {
  Start();
  std::string path = "/2015-03-31/functions/echo/invocations";
  auto wrong = Send("POST", path, "{}", {"AKIDSERVER", "guess", ""});
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->status, 403);
  EXPECT_EQ(ErrorType(*wrong), "InvalidSignatureException");

  auto unknown = Send("POST", path, "{}", {"AKIDSTRANGER", "server-secret", ""});
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->status, 403);
  EXPECT_EQ(ErrorType(*unknown), "UnrecognizedClientException");
  EXPECT_EQ(nlohmann::json::parse(unknown->body)["message"],
            "The security token included in the request is invalid.");

  auto none = client_.Post(front_->endpoint() + path, "{}");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->status, 403);
  EXPECT_EQ(ErrorType(*none), "MissingAuthenticationTokenException");

  // Refused before routing: a missing function or an unknown path looks the same.
  auto nowhere = client_.Get(front_->endpoint() + "/2015-03-31/functions/nope");
  ASSERT_TRUE(nowhere.ok());
  EXPECT_EQ(nowhere->status, 403);
  EXPECT_EQ(invoker_->calls("echo"), 0);
  EXPECT_NE(registry_.Render().find("sl_front_auth_failures_total{reason=\"unknown-access-key\"} 1"),
            std::string::npos);
}

TEST_F(LambdaFrontAuthTest, ExpiredSignatureSaysSoAndTamperedBodyIsRejected) {
  Start();
  std::string path = "/2015-03-31/functions/echo/invocations";
  auto old = Send("POST", path, "{}", kGood, clock_.WallNow() - std::chrono::minutes(6));
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->status, 403);
  EXPECT_EQ(ErrorType(*old), "InvalidSignatureException");
  EXPECT_EQ(nlohmann::json::parse(old->body)["message"].get<std::string>().rfind(
                "Signature expired: ", 0),
            0u)
      << old->body;
  // The server's time comes back, for the SDKs' clock-skew correction.
  EXPECT_EQ(old->headers.Get("Date"), HttpDate(clock_.WallNow()));
  EXPECT_EQ(HttpDate(WallTime(std::chrono::seconds(1796612400))), "Mon, 07 Dec 2026 03:00:00 GMT");

  // Same signature, different body: x-amz-content-sha256 no longer matches.
  SigV4Request s;
  s.method = "POST";
  s.encoded_path = path;
  s.headers["host"] = "127.0.0.1:" + std::to_string(front_->port());
  s.payload_sha256 = Sha256Hex("{}");
  s.uri_escape_path = true;
  std::string auth = SignV4(s, kGood, "us-east-1", "lambda", clock_.WallNow());
  HttpHeaders h;
  for (const auto& [k, v] : s.headers) {
    if (k != "host") h.Set(k, v);
  }
  h.Set("Authorization", auth);
  auto tampered = client_.Post(front_->endpoint() + path, R"({"evil":1})", h);
  ASSERT_TRUE(tampered.ok());
  EXPECT_EQ(tampered->status, 403);
  EXPECT_EQ(invoker_->calls("echo"), 0);
}

TEST_F(LambdaFrontAuthTest, HealthzIsAlwaysOpenMetricsOnlyWhenConfigured) {
  Start(/*metrics_open=*/false);
  auto health = client_.Get(front_->endpoint() + "/healthz");
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status, 200);
  auto metrics = client_.Get(front_->endpoint() + "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 403);
  auto signed_metrics = Send("GET", "/metrics", "", kGood);
  ASSERT_TRUE(signed_metrics.ok());
  EXPECT_EQ(signed_metrics->status, 200);
  front_->Stop();

  Start(/*metrics_open=*/true);
  auto open = client_.Get(front_->endpoint() + "/metrics");
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->status, 200);
  auto invoke = client_.Post(front_->endpoint() + "/2015-03-31/functions/echo/invocations", "{}");
  ASSERT_TRUE(invoke.ok());
  EXPECT_EQ(invoke->status, 403);  // opening /metrics opens nothing else
}

}  // namespace
}  // namespace sl::faas
