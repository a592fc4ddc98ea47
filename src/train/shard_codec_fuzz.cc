// libFuzzer target for training shards (shard_codec.h): the preprocessed slices every train-shard
// function reads from the store (outside input: the store or a buggy writer may hand back
// anything). The first byte picks raw shard bytes or "header JSON\npayload" framed by the harness
// (EncodeFrame with magic SLSHARD1, so the checks past the frame are reached). Contract checked:
// OK, DATA_LOSS or INVALID_ARGUMENT; OK means a dataset whose arrays agree with each other (dense:
// features = size x numel; tokens: offsets from 0 to the token count, non-decreasing, ids in the
// vocabulary), labels in [0, classes), and EncodeShard → DecodeShard gives it back.
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target
// shard_codec). Seeds: fuzz/corpus/shard_codec/, dictionary fuzz/train_blob.dict.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "train/framed_blob.h"
#include "train/shard_codec.h"

namespace {

using sl::ml::Dataset;
using sl::ml::SampleKind;

void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "shard_codec_fuzz: invariant violated: %s: %.*s\n", what,
               static_cast<int>(detail.size() > 400 ? 400 : detail.size()), detail.data());
  std::abort();
}

void CheckDecode(std::string_view bytes) {
  auto r = sl::train::DecodeShard(bytes, "fuzz");
  if (!r.ok()) {
    const auto code = r.status().code();
    Check(code == sl::Code::kDataLoss || code == sl::Code::kInvalidArgument, "error code",
          r.status().ToString());
    return;
  }
  const Dataset& d = *r;
  for (int64_t l : d.labels) Check(l >= 0 && l < d.num_classes(), "label out of range accepted");
  if (d.kind == SampleKind::kDense) {
    Check(d.features.size() == d.labels.size() * static_cast<size_t>(d.SampleNumel()),
          "features != size x numel");
  } else {
    Check(d.token_offsets.size() == d.labels.size() + 1, "token offsets count");
    Check(d.token_offsets.front() == 0 &&
              d.token_offsets.back() == static_cast<int64_t>(d.tokens.size()),
          "token offsets do not span the tokens");
    for (size_t i = 0; i + 1 < d.token_offsets.size(); ++i) {
      Check(d.token_offsets[i] <= d.token_offsets[i + 1], "decreasing token offsets accepted");
    }
    for (int32_t t : d.tokens) Check(t >= 0 && t < d.vocab_size, "token id out of range accepted");
  }
  auto r2 = sl::train::DecodeShard(sl::train::EncodeShard(d), "again");
  Check(r2.ok(), "EncodeShard of a decoded shard does not decode",
        r2.ok() ? "" : r2.status().ToString());
  const Dataset& e = *r2;
  Check(e.name == d.name && e.kind == d.kind && e.sample_shape == d.sample_shape &&
            e.labels == d.labels && e.class_names == d.class_names &&
            e.token_offsets == d.token_offsets && e.tokens == d.tokens &&
            e.vocab_size == d.vocab_size && e.features.size() == d.features.size(),
        "dataset after a round trip");
  Check(d.features.empty() || std::memcmp(e.features.data(), d.features.data(),
                                          d.features.size() * sizeof(float)) == 0,
        "features after a round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 2 == 0) {
    CheckDecode(rest);
    return 0;
  }
  const size_t nl = rest.find('\n');
  const std::string_view header = rest.substr(0, nl);
  const std::string_view payload = nl == std::string_view::npos ? "" : rest.substr(nl + 1);
  auto j = nlohmann::json::parse(header, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return 0;
  CheckDecode(sl::train::EncodeFrame("SLSHARD1", std::move(j), payload));
  return 0;
}
