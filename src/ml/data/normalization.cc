#include "ml/data/normalization.h"

#include <cmath>

namespace sl::ml::data {

Result<Normalization> Normalization::Compute(const Dataset& train) {
  if (train.kind != SampleKind::kDense || train.sample_shape.empty()) {
    return InvalidArgument("dataset '{}': normalisation needs dense samples with a channel "
                           "dimension", train.name);
  }
  if (train.size() == 0) {
    return InvalidArgument("dataset '{}': cannot compute normalisation of an empty split",
                           train.name);
  }
  const int64_t channels = train.sample_shape[0];
  const int64_t numel = train.SampleNumel();
  const int64_t per_channel = numel / channels;
  // Double accumulators: 47M float additions in float would lose several digits.
  std::vector<double> sum(channels, 0.0), sq(channels, 0.0);
  for (int64_t i = 0; i < train.size(); ++i) {
    const float* s = train.features.data() + i * numel;
    for (int64_t c = 0; c < channels; ++c) {
      const float* ch = s + c * per_channel;
      double a = 0, b = 0;
      for (int64_t k = 0; k < per_channel; ++k) {
        a += ch[k];
        b += static_cast<double>(ch[k]) * ch[k];
      }
      sum[c] += a;
      sq[c] += b;
    }
  }
  Normalization n;
  const double count = static_cast<double>(train.size()) * per_channel;
  for (int64_t c = 0; c < channels; ++c) {
    const double mean = sum[c] / count;
    const double var = std::max(0.0, sq[c] / count - mean * mean);
    const double sd = std::sqrt(var);
    n.mean.push_back(static_cast<float>(mean));
    n.std.push_back(sd > 1e-12 ? static_cast<float>(sd) : 1.0f);
  }
  return n;
}

Result<Normalization> Normalization::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return InvalidArgument("normalization: expected an object, got {}", j.type_name());
  for (const char* key : {"mean", "std"}) {
    if (!j.contains(key) || !j[key].is_array() || j[key].empty()) {
      return InvalidArgument("normalization.{}: missing or not a non-empty array", key);
    }
  }
  if (j["mean"].size() != j["std"].size()) {
    return InvalidArgument("normalization: mean has {} channels, std has {}", j["mean"].size(),
                           j["std"].size());
  }
  Normalization n;
  for (size_t c = 0; c < j["mean"].size(); ++c) {
    const auto& m = j["mean"][c];
    const auto& s = j["std"][c];
    if (!m.is_number()) return InvalidArgument("normalization.mean[{}]: not a number", c);
    if (!s.is_number() || !(s.get<double>() > 0)) {
      return InvalidArgument("normalization.std[{}]: not a positive number", c);
    }
    n.mean.push_back(m.get<float>());
    n.std.push_back(s.get<float>());
  }
  return n;
}

nlohmann::json Normalization::ToJson() const { return {{"mean", mean}, {"std", std}}; }

void Normalization::ApplyTo(float* values, int64_t n, int64_t sample_numel) const {
  const int64_t channels = static_cast<int64_t>(mean.size());
  const int64_t per_channel = sample_numel / channels;
  std::vector<float> inv(channels);
  for (int64_t c = 0; c < channels; ++c) inv[c] = 1.0f / std[c];
  for (int64_t i = 0; i < n; ++i) {
    float* s = values + i * sample_numel;
    for (int64_t c = 0; c < channels; ++c) {
      float* ch = s + c * per_channel;
      const float m = mean[c], k = inv[c];
      for (int64_t p = 0; p < per_channel; ++p) ch[p] = (ch[p] - m) * k;
    }
  }
}

Status Normalization::Apply(Dataset& d) const {
  if (d.kind != SampleKind::kDense || d.sample_shape.empty()) {
    return InvalidArgument("dataset '{}': normalisation applies to dense samples only", d.name);
  }
  if (d.sample_shape[0] != static_cast<int64_t>(mean.size())) {
    return InvalidArgument("dataset '{}': has {} channels, the normalisation has {}", d.name,
                           d.sample_shape[0], mean.size());
  }
  ApplyTo(d.features.data(), d.size(), d.SampleNumel());
  return Status::Ok();
}

}  // namespace sl::ml::data
