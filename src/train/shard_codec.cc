#include "train/shard_codec.h"

#include <cstring>

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
    d.sample_shape = f.header.at("sample_shape").get<std::vector<int64_t>>();
    size = f.header.at("size").get<size_t>();
    features = f.header.at("features").get<size_t>();
    tokens = f.header.at("tokens").get<size_t>();
    d.vocab_size = f.header.at("vocab_size").get<int64_t>();
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
