// Framed blobs: the byte format of everything the serverless trainer keeps in the object store
// besides plain JSON (training shards, shard updates). A frame is
//
//   magic (8 bytes) | header length (u64 little-endian) | header (JSON text) | payload
//
// The header describes the payload (counts, sizes, CRC-32C), so a reader can check that a blob
// is whole and what it claims to be before using it: a torn, truncated or overwritten object is
// reported, never decoded into garbage. The store verifies its own checksum as well; this one
// also covers blobs that were written *valid at the store level* but wrong (a buggy function
// writing junk under the right key). CRC-32C, not SHA-256: it detects corruption as well (every
// burst up to 32 bits; random damage missed with probability 2^-32) at a fraction of the cost —
// the coordinator checks every update of every round (0.8 MB for the cnn), and SHA-256 was ~14 %
// of its CPU time (docs/benchmarks.md); neither digest, unkeyed, stops a writer that forges one.
// Frames written with "payload_sha256" (before 2026-12-04) still decode.
//
// Failure contract: DecodeFrame returns DATA_LOSS naming `where`, the byte offset and what is
// wrong (bad magic, header length past the end, header not JSON, payload size or checksum not
// what the header says). Thread safety: stateless functions.
#pragma once
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace sl::train {

inline constexpr size_t kFrameMagicSize = 8;

// `header` gets "payload_bytes" and "payload_crc32c" (8 lowercase hex digits) added.
std::string EncodeFrame(std::string_view magic, nlohmann::json header, std::string_view payload);

struct Frame {
  nlohmann::json header;
  std::string_view payload;  // points into the decoded bytes
};

Result<Frame> DecodeFrame(std::string_view bytes, std::string_view magic, std::string_view where);

}  // namespace sl::train
