#include "faas/front/serve_auth.h"

#include <map>

#include <gtest/gtest.h>

#include "common/file_util.h"

namespace sl::faas {
namespace {

struct FakeEnv {
  std::map<std::string, std::string> vars;
  std::function<const char*(const char*)> Getter() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

TEST(ServeAuthTest, RefusesToStartWithoutCredentialsNamingBothWaysAndAuthNone) {
  FakeEnv env;
  ServeAuthFlags flags;
  auto r = ConfigureServeAuth(flags, env.Getter(), Clock::Real());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  for (const char* hint : {"--credentials-file", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                           "--auth none"}) {
    EXPECT_NE(r.status().message().find(hint), std::string::npos) << hint;
  }
}

TEST(ServeAuthTest, AcceptsEveryProfileOfTheFileAndTheEnvironmentKey) {
  TempDir dir("sl-serve-auth");
  ASSERT_TRUE(WriteFileAtomic(dir.Join("creds"),
                              "[default]\naws_access_key_id=AKIDA\naws_secret_access_key=sa\n"
                              "[ci]\naws_access_key_id=AKIDB\naws_secret_access_key=sb\n")
                  .ok());
  FakeEnv env{{{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "senv"}}};
  ServeAuthFlags flags;
  flags.credentials_file = dir.Join("creds");
  auto r = ConfigureServeAuth(flags, env.Getter(), Clock::Real());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_NE(r->verifier, nullptr);
  EXPECT_EQ(r->verifier->access_key_ids(), (std::vector<std::string>{"AKIDA", "AKIDB", "AKIDENV"}));
  std::string line = r->Describe(flags);
  EXPECT_NE(line.find("AKIDA, AKIDB, AKIDENV"), std::string::npos) << line;
  EXPECT_NE(line.find("[default, ci]"), std::string::npos) << line;
  for (const char* secret : {"sa", "sb", "senv"}) {
    EXPECT_EQ(line.find(std::string("=") + secret), std::string::npos);
  }
}

TEST(ServeAuthTest, HalfAnEnvironmentPairOrAnUnreadableFileIsAnError) {
  FakeEnv half{{{"AWS_ACCESS_KEY_ID", "AKID"}}};
  ServeAuthFlags flags;
  auto r = ConfigureServeAuth(flags, half.Getter(), Clock::Real());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos);

  FakeEnv none;
  flags.credentials_file = "/nonexistent/creds";
  auto missing = ConfigureServeAuth(flags, none.Getter(), Clock::Real());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("--credentials-file: /nonexistent/creds"),
            std::string::npos)
      << missing.status().message();

  flags.credentials_file.clear();
  flags.auth = "maybe";
  EXPECT_FALSE(ConfigureServeAuth(flags, none.Getter(), Clock::Real()).ok());
}

TEST(ServeAuthTest, AuthNoneIsLoopbackOnlyUnlessInsecure) {
  FakeEnv env;
  ServeAuthFlags flags;
  flags.auth = "none";
  auto local = ConfigureServeAuth(flags, env.Getter(), Clock::Real());
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->verifier, nullptr);
  EXPECT_NE(local->Describe(flags).find("AUTHENTICATION IS OFF"), std::string::npos);

  flags.host = "0.0.0.0";
  auto open = ConfigureServeAuth(flags, env.Getter(), Clock::Real());
  ASSERT_FALSE(open.ok());
  EXPECT_EQ(open.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(open.status().message().find("--insecure"), std::string::npos);

  flags.insecure = true;
  EXPECT_TRUE(ConfigureServeAuth(flags, env.Getter(), Clock::Real()).ok());
}

TEST(ServeAuthTest, LoopbackAddresses) {
  for (const char* h : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"}) {
    EXPECT_TRUE(IsLoopbackHost(h)) << h;
  }
  for (const char* h : {"0.0.0.0", "10.0.0.2", "::", "example.com", ""}) {
    EXPECT_FALSE(IsLoopbackHost(h)) << h;
  }
}

}  // namespace
}  // namespace sl::faas
