#include "common/auth_token.h"

#include <sys/stat.h>

#include <future>
#include <set>

#include <gtest/gtest.h>

#include "common/file_util.h"

namespace sl {
namespace {

HttpHeaders With(std::string name, std::string value) {
  HttpHeaders h;
  h.Set(std::move(name), std::move(value));
  return h;
}

TEST(AuthTokenTest, GeneratedTokensAreLongHexAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    auto t = GenerateToken();
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->size(), 64u);
    EXPECT_EQ(t->find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(*t);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(AuthTokenTest, TokenFilesSkipBlankLinesAndCommentsAndRejectWhitespaceInTokens) {
  auto t = ParseTokens("# tokens\n\n  alpha-1  \r\n#beta\nbeta_2\n", "f");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*t, (std::vector<std::string>{"alpha-1", "beta_2"}));
  auto bad = ParseTokens("ok\nsecret part\n", "tokens.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("tokens.txt: line 2"), std::string::npos);
  EXPECT_EQ(bad.status().message().find("secret"), std::string::npos) << "never echo a token";
  auto none = ParseTokens("# only a comment\n\n", "empty.txt");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no token"), std::string::npos);
  EXPECT_EQ(ReadTokenFile("/nonexistent/tokens").status().code(), Code::kNotFound);
}

TEST(AuthTokenTest, EnsureTokenFileCreatesOwnerOnlyFileOnceAndReusesIt) {
  TempDir dir("auth-token");
  const std::string path = dir.Join("serve/token");
  auto a = EnsureTokenFile(path);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_TRUE(a->created);
  EXPECT_EQ(a->token.size(), 64u);
  struct stat st{};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(ReadableByOthers(path));
  auto b = EnsureTokenFile(path);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->created);
  EXPECT_EQ(b->token, a->token);
  auto read = ReadTokenFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, std::vector<std::string>{a->token});

  // Concurrent first starts agree on one token.
  const std::string other = dir.Join("race/token");
  std::vector<std::future<Result<TokenFile>>> fs;
  for (int i = 0; i < 8; ++i) fs.push_back(std::async(std::launch::async, [&] { return EnsureTokenFile(other); }));
  std::set<std::string> tokens;
  int created = 0;
  for (auto& f : fs) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    tokens.insert(r->token);
    created += r->created ? 1 : 0;
  }
  EXPECT_EQ(tokens.size(), 1u);
  EXPECT_EQ(created, 1);

  ASSERT_TRUE(WriteSecretFile(dir.Join("s"), "x").ok());
  ASSERT_EQ(stat(dir.Join("s").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(WriteFileAtomic(dir.Join("open"), "x").ok());
  EXPECT_TRUE(ReadableByOthers(dir.Join("open")));
}

TEST(AuthTokenTest, AuthenticatorAcceptsBearerOrApiKeyAndSaysWhatWasWrong) {
  TokenAuthenticator auth({"tok-one", "a-much-longer-second-token"});
  EXPECT_EQ(auth.size(), 2u);
  EXPECT_EQ(auth.Check(With("Authorization", "Bearer tok-one")), AuthVerdict::kAllowed);
  EXPECT_EQ(auth.Check(With("authorization", "bearer  a-much-longer-second-token ")), AuthVerdict::kAllowed);
  EXPECT_EQ(auth.Check(With("X-API-Key", "tok-one")), AuthVerdict::kAllowed);
  EXPECT_EQ(auth.Check(With("x-api-key", "a-much-longer-second-token")), AuthVerdict::kAllowed);

  EXPECT_EQ(auth.Check(HttpHeaders{}), AuthVerdict::kMissing);
  EXPECT_EQ(auth.Check(With("Authorization", "Basic dG9rLW9uZQ==")), AuthVerdict::kMalformed);
  EXPECT_EQ(auth.Check(With("Authorization", "Bearer")), AuthVerdict::kMalformed);
  EXPECT_EQ(auth.Check(With("Authorization", "Bearer ")), AuthVerdict::kMalformed);
  EXPECT_EQ(auth.Check(With("X-API-Key", "")), AuthVerdict::kMalformed);
  // Prefixes, extensions and case changes of a token are other tokens.
  for (const char* wrong : {"tok-on", "tok-one2", "TOK-ONE", "a-much-longer-second-toke", "x"}) {
    EXPECT_EQ(auth.Check(With("Authorization", std::string("Bearer ") + wrong)), AuthVerdict::kRejected) << wrong;
    EXPECT_EQ(auth.Check(With("X-API-Key", wrong)), AuthVerdict::kRejected) << wrong;
  }
  // Authorization decides when present: a wrong bearer is not rescued by a right API key.
  HttpHeaders both = With("Authorization", "Bearer wrong");
  both.Set("X-API-Key", "tok-one");
  EXPECT_EQ(auth.Check(both), AuthVerdict::kRejected);

  for (AuthVerdict v : {AuthVerdict::kMissing, AuthVerdict::kMalformed, AuthVerdict::kRejected}) {
    EXPECT_EQ(AuthFailureMessage(v).find("tok-one"), std::string::npos);
    EXPECT_EQ(WwwAuthenticateFor(v).rfind("Bearer", 0), 0u);
  }
  EXPECT_NE(AuthFailureMessage(AuthVerdict::kMissing).find("authentication required"), std::string::npos);
  EXPECT_NE(AuthFailureMessage(AuthVerdict::kRejected).find("invalid token"), std::string::npos);
  EXPECT_NE(WwwAuthenticateFor(AuthVerdict::kRejected).find("invalid_token"), std::string::npos);
}

TEST(AuthTokenTest, ConstantTimeEqualsIsPlainEqualityInResult) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(AuthTokenTest, LoopbackHosts) {
  for (const char* h : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST",
                        "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackHost(h)) << h;
  }
  for (const char* h : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "example.com", "", "128.0.0.1",
                        "::ffff:10.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackHost(h)) << h;
  }
}

}  // namespace
}  // namespace sl
