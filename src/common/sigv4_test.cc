#include "common/sigv4.h"

#include <gtest/gtest.h>

#include "common/sha256.h"

namespace sl {
namespace {

// 2013-05-24T00:00:00Z, the date of AWS's published S3 SigV4 examples.
WallTime ExampleTime() { return WallTime(std::chrono::seconds(1369353600)); }

const AwsCredentials kExampleCreds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};

// "Example: GET Object" from the Amazon S3 API reference (sig-v4-header-based-auth).
TEST(SigV4Test, MatchesAwsGetObjectExample) {
  SigV4Request r;
  r.method = "GET";
  r.encoded_path = "/test.txt";
  r.headers["host"] = "examplebucket.s3.amazonaws.com";
  r.headers["range"] = "bytes=0-9";
  r.payload_sha256 = Sha256Hex("");
  std::string auth = SignV4(r, kExampleCreds, "us-east-1", "s3", ExampleTime());
  EXPECT_EQ(auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(r.headers["x-amz-date"], "20130524T000000Z");
}

// "Example: GET Bucket (List Objects)": query parameters are encoded and sorted.
TEST(SigV4Test, MatchesAwsListObjectsExampleWithUnsortedQuery) {
  SigV4Request r;
  r.method = "GET";
  r.encoded_path = "/";
  r.query = {{"prefix", "J"}, {"max-keys", "2"}};
  r.headers["host"] = "examplebucket.s3.amazonaws.com";
  r.payload_sha256 = Sha256Hex("");
  std::string auth = SignV4(r, kExampleCreds, "us-east-1", "s3", ExampleTime());
  EXPECT_NE(auth.find("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
            std::string::npos)
      << auth;
}

// "Example: PUT Object" with a signed payload and a header needing its spaces collapsed.
TEST(SigV4Test, MatchesAwsPutObjectExample) {
  SigV4Request r;
  r.method = "PUT";
  r.encoded_path = "/test%24file.text";
  r.headers["host"] = "examplebucket.s3.amazonaws.com";
  r.headers["date"] = "Fri, 24 May 2013 00:00:00 GMT";
  r.headers["x-amz-storage-class"] = "REDUCED_REDUNDANCY";
  r.payload_sha256 = Sha256Hex("Welcome to Amazon S3.");
  std::string auth = SignV4(r, kExampleCreds, "us-east-1", "s3", ExampleTime());
  EXPECT_NE(auth.find("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"),
            std::string::npos)
      << auth;
}

TEST(SigV4Test, UriEncodingFollowsAwsRules) {
  EXPECT_EQ(AwsUriEncode("a b/c+d~e_f.g-h", true), "a%20b/c%2Bd~e_f.g-h");
  EXPECT_EQ(AwsUriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(AwsUriEncode("\xc3\xbc", true), "%C3%BC");
  EXPECT_EQ(CanonicalQueryString({{"uploads", ""}, {"b", "x y"}, {"a", "1"}}), "a=1&b=x%20y&uploads=");
}


// "get-vanilla" from AWS's SigV4 test suite (a non-S3 service, built from the pieces).
TEST(SigV4Test, PiecesMatchAwsGetVanillaExample) {
  std::vector<SigV4Header> headers = {{"host", "example.amazonaws.com"},
                                      {"x-amz-date", "20150830T123600Z"}};
  std::string canonical = SigV4CanonicalRequest("GET", SigV4CanonicalUri("/", true),
                                                SigV4CanonicalQuery(""), headers, Sha256Hex(""));
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string sts = SigV4StringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request",
                                      canonical);
  EXPECT_EQ(SigV4Signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1",
                           "service", sts),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

// What botocore (AWS CLI v2.9) sent for `lambda invoke` of
// arn:aws:lambda:us-east-1:123456789012:function:my-fn:$LATEST with --log-type Tail, captured
// with its clock fixed at 2026-12-07T03:00:00Z: the path goes out encoded once
// (arn%3Aaws...%3A%24LATEST) and is signed encoded twice (arn%253Aaws...%253A%2524LATEST).
TEST(SigV4Test, LambdaCanonicalUriIsThePathEncodedOnceMore) {
  std::string sent =
      "/2015-03-31/functions/"
      "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn%3A%24LATEST/invocations";
  EXPECT_EQ(SigV4CanonicalUri(sent, true),
            "/2015-03-31/functions/"
            "arn%253Aaws%253Alambda%253Aus-east-1%253A123456789012%253Afunction%253Amy-fn%253A%2524"
            "LATEST/invocations");
  EXPECT_EQ(SigV4CanonicalUri(sent, false), sent);  // S3
  std::vector<SigV4Header> headers = {
      {"host", "127.0.0.1:9000"}, {"x-amz-date", "20261207T030000Z"}, {"x-amz-log-type", "Tail"}};
  std::string canonical = SigV4CanonicalRequest("POST", SigV4CanonicalUri(sent, true), "", headers,
                                                Sha256Hex("{\"a\":1}"));
  std::string sts = SigV4StringToSign("20261207T030000Z", "20261207/us-east-1/lambda/aws4_request",
                                      canonical);
  EXPECT_EQ(SigV4Signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20261207", "us-east-1",
                           "lambda", sts),
            "fb49036fb111e67bc28533b58d5fb5254c278be2613727a1a06800625b4d12e4");
}

TEST(SigV4Test, CanonicalUriRemovesDotAndEmptySegmentsLikeTheSdks) {
  EXPECT_EQ(SigV4CanonicalUri("/a/./b/../c//d/", true), "/a/c/d/");
  EXPECT_EQ(SigV4CanonicalUri("/2015-03-31/functions/", true), "/2015-03-31/functions/");
  EXPECT_EQ(SigV4CanonicalUri("", true), "/");
  EXPECT_EQ(SigV4CanonicalUri("/a%20b", true), "/a%2520b");
}

TEST(SigV4Test, CanonicalQueryDecodesThenEncodesAndSorts) {
  EXPECT_EQ(SigV4CanonicalQuery("Qualifier=%24LATEST&A=x%20y&flag"), "A=x%20y&Qualifier=%24LATEST&flag=");
  EXPECT_EQ(SigV4CanonicalQuery("Qualifier=$LATEST"), "Qualifier=%24LATEST");
  EXPECT_EQ(SigV4CanonicalQuery("a=1+2"), "a=1%2B2");  // '+' is literal
  EXPECT_EQ(SigV4CanonicalQuery(""), "");
}

TEST(SigV4Test, SignV4WithUriEscapePathSignsThePathEncodedTwice) {
  SigV4Request a;
  a.method = "POST";
  a.encoded_path = "/2015-03-31/functions/fn%3A%24LATEST/invocations";
  a.headers["host"] = "h";
  a.payload_sha256 = Sha256Hex("");
  SigV4Request b = a;
  b.encoded_path = "/2015-03-31/functions/fn%253A%2524LATEST/invocations";
  a.uri_escape_path = true;
  EXPECT_EQ(SignV4(a, kExampleCreds, "us-east-1", "lambda", ExampleTime()),
            SignV4(b, kExampleCreds, "us-east-1", "lambda", ExampleTime()));
}

}  // namespace
}  // namespace sl
