#include "common/base64.h"

#include <gtest/gtest.h>

namespace sl {
namespace {

TEST(Base64Test, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    auto d = Base64Decode(encoded);
    ASSERT_TRUE(d.ok()) << encoded;
    EXPECT_EQ(*d, plain);
  }
}

TEST(Base64Test, BinaryRoundTrip) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  auto d = Base64Decode(Base64Encode(all));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, all);
}

TEST(Base64Test, RejectsBadInputNamingOffset) {
  auto bad_len = Base64Decode("abc");
  ASSERT_FALSE(bad_len.ok());
  EXPECT_EQ(bad_len.status().code(), Code::kInvalidArgument);
  auto bad_char = Base64Decode("Zm9v!mFy");
  ASSERT_FALSE(bad_char.ok());
  EXPECT_NE(bad_char.status().message().find("offset 4"), std::string::npos)
      << bad_char.status().ToString();
  EXPECT_FALSE(Base64Decode("Zg=a").ok());
  EXPECT_FALSE(Base64Decode("Zg==Zg==").ok());
}

}  // namespace
}  // namespace sl
