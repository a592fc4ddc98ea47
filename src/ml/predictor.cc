#include "ml/predictor.h"

#include <sstream>

#include <torch/script.h>

#include "ml/internal/batcher.h"
#include "ml/internal/model_impl.h"
#include "ml/internal/preprocess.h"
#include "ml/model.h"

namespace sl::ml {

struct Predictor::Impl {
  Manifest manifest;
  std::string dir;
  Preprocessor preprocess;
  // Exactly one of these is set, by manifest.format.
  std::optional<Model> native;
  std::optional<torch::jit::Module> script;

  // logits or probabilities [n, classes] → predictions
  std::vector<Prediction> ToPredictions(torch::Tensor out) const {
    torch::Tensor p = (manifest.output == "probabilities" && script) ? out : torch::softmax(out, 1);
    p = p.to(torch::kFloat).contiguous();
    const int64_t n = p.size(0), classes = p.size(1);
    std::vector<Prediction> preds(n);
    const float* data = p.data_ptr<float>();
    for (int64_t i = 0; i < n; ++i) {
      preds[i].probabilities.assign(data + i * classes, data + (i + 1) * classes);
      preds[i].label = std::max_element(preds[i].probabilities.begin(), preds[i].probabilities.end()) -
                       preds[i].probabilities.begin();
      preds[i].class_name = manifest.class_names[preds[i].label];
    }
    return preds;
  }

  Result<torch::Tensor> Forward(const Batch& b) const {
    torch::NoGradGuard no_grad;
    if (native) return native->impl().net->Forward(b);
    try {
      torch::jit::Module m = *script;  // shallow copy: shares the module; forward is const
      torch::IValue out = m.forward({b.x});
      if (!out.isTensor()) return InvalidArgument("{}/{}: forward() did not return a tensor", dir, manifest.weights_file);
      torch::Tensor t = out.toTensor();
      if (t.dim() != 2 || t.size(0) != b.size || t.size(1) != manifest.model.num_classes) {
        return InvalidArgument("{}/{}: forward() returned shape {}, expected [{}, {}]", dir,
                               manifest.weights_file, c10::str(t.sizes()), b.size,
                               manifest.model.num_classes);
      }
      return t;
    } catch (const c10::Error& e) {
      return InvalidArgument("{}/{}: forward() failed: {}", dir, manifest.weights_file,
                             e.what_without_backtrace());
    } catch (const std::exception& e) {
      return InvalidArgument("{}/{}: forward() failed: {}", dir, manifest.weights_file, e.what());
    }
  }
};

Predictor::Predictor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Predictor::~Predictor() = default;

Result<std::unique_ptr<Predictor>> Predictor::Load(const std::string& dir) {
  SL_ASSIGN_OR_RETURN(Artifact a, ReadArtifact(dir));
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  const std::string where = dir + "/" + kManifestFile;
  SL_ASSIGN_OR_RETURN(impl->preprocess, Preprocessor::FromManifest(a.manifest, where));
  const std::string weights_path = dir + "/" + a.manifest.weights_file;
  if (a.manifest.format == ArtifactFormat::kNative) {
    Result<Model> model = Model::Create(a.manifest.model, 0);
    if (!model.ok()) return model.status().WithContext(where);
    SL_RETURN_IF_ERROR(model->LoadWeights(a.weights, weights_path));
    impl->native.emplace(std::move(model).value());
  } else {
    if (a.manifest.model.input.kind != SampleKind::kDense) {
      return InvalidArgument("{}: TorchScript models take dense input only", where);
    }
    try {
      std::istringstream in(a.weights);
      impl->script.emplace(torch::jit::load(in));
      impl->script->eval();
    } catch (const c10::Error& e) {
      return DataLoss("{}: not a loadable TorchScript file: {}", weights_path, e.what_without_backtrace());
    }
  }
  impl->manifest = std::move(a.manifest);
  return std::unique_ptr<Predictor>(new Predictor(std::move(impl)));
}

const Manifest& Predictor::manifest() const { return impl_->manifest; }
const InputSpec& Predictor::input() const { return impl_->manifest.model.input; }
const std::vector<std::string>& Predictor::class_names() const { return impl_->manifest.class_names; }

Result<std::vector<Prediction>> Predictor::PredictDense(std::span<const float> values, int64_t n) const {
  const InputSpec& in = input();
  if (in.kind != SampleKind::kDense) {
    return InvalidArgument("model in {} takes token input, not dense values", impl_->dir);
  }
  if (n < 1 || static_cast<int64_t>(values.size()) != n * in.Numel()) {
    return InvalidArgument("{} values for {} samples of shape {} (needs {})", values.size(), n,
                           in.ShapeString(), n * in.Numel());
  }
  std::vector<int64_t> shape = {n};
  shape.insert(shape.end(), in.shape.begin(), in.shape.end());
  Batch b;
  b.size = n;
  b.x = torch::from_blob(const_cast<float*>(values.data()), shape, torch::kFloat).clone();
  impl_->preprocess.Normalize(b.x.data_ptr<float>(), n);
  SL_ASSIGN_OR_RETURN(torch::Tensor out, impl_->Forward(b));
  return impl_->ToPredictions(out);
}

Result<std::vector<Prediction>> Predictor::PredictTokens(std::span<const int32_t> tokens,
                                                         std::span<const int64_t> offsets) const {
  const InputSpec& in = input();
  if (in.kind != SampleKind::kTokens) {
    return InvalidArgument("model in {} takes dense input of shape {}, not tokens", impl_->dir,
                           in.ShapeString());
  }
  if (offsets.size() < 2 || offsets.front() != 0 ||
      offsets.back() != static_cast<int64_t>(tokens.size())) {
    return InvalidArgument("token offsets must have n+1 entries from 0 to {} (the token count)",
                           tokens.size());
  }
  Batch b;
  b.size = static_cast<int64_t>(offsets.size()) - 1;
  b.ids = torch::empty({static_cast<int64_t>(tokens.size())}, torch::kLong);
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= in.vocab_size) {
      return InvalidArgument("token {} = {} is outside the vocabulary [0, {})", i, tokens[i], in.vocab_size);
    }
    b.ids.data_ptr<int64_t>()[i] = tokens[i];
  }
  for (int64_t i = 0; i < b.size; ++i) {
    if (offsets[i + 1] < offsets[i]) return InvalidArgument("token offsets decrease at {}", i + 1);
  }
  b.offsets = torch::from_blob(const_cast<int64_t*>(offsets.data()), {b.size}, torch::kLong).clone();
  SL_ASSIGN_OR_RETURN(torch::Tensor out, impl_->Forward(b));
  return impl_->ToPredictions(out);
}

Result<Prediction> Predictor::PredictText(std::string_view text) const {
  if (input().kind != SampleKind::kTokens) {
    return InvalidArgument("model in {} takes dense input of shape {}, not text", impl_->dir,
                           input().ShapeString());
  }
  SL_ASSIGN_OR_RETURN(std::vector<int32_t> ids, impl_->preprocess.Featurize(text, impl_->dir));
  std::vector<int64_t> offsets = {0, static_cast<int64_t>(ids.size())};
  SL_ASSIGN_OR_RETURN(auto preds, PredictTokens(ids, offsets));
  return std::move(preds[0]);
}

Result<std::vector<Prediction>> Predictor::PredictDataset(const Dataset& data) const {
  if (data.size() == 0) return InvalidArgument("dataset '{}' is empty", data.name);
  if (data.kind == SampleKind::kDense) {
    if (data.sample_shape != input().shape) {
      return InvalidArgument("dataset '{}' has samples of shape {}, the model takes {}", data.name,
                             InputSpec::Of(data).ShapeString(), input().ShapeString());
    }
    return PredictDense(data.features, data.size());
  }
  std::vector<int64_t> offsets(data.token_offsets.begin(), data.token_offsets.end());
  return PredictTokens(data.tokens, offsets);
}

void SetInferenceThreads(int threads) {
  if (threads > 0) at::set_num_threads(threads);
}

}  // namespace sl::ml
