// Model artifacts: a directory holding manifest.json and one weights file.
//
//   models/fmnist-cnn/
//     manifest.json   format version, model spec (name, hparams, input shape/dtype, classes),
//                     class names, dataset + split, preprocessing (normalisation / featurizer
//                     config), training config, metrics, creation time, weights file name,
//                     size and SHA-256
//     weights.pt      native: the Model's weights archive (ml/model.h)
//     model.pt        torchscript: the imported torch.jit.save file
//
// WriteArtifact builds the whole directory under a temporary sibling name and renames it into
// place, so readers see the old artifact or the new one, never a mix; an existing artifact at
// `dir` is replaced, any other non-empty directory is refused (ALREADY_EXISTS).
// ReadArtifact verifies everything before returning:
//   NOT_FOUND         the directory, manifest.json or the weights file is missing
//   DATA_LOSS         manifest.json is not JSON, or the weights' size/SHA-256 do not match
//   INVALID_ARGUMENT  unsupported format_version, a missing/ill-typed field (named)
// Every error names the file. Thread safety: stateless functions; concurrent reads are fine,
// concurrent writes to the same dir are not.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "ml/model_spec.h"

namespace sl::ml {

inline constexpr int kArtifactFormatVersion = 1;
inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kNativeWeightsFile = "weights.pt";
inline constexpr const char* kTorchScriptFile = "model.pt";

enum class ArtifactFormat { kNative, kTorchScript };

struct Manifest {
  int format_version = kArtifactFormatVersion;
  ArtifactFormat format = ArtifactFormat::kNative;
  ModelSpec model;                        // torchscript: name "torchscript", no hparams
  std::vector<std::string> class_names;   // model.num_classes entries
  nlohmann::json dataset = nlohmann::json::object();        // {"name", "split", ...}
  nlohmann::json preprocessing = nlohmann::json::object();  // {"normalization"?, "featurizer"?}
  nlohmann::json training = nlohmann::json::object();       // config and stats
  nlohmann::json metrics = nlohmann::json::object();        // {"validation": ..., "test": ...}
  std::string created_at;                 // RFC 3339, set by WriteArtifact
  // torchscript: what the module's output is: "logits" (softmax applied) or "probabilities".
  std::string output = "logits";
  std::string weights_file;               // set by WriteArtifact
  std::string weights_sha256;             // set by WriteArtifact
  int64_t weights_bytes = 0;              // set by WriteArtifact

  nlohmann::json ToJson() const;
  static Result<Manifest> FromJson(const nlohmann::json& j, std::string_view where);
};

struct Artifact {
  std::string dir;
  Manifest manifest;
  std::string weights;  // verified contents of the weights file
};

// Writes `manifest` (created_at and the weights fields are filled in) and `weights`.
Status WriteArtifact(const std::string& dir, Manifest manifest, std::string_view weights,
                     Clock* clock = Clock::Real());

Result<Artifact> ReadArtifact(const std::string& dir);

}  // namespace sl::ml
