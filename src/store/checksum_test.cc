#include "store/checksum.h"

#include <gtest/gtest.h>

#include "common/sha256.h"
#include "store/store_test_util.h"

namespace sl::store {
namespace {

using testing::RandomBytes;

TEST(Crc32cTest, KnownVectors) {
  // The CRC-32C check value, and RFC 3720 (iSCSI) B.4 test vectors.
  EXPECT_EQ(Crc32c(0, "123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32cPortable(0, "123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32c(0, ""), 0u);
  EXPECT_EQ(Crc32c(0, std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Crc32c(0, std::string(32, '\xff')), 0x62a8ab43u);
  std::string inc(32, '\0');
  for (int i = 0; i < 32; ++i) inc[static_cast<size_t>(i)] = static_cast<char>(i);
  EXPECT_EQ(Crc32c(0, inc), 0x46dd794eu);
  std::string dec(32, '\0');
  for (int i = 0; i < 32; ++i) dec[static_cast<size_t>(i)] = static_cast<char>(31 - i);
  EXPECT_EQ(Crc32c(0, dec), 0x113fdb5cu);
}

TEST(Crc32cTest, FastPathMatchesTableAtEveryLengthAndAlignment) {
  // Lengths around the 3 x 256 and 3 x 8192 block boundaries, at every start alignment mod 8.
  std::string data = RandomBytes(3 * 8192 * 2 + 1000 + 8, 11);  // + 8: the longest length at every alignment
  for (size_t len : {0ul, 1ul, 7ul, 8ul, 9ul, 767ul, 768ul, 769ul, 3000ul, 24575ul, 24576ul, 24577ul, 40000ul,
                     49152ul + 999ul}) {
    for (size_t align = 0; align < 8; ++align) {
      std::string_view s(data.data() + align, len);
      ASSERT_EQ(Crc32c(0, s), Crc32cPortable(0, s)) << "len " << len << " align " << align;
    }
  }
}

TEST(Crc32cTest, StreamingEqualsOneShot) {
  std::string data = RandomBytes(100'003, 12);
  uint32_t whole = Crc32c(0, data);
  for (size_t cut : {0ul, 1ul, 4096ul, 50'000ul, 100'003ul}) {
    uint32_t c = Crc32c(Crc32c(0, std::string_view(data).substr(0, cut)), std::string_view(data).substr(cut));
    EXPECT_EQ(c, whole) << cut;
  }
  Checksummer k(ChecksumAlgorithm::kCrc32c);
  for (size_t off = 0; off < data.size(); off += 777) k.Update(std::string_view(data).substr(off, 777));
  EXPECT_EQ(k.Finish(), fmt::format("crc32c:{:08x}", whole));
}

TEST(Crc32cTest, EverySingleBitFlipChangesTheChecksum) {
  std::string data = RandomBytes(4096, 13);
  uint32_t base = Crc32c(0, data);
  for (size_t bit = 0; bit < data.size() * 8; bit += 7) {
    std::string d = data;
    d[bit / 8] = static_cast<char>(d[bit / 8] ^ (1 << (bit % 8)));
    ASSERT_NE(Crc32c(0, d), base) << "bit " << bit;
  }
}

TEST(ChecksumTest, SelfDescribingFormats) {
  EXPECT_EQ(ComputeChecksum(ChecksumAlgorithm::kCrc32c, "123456789"), "crc32c:e3069283");
  EXPECT_EQ(ComputeChecksum(ChecksumAlgorithm::kCrc32c, ""), "crc32c:00000000");
  EXPECT_EQ(ComputeChecksum(ChecksumAlgorithm::kSha256, "abc"), "sha256:" + Sha256Hex("abc"));
  Checksummer s(ChecksumAlgorithm::kSha256);
  s.Update("a");
  s.Update("bc");
  EXPECT_EQ(s.Finish(), "sha256:" + Sha256Hex("abc"));
}

TEST(ChecksumTest, ParseAcceptsWellFormedAndNamesWhatIsWrong) {
  auto c = ParseChecksum("crc32c:e3069283");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->algorithm, ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(c->hex, "e3069283");
  auto s = ParseChecksum("sha256:" + Sha256Hex("x"));
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->algorithm, ChecksumAlgorithm::kSha256);

  for (std::string bad : {"", "e3069283", "crc32c:", "crc32c:E3069283", "crc32c:e306928", "crc32c:e30692830",
                          "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256:abc", "crc32c:e306928g"}) {
    auto p = ParseChecksum(bad);
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << bad;
  }
  auto unknown = ParseChecksum("md5:d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_NE(unknown.status().message().find("'md5'"), std::string::npos) << unknown.status();
  EXPECT_NE(unknown.status().message().find("crc32c, sha256"), std::string::npos) << unknown.status();
  EXPECT_EQ(ParseChecksumAlgorithm("sha256").value(), ChecksumAlgorithm::kSha256);
  EXPECT_EQ(ChecksumAlgorithmName(ChecksumAlgorithm::kCrc32c), "crc32c");
}

}  // namespace
}  // namespace sl::store
