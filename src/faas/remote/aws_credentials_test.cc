#include "faas/remote/aws_credentials.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace sl::faas {
namespace {

// A private HOME per test: the real ~/.aws is never read.
class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sl-creds-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    home_ = tmpl;
    std::filesystem::create_directories(home_ + "/.aws");
  }
  void TearDown() override { std::filesystem::remove_all(home_); }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(home_ + "/" + rel) << text;
  }
  std::string home_;
};

TEST_F(CredentialsTest, EnvironmentWinsOverTheFile) {
  Write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  auto c = ResolveAwsCredentials(MapEnv({{"HOME", home_},
                                         {"AWS_ACCESS_KEY_ID", "ENVKEY"},
                                         {"AWS_SECRET_ACCESS_KEY", "envsecret"},
                                         {"AWS_SESSION_TOKEN", "tok"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(c->credentials.secret_access_key, "envsecret");
  EXPECT_EQ(c->credentials.session_token, "tok");
  EXPECT_EQ(c->source, "environment");
}

TEST_F(CredentialsTest, HalfAnEnvironmentPairIsAnError) {
  auto c = ResolveAwsCredentials(MapEnv({{"HOME", home_}, {"AWS_ACCESS_KEY_ID", "ENVKEY"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST_F(CredentialsTest, ProfileFromTheSharedFile) {
  Write(".aws/credentials",
        "# comment\n[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsecret\n\n"
        "[dev]\naws_access_key_id=DEVKEY\naws_secret_access_key= devsecret \naws_session_token = devtok\n");
  auto def = ResolveAwsCredentials(MapEnv({{"HOME", home_}}));
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_EQ(def->credentials.access_key_id, "DEFKEY");
  EXPECT_EQ(def->source, home_ + "/.aws/credentials [default]");
  auto dev = ResolveAwsCredentials(MapEnv({{"HOME", home_}, {"AWS_PROFILE", "dev"}}));
  ASSERT_TRUE(dev.ok()) << dev.status().ToString();
  EXPECT_EQ(dev->credentials.access_key_id, "DEVKEY");
  EXPECT_EQ(dev->credentials.secret_access_key, "devsecret");
  EXPECT_EQ(dev->credentials.session_token, "devtok");
}

TEST_F(CredentialsTest, SharedFileOverrideAndConfigFallback) {
  Write("elsewhere", "[default]\naws_access_key_id = OVR\naws_secret_access_key = s\n");
  auto c = ResolveAwsCredentials(MapEnv({{"HOME", home_}, {"AWS_SHARED_CREDENTIALS_FILE", home_ + "/elsewhere"}}));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "OVR");
  // Keys in ~/.aws/config under [profile x] count too, as for the AWS CLI.
  Write(".aws/config", "[profile ci]\nregion = eu-west-1\naws_access_key_id = CFG\naws_secret_access_key = s\n");
  auto ci = ResolveAwsCredentials(MapEnv({{"HOME", home_}, {"AWS_PROFILE", "ci"}}));
  ASSERT_TRUE(ci.ok()) << ci.status().ToString();
  EXPECT_EQ(ci->credentials.access_key_id, "CFG");
  EXPECT_EQ(ci->source, home_ + "/.aws/config [profile ci]");
}

TEST_F(CredentialsTest, NothingFoundSaysWhereItLooked) {
  auto c = ResolveAwsCredentials(MapEnv({{"HOME", home_}, {"AWS_PROFILE", "prod"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kNotFound);
  const std::string& m = c.status().message();
  EXPECT_NE(m.find("AWS_ACCESS_KEY_ID"), std::string::npos) << m;
  EXPECT_NE(m.find(home_ + "/.aws/credentials (no such file)"), std::string::npos) << m;
  EXPECT_NE(m.find("[prod]"), std::string::npos) << m;
  EXPECT_NE(m.find(home_ + "/.aws/config"), std::string::npos) << m;
}

TEST_F(CredentialsTest, MalformedLineNamesFileAndLine) {
  Write(".aws/credentials", "[default]\naws_access_key_id = K\nthis line is wrong\n");
  auto c = ResolveAwsCredentials(MapEnv({{"HOME", home_}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find(home_ + "/.aws/credentials:3:"), std::string::npos)
      << c.status().message();
}

TEST_F(CredentialsTest, MissingSecretNamesTheKeyAndLine) {
  Write(".aws/credentials", "[default]\n\naws_access_key_id = K\n");
  auto c = ResolveAwsCredentials(MapEnv({{"HOME", home_}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find(home_ + "/.aws/credentials:1: [default]: aws_secret_access_key"),
            std::string::npos)
      << c.status().message();
  Write(".aws/credentials", "[default]\naws_secret_access_key = s\naws_access_key_id =\n");
  c = ResolveAwsCredentials(MapEnv({{"HOME", home_}}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("credentials:3: [default]: aws_access_key_id"), std::string::npos)
      << c.status().message();
  EXPECT_EQ(c.status().message().find(" s "), std::string::npos);  // no secret in the message
}

TEST_F(CredentialsTest, KeyOutsideASectionAndUnclosedHeader) {
  auto a = ParseAwsIni("aws_access_key_id = K\n", "f");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("f:1: key 'aws_access_key_id' outside any [section]"), std::string::npos);
  auto b = ParseAwsIni("[default]\n[oops\n", "f");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("f:2:"), std::string::npos);
}

TEST_F(CredentialsTest, RegionChain) {
  Write(".aws/config", "[default]\nregion = eu-central-1\n[profile dev]\nregion = ap-south-1\ns3 =\n  max = 4\n");
  auto r = ResolveAwsRegion(MapEnv({{"HOME", home_}}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "eu-central-1");
  EXPECT_EQ(*ResolveAwsRegion(MapEnv({{"HOME", home_}, {"AWS_PROFILE", "dev"}})), "ap-south-1");
  EXPECT_EQ(*ResolveAwsRegion(MapEnv({{"HOME", home_}, {"AWS_DEFAULT_REGION", "us-west-2"}})), "us-west-2");
  EXPECT_EQ(*ResolveAwsRegion(MapEnv({{"HOME", home_},
                                      {"AWS_DEFAULT_REGION", "us-west-2"},
                                      {"AWS_REGION", "sa-east-1"}})),
            "sa-east-1");
  EXPECT_EQ(*ResolveAwsRegion(MapEnv({{"HOME", home_ + "/nowhere"}})), "");
}

}  // namespace
}  // namespace sl::faas
