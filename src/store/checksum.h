// Object checksums, recorded at put and verified on read, in a self-describing text form
// "<algorithm>:<lowercase hex>":
//
//   crc32c:e3069283     CRC-32C (Castagnoli; the check of iSCSI, ext4/btrfs metadata and S3's
//                       x-amz-checksum-crc32c), 8 hex digits. Computed with the SSE4.2 crc32
//                       instruction (three interleaved streams) when the CPU has it, else by
//                       table. It detects every burst error up to 32 bits and misses random
//                       damage with probability 2^-32: a corruption check, not a defence against
//                       someone forging data.
//   sha256:<64 hex>     SHA-256 (OpenSSL), for callers that need a cryptographic digest.
//
// The file backend records crc32c by default (StoreOptions::file_checksum); the s3 backend
// records sha256 (it signs the payload hash anyway). Both verify whatever an object recorded.
// Thread safety: the free functions are stateless and thread-safe; a Checksummer is
// single-threaded. Failure: ParseChecksum returns INVALID_ARGUMENT naming the bad text.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/sha256.h"
#include "common/status.h"

namespace sl::store {

enum class ChecksumAlgorithm { kCrc32c, kSha256 };

// "crc32c" / "sha256".
std::string_view ChecksumAlgorithmName(ChecksumAlgorithm algorithm);
// Inverse of ChecksumAlgorithmName; anything else is INVALID_ARGUMENT listing the supported ones.
Result<ChecksumAlgorithm> ParseChecksumAlgorithm(std::string_view name);

// CRC-32C of `data` continuing from `crc` (0 to start): Crc32c(Crc32c(0, a), b) == Crc32c(0, a+b).
// Crc32c(0, "123456789") == 0xe3069283.
uint32_t Crc32c(uint32_t crc, std::string_view data);
// The table-driven implementation, whatever the CPU (tests compare the two).
uint32_t Crc32cPortable(uint32_t crc, std::string_view data);
// True if Crc32c uses the SSE4.2 instruction on this CPU.
bool Crc32cIsHardwareAccelerated();

// Streams bytes into one checksum of the chosen algorithm.
class Checksummer {
 public:
  explicit Checksummer(ChecksumAlgorithm algorithm);
  ChecksumAlgorithm algorithm() const { return algorithm_; }
  void Update(std::string_view data);
  // "<algorithm>:<hex>"; the checksummer is spent afterwards.
  std::string Finish();

 private:
  ChecksumAlgorithm algorithm_;
  uint32_t crc_ = 0;
  std::unique_ptr<Sha256Hasher> sha_;  // only for kSha256
};

// "<algorithm>:<hex>" of `data`.
std::string ComputeChecksum(ChecksumAlgorithm algorithm, std::string_view data);

// A recorded checksum split into its parts, checked for a known algorithm and the right number
// of lowercase hex digits.
struct ParsedChecksum {
  ChecksumAlgorithm algorithm;
  std::string_view hex;  // points into the parsed text
};
Result<ParsedChecksum> ParseChecksum(std::string_view text);

}  // namespace sl::store
