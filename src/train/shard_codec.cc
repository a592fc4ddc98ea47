#include "train/shard_codec.h"

#include <cstdint>
#include <cstring>

#include <fmt/format.h>

#include "train/framed_blob.h"

namespace sl::train {
namespace {

constexpr std::string_view kMagic = "SLSHARD1";

template <typename T, typename A>
void AppendArray(std::string* out, const std::vector<T, A>& v) {
  out->append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// Copies `count` values of T from payload at *offset; false when the payload is too short.
template <typename T, typename A>
bool TakeArray(std::string_view payload, size_t* offset, size_t count, std::vector<T, A>* v) {
  const size_t bytes = count * sizeof(T);
  if (count > payload.size() / sizeof(T) || *offset + bytes > payload.size()) return false;
  v->resize(count);
  if (bytes > 0) std::memcpy(v->data(), payload.data() + *offset, bytes);
  *offset += bytes;
  return true;
}

// Members read with a type check first: nlohmann's get<size_t>/get<int64_t> of 1e30 (or of an
// integer out of range) is undefined behaviour (found by shard_codec_fuzz).
void RequireInteger(const nlohmann::json& v, const char* key, bool non_negative) {
  if (!v.is_number_integer() || (non_negative && !v.is_number_unsigned() && v.get<int64_t>() < 0) ||
      (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))) {
    throw nlohmann::json::type_error::create(
        302, fmt::format("{} is not a{} 64-bit integer", key, non_negative ? " non-negative" : ""), &v);
  }
}
size_t SizeMember(const nlohmann::json& h, const char* key) {
  const nlohmann::json& v = h.at(key);
  RequireInteger(v, key, true);
  return v.get<size_t>();
}
int64_t IntMember(const nlohmann::json& h, const char* key) {
  const nlohmann::json& v = h.at(key);
  RequireInteger(v, key, false);
  return v.get<int64_t>();
}

}  // namespace

std::string EncodeShard(const ml::Dataset& data) {
  nlohmann::json h = {{"name", data.name},
                      {"kind", data.kind == ml::SampleKind::kDense ? "dense" : "tokens"},
                      {"sample_shape", data.sample_shape},
                      {"size", data.size()},
                      {"features", data.features.size()},
                      {"tokens", data.tokens.size()},
                      {"vocab_size", data.vocab_size},
                      {"class_names", data.class_names}};
  std::string payload;
  AppendArray(&payload, data.features);
  AppendArray(&payload, data.labels);
  if (data.kind == ml::SampleKind::kTokens) {
    AppendArray(&payload, data.token_offsets);
    AppendArray(&payload, data.tokens);
  }
  return EncodeFrame(kMagic, std::move(h), payload);
}

Result<ml::Dataset> DecodeShard(std::string_view bytes, std::string_view where) {
  SL_ASSIGN_OR_RETURN(Frame f, DecodeFrame(bytes, kMagic, where));
  ml::Dataset d;
  size_t size = 0, features = 0, tokens = 0;
  try {
    d.name = f.header.at("name").get<std::string>();
    const std::string kind = f.header.at("kind").get<std::string>();
    if (kind != "dense" && kind != "tokens") return DataLoss("{}: header kind '{}' is unknown", where, kind);
    d.kind = kind == "dense" ? ml::SampleKind::kDense : ml::SampleKind::kTokens;
    const nlohmann::json& shape = f.header.at("sample_shape");
    if (!shape.is_array()) throw nlohmann::json::type_error::create(302, "sample_shape is not an array", &shape);
    for (const auto& dim : shape) RequireInteger(dim, "a sample_shape dimension", true);
    d.sample_shape = shape.get<std::vector<int64_t>>();
    size = SizeMember(f.header, "size");
    features = SizeMember(f.header, "features");
    tokens = SizeMember(f.header, "tokens");
    d.vocab_size = IntMember(f.header, "vocab_size");
    d.class_names = f.header.at("class_names").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    return DataLoss("{}: shard header: {}", where, e.what());
  }
  size_t off = 0;
  bool ok = TakeArray(f.payload, &off, features, &d.features) && TakeArray(f.payload, &off, size, &d.labels);
  if (ok && d.kind == ml::SampleKind::kTokens) {
    ok = TakeArray(f.payload, &off, size + 1, &d.token_offsets) && TakeArray(f.payload, &off, tokens, &d.tokens);
  }
  if (!ok || off != f.payload.size()) {
    return DataLoss("{}: payload of {} bytes does not hold the arrays its header describes", where,
                    f.payload.size());
  }
  if (d.kind == ml::SampleKind::kDense) {
    // SampleNumel() multiplies in int64: a shape whose product overflows it is refused first.
    int64_t numel = 1;
    for (int64_t dim : d.sample_shape) {
      if (__builtin_mul_overflow(numel, dim, &numel)) {
        return DataLoss("{}: sample shape {} has more elements than an int64 counts", where,
                        f.header["sample_shape"].dump());
      }
    }
  }
  if (d.kind == ml::SampleKind::kDense && features != size * static_cast<size_t>(d.SampleNumel())) {
    return DataLoss("{}: {} feature values for {} samples of shape numel {}", where, features, size,
                    d.SampleNumel());
  }
  for (size_t i = 0; i < d.labels.size(); ++i) {
    if (d.labels[i] < 0 || d.labels[i] >= d.num_classes()) {
      return InvalidArgument("{}: sample {}: label {} outside [0, {})", where, i, d.labels[i], d.num_classes());
    }
  }
  if (d.kind == ml::SampleKind::kTokens) {
    if (d.token_offsets.front() != 0 || static_cast<size_t>(d.token_offsets.back()) != d.tokens.size()) {
      return DataLoss("{}: token offsets do not span the token array", where);
    }
    for (size_t i = 0; i + 1 < d.token_offsets.size(); ++i) {
      if (d.token_offsets[i] > d.token_offsets[i + 1]) return DataLoss("{}: token offsets decrease at sample {}", where, i);
    }
    for (int32_t t : d.tokens) {
      if (t < 0 || t >= d.vocab_size) return InvalidArgument("{}: token id {} outside [0, {})", where, t, d.vocab_size);
    }
  }
  return d;
}

}  // namespace sl::train
