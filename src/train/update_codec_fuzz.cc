// libFuzzer target for shard updates (update_codec.h): what a train-shard function leaves in the
// store and the coordinator decodes every round (outside input: a function may write anything).
// The first byte picks raw update bytes or "header JSON\npayload" framed by the harness
// (EncodeFrame with magic SLUPDT01, so the decoder's checks past the frame are reached). Contract
// checked: OK, DATA_LOSS or INVALID_ARGUMENT; OK means the update is round 3 shard 1 (what was
// asked), samples > 0, a finite loss, the payload as weights, and EncodeUpdate → DecodeUpdate
// gives the same update back.
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target
// update_codec). Seeds: fuzz/corpus/update_codec/, dictionary fuzz/train_blob.dict.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "train/framed_blob.h"
#include "train/update_codec.h"

namespace {

using namespace sl::train;

void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (ok) return;
  std::fprintf(stderr, "update_codec_fuzz: invariant violated: %s: %.*s\n", what,
               static_cast<int>(detail.size() > 400 ? 400 : detail.size()), detail.data());
  std::abort();
}

bool Same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

void CheckDecode(std::string_view bytes) {
  auto r = DecodeUpdate(bytes, 3, 1, "fuzz");
  if (!r.ok()) {
    const auto code = r.status().code();
    Check(code == sl::Code::kDataLoss || code == sl::Code::kInvalidArgument, "error code",
          r.status().ToString());
    return;
  }
  const ShardUpdate& u = *r;
  Check(u.round == 3 && u.shard == 1, "an update of another round or shard accepted");
  Check(u.samples > 0, "samples <= 0 accepted");
  Check(std::isfinite(u.loss), "a non-finite loss accepted");
  auto r2 = DecodeUpdate(EncodeUpdate(u), 3, 1, "again");
  Check(r2.ok(), "EncodeUpdate of a decoded update does not decode",
        r2.ok() ? "" : r2.status().ToString());
  Check(r2->attempt == u.attempt && r2->samples == u.samples && r2->steps == u.steps &&
            Same(r2->loss, u.loss) && Same(r2->download_model_ms, u.download_model_ms) &&
            Same(r2->download_shard_ms, u.download_shard_ms) && Same(r2->compute_ms, u.compute_ms),
        "fields after a round trip");
  Check(r2->weights == u.weights, "weights after a round trip");
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
  CheckDecode(EncodeFrame("SLUPDT01", std::move(j), payload));
  return 0;
}
