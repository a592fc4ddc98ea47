#include "store/gcs_store.h"

#include <cstdlib>

#include "store/key.h"
#include "store/s3_dialect.h"

namespace sl::store {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

// Cloud Storage bucket names: 3..63 characters (up to 222 when dotted), lowercase letters,
// digits, '-', '_' and '.', starting and ending with a letter or digit
// (cloud.google.com/storage/docs/buckets#naming).
Status CheckBucketName(std::string_view uri, const std::string& b) {
  bool dotted = b.find('.') != std::string::npos;
  if (b.size() < 3 || b.size() > (dotted ? 222u : 63u)) {
    return InvalidArgument("{}: bucket name '{}' must be 3..63 characters (222 with dots)", uri, b);
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (char c : b) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') {
      return InvalidArgument("{}: bucket name '{}' has character '{}'; Cloud Storage allows a-z, 0-9, '-', '_' and '.'",
                             uri, b, c);
    }
  }
  if (!alnum(b.front()) || !alnum(b.back())) {
    return InvalidArgument("{}: bucket name '{}' must start and end with a letter or digit", uri, b);
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenGcsStoreFromUri(std::string_view uri, const StoreOptions& options) {
  if (!uri.starts_with("gs://")) return InvalidArgument("{}: not a gs:// URI", uri);
  std::string_view rest = uri.substr(5);
  size_t slash = rest.find('/');
  std::string bucket(rest.substr(0, slash));
  std::string prefix(slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  SL_RETURN_IF_ERROR(CheckBucketName(uri, bucket));
  if (!prefix.empty()) SL_RETURN_IF_ERROR(ValidateKey(prefix).WithContext(fmt::format("{}: store prefix", uri)));
  if (!prefix.empty()) prefix += "/";

  std::string endpoint = !options.gcs_endpoint.empty() ? options.gcs_endpoint : Env("GOOGLE_CLOUD_STORAGE_ENDPOINT");
  if (endpoint.empty()) endpoint = "https://storage.googleapis.com";
  AwsCredentials creds;
  creds.access_key_id = !options.gcs_access_key_id.empty() ? options.gcs_access_key_id : Env("GS_ACCESS_KEY_ID");
  creds.secret_access_key = !options.gcs_secret.empty() ? options.gcs_secret : Env("GS_SECRET_ACCESS_KEY");
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return FailedPrecondition(
        "{}: no Cloud Storage HMAC key: set GS_ACCESS_KEY_ID and GS_SECRET_ACCESS_KEY (an HMAC key's access ID "
        "and secret, `gcloud storage hmac create`), or the flags",
        uri);
  }
  auto store = OpenS3CompatibleStore(S3Dialect::Gcs(), std::move(bucket), std::move(prefix), std::move(endpoint),
                                     std::move(creds), S3Dialect::Gcs().region_default, options);
  if (!store.ok()) return store.status().WithContext(uri);
  return store;
}

}  // namespace sl::store
