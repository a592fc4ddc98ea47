// TorchScript import: wraps a module saved from PyTorch with torch.jit.save into a model
// artifact (format "torchscript") that Predictor runs like a native one. The module must take
// one float tensor [n, input_shape...] and return [n, classes] logits (or probabilities with
// output = "probabilities").
// Before writing, the module is loaded and run on one all-zero sample; a file that does not
// load is DATA_LOSS, a wrong output shape INVALID_ARGUMENT, both naming the file.
// Thread safety: stateless.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace sl::ml {

struct TorchScriptImportOptions {
  std::string module_path;                 // the torch.jit.save file
  std::vector<int64_t> input_shape;        // per sample, e.g. {1, 28, 28}
  std::vector<std::string> class_names;    // one per output column
  std::string output = "logits";           // "logits" | "probabilities"
  // Optional manifest "preprocessing" object (e.g. {"normalization": ...}) applied by the
  // Predictor before the module; empty: the module takes the raw [0, 1] scale.
  nlohmann::json preprocessing = nlohmann::json::object();
  nlohmann::json dataset = nlohmann::json::object();  // provenance, free-form
};

Status ImportTorchScript(const TorchScriptImportOptions& options, const std::string& out_dir);

}  // namespace sl::ml
