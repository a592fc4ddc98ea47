// LambdaHost's SigV4: the request as it arrives on the wire verifies under the canonical-request
// rules (common/sigv4_verifier.h, itself checked against botocore-signed requests), including an
// ARN name whose ':' is sent as %3A and signed double-encoded; and against the Lambda front with
// verification on, the right keys pass and wrong ones get PERMISSION_DENIED.
#include <gtest/gtest.h>

#include "common/sigv4_verifier.h"
#include "faas/front/lambda_front.h"
#include "faas/front/scripted_invoker.h"
#include "faas/remote/lambda_host.h"
#include "faas/remote/remote_test_util.h"

namespace sl::faas {
namespace {

using testing::NoSleepClock;
using testing::ScriptedServer;

const AwsCredentials kServer{"AKIDSERVER", "server-secret", ""};

LambdaHostOptions Options(const std::string& endpoint, const AwsCredentials& creds, Clock* clock) {
  LambdaHostOptions o;
  o.endpoint_url = endpoint;
  o.region = "eu-west-1";
  o.credentials = creds;
  o.clock = clock;
  o.env = MapEnv({});
  o.retry.initial_backoff = std::chrono::milliseconds(1);
  o.retry.max_attempts = 2;
  return o;
}

TEST(LambdaSignature, WireRequestVerifies) {
  ScriptedServer server({HttpResponse::Json(200, "1")});
  NoSleepClock clock;
  AwsCredentials with_token = kServer;
  with_token.session_token = "FQoGZXIvYXdzE-token";
  auto host = LambdaHost::Create(Options(server.url(), with_token, &clock));
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  InvokeRequest req;
  req.function = "arn:aws:lambda:eu-west-1:123456789012:function:my-fn:$LATEST";
  req.payload = R"({"k":"v w"})";
  ASSERT_TRUE((*host)->Invoke(req).get().status.ok());
  ASSERT_EQ(server.requests(), 1);
  HttpRequest got = server.request(0);
  EXPECT_EQ(got.target, "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aeu-west-1%3A123456789012%3Afunction%3Amy-fn%3A%24LATEST/invocations");
  std::string auth(got.headers.Get("Authorization"));
  EXPECT_TRUE(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDSERVER/")) << auth;
  EXPECT_NE(auth.find("/eu-west-1/lambda/aws4_request"), std::string::npos) << auth;
  for (const char* h : {"host", "x-amz-date", "x-amz-invocation-type", "x-amz-log-type", "x-amz-security-token"}) {
    EXPECT_NE(auth.find(h), std::string::npos) << "not signed: " << h << " in " << auth;
  }
  EXPECT_EQ(got.headers.Get("x-amz-security-token"), "FQoGZXIvYXdzE-token");

  SigV4VerifierOptions vo;
  vo.service = "lambda";
  auto verifier = SigV4Verifier::Create({kServer}, vo);
  ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
  SigV4Verdict v = (*verifier)->Verify(got);
  EXPECT_TRUE(v.ok()) << SigV4FailureName(v.failure) << ": " << v.message;

  // Tampering with the body or a signed header breaks it.
  HttpRequest tampered = got;
  tampered.body = R"({"k":"v x"})";
  EXPECT_EQ((*verifier)->Verify(tampered).failure, SigV4Failure::kSignatureMismatch);
  tampered = got;
  tampered.headers.Set("x-amz-invocation-type", "Event");
  EXPECT_EQ((*verifier)->Verify(tampered).failure, SigV4Failure::kSignatureMismatch);
}

class FrontAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    invoker_ = ScriptedInvoker::WithStandardFunctions();
    auto verifier = SigV4Verifier::Create({kServer});
    ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
    FrontOptions o;
    o.metrics = &registry_;
    o.events.workers = 0;
    o.auth = std::move(verifier).value();
    auto front = LambdaFront::Start(invoker_.get(), o);
    ASSERT_TRUE(front.ok()) << front.status().ToString();
    front_ = std::move(front).value();
  }
  void TearDown() override { front_->Stop(); }
  InvokeResult Invoke(const AwsCredentials& creds) {
    auto host = LambdaHost::Create(Options(front_->endpoint(), creds, &clock_));
    EXPECT_TRUE(host.ok()) << host.status().ToString();
    InvokeRequest req;
    req.function = "echo";
    req.payload = R"({"a":1})";
    return (*host)->Invoke(req).get();
  }
  NoSleepClock clock_;
  MetricsRegistry registry_;
  std::unique_ptr<ScriptedInvoker> invoker_;
  std::unique_ptr<LambdaFront> front_;
};

TEST_F(FrontAuthTest, RightKeysPass) {
  InvokeResult r = Invoke(kServer);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.payload, R"({"a":1})");
}

TEST_F(FrontAuthTest, WrongSecretIsPermissionDenied) {
  InvokeResult r = Invoke({"AKIDSERVER", "wrong-secret", ""});
  EXPECT_EQ(r.status.code(), Code::kPermissionDenied) << r.status.ToString();
  EXPECT_NE(r.status.message().find("InvalidSignatureException"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("check the credentials"), std::string::npos);
  EXPECT_EQ(invoker_->calls("echo"), 0);
  EXPECT_EQ(clock_.sleeps(), 0);  // not retried
}

TEST_F(FrontAuthTest, UnknownKeyIsPermissionDenied) {
  InvokeResult r = Invoke({"AKIDSTRANGER", "server-secret", ""});
  EXPECT_EQ(r.status.code(), Code::kPermissionDenied) << r.status.ToString();
  EXPECT_NE(r.status.message().find("UnrecognizedClientException"), std::string::npos) << r.status.message();
}

}  // namespace
}  // namespace sl::faas
