#include "store/object_store.h"

#include "store/azure_store.h"
#include "store/file_store.h"
#include "store/gcs_store.h"
#include "store/s3_store.h"

namespace sl::store {

const std::vector<std::string>& SupportedSchemes() {
  static const std::vector<std::string> schemes = {"file", "s3", "gs", "az"};
  return schemes;
}

Result<std::vector<ObjectInfo>> ObjectStore::List(std::string_view prefix) {
  std::vector<ObjectInfo> out;
  ListOptions options;
  options.prefix = std::string(prefix);
  while (true) {
    SL_ASSIGN_OR_RETURN(ListResult page, ListPage(options));
    for (auto& o : page.objects) out.push_back(std::move(o));
    if (page.next_page_token.empty()) break;
    options.page_token = std::move(page.next_page_token);
  }
  return out;
}

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view uri, const StoreOptions& options) {
  size_t colon = uri.find("://");
  std::string_view scheme = colon == std::string_view::npos ? std::string_view() : uri.substr(0, colon);
  if (scheme == "file") {
    std::string_view rest = uri.substr(colon + 3);
    if (rest.starts_with("localhost/")) rest.remove_prefix(9);
    if (!rest.starts_with("/")) {
      return InvalidArgument("{}: a file store URI is file:///absolute/path (no host)", uri);
    }
    return OpenFileStore(std::string(rest), options);
  }
  if (scheme == "s3") return OpenS3StoreFromUri(uri, options);
  if (scheme == "gs") return OpenGcsStoreFromUri(uri, options);
  if (scheme == "az") return OpenAzureStoreFromUri(uri, options);
  return InvalidArgument("{}: unsupported object store URI scheme '{}'; supported: {}", uri,
                         scheme.empty() ? "(none)" : scheme, fmt::format("{}://", fmt::join(SupportedSchemes(), "://, ")));
}

}  // namespace sl::store
