// StoreModelSource: one model folder in an object store (`serve --model s3://BUCKET/PREFIX/NAME`,
// `az://ACCOUNT/CONTAINER/PREFIX/NAME`, or any scheme store::OpenObjectStore opens), fetched
// into a local cache and verified before it is loaded (issue 20).
//
// The folder is what `straightline model` writes and `straightline store put` uploads: the
// object manifest.json and the weights object it names (ml/artifact.h).
//
// Version: the first 16 hex digits of the SHA-256 of manifest.json's bytes. WriteArtifact stamps
// every manifest with its creation time and the weights' SHA-256 and size, so publishing a new
// artifact over the folder is a new version, and uploading the same artifact again is not.
//
// Fetch: the cache is <cache_dir>/<name>-<16 hex of SHA-256(uri)>/<version>/ (keyed by URI and
// version). A version already there is used as it is (no download; the predictor verifies the
// weights' SHA-256 again when it loads them). Otherwise the manifest bytes read by Latest() and
// the weights object are written into a temporary sibling folder, the weights are checked against
// the manifest's weights_bytes and weights_sha256 (the checks `model show` makes), and the folder
// is renamed into place: the cache holds whole verified versions or nothing.
//
// Failure contract (every message names the model's URI, and the object key where one is meant):
//   NOT_FOUND           no manifest.json at the URI / the weights object it names is missing
//   DATA_LOSS           the weights' size or SHA-256 differ from the manifest (both sums named),
//                       or manifest.json is not JSON; nothing enters the cache
//   INVALID_ARGUMENT    a manifest that names a weights file outside the folder, a bad URI
//   FAILED_PRECONDITION no credentials for the store (the store's own message)
//   UNAVAILABLE         the endpoint cannot be reached (after the store's retries)
// Thread safety: Latest, Fetch and Prune may run on any thread; two fetches of one version race
// benignly (the second rename loses and uses the first's folder).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "ml/artifact.h"
#include "store/object_store.h"

namespace sl::serve {

struct StoreModelOptions {
  std::string cache_dir;        // required: <state-dir>/model-cache for `serve`
  store::StoreOptions store;    // endpoint and credentials; unset fields: the environment
  // Opens the store at a URI; null: store::OpenObjectStore(uri, store). Tests wrap the store to
  // count its requests.
  std::function<Result<std::unique_ptr<store::ObjectStore>>(std::string_view uri)> open;
};

// "s3://...", "az://...", "file://...": a URI for the store layer rather than a local path.
bool IsStoreUri(std::string_view s);

// A version as published now: manifest.json's bytes and what they say.
struct PublishedModel {
  std::string version;         // 16 hex digits of SHA-256(manifest bytes)
  std::string manifest_bytes;
  ml::Manifest manifest;
  std::string weights_key;     // key of the weights object, relative to the model's URI
};

class StoreModelSource {
 public:
  // `name`: the served name ("" → the last segment of the URI).
  static Result<std::unique_ptr<StoreModelSource>> Open(std::string name, std::string uri,
                                                        const StoreModelOptions& options);
  // Every model folder (a prefix holding NAME/manifest.json) under `uri`, named by NAME; NOT_FOUND
  // naming the URI when there is none.
  static Result<std::vector<std::unique_ptr<StoreModelSource>>> OpenRepository(
      const std::string& uri, const StoreModelOptions& options);

  const std::string& name() const { return name_; }
  const std::string& uri() const { return uri_; }

  // Reads manifest.json: the version published now (one small GET, no weights).
  Result<PublishedModel> Latest();

  // The local folder holding `model`, verified: from the cache, else downloaded. `downloaded`
  // (optional) says which.
  Result<std::string> Fetch(const PublishedModel& model, bool* downloaded = nullptr);

  // The weights object's store metadata (size, etag, checksum), to tell a re-published object
  // from the one already refused.
  Result<store::ObjectInfo> HeadWeights(const PublishedModel& model);

  // Removes cached versions of this model other than `keep`, and the temporary folders of fetches
  // whose process is gone (best effort; failures are logged).
  void Prune(const std::vector<std::string>& keep);

  // The folder a version is (or would be) cached in.
  std::string CacheDirFor(std::string_view version) const;
  // Removes one cached version (a cached folder that failed to load).
  void Evict(std::string_view version);

 private:
  StoreModelSource() = default;
  std::string name_, uri_, cache_root_;
  std::unique_ptr<store::ObjectStore> store_;
};

}  // namespace sl::serve
