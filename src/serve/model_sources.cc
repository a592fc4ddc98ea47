#include "serve/model_sources.h"

#include <fmt/format.h>

#include "common/log.h"

namespace sl::serve {

Result<std::shared_ptr<const ServedModel>> LoadFromStore(StoreModelSource& source,
                                                         const PublishedModel& published,
                                                         bool* downloaded) {
  bool fresh = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    SL_ASSIGN_OR_RETURN(std::string dir, source.Fetch(published, &fresh));
    ModelDir md;
    md.name = source.name();
    md.dir = dir;
    md.version = published.version;
    md.source = source.uri();
    auto model = ModelRepository::LoadModel(md);
    if (model.ok()) {
      if (downloaded != nullptr) *downloaded = fresh;
      return model;
    }
    // A downloaded folder was verified a moment ago: its failure is the artifact's own. A cached
    // one may have been damaged on disk since: fetch it again, once.
    if (fresh || model.status().code() != Code::kDataLoss) return model.status();
    SL_LOG_WARN("serve", "model {}: cached version {} in {} no longer verifies ({}); downloading it again",
                source.name(), published.version, dir, model.status().message());
    source.Evict(published.version);
  }
  // Not reached: the second attempt downloads (fresh), and a fresh folder's failure returns above.
  return Internal("model {}: version {} could not be loaded", source.name(), published.version);
}

namespace {

// "NAME=VALUE" → {NAME, VALUE}; a '=' inside a URI's path is not a name separator.
Status SplitNamed(const std::string& spec, std::string* name, std::string* value) {
  const size_t eq = spec.find('=');
  const size_t scheme = spec.find("://");
  if (eq == std::string::npos || (scheme != std::string::npos && eq > scheme)) {
    *value = spec;
    return Status::Ok();
  }
  *name = spec.substr(0, eq);
  *value = spec.substr(eq + 1);
  if (name->empty() || value->empty()) {
    return InvalidArgument("--model '{}': expected DIR, NAME=DIR, URI or NAME=URI", spec);
  }
  return Status::Ok();
}

Status AddStoreModel(std::unique_ptr<StoreModelSource> source, LoadedModels& out,
                     std::vector<std::shared_ptr<const ServedModel>>& models) {
  SL_ASSIGN_OR_RETURN(PublishedModel published, source->Latest());
  bool downloaded = false;
  SL_ASSIGN_OR_RETURN(auto model, LoadFromStore(*source, published, &downloaded));
  SL_LOG_INFO("serve", "model {}: version {} from {} ({})", source->name(), published.version,
              source->uri(), downloaded ? "downloaded and verified" : "from the cache");
  // Versions cached by earlier runs are not coming back (a restart reads the manifest again).
  source->Prune({published.version});
  models.push_back(std::move(model));
  out.sources.push_back(std::move(source));
  return Status::Ok();
}

}  // namespace

Result<LoadedModels> LoadModels(const std::vector<std::string>& models, const std::string& repository,
                                const StoreModelOptions& options) {
  LoadedModels out;
  std::vector<std::shared_ptr<const ServedModel>> loaded;
  std::vector<ModelDir> local;
  for (const std::string& spec : models) {
    std::string name, value;
    SL_RETURN_IF_ERROR(SplitNamed(spec, &name, &value));
    if (IsStoreUri(value)) {
      SL_ASSIGN_OR_RETURN(auto source, StoreModelSource::Open(name, value, options));
      SL_RETURN_IF_ERROR(AddStoreModel(std::move(source), out, loaded));
    } else {
      ModelDir d;
      d.name = name;
      d.dir = value;
      local.push_back(std::move(d));
    }
  }
  std::string local_repository;
  if (IsStoreUri(repository)) {
    SL_ASSIGN_OR_RETURN(auto sources, StoreModelSource::OpenRepository(repository, options));
    for (auto& s : sources) SL_RETURN_IF_ERROR(AddStoreModel(std::move(s), out, loaded));
  } else {
    local_repository = repository;
  }
  if (!local.empty() || !local_repository.empty()) {
    // Local folders load as they always did (names, the repository listing, their errors).
    std::vector<std::string> specs;
    for (const ModelDir& d : local) specs.push_back(d.name.empty() ? d.dir : d.name + "=" + d.dir);
    SL_ASSIGN_OR_RETURN(auto repo, ModelRepository::Load(specs, local_repository));
    for (auto& m : repo->Snapshot()) loaded.push_back(std::move(m));
  }
  SL_ASSIGN_OR_RETURN(out.repository, ModelRepository::FromModels(std::move(loaded)));
  return out;
}

}  // namespace sl::serve
