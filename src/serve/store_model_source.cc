#include "serve/store_model_source.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/log.h"
#include "common/sha256.h"

namespace sl::serve {
namespace fs = std::filesystem;

namespace {

std::string TrimSlashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// The manifest comes from a store others write to: its weights file must stay inside the folder.
Status CheckWeightsName(const std::string& uri, const std::string& file) {
  if (file.empty() || file == "." || file == ".." || file == ml::kManifestFile ||
      file.find('/') != std::string::npos || file.find('\\') != std::string::npos ||
      file.find('\0') != std::string::npos) {
    return InvalidArgument("{}/{}: weights_file '{}' is not a file name inside the model folder",
                           uri, ml::kManifestFile, file);
  }
  return Status::Ok();
}

// ".tmp-<version>-<pid>-<random>": true when that pid no longer runs (a crashed fetch's leftovers).
bool LeftByDeadProcess(const std::string& tmp_name) {
  const size_t last = tmp_name.rfind('-');
  if (last == std::string::npos || last == 0) return false;
  const size_t before = tmp_name.rfind('-', last - 1);
  if (before == std::string::npos) return false;
  const long pid = std::strtol(tmp_name.c_str() + before + 1, nullptr, 10);
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

std::string RandomHex() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return fmt::format("{:016x}", rng());
}

}  // namespace

bool IsStoreUri(std::string_view s) {
  const size_t sep = s.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  for (char c : s.substr(0, sep)) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

Result<std::unique_ptr<StoreModelSource>> StoreModelSource::Open(std::string name, std::string uri,
                                                                 const StoreModelOptions& options) {
  if (options.cache_dir.empty()) return InvalidArgument("model {}: no cache directory given", uri);
  uri = TrimSlashes(std::move(uri));
  if (name.empty()) {
    const size_t slash = uri.find_last_of('/');
    name = slash == std::string::npos ? uri : uri.substr(slash + 1);
  }
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return InvalidArgument("model {}: cannot derive a model name from the URI; use NAME=URI", uri);
  }
  auto src = std::unique_ptr<StoreModelSource>(new StoreModelSource());
  auto opened = options.open ? options.open(uri) : store::OpenObjectStore(uri, options.store);
  if (!opened.ok()) return opened.status().WithContext(fmt::format("model '{}' ({})", name, uri));
  src->store_ = std::move(*opened);
  src->name_ = std::move(name);
  src->uri_ = src->store_->uri();
  src->cache_root_ = fmt::format("{}/{}-{}", TrimSlashes(options.cache_dir), src->name_,
                                 Sha256Hex(src->uri_).substr(0, 16));
  return src;
}

Result<std::vector<std::unique_ptr<StoreModelSource>>> StoreModelSource::OpenRepository(
    const std::string& uri, const StoreModelOptions& options) {
  const std::string base = TrimSlashes(uri);
  auto opened = options.open ? options.open(base) : store::OpenObjectStore(base, options.store);
  if (!opened.ok()) return opened.status().WithContext(fmt::format("model repository {}", base));
  auto listed = (*opened)->List("");
  if (!listed.ok()) return listed.status().WithContext(fmt::format("listing model repository {}", base));
  std::vector<std::unique_ptr<StoreModelSource>> out;
  const std::string suffix = std::string("/") + ml::kManifestFile;
  for (const store::ObjectInfo& o : *listed) {
    // NAME/manifest.json exactly: one level of folders, as a local --model-repository.
    if (o.key.size() <= suffix.size() || !o.key.ends_with(suffix)) continue;
    const std::string name = o.key.substr(0, o.key.size() - suffix.size());
    if (name.find('/') != std::string::npos) continue;
    SL_ASSIGN_OR_RETURN(auto src, Open(name, base + "/" + name, options));
    out.push_back(std::move(src));
  }
  if (out.empty()) {
    return NotFound("model repository {} holds no model folder (a prefix NAME/ with a {})", base,
                    ml::kManifestFile);
  }
  return out;
}

Result<PublishedModel> StoreModelSource::Latest() {
  PublishedModel p;
  auto bytes = store_->Get(ml::kManifestFile);
  if (!bytes.ok()) {
    if (bytes.status().code() == Code::kNotFound) {
      return NotFound("{}/{}: no model here (a model folder holds {} and the weights file it names; "
                      "publish the weights first, then the manifest, with `straightline store put`)",
                      uri_, ml::kManifestFile, ml::kManifestFile);
    }
    return bytes.status().WithContext(fmt::format("model '{}': reading {}/{}", name_, uri_, ml::kManifestFile));
  }
  p.manifest_bytes = std::move(*bytes);
  const std::string where = fmt::format("{}/{}", uri_, ml::kManifestFile);
  nlohmann::json j = nlohmann::json::parse(p.manifest_bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return DataLoss("{}: not valid JSON", where);
  SL_ASSIGN_OR_RETURN(p.manifest, ml::Manifest::FromJson(j, where));
  SL_RETURN_IF_ERROR(CheckWeightsName(uri_, p.manifest.weights_file));
  p.version = Sha256Hex(p.manifest_bytes).substr(0, 16);
  p.weights_key = p.manifest.weights_file;
  return p;
}

std::string StoreModelSource::CacheDirFor(std::string_view version) const {
  return fmt::format("{}/{}", cache_root_, version);
}

Result<std::string> StoreModelSource::Fetch(const PublishedModel& model, bool* downloaded) {
  if (downloaded != nullptr) *downloaded = false;
  SL_RETURN_IF_ERROR(CheckWeightsName(uri_, model.manifest.weights_file));
  const std::string final_dir = CacheDirFor(model.version);
  if (IsDirectory(final_dir) && PathExists(final_dir + "/" + ml::kManifestFile) &&
      PathExists(final_dir + "/" + model.manifest.weights_file)) {
    return final_dir;  // renamed into place only when whole and verified
  }
  SL_RETURN_IF_ERROR(MakeDirs(cache_root_));
  const std::string tmp = fmt::format("{}/.tmp-{}-{}-{}", cache_root_, model.version, ::getpid(), RandomHex());
  auto cleanup = [&tmp] {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  };
  SL_RETURN_IF_ERROR(MakeDirs(tmp));
  Status s = WriteFileAtomic(tmp + "/" + ml::kManifestFile, model.manifest_bytes);
  const std::string weights_path = tmp + "/" + model.manifest.weights_file;
  if (s.ok()) s = store_->GetToFile(model.weights_key, weights_path);
  if (!s.ok()) {
    cleanup();
    if (s.code() == Code::kNotFound) {
      return NotFound("{}/{}: the weights object that {} names is missing", uri_, model.weights_key,
                      ml::kManifestFile);
    }
    return s.WithContext(fmt::format("model '{}': downloading {}/{}", name_, uri_, model.weights_key));
  }
  std::error_code ec;
  const auto size = static_cast<int64_t>(fs::file_size(weights_path, ec));
  if (ec || size != model.manifest.weights_bytes) {
    cleanup();
    return DataLoss("{}/{}: {} bytes, but {} says weights_bytes {} (version {} refused)", uri_,
                    model.weights_key, ec ? -1 : size, ml::kManifestFile,
                    model.manifest.weights_bytes, model.version);
  }
  auto sum = Sha256File(weights_path);
  if (!sum.ok()) {
    cleanup();
    return sum.status();
  }
  if (*sum != model.manifest.weights_sha256) {
    cleanup();
    return DataLoss("{}/{}: SHA-256 {} does not match {}'s weights_sha256 {} (version {} refused)",
                    uri_, model.weights_key, *sum, ml::kManifestFile,
                    model.manifest.weights_sha256, model.version);
  }
  fs::rename(tmp, final_dir, ec);
  if (ec) {
    cleanup();
    // Another fetch of the same version won the rename: its folder is as good as ours.
    if (IsDirectory(final_dir)) return final_dir;
    return Internal("{}: cannot move the downloaded model into the cache: {}", final_dir, ec.message());
  }
  if (downloaded != nullptr) *downloaded = true;
  return final_dir;
}

Result<store::ObjectInfo> StoreModelSource::HeadWeights(const PublishedModel& model) {
  return store_->Head(model.weights_key);
}

void StoreModelSource::Evict(std::string_view version) {
  std::error_code ec;
  fs::remove_all(CacheDirFor(version), ec);
  if (ec) SL_LOG_WARN("serve", "model cache {}: cannot remove: {}", CacheDirFor(version), ec.message());
}

void StoreModelSource::Prune(const std::vector<std::string>& keep) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cache_root_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".tmp-") && !LeftByDeadProcess(name)) continue;  // a fetch in progress
    if (std::find(keep.begin(), keep.end(), name) != keep.end()) continue;
    std::error_code rm;
    fs::remove_all(entry.path(), rm);
    if (rm) SL_LOG_WARN("serve", "model cache {}: cannot remove: {}", entry.path().string(), rm.message());
  }
}

}  // namespace sl::serve
