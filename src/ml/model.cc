#include "ml/model.h"

#include <bit>
#include <cstring>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ml/internal/batcher.h"
#include "ml/internal/model_impl.h"
#include "ml/models/models.h"

namespace sl::ml {
namespace {

constexpr std::string_view kStateMagic = "SLSTATE1";
static_assert(std::endian::native == std::endian::little, "the state blob stores tensors little-endian");

bool IsStateBlob(std::string_view bytes) { return bytes.substr(0, kStateMagic.size()) == kStateMagic; }

// Reads a SerializeState blob into `state` (the model's own tensors) — all checks first, then
// the copies, so a bad blob changes nothing.
Status LoadState(std::string_view bytes, std::string_view source, const std::string& model_name,
                 const std::vector<std::pair<std::string, torch::Tensor>>& state) {
  const size_t header_at = kStateMagic.size() + 8;
  if (bytes.size() < header_at) {
    return DataLoss("{}: {} bytes, shorter than a state blob header ({} bytes)", source, bytes.size(), header_at);
  }
  uint64_t n = 0;
  std::memcpy(&n, bytes.data() + kStateMagic.size(), 8);
  if (n > bytes.size() - header_at) {
    return DataLoss("{}: byte {}: header of {} bytes runs past the end ({} bytes)", source,
                    kStateMagic.size(), n, bytes.size());
  }
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(header_at, n), nullptr, false);
  if (header.is_discarded() || !header.is_object() || !header["tensors"].is_array()) {
    return DataLoss("{}: byte {}: header is not a JSON object with a 'tensors' array", source, header_at);
  }
  const nlohmann::json& tensors = header["tensors"];
  if (tensors.size() != state.size()) {
    return InvalidArgument("{}: holds {} tensors, model '{}' has {}", source, tensors.size(), model_name,
                           state.size());
  }
  size_t at = header_at + n;
  std::vector<size_t> offsets(state.size());
  for (size_t i = 0; i < state.size(); ++i) {
    const auto& [name, dst] = state[i];
    const nlohmann::json& t = tensors[i];
    if (!t.is_object() || t.value("name", "") != name) {
      return InvalidArgument("{}: tensor {} is '{}', model '{}' has '{}' there (weights of another model?)",
                             source, i, t.is_object() ? t.value("name", "") : t.dump(), model_name, name);
    }
    const std::string dtype = t.value("dtype", "");
    const std::vector<int64_t> shape = t.value("shape", std::vector<int64_t>{});
    if (dtype != c10::toString(dst.scalar_type()) || !dst.sizes().equals(shape)) {
      return InvalidArgument("{}: tensor '{}' has shape {} {}, model '{}' expects {} {}", source, name,
                             c10::str(c10::IntArrayRef(shape)), dtype, model_name, c10::str(dst.sizes()),
                             c10::toString(dst.scalar_type()));
    }
    const size_t size = static_cast<size_t>(dst.numel()) * dst.element_size();
    if (size > bytes.size() - at) {
      return DataLoss("{}: byte {}: tensor '{}' needs {} bytes, {} are left (truncated)", source, at, name,
                      size, bytes.size() - at);
    }
    offsets[i] = at;
    at += size;
  }
  if (at != bytes.size()) {
    return DataLoss("{}: byte {}: {} bytes after the last tensor (appended to?)", source, at, bytes.size() - at);
  }
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < state.size(); ++i) {
    const torch::Tensor& dst = state[i].second;
    torch::Tensor src = torch::from_blob(const_cast<char*>(bytes.data() + offsets[i]), dst.sizes(),
                                         torch::TensorOptions().dtype(dst.scalar_type()));
    dst.copy_(src);  // the source may be unaligned (any header length); x86-64 and aarch64 load it
  }
  return Status::Ok();
}

}  // namespace

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Result<Model> Model::Create(const ModelSpec& spec, uint64_t seed) {
  SL_ASSIGN_OR_RETURN(NetFactory make, models::FindFactory(spec.name));
  torch::manual_seed(seed);
  SL_ASSIGN_OR_RETURN(std::shared_ptr<Net> net, make(spec));
  net->eval();
  return Model(std::make_unique<Impl>(Impl{spec, std::move(net)}));
}

Model Model::Clone() const {
  // Rebuild the architecture and copy the state (Net is abstract, so no Module::clone()).
  Result<Model> copy = Create(impl_->spec, 0);
  assert(copy.ok());
  torch::NoGradGuard no_grad;
  auto dst = NamedState(*copy->impl_->net);
  auto src = NamedState(*impl_->net);
  for (size_t i = 0; i < src.size(); ++i) dst[i].second.copy_(src[i].second);
  return std::move(copy).value();
}

const ModelSpec& Model::spec() const { return impl_->spec; }

int64_t Model::NumParameters() const {
  int64_t n = 0;
  for (const auto& p : impl_->net->parameters()) n += p.numel();
  return n;
}

Result<std::string> Model::SerializeWeights() const {
  try {
    torch::serialize::OutputArchive archive;
    for (const auto& [name, t] : NamedState(*impl_->net)) archive.write(name, t.detach());
    std::ostringstream out;
    archive.save_to(out);
    return out.str();
  } catch (const c10::Error& e) {
    return Internal("model '{}': serializing weights: {}", impl_->spec.name, e.what_without_backtrace());
  }
}

std::string Model::SerializeState() const {
  const auto state = NamedState(*impl_->net);
  nlohmann::json tensors = nlohmann::json::array();
  size_t payload = 0;
  for (const auto& [name, t] : state) {
    tensors.push_back({{"name", name}, {"dtype", c10::toString(t.scalar_type())}, {"shape", t.sizes().vec()}});
    payload += static_cast<size_t>(t.numel()) * t.element_size();
  }
  const std::string header = nlohmann::json{{"model", impl_->spec.name}, {"tensors", tensors}}.dump();
  std::string out;
  out.reserve(kStateMagic.size() + 8 + header.size() + payload);
  out.append(kStateMagic);
  const uint64_t n = header.size();
  out.append(reinterpret_cast<const char*>(&n), 8);
  out.append(header);
  for (const auto& [name, t] : state) {
    const torch::Tensor c = t.detach().contiguous();
    out.append(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()) * c.element_size());
  }
  return out;
}

Status Model::LoadWeights(std::string_view bytes, std::string_view source) {
  if (IsStateBlob(bytes)) return LoadState(bytes, source, impl_->spec.name, NamedState(*impl_->net));
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(bytes.data(), bytes.size());
  } catch (const c10::Error& e) {
    return DataLoss("{}: not a readable weights archive: {}", source, e.what_without_backtrace());
  }
  torch::NoGradGuard no_grad;
  auto state = NamedState(*impl_->net);
  // Read everything before writing anything, so a mismatch leaves the model unchanged.
  std::vector<torch::Tensor> loaded(state.size());
  for (size_t i = 0; i < state.size(); ++i) {
    const auto& [name, dst] = state[i];
    try {
      archive.read(name, loaded[i]);
    } catch (const c10::Error&) {
      return InvalidArgument("{}: has no tensor '{}' (weights of another model than '{}'?)", source,
                             name, impl_->spec.name);
    }
    if (!loaded[i].sizes().equals(dst.sizes()) || loaded[i].scalar_type() != dst.scalar_type()) {
      return InvalidArgument("{}: tensor '{}' has shape {} {}, model '{}' expects {} {}", source,
                             name, c10::str(loaded[i].sizes()), c10::toString(loaded[i].scalar_type()),
                             impl_->spec.name, c10::str(dst.sizes()), c10::toString(dst.scalar_type()));
    }
  }
  std::vector<std::string> keys = archive.keys();
  if (keys.size() != state.size()) {
    return InvalidArgument("{}: holds {} tensors, model '{}' has {}", source, keys.size(),
                           impl_->spec.name, state.size());
  }
  for (size_t i = 0; i < state.size(); ++i) state[i].second.copy_(loaded[i]);
  return Status::Ok();
}

std::vector<float> Model::FlatParameters() const {
  std::vector<float> out;
  out.reserve(NumParameters());
  for (const auto& p : impl_->net->parameters()) {
    torch::Tensor c = p.detach().contiguous().to(torch::kFloat);
    out.insert(out.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  return out;
}

Status Model::SetFlatParameters(std::span<const float> values) {
  if (static_cast<int64_t>(values.size()) != NumParameters()) {
    return InvalidArgument("model '{}': {} flat parameters given, it has {}", impl_->spec.name,
                           values.size(), NumParameters());
  }
  torch::NoGradGuard no_grad;
  size_t pos = 0;
  for (auto& p : impl_->net->parameters()) {
    torch::Tensor src = torch::from_blob(const_cast<float*>(values.data() + pos), p.sizes(), torch::kFloat);
    p.copy_(src);
    pos += p.numel();
  }
  return Status::Ok();
}

Status CheckCompatible(const InputSpec& input, int64_t num_classes, const Dataset& data) {
  if (data.kind != input.kind) {
    return InvalidArgument("dataset '{}' has {} samples, the model takes {}", data.name,
                           data.kind == SampleKind::kDense ? "dense" : "token",
                           input.ShapeString());
  }
  if (data.kind == SampleKind::kDense) {
    if (data.sample_shape != input.shape) {
      return InvalidArgument("dataset '{}' has samples of shape {}, the model takes {}", data.name,
                             InputSpec::Of(data).ShapeString(), input.ShapeString());
    }
    if (static_cast<int64_t>(data.features.size()) != data.size() * data.SampleNumel()) {
      return InvalidArgument("dataset '{}': {} feature values for {} samples of {}", data.name,
                             data.features.size(), data.size(), input.ShapeString());
    }
  } else {
    if (data.vocab_size > input.vocab_size) {
      return InvalidArgument("dataset '{}' has vocabulary {}, the model's is {}", data.name,
                             data.vocab_size, input.vocab_size);
    }
    if (static_cast<int64_t>(data.token_offsets.size()) != data.size() + 1) {
      return InvalidArgument("dataset '{}': {} token offsets for {} samples", data.name,
                             data.token_offsets.size(), data.size());
    }
  }
  if (data.num_classes() > num_classes) {
    return InvalidArgument("dataset '{}' has {} classes, the model has {}", data.name,
                           data.num_classes(), num_classes);
  }
  for (int64_t i = 0; i < data.size(); ++i) {
    if (data.labels[i] < 0 || data.labels[i] >= num_classes) {
      return InvalidArgument("dataset '{}': sample {} has label {} outside [0, {})", data.name, i,
                             data.labels[i], num_classes);
    }
  }
  return Status::Ok();
}

Result<std::vector<float>> Model::PredictProba(const Dataset& data, int64_t batch_size) const {
  SL_RETURN_IF_ERROR(CheckCompatible(impl_->spec.input, impl_->spec.num_classes, data));
  if (batch_size < 1) return InvalidArgument("batch_size={} must be >= 1", batch_size);
  torch::NoGradGuard no_grad;
  Batcher batcher(data);
  std::vector<float> out(data.size() * impl_->spec.num_classes);
  for (int64_t begin = 0; begin < data.size(); begin += batch_size) {
    int64_t end = std::min(data.size(), begin + batch_size);
    torch::Tensor p = torch::softmax(impl_->net->Forward(batcher.Range(begin, end)), 1).contiguous();
    std::copy(p.data_ptr<float>(), p.data_ptr<float>() + p.numel(),
              out.begin() + begin * impl_->spec.num_classes);
  }
  return out;
}

Status AverageModelsInto(std::span<const Model* const> models, std::span<const double> weights, Model* out) {
  if (models.empty()) return InvalidArgument("AverageModels: no models");
  if (weights.size() != models.size()) {
    return InvalidArgument("AverageModels: {} models but {} weights", models.size(), weights.size());
  }
  double total = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (!(weights[i] >= 0)) return InvalidArgument("AverageModels: weight {} is {}", i, weights[i]);
    total += weights[i];
    if (!(models[i]->spec() == models[0]->spec())) {
      return InvalidArgument("AverageModels: model {} ('{}') has another spec than model 0 ('{}')",
                             i, models[i]->spec().name, models[0]->spec().name);
    }
  }
  if (total <= 0) return InvalidArgument("AverageModels: weights sum to 0");
  if (!(out->spec() == models[0]->spec())) {
    return InvalidArgument("AverageModels: the output model ('{}') has another spec than the inputs ('{}')",
                           out->spec().name, models[0]->spec().name);
  }
  torch::NoGradGuard no_grad;
  auto dst = NamedState(*out->impl().net);
  std::vector<std::vector<std::pair<std::string, torch::Tensor>>> src;
  for (const Model* m : models) src.push_back(NamedState(*m->impl().net));
  for (size_t t = 0; t < dst.size(); ++t) {
    if (!dst[t].second.is_floating_point()) {  // integer buffers: model 0's
      dst[t].second.copy_(src[0][t].second);
      continue;
    }
    torch::Tensor acc = torch::zeros_like(dst[t].second, torch::kDouble);
    for (size_t i = 0; i < models.size(); ++i) {
      acc.add_(src[i][t].second.to(torch::kDouble), weights[i] / total);
    }
    dst[t].second.copy_(acc);
  }
  return Status::Ok();
}

Result<Model> AverageModels(std::span<const Model* const> models, std::span<const double> weights) {
  if (models.empty()) return InvalidArgument("AverageModels: no models");
  Model out = models[0]->Clone();
  SL_RETURN_IF_ERROR(AverageModelsInto(models, weights, &out));
  return out;
}

}  // namespace sl::ml
