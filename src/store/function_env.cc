#include "store/function_env.h"

#include <cstdlib>
#include <filesystem>
#include <utility>

#include <fmt/format.h>

#include "common/file_util.h"
#include "common/sha256.h"
#include "store/azure_rest.h"

namespace sl::store {
namespace {

constexpr std::pair<const char*, const char*> kStoreEnv[] = {
    {"AWS_ENDPOINT_URL", "STRAIGHTLINE_STORE_ENDPOINT"},
    {"AWS_REGION", "STRAIGHTLINE_STORE_REGION"},
    {"AWS_ACCESS_KEY_ID", "STRAIGHTLINE_STORE_ACCESS_KEY_ID"},
    {"AWS_SECRET_ACCESS_KEY", "STRAIGHTLINE_STORE_SECRET_ACCESS_KEY"},
    {"AWS_SESSION_TOKEN", "STRAIGHTLINE_STORE_SESSION_TOKEN"},
    {"AZURE_STORAGE_CONNECTION_STRING", "STRAIGHTLINE_STORE_AZURE_CONNECTION_STRING"},
    {"AZURE_STORAGE_KEY", "STRAIGHTLINE_STORE_AZURE_KEY"},
    {"AZURE_STORAGE_SAS_TOKEN", "STRAIGHTLINE_STORE_AZURE_SAS_TOKEN"},
    {"GS_ACCESS_KEY_ID", "STRAIGHTLINE_STORE_GS_ACCESS_KEY_ID"},
    {"GS_SECRET_ACCESS_KEY", "STRAIGHTLINE_STORE_GS_SECRET_ACCESS_KEY"},
    {"GOOGLE_CLOUD_STORAGE_ENDPOINT", "STRAIGHTLINE_STORE_GCS_ENDPOINT"},
};

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

std::map<std::string, std::string> StoreEnvironmentForFunctions() {
  std::map<std::string, std::string> env;
  for (const auto& [from, to] : kStoreEnv) {
    if (std::string v = Env(from); !v.empty()) env[to] = v;
  }
  // The Azure blob endpoint on its own as well (also when it is only inside the connection
  // string): the function platform opens the sandbox's egress to it, as to an S3 endpoint.
  std::string az_endpoint = Env("AZURE_STORAGE_BLOB_ENDPOINT");
  if (std::string conn = Env("AZURE_STORAGE_CONNECTION_STRING"); az_endpoint.empty() && !conn.empty()) {
    if (auto c = ParseAzureConnectionString(conn); c.ok()) az_endpoint = c->blob_endpoint;
  }
  if (!az_endpoint.empty()) env["STRAIGHTLINE_STORE_AZURE_ENDPOINT"] = az_endpoint;
  return env;
}

StoreOptions StoreOptionsFromFunctionEnvironment() {
  StoreOptions options;
  options.endpoint = Env("STRAIGHTLINE_STORE_ENDPOINT");
  options.region = Env("STRAIGHTLINE_STORE_REGION");
  options.access_key_id = Env("STRAIGHTLINE_STORE_ACCESS_KEY_ID");
  options.secret_access_key = Env("STRAIGHTLINE_STORE_SECRET_ACCESS_KEY");
  options.session_token = Env("STRAIGHTLINE_STORE_SESSION_TOKEN");
  options.azure_connection_string = Env("STRAIGHTLINE_STORE_AZURE_CONNECTION_STRING");
  options.azure_account_key = Env("STRAIGHTLINE_STORE_AZURE_KEY");
  options.azure_sas_token = Env("STRAIGHTLINE_STORE_AZURE_SAS_TOKEN");
  options.azure_endpoint = Env("STRAIGHTLINE_STORE_AZURE_ENDPOINT");
  options.gcs_access_key_id = Env("STRAIGHTLINE_STORE_GS_ACCESS_KEY_ID");
  options.gcs_secret = Env("STRAIGHTLINE_STORE_GS_SECRET_ACCESS_KEY");
  options.gcs_endpoint = Env("STRAIGHTLINE_STORE_GCS_ENDPOINT");
  return options;
}

Status UploadDirectory(const std::string& dir, ObjectStore* store, const std::string& prefix) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return NotFound("{}: cannot list the directory: {}", dir, ec.message());
  int64_t files = 0;
  for (const auto& entry : it) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    const std::string key = prefix + entry.path().filename().string();
    SL_ASSIGN_OR_RETURN(std::string data, ReadFileToString(path));
    if (auto head = store->Head(key); head.ok() && !head->sha256.empty() && head->sha256 == Sha256Hex(data)) {
      ++files;
      continue;
    }
    Status s = store->Put(key, data);
    if (!s.ok()) return s.WithContext(fmt::format("uploading {} to {}/{}", path, store->uri(), key));
    ++files;
  }
  if (files == 0) return NotFound("{}: no files to upload", dir);
  return Status::Ok();
}

Status DownloadPrefix(ObjectStore* store, const std::string& prefix, const std::string& dir) {
  SL_ASSIGN_OR_RETURN(auto objects, store->List(prefix));
  if (objects.empty()) return NotFound("{}/{}: no objects under this prefix", store->uri(), prefix);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Internal("{}: cannot create the directory: {}", dir, ec.message());
  for (const auto& o : objects) {
    std::string name = o.key.substr(prefix.size());
    if (name.empty() || name.find('/') != std::string::npos) continue;  // flat artifacts only
    Status s = store->GetToFile(o.key, dir + "/" + name);
    if (!s.ok()) return s.WithContext(fmt::format("downloading {}/{}", store->uri(), o.key));
  }
  return Status::Ok();
}

}  // namespace sl::store
