#include "store/s3_signer.h"

#include <gtest/gtest.h>

#include "common/sha256.h"

namespace sl::store {
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

}  // namespace
}  // namespace sl::store
