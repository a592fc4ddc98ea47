#include "train/update_codec.h"

#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "train/framed_blob.h"

namespace sl::train {
namespace {
constexpr std::string_view kMagic = "SLUPDT01";

// An integer member, refused unless the JSON holds an integer that fits: nlohmann's get<int64_t>
// of 1e30 is undefined behaviour (found by update_codec_fuzz).
int64_t IntMember(const nlohmann::json& h, const char* key) {
  const nlohmann::json& v = h.at(key);
  if (!v.is_number_integer() ||
      (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
    throw nlohmann::json::type_error::create(302, fmt::format("{} is not a 64-bit integer", key),
                                             &v);
  }
  return v.get<int64_t>();
}
}  // namespace

std::string EncodeUpdate(const ShardUpdate& u) {
  nlohmann::json h = {{"round", u.round},
                      {"shard", u.shard},
                      {"attempt", u.attempt},
                      {"samples", u.samples},
                      {"steps", u.steps},
                      {"loss", u.loss},
                      {"download_model_ms", u.download_model_ms},
                      {"download_shard_ms", u.download_shard_ms},
                      {"compute_ms", u.compute_ms}};
  return EncodeFrame(kMagic, std::move(h), u.weights);
}

Result<ShardUpdate> DecodeUpdate(std::string_view bytes, int64_t round, int64_t shard,
                                 std::string_view where) {
  SL_ASSIGN_OR_RETURN(Frame f, DecodeFrame(bytes, kMagic, where));
  ShardUpdate u;
  // JSON has no NaN/Inf: a diverged loss was written as null.
  if (f.header.contains("loss") && f.header["loss"].is_null()) {
    return InvalidArgument("{}: loss is not finite (diverged)", where);
  }
  try {
    u.round = IntMember(f.header, "round");
    u.shard = IntMember(f.header, "shard");
    u.attempt = IntMember(f.header, "attempt");
    u.samples = IntMember(f.header, "samples");
    u.steps = IntMember(f.header, "steps");
    u.loss = f.header.at("loss").get<double>();
    u.download_model_ms = f.header.value("download_model_ms", 0.0);
    u.download_shard_ms = f.header.value("download_shard_ms", 0.0);
    u.compute_ms = f.header.value("compute_ms", 0.0);
  } catch (const nlohmann::json::exception& e) {
    return DataLoss("{}: update header: {}", where, e.what());
  }
  if (u.round != round || u.shard != shard) {
    return InvalidArgument("{}: holds the update of round {} shard {}, expected round {} shard {}",
                           where, u.round, u.shard, round, shard);
  }
  if (u.samples <= 0) return InvalidArgument("{}: samples {} (must be > 0)", where, u.samples);
  if (!std::isfinite(u.loss)) return InvalidArgument("{}: loss is not finite (diverged)", where);
  u.weights.assign(f.payload);
  return u;
}

}  // namespace sl::train
