#include "common/sigv4_credentials.h"

#include <gtest/gtest.h>

#include "common/file_util.h"

namespace sl {
namespace {

TEST(AwsCredentialsFileTest, ReadsEverySectionWithKeysInFileOrder) {
  auto r = ParseAwsCredentials(
      "# comment\n"
      "[default]\n"
      "aws_access_key_id = AKIDDEFAULT\n"
      "aws_secret_access_key=secret/with+chars=\n"
      "\n"
      "[only-region]\n"
      "region = eu-west-1\n"
      "; another comment\n"
      "[profile ci]\n"
      "AWS_ACCESS_KEY_ID = AKIDCI\n"
      "aws_secret_access_key = ci-secret\n"
      "aws_session_token = tok\n",
      "creds");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].profile, "default");
  EXPECT_EQ((*r)[0].credentials.access_key_id, "AKIDDEFAULT");
  EXPECT_EQ((*r)[0].credentials.secret_access_key, "secret/with+chars=");
  EXPECT_EQ((*r)[1].profile, "ci");
  EXPECT_EQ((*r)[1].credentials.access_key_id, "AKIDCI");
  EXPECT_EQ((*r)[1].credentials.session_token, "tok");
}

TEST(AwsCredentialsFileTest, ErrorsNameFileLineAndProfileButNeverTheSecret) {
  auto half = ParseAwsCredentials("[a]\naws_secret_access_key = s3cr3t\n", "creds");
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.status().message(), "creds:1: profile 'a' has aws_secret_access_key but no aws_access_key_id");

  auto junk = ParseAwsCredentials("[a]\ns3cr3t-pasted-alone\n", "creds");
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("creds:2: expected 'key = value'"), std::string::npos)
      << junk.status().message();

  auto outside = ParseAwsCredentials("aws_access_key_id = x\n", "creds");
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find("outside any [section]"), std::string::npos)
      << outside.status().message();
}

TEST(AwsCredentialsFileTest, MissingFileIsNotFound) {
  TempDir dir("sl-creds");
  auto r = ReadAwsCredentialsFile(dir.Join("nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  ASSERT_TRUE(WriteFileAtomic(dir.Join("c"), "[x]\naws_access_key_id=A\naws_secret_access_key=B\n").ok());
  auto ok = ReadAwsCredentialsFile(dir.Join("c"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 1u);
}

}  // namespace
}  // namespace sl
