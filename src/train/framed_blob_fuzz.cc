// libFuzzer target for framed blobs (framed_blob.h), the byte format of the shards and updates
// the trainer reads back from the object store (written by functions: outside input). The first
// byte picks how the rest is used: raw frame bytes, or "header JSON\npayload" that the harness
// frames itself (EncodeFrame, so the checksum is right and the decoder's later checks are
// reached; or by hand with the header as given). Contract checked: DecodeFrame is OK or
// DATA_LOSS; OK means the payload is the frame's tail with the size and CRC the header claims, and
// EncodeFrame(header, payload) decodes to the same header and payload.
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target
// framed_blob). Seeds: fuzz/corpus/framed_blob/, dictionary fuzz/train_blob.dict.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "train/framed_blob.h"

namespace {

using sl::train::DecodeFrame;
using sl::train::EncodeFrame;

constexpr std::string_view kMagic = "SLFUZZ01";

void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "framed_blob_fuzz: invariant violated: %s: %.*s\n", what,
               static_cast<int>(detail.size() > 400 ? 400 : detail.size()), detail.data());
  std::abort();
}

void CheckDecode(std::string_view bytes) {
  auto r = DecodeFrame(bytes, kMagic, "fuzz");
  if (!r.ok()) {
    Check(r.status().code() == sl::Code::kDataLoss, "error other than DATA_LOSS",
          r.status().ToString());
    return;
  }
  const auto& f = *r;
  Check(f.header.is_object(), "header not an object");
  Check(f.payload.data() + f.payload.size() == bytes.data() + bytes.size(),
        "payload is not the tail of the frame");
  Check(f.header["payload_bytes"].get<uint64_t>() == f.payload.size(), "payload_bytes");
  std::string again = EncodeFrame(kMagic, f.header, f.payload);
  auto r2 = DecodeFrame(again, kMagic, "again");
  Check(r2.ok(), "EncodeFrame of a decoded frame does not decode",
        r2.ok() ? "" : r2.status().ToString());
  Check(r2->payload == f.payload, "payload after a round trip");
  Check(r2->header == f.header, "header after a round trip", again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:  // raw frame bytes
      CheckDecode(rest);
      break;
    case 1: {  // header\npayload, framed by EncodeFrame
      const size_t nl = rest.find('\n');
      const std::string_view header = rest.substr(0, nl);
      const std::string_view payload = nl == std::string_view::npos ? "" : rest.substr(nl + 1);
      auto j = nlohmann::json::parse(header, nullptr, false);
      if (j.is_discarded() || !j.is_object()) return 0;
      CheckDecode(EncodeFrame(kMagic, std::move(j), payload));
      break;
    }
    default: {  // header\npayload, framed by hand: the header's own size and checksum
      const size_t nl = rest.find('\n');
      const std::string_view header = rest.substr(0, nl);
      const std::string_view payload = nl == std::string_view::npos ? "" : rest.substr(nl + 1);
      std::string frame(kMagic);
      const uint64_t n = header.size();
      for (int i = 0; i < 8; ++i) frame.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
      frame.append(header);
      frame.append(payload);
      CheckDecode(frame);
    }
  }
  return 0;
}
