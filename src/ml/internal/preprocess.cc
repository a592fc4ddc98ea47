#include "ml/internal/preprocess.h"

namespace sl::ml {

Result<Preprocessor> Preprocessor::FromManifest(const Manifest& m, std::string_view where) {
  Preprocessor p;
  const nlohmann::json& pre = m.preprocessing;
  if (!pre.is_object()) return InvalidArgument("{}: preprocessing: not an object", where);
  if (pre.contains("normalization") && !pre["normalization"].is_null()) {
    const InputSpec& in = m.model.input;
    if (in.kind != SampleKind::kDense || in.shape.empty()) {
      return InvalidArgument("{}: preprocessing.normalization given for a non-dense input", where);
    }
    Result<data::Normalization> n = data::Normalization::FromJson(pre["normalization"]);
    if (!n.ok()) return n.status().WithContext(fmt::format("{}: preprocessing.normalization", where));
    if (static_cast<int64_t>(n->mean.size()) != in.shape[0]) {
      return InvalidArgument("{}: preprocessing.normalization has {} channels, the input {} has {}",
                             where, n->mean.size(), in.ShapeString(), in.shape[0]);
    }
    p.normalization_ = std::move(n).value();
    p.sample_numel_ = in.Numel();
  }
  if (pre.contains("featurizer") && !pre["featurizer"].is_null()) {
    Result<data::TextFeaturizerConfig> c = data::TextFeaturizerConfig::FromJson(pre["featurizer"]);
    if (!c.ok()) return c.status().WithContext(fmt::format("{}: preprocessing.featurizer", where));
    if (m.model.input.kind != SampleKind::kTokens || c->vocab_size > m.model.input.vocab_size) {
      return InvalidArgument("{}: preprocessing.featurizer (vocab {}) does not fit input {}", where,
                             c->vocab_size, m.model.input.ShapeString());
    }
    Result<data::TextFeaturizer> f = data::TextFeaturizer::Create(*c);
    if (!f.ok()) return f.status().WithContext(fmt::format("{}: preprocessing.featurizer", where));
    p.featurizer_ = std::move(f).value();
  }
  return p;
}

void Preprocessor::Normalize(float* values, int64_t n) const {
  if (normalization_) normalization_->ApplyTo(values, n, sample_numel_);
}

Result<std::vector<int32_t>> Preprocessor::Featurize(std::string_view text,
                                                      std::string_view model_dir) const {
  if (!featurizer_) {
    return FailedPrecondition("model in {} records no text featurizer; it cannot take raw text",
                              model_dir);
  }
  return featurizer_->Featurize(text);
}

}  // namespace sl::ml
