#include "common/sigv4_verifier.h"

#include <gtest/gtest.h>

#include "common/sha256.h"

namespace sl {
namespace {

const AwsCredentials kCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const AwsCredentials kOther{"AKIDOTHER", "other-secret", ""};

// 2026-12-07T03:00:00Z: the time botocore's request below was signed at.
WallTime SignTime() { return WallTime(std::chrono::seconds(1796612400)); }

class SigV4VerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.Advance(SignTime() - clock_.WallNow());
    SigV4VerifierOptions o;
    o.clock = &clock_;
    auto v = SigV4Verifier::Create({kCreds, kOther}, o);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    verifier_ = std::move(v).value();
  }

  // An Invoke request as a client sends it, signed with `creds` by SignV4 at `when`.
  static HttpRequest Signed(const AwsCredentials& creds, WallTime when = SignTime(),
                            std::string body = "{\"a\":1}") {
    SigV4Request s;
    s.method = "POST";
    s.encoded_path = "/2015-03-31/functions/fn%3A%24LATEST/invocations";
    s.query = {{"Qualifier", "$LATEST"}};
    s.headers["host"] = "127.0.0.1:9000";
    s.headers["x-amz-invocation-type"] = "RequestResponse";
    s.payload_sha256 = Sha256Hex(body);
    s.uri_escape_path = true;
    std::string auth = SignV4(s, creds, "us-east-1", "lambda", when);
    HttpRequest r;
    r.method = s.method;
    r.query = CanonicalQueryString(s.query);
    r.target = s.encoded_path + "?" + r.query;
    r.path = "/2015-03-31/functions/fn:$LATEST/invocations";
    for (const auto& [k, v] : s.headers) r.headers.items.emplace_back(k, v);
    r.headers.Set("Authorization", auth);
    r.headers.Set("User-Agent", "test");  // not signed
    r.body = std::move(body);
    return r;
  }

  FakeClock clock_;
  std::unique_ptr<SigV4Verifier> verifier_;
};

// The request botocore (AWS CLI v2.9) built for `lambda invoke --function-name
// arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST --log-type Tail`, byte for byte:
// proves the verifier agrees with an independent signer on the double-encoded ARN path.
TEST_F(SigV4VerifierTest, AcceptsBotocoreSignedInvokeOfAnArnWithQualifier) {
  HttpRequest r;
  r.method = "POST";
  r.target =
      "/2015-03-31/functions/"
      "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn%3A%24LATEST/invocations";
  r.headers.items = {
      {"Host", "127.0.0.1:9000"},
      {"X-Amz-Log-Type", "Tail"},
      {"User-Agent", "Botocore/2.0.0dev155 Python/3.11.2 Linux/6.18.44-fc-v1272"},
      {"X-Amz-Date", "20261207T030000Z"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/lambda/aws4_request, "
       "SignedHeaders=host;x-amz-date;x-amz-log-type, "
       "Signature=fb49036fb111e67bc28533b58d5fb5254c278be2613727a1a06800625b4d12e4"},
      {"Content-Length", "7"}};
  r.body = "{\"a\":1}";
  SigV4Verdict v = verifier_->Verify(r);
  EXPECT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.access_key_id, "AKIDEXAMPLE");
}

TEST_F(SigV4VerifierTest, AcceptsAValidRequestOfEitherConfiguredKey) {
  SigV4Verdict v = verifier_->Verify(Signed(kCreds));
  EXPECT_TRUE(v.ok()) << v.message;
  SigV4Verdict w = verifier_->Verify(Signed(kOther));
  EXPECT_TRUE(w.ok()) << w.message;
  EXPECT_EQ(w.access_key_id, "AKIDOTHER");
}

TEST_F(SigV4VerifierTest, RejectsWrongSecretAsSignatureMismatchShowingTheCanonicalRequest) {
  SigV4Verdict v = verifier_->Verify(Signed({"AKIDEXAMPLE", "not-the-secret", ""}));
  EXPECT_EQ(v.failure, SigV4Failure::kSignatureMismatch);
  EXPECT_EQ(v.message.rfind("The request signature we calculated does not match the signature "
                            "you provided.", 0),
            0u)
      << v.message;
  EXPECT_NE(v.message.find("/2015-03-31/functions/fn%253A%2524LATEST/invocations"),
            std::string::npos)
      << v.message;
  EXPECT_EQ(v.message.find(kCreds.secret_access_key), std::string::npos);
}

TEST_F(SigV4VerifierTest, RejectsUnknownAccessKey) {
  SigV4Verdict v = verifier_->Verify(Signed({"AKIDNOBODY", "whatever", ""}));
  EXPECT_EQ(v.failure, SigV4Failure::kUnknownAccessKey);
  EXPECT_EQ(v.message, "The security token included in the request is invalid.");
  EXPECT_EQ(v.access_key_id, "AKIDNOBODY");
}

TEST_F(SigV4VerifierTest, RejectsTamperedPathQueryBodyAndSignedHeader) {
  HttpRequest path = Signed(kCreds);
  path.target = "/2015-03-31/functions/other/invocations?Qualifier=%24LATEST";
  EXPECT_EQ(verifier_->Verify(path).failure, SigV4Failure::kSignatureMismatch);

  HttpRequest query = Signed(kCreds);
  query.query = "Qualifier=v2";
  EXPECT_EQ(verifier_->Verify(query).failure, SigV4Failure::kSignatureMismatch);

  HttpRequest body = Signed(kCreds);
  body.body = "{\"a\":2}";
  EXPECT_EQ(verifier_->Verify(body).failure, SigV4Failure::kSignatureMismatch);

  HttpRequest header = Signed(kCreds);
  header.headers.Set("x-amz-invocation-type", "Event");
  EXPECT_EQ(verifier_->Verify(header).failure, SigV4Failure::kSignatureMismatch);

  HttpRequest method = Signed(kCreds);
  method.method = "GET";
  EXPECT_EQ(verifier_->Verify(method).failure, SigV4Failure::kSignatureMismatch);
}

TEST_F(SigV4VerifierTest, UnsignedHeadersMayChangeAndHeaderNamesAreCaseInsensitive) {
  HttpRequest r = Signed(kCreds);
  r.headers.Set("User-Agent", "something else");
  for (auto& [name, value] : r.headers.items) {
    if (name == "x-amz-invocation-type") name = "X-Amz-Invocation-Type";
  }
  SigV4Verdict v = verifier_->Verify(r);
  EXPECT_TRUE(v.ok()) << v.message;
}

TEST_F(SigV4VerifierTest, AcceptsWithinSkewAndRejectsExpiredOrFutureDatesWithAwsWording) {
  EXPECT_TRUE(verifier_->Verify(Signed(kCreds, SignTime() - std::chrono::seconds(300))).ok());
  EXPECT_TRUE(verifier_->Verify(Signed(kCreds, SignTime() + std::chrono::seconds(300))).ok());

  SigV4Verdict old = verifier_->Verify(Signed(kCreds, SignTime() - std::chrono::seconds(301)));
  EXPECT_EQ(old.failure, SigV4Failure::kExpired);
  EXPECT_EQ(old.message,
            "Signature expired: 20261207T025459Z is now earlier than 20261207T025500Z "
            "(20261207T030000Z - 5 min.)");

  clock_.Advance(std::chrono::hours(1));  // the same signed request, replayed an hour later
  EXPECT_EQ(verifier_->Verify(Signed(kCreds)).failure, SigV4Failure::kExpired);

  SigV4Verdict future = verifier_->Verify(Signed(kCreds, SignTime() + std::chrono::hours(2)));
  EXPECT_EQ(future.failure, SigV4Failure::kExpired);
  EXPECT_EQ(future.message,
            "Signature not yet current: 20261207T050000Z is still later than 20261207T040500Z "
            "(20261207T040000Z + 5 min.)");
}

TEST_F(SigV4VerifierTest, MissingAuthorizationIsMissingAuthenticationToken) {
  HttpRequest r = Signed(kCreds);
  r.headers.items.erase(std::remove_if(r.headers.items.begin(), r.headers.items.end(),
                                       [](const auto& h) { return h.first == "Authorization"; }),
                        r.headers.items.end());
  SigV4Verdict v = verifier_->Verify(r);
  EXPECT_EQ(v.failure, SigV4Failure::kMissingAuthentication);
  EXPECT_EQ(v.message, "Missing Authentication Token");
}

TEST_F(SigV4VerifierTest, MalformedAuthorizationIsIncompleteSignature) {
  for (std::string bad : {
           "Bearer abc",
           "AWS4-HMAC-SHA256",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/lambda/aws4_request, "
           "SignedHeaders=host;x-amz-date",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/us-east-1/lambda/aws4_request, "
           "SignedHeaders=host;x-amz-date, Signature=00",
           "AWS4-HMAC-SHA256 Credential AKIDEXAMPLE, SignedHeaders=host, Signature=00",
       }) {
    HttpRequest r = Signed(kCreds);
    r.headers.Set("Authorization", bad);
    SigV4Verdict v = verifier_->Verify(r);
    EXPECT_EQ(v.failure, SigV4Failure::kIncompleteSignature) << bad;
    EXPECT_FALSE(v.message.empty());
  }
  HttpRequest r = Signed(kCreds);
  r.headers.Set("Authorization", "AWS4-HMAC-SHA256 SignedHeaders=host");
  EXPECT_EQ(verifier_->Verify(r).message.rfind(
                "Authorization header requires 'Credential' parameter. Authorization header "
                "requires 'Signature' parameter.",
                0),
            0u);
}

TEST_F(SigV4VerifierTest, RequiresADateHeaderAndASignedHost) {
  HttpRequest no_date = Signed(kCreds);
  no_date.headers.Set("x-amz-date", "");
  EXPECT_EQ(verifier_->Verify(no_date).failure, SigV4Failure::kIncompleteSignature);

  SigV4Request s;
  s.method = "GET";
  s.encoded_path = "/";
  s.headers["x-amz-foo"] = "1";  // no host
  std::string auth = SignV4(s, kCreds, "us-east-1", "lambda", SignTime());
  HttpRequest r;
  r.method = "GET";
  r.target = "/";
  for (const auto& [k, v] : s.headers) r.headers.items.emplace_back(k, v);
  r.headers.Set("Host", "127.0.0.1:9000");
  r.headers.Set("Authorization", auth);
  SigV4Verdict v = verifier_->Verify(r);
  EXPECT_EQ(v.failure, SigV4Failure::kIncompleteSignature);
  EXPECT_NE(v.message.find("'Host' must be a 'SignedHeader'"), std::string::npos) << v.message;
}

TEST_F(SigV4VerifierTest, AcceptsTheDateHeaderInsteadOfXAmzDate) {
  std::string body;
  std::vector<SigV4Header> headers = {{"date", "Mon, 07 Dec 2026 03:00:00 GMT"},
                                      {"host", "127.0.0.1:9000"}};
  std::string canonical = SigV4CanonicalRequest("GET", "/2015-03-31/functions/", "", headers,
                                                Sha256Hex(body));
  std::string sig = SigV4Signature(
      kCreds.secret_access_key, "20261207", "us-east-1", "lambda",
      SigV4StringToSign("20261207T030000Z", "20261207/us-east-1/lambda/aws4_request", canonical));
  HttpRequest r;
  r.method = "GET";
  r.target = "/2015-03-31/functions/";
  r.headers.items = {{"Host", "127.0.0.1:9000"}, {"Date", "Mon, 07 Dec 2026 03:00:00 GMT"}};
  r.headers.Set("Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261207/us-east-1/lambda/aws4_request,"
                "SignedHeaders=date;host,Signature=" + sig);
  SigV4Verdict v = verifier_->Verify(r);
  EXPECT_TRUE(v.ok()) << v.message;
}

TEST_F(SigV4VerifierTest, RejectsAnotherServiceOrAScopeDateOtherThanTheRequestDate) {
  HttpRequest r = Signed(kCreds);
  SigV4Request s;
  s.method = "POST";
  s.encoded_path = "/";
  s.headers["host"] = "h";
  s.payload_sha256 = Sha256Hex("");
  std::string s3 = SignV4(s, kCreds, "us-east-1", "s3", SignTime());
  r.headers.Set("Authorization", s3);
  SigV4Verdict v = verifier_->Verify(r);
  EXPECT_EQ(v.failure, SigV4Failure::kSignatureMismatch);
  EXPECT_EQ(v.message, "Credential should be scoped to correct service: 'lambda'. ");

  HttpRequest d = Signed(kCreds);
  std::string auth(d.headers.Get("Authorization"));
  auth.replace(auth.find("/20261207/"), 10, "/20261206/");
  d.headers.Set("Authorization", auth);
  EXPECT_EQ(verifier_->Verify(d).failure, SigV4Failure::kSignatureMismatch);
}

TEST_F(SigV4VerifierTest, RejectsAContentSha256HeaderThatIsNotTheBodysHash) {
  HttpRequest r = Signed(kCreds);  // SignV4 sends x-amz-content-sha256 = the body's hash
  r.body = "{\"a\":2}";
  SigV4Verdict v = verifier_->Verify(r);
  EXPECT_EQ(v.failure, SigV4Failure::kSignatureMismatch);
  EXPECT_NE(v.message.find("x-amz-content-sha256"), std::string::npos) << v.message;

  HttpRequest unsigned_payload = Signed(kCreds);
  unsigned_payload.headers.Set("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
  EXPECT_EQ(verifier_->Verify(unsigned_payload).failure, SigV4Failure::kSignatureMismatch);
}

TEST(SigV4VerifierCreateTest, RejectsConflictingOrEmptyCredentialsAndListsKeyIds) {
  auto conflict = SigV4Verifier::Create({kCreds, {"AKIDEXAMPLE", "zz-second-secret", ""}});
  ASSERT_FALSE(conflict.ok());
  EXPECT_NE(conflict.status().message().find("AKIDEXAMPLE"), std::string::npos);
  EXPECT_EQ(conflict.status().message().find("zz-second-secret"), std::string::npos);
  EXPECT_FALSE(SigV4Verifier::Create({{"AKID", "", ""}}).ok());
  auto ok = SigV4Verifier::Create({kOther, kCreds, kCreds});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)->access_key_ids(), (std::vector<std::string>{"AKIDEXAMPLE", "AKIDOTHER"}));
}

}  // namespace
}  // namespace sl
