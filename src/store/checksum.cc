#include "store/checksum.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

#include <fmt/format.h>

namespace sl::store {
namespace {

constexpr uint32_t kPoly = 0x82f63b78;  // CRC-32C, reflected

using Table = std::array<std::array<uint32_t, 256>, 8>;

// Slicing-by-8 tables for the portable path.
const Table& SliceTables() {
  static const Table t = [] {
    Table t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
      t[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; ++n) {
      for (size_t k = 1; k < 8; ++k) t[k][n] = (t[k - 1][n] >> 8) ^ t[0][t[k - 1][n] & 0xff];
    }
    return t;
  }();
  return t;
}

// Works on the raw CRC register (no pre/post inversion).
uint32_t Crc32cRawPortable(uint32_t crc, const unsigned char* p, size_t n) {
  const Table& t = SliceTables();
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
    --n;
  }
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    w ^= crc;
    crc = t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^ t[4][(w >> 24) & 0xff] ^
          t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^ t[1][(w >> 48) & 0xff] ^ t[0][w >> 56];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) crc = (crc >> 8) ^ t[0][(crc ^ *p++) & 0xff];
  return crc;
}

#if defined(__x86_64__)

// Three independent crc32 streams over blocks of kLong (then kShort) bytes hide the
// instruction's 3-cycle latency; the three partial CRCs are merged by "appending zeros" to the
// earlier ones with precomputed GF(2) operators (M. Adler's method).
constexpr size_t kLong = 8192;
constexpr size_t kShort = 256;

// GF(2) matrix (32 columns) times vector.
uint32_t MatrixTimes(const uint32_t* mat, uint32_t vec) {
  uint32_t sum = 0;
  for (; vec != 0; vec >>= 1, ++mat) {
    if (vec & 1) sum ^= *mat;
  }
  return sum;
}

void MatrixSquare(uint32_t* square, const uint32_t* mat) {
  for (int n = 0; n < 32; ++n) square[n] = MatrixTimes(mat, mat[n]);
}

// Byte-wise tables of the operator that appends `len` (a power of two) zero bytes to a register.
std::array<std::array<uint32_t, 256>, 4> ZerosTables(size_t len) {
  uint32_t odd[32], even[32];
  odd[0] = kPoly;  // operator for one zero bit
  for (int n = 1; n < 32; ++n) odd[n] = 1u << (n - 1);
  MatrixSquare(even, odd);  // two zero bits
  MatrixSquare(odd, even);  // four zero bits
  const uint32_t* op = nullptr;
  while (true) {  // eight zero bits (one byte), then doubling until len bytes
    MatrixSquare(even, odd);
    len >>= 1;
    if (len == 0) {
      op = even;
      break;
    }
    MatrixSquare(odd, even);
    len >>= 1;
    if (len == 0) {
      op = odd;
      break;
    }
  }
  std::array<std::array<uint32_t, 256>, 4> z{};
  for (uint32_t n = 0; n < 256; ++n) {
    z[0][n] = MatrixTimes(op, n);
    z[1][n] = MatrixTimes(op, n << 8);
    z[2][n] = MatrixTimes(op, n << 16);
    z[3][n] = MatrixTimes(op, n << 24);
  }
  return z;
}

struct ShiftTables {
  std::array<std::array<uint32_t, 256>, 4> long_ = ZerosTables(kLong);
  std::array<std::array<uint32_t, 256>, 4> short_ = ZerosTables(kShort);
};

const ShiftTables& Shifts() {
  static const ShiftTables t;
  return t;
}

inline uint32_t Shift(const std::array<std::array<uint32_t, 256>, 4>& z, uint32_t crc) {
  return z[0][crc & 0xff] ^ z[1][(crc >> 8) & 0xff] ^ z[2][(crc >> 16) & 0xff] ^ z[3][crc >> 24];
}

// Runs three streams over consecutive blocks of `block` bytes while at least 3 blocks remain.
__attribute__((target("sse4.2"))) void ThreeWay(size_t block, const std::array<std::array<uint32_t, 256>, 4>& z,
                                                uint64_t* crc, const unsigned char** pp, size_t* np) {
  uint64_t c0 = *crc;
  const unsigned char* p = *pp;
  size_t n = *np;
  while (n >= 3 * block) {
    uint64_t c1 = 0, c2 = 0;
    const unsigned char* end = p + block;
    do {
      uint64_t w0, w1, w2;
      std::memcpy(&w0, p, 8);
      std::memcpy(&w1, p + block, 8);
      std::memcpy(&w2, p + 2 * block, 8);
      c0 = _mm_crc32_u64(c0, w0);
      c1 = _mm_crc32_u64(c1, w1);
      c2 = _mm_crc32_u64(c2, w2);
      p += 8;
    } while (p < end);
    c0 = Shift(z, static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c1);
    c0 = Shift(z, static_cast<uint32_t>(c0)) ^ static_cast<uint32_t>(c2);
    p += 2 * block;
    n -= 3 * block;
  }
  *crc = c0;
  *pp = p;
  *np = n;
}

__attribute__((target("sse4.2"))) uint32_t Crc32cRawHardware(uint32_t crc, const unsigned char* p, size_t n) {
  const ShiftTables& shifts = Shifts();
  uint64_t c0 = crc;
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    c0 = _mm_crc32_u8(static_cast<uint32_t>(c0), *p++);
    --n;
  }
  ThreeWay(kLong, shifts.long_, &c0, &p, &n);
  ThreeWay(kShort, shifts.short_, &c0, &p, &n);
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    c0 = _mm_crc32_u64(c0, w);
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c0 = _mm_crc32_u8(static_cast<uint32_t>(c0), *p++);
  return static_cast<uint32_t>(c0);
}

// Runs during static initialisation, possibly before libgcc's own CPU probe: init explicitly.
bool DetectHardware() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

#else

bool DetectHardware() { return false; }
uint32_t Crc32cRawHardware(uint32_t crc, const unsigned char* p, size_t n) { return Crc32cRawPortable(crc, p, n); }

#endif

const bool kHardware = DetectHardware();

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32c:
      return "crc32c";
    case ChecksumAlgorithm::kSha256:
      return "sha256";
  }
  return "unknown";
}

Result<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name) {
  if (name == "crc32c") return ChecksumAlgorithm::kCrc32c;
  if (name == "sha256") return ChecksumAlgorithm::kSha256;
  return InvalidArgument("unknown checksum algorithm '{}' (supported: crc32c, sha256)", name);
}

uint32_t Crc32c(uint32_t crc, std::string_view data) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  uint32_t raw = ~crc;
  raw = kHardware ? Crc32cRawHardware(raw, p, data.size()) : Crc32cRawPortable(raw, p, data.size());
  return ~raw;
}

uint32_t Crc32cPortable(uint32_t crc, std::string_view data) {
  return ~Crc32cRawPortable(~crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

bool Crc32cIsHardwareAccelerated() { return kHardware; }

Checksummer::Checksummer(ChecksumAlgorithm algorithm) : algorithm_(algorithm) {
  if (algorithm_ == ChecksumAlgorithm::kSha256) sha_ = std::make_unique<Sha256Hasher>();
}

void Checksummer::Update(std::string_view data) {
  if (sha_) {
    sha_->Update(data);
  } else {
    crc_ = Crc32c(crc_, data);
  }
}

std::string Checksummer::Finish() {
  if (sha_) return "sha256:" + sha_->FinishHex();
  return fmt::format("crc32c:{:08x}", crc_);
}

std::string ComputeChecksum(ChecksumAlgorithm algorithm, std::string_view data) {
  Checksummer c(algorithm);
  c.Update(data);
  return c.Finish();
}

Result<ParsedChecksum> ParseChecksum(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return InvalidArgument("checksum '{}' has no '<algorithm>:' prefix", text);
  }
  SL_ASSIGN_OR_RETURN(ChecksumAlgorithm algorithm, ParseChecksumAlgorithm(text.substr(0, colon)));
  std::string_view hex = text.substr(colon + 1);
  size_t want = algorithm == ChecksumAlgorithm::kCrc32c ? 8 : 64;
  if (hex.size() != want || !IsLowerHex(hex)) {
    return InvalidArgument("checksum '{}': {} needs {} lowercase hex digits", text, ChecksumAlgorithmName(algorithm),
                           want);
  }
  return ParsedChecksum{algorithm, hex};
}

}  // namespace sl::store
