// The models `straightline serve` (and `calibrate`) serve, from their flags: every --model value is
// DIR, NAME=DIR, URI or NAME=URI, and --model-repository is a DIR or a URI (issue 20). A URI is
// anything the store layer opens (s3://, az://, file://); its model folder is fetched into the
// cache and verified (serve/store_model_source.h) before it is loaded like a local folder.
//
// LoadModels returns the repository and the store sources, which a ModelPoller
// (serve/model_poller.h) watches for new versions.
// Each store model's cache keeps only the version loaded (older ones are removed).
// Failure contract: the first model that cannot be fetched or loaded fails the whole call, with
// its error (naming the model and its URI or folder); a cached version that no longer verifies
// is evicted and downloaded once more before giving up.
// Thread safety: stateless functions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "serve/model_repository.h"
#include "serve/store_model_source.h"

namespace sl::serve {

struct LoadedModels {
  std::unique_ptr<ModelRepository> repository;
  std::vector<std::unique_ptr<StoreModelSource>> sources;  // the models from a store
};

Result<LoadedModels> LoadModels(const std::vector<std::string>& models, const std::string& repository,
                                const StoreModelOptions& options);

// Fetches `published` from `source` (cache or download) and loads it; a cached folder that fails
// to load with DATA_LOSS is evicted and fetched again once. `downloaded` (optional) says whether
// the weights were downloaded.
Result<std::shared_ptr<const ServedModel>> LoadFromStore(StoreModelSource& source,
                                                         const PublishedModel& published,
                                                         bool* downloaded = nullptr);

}  // namespace sl::serve
