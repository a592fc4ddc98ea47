#include "train/framed_blob.h"

#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "common/sha256.h"
#include "store/checksum.h"

namespace sl::train {
namespace {

std::string CrcHex(std::string_view payload) {
  return fmt::format("{:08x}", store::Crc32c(0, payload));
}

}  // namespace

std::string EncodeFrame(std::string_view magic, nlohmann::json header, std::string_view payload) {
  header["payload_bytes"] = payload.size();
  header["payload_crc32c"] = CrcHex(payload);
  const std::string text = header.dump();
  std::string out;
  out.reserve(kFrameMagicSize + 8 + text.size() + payload.size());
  out.append(magic.substr(0, kFrameMagicSize));
  out.resize(kFrameMagicSize, '\0');
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out.append(text);
  out.append(payload);
  return out;
}

Result<Frame> DecodeFrame(std::string_view bytes, std::string_view magic, std::string_view where) {
  if (bytes.size() < kFrameMagicSize + 8) {
    return DataLoss("{}: {} bytes, shorter than a frame header (16 bytes)", where, bytes.size());
  }
  std::string want(magic.substr(0, kFrameMagicSize));
  want.resize(kFrameMagicSize, '\0');
  if (std::memcmp(bytes.data(), want.data(), kFrameMagicSize) != 0) {
    return DataLoss("{}: byte 0: bad magic (not a '{}' blob)", where, magic);
  }
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) {
    n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[kFrameMagicSize + i])) << (8 * i);
  }
  const size_t header_at = kFrameMagicSize + 8;
  if (n > bytes.size() - header_at) {
    return DataLoss("{}: byte {}: header of {} bytes runs past the end ({} bytes)", where,
                    kFrameMagicSize, n, bytes.size());
  }
  Frame f;
  f.header = nlohmann::json::parse(bytes.substr(header_at, n), nullptr, /*allow_exceptions=*/false);
  if (f.header.is_discarded() || !f.header.is_object()) {
    return DataLoss("{}: byte {}: header is not a JSON object", where, header_at);
  }
  f.payload = bytes.substr(header_at + n);
  const auto& pb = f.header["payload_bytes"];
  if (!pb.is_number_unsigned()) return DataLoss("{}: header lacks payload_bytes", where);
  if (pb.get<uint64_t>() != f.payload.size()) {
    return DataLoss("{}: byte {}: payload is {} bytes, header says {} (truncated or appended)",
                    where, header_at + n, f.payload.size(), pb.get<uint64_t>());
  }
  // CRC-32C since 2026-12-04; blobs written before carry SHA-256 and still read.
  if (const auto& crc = f.header["payload_crc32c"]; crc.is_string()) {
    if (CrcHex(f.payload) != crc.get<std::string>()) {
      return DataLoss("{}: payload CRC-32C does not match its header (corrupted)", where);
    }
  } else if (const auto& sha = f.header["payload_sha256"]; sha.is_string()) {
    if (Sha256Hex(f.payload) != sha.get<std::string>()) {
      return DataLoss("{}: payload SHA-256 does not match its header (corrupted)", where);
    }
  } else {
    return DataLoss("{}: header lacks payload_crc32c (or payload_sha256)", where);
  }
  return f;
}

}  // namespace sl::train
