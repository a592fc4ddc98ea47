// ModelRepository: the models one gateway serves — either single model directories (`--model DIR`,
// several allowed) or a repository folder whose sub-folders are model directories
// (`--model-repository DIR`, as Triton's model repository); models from an object store are
// downloaded into local folders first (serve/model_specs.h) and loaded from there. A model's name
// is its folder name unless given (`NAME=DIR`); the name is what clients put in /v2/models/{name}.
//
// Each ServedModel holds the verified artifact's Predictor (shared by the local tier's workers),
// the v2 codec's view of its input, its version and the KServe v2 model-metadata JSON. A
// ServedModel is immutable once built; Replace swaps in a new version under the same name (the
// model poller, serve/model_poller.h). Find hands out a shared_ptr, so a request that took the
// old version finishes on it while new requests get the new one; the old version is freed when
// its last request lets go.
// Failure contract: Load fails with the artifact's error (ml/artifact.h: NOT_FOUND, DATA_LOSS,
// INVALID_ARGUMENT) prefixed by the model name; two models with one name are INVALID_ARGUMENT;
// an empty repository is NOT_FOUND naming the folder; Replace of a name not served is NOT_FOUND.
// Thread safety: the set of names is fixed by Load; Find, Snapshot and Replace may be called from
// any thread at once.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "ml/predictor.h"
#include "serve/v2/v2_codec.h"

namespace sl::serve {

struct ServedModel {
  std::string name;
  // "1" for a local folder; a model from a store: the published version (serve/store_model_source.h).
  std::string version = "1";
  std::string dir;                       // absolute model directory
  std::string source;                    // the store URI it came from; "" for a local folder
  std::unique_ptr<ml::Predictor> predictor;
  v2::ModelInput input;
  int64_t num_classes = 0;
  nlohmann::json metadata;               // GET /v2/models/{name}
};

// One model folder to load: name "" takes the folder's name.
struct ModelDir {
  std::string name;
  std::string dir;
  std::string version = "1";
  std::string source;
};

class ModelRepository {
 public:
  // `model_dirs`: "DIR" or "NAME=DIR" each; `repository`: a folder of model folders (may be "").
  static Result<std::unique_ptr<ModelRepository>> Load(const std::vector<std::string>& model_dirs,
                                                      const std::string& repository);
  // Folders already resolved (names, versions); at least one.
  static Result<std::unique_ptr<ModelRepository>> Load(const std::vector<ModelDir>& dirs);

  // Models loaded already (LoadModel); names must differ; at least one.
  static Result<std::unique_ptr<ModelRepository>> FromModels(
      std::vector<std::shared_ptr<const ServedModel>> models);

  // Loads and verifies one model folder (the predictor, the v2 input, the metadata).
  static Result<std::shared_ptr<const ServedModel>> LoadModel(const ModelDir& dir);

  std::shared_ptr<const ServedModel> Find(std::string_view name) const;  // null when unknown
  std::vector<std::string> Names() const;                                  // sorted
  std::vector<std::shared_ptr<const ServedModel>> Snapshot() const;        // by name

  // Serves `model` under its name from now on; NOT_FOUND when that name was not loaded.
  Status Replace(std::shared_ptr<const ServedModel> model);

 private:
  struct Slot {
    mutable std::mutex mu;
    std::shared_ptr<const ServedModel> model;  // GUARDED_BY(mu)
  };
  // Fixed after Load (lookups need no lock); each slot's pointer changes under its own mutex.
  std::map<std::string, std::unique_ptr<Slot>, std::less<>> models_;
};

// The KServe v2 model-metadata object for a loaded model.
nlohmann::json ModelMetadata(const ServedModel& model);

}  // namespace sl::serve
