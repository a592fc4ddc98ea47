#include "ml/data/test_fixtures.h"

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>


namespace sl::ml::data::testing {
namespace {

void PutBE32(std::string& s, uint32_t v) {
  s.push_back(static_cast<char>(v >> 24));
  s.push_back(static_cast<char>(v >> 16));
  s.push_back(static_cast<char>(v >> 8));
  s.push_back(static_cast<char>(v));
}

}  // namespace

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::filesystem::path p(path);
  if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path());
  // Plain writes: fixtures need no fsync, and tests write hundreds of small files.
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  ASSERT_TRUE(out.good()) << "cannot write fixture " << path;
}

std::string Gzip(const std::string& bytes) {
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  EXPECT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, bytes.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

uint8_t IdxPixel(int i, int r, int c) { return static_cast<uint8_t>((i * 31 + r * 7 + c * 3) % 256); }

std::string IdxImages(int n, int rows, int cols) {
  std::string s;
  PutBE32(s, 0x00000803);
  PutBE32(s, n);
  PutBE32(s, rows);
  PutBE32(s, cols);
  for (int i = 0; i < n; ++i) {
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) s.push_back(static_cast<char>(IdxPixel(i, r, c)));
    }
  }
  return s;
}

std::string IdxLabels(const std::vector<uint8_t>& labels) {
  std::string s;
  PutBE32(s, 0x00000801);
  PutBE32(s, static_cast<uint32_t>(labels.size()));
  for (uint8_t l : labels) s.push_back(static_cast<char>(l));
  return s;
}

std::string CifarRecord(uint8_t label, int seed) {
  std::string s(1, static_cast<char>(label));
  for (int k = 0; k < 3072; ++k) s.push_back(static_cast<char>((seed * 13 + k) % 256));
  return s;
}

}  // namespace sl::ml::data::testing
