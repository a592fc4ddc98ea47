#include "train/server_optimizer.h"

#include <cmath>
#include <cstring>

#include "train/framed_blob.h"

namespace sl::train {
namespace {
constexpr std::string_view kMagic = "SLVELO01";
}  // namespace

Status ServerOptimizer::Validate() const {
  if (!(lr > 0 && lr <= 10)) return InvalidArgument("server-lr: {} (must be in (0, 10])", lr);
  if (!(momentum >= 0 && momentum < 1)) {
    return InvalidArgument("server-momentum: {} (must be in [0, 1))", momentum);
  }
  return Status::Ok();
}

Status ApplyServerStep(const ServerOptimizer& opt, std::span<const float> average,
                       std::vector<float>* global, std::vector<float>* velocity) {
  SL_RETURN_IF_ERROR(opt.Validate());
  if (average.size() != global->size()) {
    return InvalidArgument("server step: average has {} parameters, the global model {}",
                           average.size(), global->size());
  }
  if (velocity->empty()) velocity->assign(global->size(), 0.0f);
  if (velocity->size() != global->size()) {
    return InvalidArgument("server step: velocity has {} values, the global model {}",
                           velocity->size(), global->size());
  }
  const float m = static_cast<float>(opt.momentum), lr = static_cast<float>(opt.lr);
  float* g = global->data();
  float* v = velocity->data();
  for (size_t i = 0; i < global->size(); ++i) {
    v[i] = m * v[i] + (average[i] - g[i]);
    g[i] += lr * v[i];
  }
  return Status::Ok();
}

std::string EncodeVelocity(std::span<const float> velocity, int64_t version) {
  nlohmann::json h = {{"version", version}, {"values", velocity.size()}};
  return EncodeFrame(kMagic, std::move(h),
                     std::string_view(reinterpret_cast<const char*>(velocity.data()),
                                      velocity.size() * sizeof(float)));
}

Result<std::vector<float>> DecodeVelocity(std::string_view bytes, int64_t version, size_t size,
                                          std::string_view where) {
  SL_ASSIGN_OR_RETURN(Frame f, DecodeFrame(bytes, kMagic, where));
  if (f.header.value("version", int64_t{-1}) != version) {
    return DataLoss("{}: velocity of version {}, expected {}", where, f.header.value("version", int64_t{-1}),
                    version);
  }
  if (f.payload.size() != size * sizeof(float)) {
    return DataLoss("{}: {} bytes of velocity, the model needs {}", where, f.payload.size(),
                    size * sizeof(float));
  }
  std::vector<float> v(size);
  std::memcpy(v.data(), f.payload.data(), f.payload.size());
  for (size_t i = 0; i < size; ++i) {
    if (!std::isfinite(v[i])) return DataLoss("{}: velocity value {} is not finite", where, i);
  }
  return v;
}

}  // namespace sl::train
