// ModelSpec: everything needed to rebuild a model's architecture (registry name, complete
// hyperparameters, input description, number of classes), as a torch-free value that is stored
// in artifact manifests and shipped to serverless workers.
//
// The registry of model names lives in models/registry.cc; ListModels() describes it, and
// MakeModelSpec() validates a name + hyperparameters against it (unknown model or hyperparameter,
// wrong type, or an input the model cannot take → INVALID_ARGUMENT naming it) and fills defaults.
// Thread safety: plain values; the registry is immutable, so every function is safe to call
// from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "ml/data/dataset.h"

namespace sl::ml {

// What one sample looks like to a model.
struct InputSpec {
  SampleKind kind = SampleKind::kDense;
  std::vector<int64_t> shape;  // kDense: per-sample shape, e.g. {1, 28, 28} (C, H, W)
  int64_t vocab_size = 0;      // kTokens: ids are in [0, vocab_size)

  // "float32" for dense samples, "int64" (token ids) for token samples.
  std::string dtype() const { return kind == SampleKind::kDense ? "float32" : "int64"; }
  int64_t Numel() const;
  std::string ShapeString() const;  // "1x28x28", or "tokens<vocab 262144>"

  static InputSpec Of(const Dataset& data);
  nlohmann::json ToJson() const;
  // `where` names the document for errors ("models/x/manifest.json: input.shape: ...").
  static Result<InputSpec> FromJson(const nlohmann::json& j, std::string_view where);
};

struct ModelSpec {
  std::string name;         // registry name: "logreg", "mlp", "cnn", "textclf", "torchscript"
  nlohmann::json hparams;   // object, complete (defaults filled by MakeModelSpec)
  InputSpec input;
  int64_t num_classes = 0;

  nlohmann::json ToJson() const;
  static Result<ModelSpec> FromJson(const nlohmann::json& j, std::string_view where);
  friend bool operator==(const ModelSpec& a, const ModelSpec& b) { return a.ToJson() == b.ToJson(); }
};

struct HparamInfo {
  std::string name;
  nlohmann::json default_value;  // its JSON type is the hyperparameter's type (int/float/string)
  std::string help;
};

struct ModelInfo {
  std::string name;
  std::string summary;
  std::vector<SampleKind> accepts;  // sample kinds the model can take
  std::vector<HparamInfo> hparams;
};

// Every registered model, in registry order.
const std::vector<ModelInfo>& ListModels();

// Validates `hparams` (a JSON object; null means "all defaults") for model `name` and `input`,
// fills defaults, and returns the complete spec.
Result<ModelSpec> MakeModelSpec(std::string_view name, const nlohmann::json& hparams,
                                const InputSpec& input, int64_t num_classes);

// Parses "k=v" command-line hyperparameters into a JSON object, typed by the model's defaults
// ("hidden=256" → 256 for an int hyperparameter). Errors name the pair.
Result<nlohmann::json> ParseHparams(std::string_view model, const std::vector<std::string>& pairs);

}  // namespace sl::ml
