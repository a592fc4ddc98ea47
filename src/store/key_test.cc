#include "store/key.h"

#include <gtest/gtest.h>

#include "store/store_test_util.h"

namespace sl::store {
namespace {

TEST(KeyTest, AcceptsRelativeSlashSeparatedKeys) {
  for (std::string_view k : {"a", "a/b/c", "models/v3/weights.bin", "a.b", "..a", "a..", "x/.hidden", "sp ace/ü+%=&"}) {
    EXPECT_TRUE(ValidateKey(k).ok()) << k << ": " << ValidateKey(k);
  }
  EXPECT_TRUE(ValidateKey(std::string(kMaxKeyBytes, 'k')).ok());
}

TEST(KeyTest, RefusesKeysThatCouldEscapeOrAreAmbiguous) {
  const std::string with_nul("a\0b", 3);
  for (std::string_view k : {std::string_view(""), std::string_view("/etc/passwd"), std::string_view(".."),
                             std::string_view("../x"), std::string_view("a/../../x"), std::string_view("a/.."),
                             std::string_view("./a"), std::string_view("a//b"), std::string_view("a/"),
                             std::string_view(with_nul), std::string_view("a\nb"), std::string_view(".sl-tmp/x"),
                             std::string_view("a/.sl-meta")}) {
    Status s = ValidateKey(k);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << PrintableKey(k);
  }
  EXPECT_EQ(ValidateKey(std::string(kMaxKeyBytes + 1, 'k')).code(), Code::kInvalidArgument);
}

TEST(KeyTest, ErrorsNameTheKeyAndTheRule) {
  Status s = ValidateKey("a/../b");
  EXPECT_NE(s.message().find("a/../b"), std::string::npos) << s;
  EXPECT_NE(s.message().find("'..'"), std::string::npos) << s;
  Status nul = ValidateKey(std::string("a\0b", 3));
  EXPECT_NE(nul.message().find("a\\x00b"), std::string::npos) << nul;
  EXPECT_NE(nul.message().find("offset 1"), std::string::npos) << nul;
}

TEST(KeyTest, PrefixesMayEndMidSegment) {
  EXPECT_TRUE(ValidatePrefix("").ok());
  EXPECT_TRUE(ValidatePrefix("shard/00").ok());
  EXPECT_TRUE(ValidatePrefix("shard/").ok());
  EXPECT_EQ(ValidatePrefix("../").code(), Code::kInvalidArgument);
  EXPECT_EQ(ValidatePrefix("/abs").code(), Code::kInvalidArgument);
  EXPECT_EQ(ValidatePrefix(std::string("a\0", 2)).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sl::store
