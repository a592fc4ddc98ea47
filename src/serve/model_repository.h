// ModelRepository: the models one gateway serves, loaded once at start-up — either single model
// directories (`--model DIR`, several allowed) or a repository folder whose sub-folders are model
// directories (`--model-repository DIR`, as Triton's model repository). A model's name is its
// folder name unless given (`NAME=DIR`); the name is what clients put in /v2/models/{name}.
//
// Each ServedModel holds the verified artifact's Predictor (shared by the local tier's workers),
// the v2 codec's view of its input, and the KServe v2 model-metadata JSON.
// Failure contract: Load fails with the artifact's error (ml/artifact.h: NOT_FOUND, DATA_LOSS,
// INVALID_ARGUMENT) prefixed by the model name; two models with one name are INVALID_ARGUMENT;
// an empty repository is NOT_FOUND naming the folder.
// Thread safety: immutable after Load; Find and the models may be used from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "ml/predictor.h"
#include "serve/v2/v2_codec.h"

namespace sl::serve {

struct ServedModel {
  std::string name;
  std::string version = "1";
  std::string dir;                       // absolute model directory
  std::unique_ptr<ml::Predictor> predictor;
  v2::ModelInput input;
  int64_t num_classes = 0;
  nlohmann::json metadata;               // GET /v2/models/{name}
};

class ModelRepository {
 public:
  // `model_dirs`: "DIR" or "NAME=DIR" each; `repository`: a folder of model folders (may be "").
  static Result<std::unique_ptr<ModelRepository>> Load(const std::vector<std::string>& model_dirs,
                                                      const std::string& repository);

  const ServedModel* Find(std::string_view name) const;  // null when unknown
  std::vector<std::string> Names() const;                  // sorted
  const std::map<std::string, std::unique_ptr<ServedModel>, std::less<>>& models() const {
    return models_;
  }

 private:
  std::map<std::string, std::unique_ptr<ServedModel>, std::less<>> models_;
};

// The KServe v2 model-metadata object for a loaded model.
nlohmann::json ModelMetadata(const ServedModel& model);

}  // namespace sl::serve
