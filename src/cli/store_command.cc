// `straightline store ls|put|get|cat|rm|stat URI`: inspect what training and serving leave in
// an object store. URIs name an object or a prefix: s3://bucket/key, gs://bucket/key,
// az://account/container/key, file:///root/key. For
// file:// the store root is the nearest directory at or above the path that is a store
// (store::FindFileStoreRoot), or --root. `put` outside any store creates one
// (store::NewFileStoreRootFor) and says where; the read commands say how to create one.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "store/file_store.h"
#include "store/object_store.h"

namespace sl::cli {
namespace {

struct Target {
  std::string store_uri;
  std::string key;  // object key or listing prefix; may be empty
  bool new_store = false;  // file://: no store existed; opening it creates one
};

// What a read command says on a file:// path that is in no store: how to make one, in the
// user's terms (no internal folder names).
Status NoStoreAt(const std::string& uri, const std::string& path) {
  std::string dir = IsDirectory(path) ? path : path.substr(0, std::max<size_t>(1, path.rfind('/')));
  std::string dir_uri = "file://" + dir + (dir == "/" ? "" : "/");
  return NotFound(
      "{}: no object store here or in a parent directory. Writing an object creates one: "
      "`straightline store put FILE {}KEY` (or `straightline train --workers N --store {}` for "
      "a training run); an existing store elsewhere is chosen with --root DIR",
      uri, dir_uri, "file://" + dir);
}

struct CommonFlags {
  std::string endpoint, region, access_key_id, secret_access_key, root;
  bool json = false;

  void Register(FlagSet& flags, bool with_json) {
    flags.String("endpoint", &endpoint,
                 "S3 endpoint URL (default: $AWS_ENDPOINT_URL, else AWS); for gs://, the XML API endpoint (default: "
                 "$GOOGLE_CLOUD_STORAGE_ENDPOINT, else https://storage.googleapis.com); for az://, the blob endpoint "
                 "(default: from $AZURE_STORAGE_CONNECTION_STRING, else https://ACCOUNT.blob.core.windows.net)");
    flags.String("region", &region, "S3 region (default: $AWS_REGION or us-east-1)");
    flags.String("access-key-id", &access_key_id,
                 "S3 access key (default: $AWS_ACCESS_KEY_ID); gs://: HMAC access ID (default: $GS_ACCESS_KEY_ID)");
    flags.String("secret-access-key", &secret_access_key,
                 "S3 secret key (default: $AWS_SECRET_ACCESS_KEY); gs://: HMAC secret (default: $GS_SECRET_ACCESS_KEY)");
    flags.String("root", &root, "file:// store root, when it cannot be found from the URI");
    if (with_json) flags.Bool("json", &json, "print JSON instead of text");
  }

  store::StoreOptions Options() const {
    store::StoreOptions o;
    o.endpoint = endpoint;
    o.azure_endpoint = endpoint;  // each backend reads its own field
    o.gcs_endpoint = endpoint;
    o.gcs_access_key_id = access_key_id;
    o.gcs_secret = secret_access_key;
    o.region = region;
    o.access_key_id = access_key_id;
    o.secret_access_key = secret_access_key;
    return o;
  }
};

// Splits an object/prefix URI into the store and the key within it.
// `create`: a file:// path in no store becomes a new store (put); otherwise NOT_FOUND.
Result<Target> SplitUri(const std::string& uri, const std::string& root_flag, bool create = false) {
  if (uri.starts_with("s3://") || uri.starts_with("gs://")) {  // the store is the bucket
    std::string rest = uri.substr(5);
    size_t slash = rest.find('/');
    if (slash == std::string::npos) return Target{uri, ""};
    return Target{uri.substr(0, 5) + rest.substr(0, slash), rest.substr(slash + 1)};
  }
  if (uri.starts_with("az://")) {  // az://account/container/key: the store is the container
    std::string rest = uri.substr(5);
    size_t slash = rest.find('/');
    if (slash != std::string::npos) slash = rest.find('/', slash + 1);
    if (slash == std::string::npos) return Target{uri, ""};
    return Target{"az://" + rest.substr(0, slash), rest.substr(slash + 1)};
  }
  if (uri.starts_with("file://")) {
    std::string path = uri.substr(7);
    if (!path.starts_with("/")) return InvalidArgument("{}: file URIs are file:///absolute/path", uri);
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    std::string root = root_flag;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    bool new_store = false;
    if (root.empty()) {
      auto found = store::FindFileStoreRoot(path);
      if (found.ok()) {
        root = *found;
      } else if (found.status().code() != Code::kNotFound) {
        return found.status();
      } else if (!create) {
        return NoStoreAt(uri, path);
      } else {
        root = store::NewFileStoreRootFor(path);
        new_store = true;
      }
    } else {
      new_store = !store::IsFileStoreRoot(root);
    }
    if (path == root) return Target{"file://" + root, "", new_store};
    std::string root_slash = root == "/" ? "/" : root + "/";
    if (!path.starts_with(root_slash)) return InvalidArgument("{}: not inside --root {}", uri, root);
    return Target{"file://" + root, path.substr(root_slash.size()), new_store};
  }
  std::string schemes;
  for (const auto& s : store::SupportedSchemes()) schemes += (schemes.empty() ? "" : ", ") + s + "://";
  return InvalidArgument("{}: not an object store URI; supported: {}", uri, schemes);
}

Result<std::unique_ptr<store::ObjectStore>> OpenFor(const Target& t, const CommonFlags& c) {
  return store::OpenObjectStore(t.store_uri, c.Options());
}

std::string JoinUri(const std::string& store_uri, const std::string& key) { return store_uri + "/" + key; }

int Fail(const Status& s) {
  fmt::print(stderr, "straightline store: {}\n", s.ToString());
  return 1;
}

// Parses flags; returns -1 to continue, else the exit code.
nlohmann::json InfoJson(const std::string& store_uri, const store::ObjectInfo& o) {
  nlohmann::json j = {{"uri", JoinUri(store_uri, o.key)}, {"key", o.key}, {"size", o.size},
                      {"etag", o.etag}, {"modified", FormatRfc3339(o.modified)}};
  if (!o.checksum.empty()) j["checksum"] = o.checksum;
  if (!o.sha256.empty()) j["sha256"] = o.sha256;
  return j;
}

int RunLs(const Args& args) {
  FlagSet flags("straightline store ls", "List the objects under a URI prefix, with sizes and times.");
  CommonFlags c;
  std::string uri;
  c.Register(flags, true);
  flags.Positional("URI", &uri, "s3://bucket/prefix, gs://bucket/prefix, az://account/container/prefix or file:///root/prefix");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  auto t = SplitUri(uri, c.root);
  if (!t.ok()) return Fail(t.status());
  auto st = OpenFor(*t, c);
  if (!st.ok()) return Fail(st.status());
  auto objects = (*st)->List(t->key);
  if (!objects.ok()) return Fail(objects.status());
  uint64_t total = 0;
  for (const auto& o : *objects) total += o.size;
  if (c.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& o : *objects) arr.push_back(InfoJson(t->store_uri, o));
    fmt::print("{}\n", arr.dump(2));
    return 0;
  }
  for (const auto& o : *objects) {
    fmt::print("{:>10}  {}  {}\n", HumanBytes(o.size), FormatRfc3339(o.modified), o.key);
  }
  fmt::print("{} object{}, {}\n", objects->size(), objects->size() == 1 ? "" : "s", HumanBytes(total));
  return 0;
}

int RunStat(const Args& args) {
  FlagSet flags("straightline store stat", "Show one object's size, checksum and modification time.");
  CommonFlags c;
  std::string uri;
  c.Register(flags, true);
  flags.Positional("URI", &uri, "s3://bucket/key, gs://bucket/key, az://account/container/key or file:///root/key");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  auto t = SplitUri(uri, c.root);
  if (!t.ok()) return Fail(t.status());
  auto st = OpenFor(*t, c);
  if (!st.ok()) return Fail(st.status());
  auto info = (*st)->Head(t->key);
  if (!info.ok()) return Fail(info.status());
  if (c.json) {
    fmt::print("{}\n", InfoJson(t->store_uri, *info).dump(2));
    return 0;
  }
  fmt::print("uri:      {}\nsize:     {} ({} bytes)\nchecksum: {}\netag:     {}\nmodified: {}\n",
             JoinUri(t->store_uri, info->key), HumanBytes(info->size), info->size,
             info->checksum.empty() ? "(not recorded: written by another tool)" : info->checksum, info->etag,
             FormatRfc3339(info->modified));
  return 0;
}

int RunPut(const Args& args) {
  FlagSet flags("straightline store put", "Upload a local file as an object (streamed; multipart on S3).");
  CommonFlags c;
  std::string local, uri;
  bool if_absent = false;
  c.Register(flags, false);
  flags.Bool("if-absent", &if_absent, "fail with ALREADY_EXISTS instead of replacing an existing object");
  flags.Positional("FILE", &local, "local file to upload");
  flags.Positional("URI", &uri, "destination s3://bucket/key, gs://bucket/key, az://account/container/key or file:///root/key");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  auto t = SplitUri(uri, c.root, /*create=*/true);
  if (!t.ok()) return Fail(t.status());
  if (t->key.empty()) return Fail(InvalidArgument("{}: names the store itself; add the object's key", uri));
  auto st = OpenFor(*t, c);
  if (!st.ok()) return Fail(st.status());
  auto t0 = Clock::Real()->Now();
  Status s = (*st)->PutFile(t->key, local, store::PutOptions{.if_absent = if_absent});
  if (!s.ok()) return Fail(s);
  double secs = std::chrono::duration<double>(Clock::Real()->Now() - t0).count();
  auto info = (*st)->Head(t->key);
  uint64_t size = info.ok() ? info->size : 0;
  fmt::print("{} -> {} ({} in {})\n", local, uri, HumanBytes(size), HumanSeconds(secs));
  if (t->new_store) {
    fmt::print("created the object store {} (later commands find it from any path inside)\n", t->store_uri);
  }
  return 0;
}

int RunGet(const Args& args) {
  FlagSet flags("straightline store get", "Download an object to a local file (verified, written atomically).");
  CommonFlags c;
  std::string local, uri;
  c.Register(flags, false);
  flags.Positional("URI", &uri, "s3://bucket/key, gs://bucket/key, az://account/container/key or file:///root/key");
  flags.Positional("FILE", &local, "local destination file");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  auto t = SplitUri(uri, c.root);
  if (!t.ok()) return Fail(t.status());
  auto st = OpenFor(*t, c);
  if (!st.ok()) return Fail(st.status());
  auto t0 = Clock::Real()->Now();
  Status s = (*st)->GetToFile(t->key, local);
  if (!s.ok()) return Fail(s);
  double secs = std::chrono::duration<double>(Clock::Real()->Now() - t0).count();
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(local, ec);  // not read back: it may be GBs
  fmt::print("{} -> {} ({} in {})\n", uri, local, HumanBytes(ec ? 0 : size), HumanSeconds(secs));
  return 0;
}

int RunCat(const Args& args) {
  FlagSet flags("straightline store cat", "Write an object's bytes to stdout (verified first).");
  CommonFlags c;
  std::string uri;
  c.Register(flags, false);
  flags.Positional("URI", &uri, "s3://bucket/key, gs://bucket/key, az://account/container/key or file:///root/key");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  auto t = SplitUri(uri, c.root);
  if (!t.ok()) return Fail(t.status());
  auto st = OpenFor(*t, c);
  if (!st.ok()) return Fail(st.status());
  auto data = (*st)->Get(t->key);
  if (!data.ok()) return Fail(data.status());
  if (std::fwrite(data->data(), 1, data->size(), stdout) != data->size() || std::fflush(stdout) != 0) {
    return Fail(ErrnoError(errno, "writing to stdout"));
  }
  return 0;
}

int RunRm(const Args& args) {
  FlagSet flags("straightline store rm", "Delete an object (deleting a missing object is not an error).");
  CommonFlags c;
  std::string uri;
  c.Register(flags, false);
  flags.Positional("URI", &uri, "s3://bucket/key, gs://bucket/key, az://account/container/key or file:///root/key");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  auto t = SplitUri(uri, c.root);
  if (!t.ok()) return Fail(t.status());
  auto st = OpenFor(*t, c);
  if (!st.ok()) return Fail(st.status());
  Status s = (*st)->Delete(t->key);
  if (!s.ok()) return Fail(s);
  fmt::print("deleted {}\n", uri);
  return 0;
}

void PrintStoreUsage(std::FILE* out) {
  fmt::print(out,
             "usage: straightline store ls|put|get|cat|rm|stat [flags] URI\n\n"
             "  ls URI            list objects under a prefix (sizes, times; --json)\n"
             "  stat URI          one object's size, checksum, etag, time (--json)\n"
             "  put FILE URI      upload a local file (--if-absent: never replace)\n"
             "  get URI FILE      download to a local file, verified\n"
             "  cat URI           write an object to stdout, verified\n"
             "  rm URI            delete an object\n\n"
             "URIs: s3://bucket/key (endpoint and credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID,\n"
             "AWS_SECRET_ACCESS_KEY, AWS_REGION or the flags), gs://bucket/key (Google Cloud Storage XML\n"
             "API with an HMAC key: GS_ACCESS_KEY_ID, GS_SECRET_ACCESS_KEY, GOOGLE_CLOUD_STORAGE_ENDPOINT\n"
             "or the flags), az://account/container/key (Azure Blob\n"
             "Storage: AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN)\n"
             "and file:///dir/key: the store is the\n"
             "nearest directory at or above that is one (or --root DIR); put creates it if none is.\n"
             "Run 'straightline store SUBCOMMAND --help' for its flags.\n");
}

}  // namespace

int RunStore(const Args& args) {
  if (args.empty()) {
    PrintStoreUsage(stderr);
    return 2;
  }
  static const std::map<std::string, int (*)(const Args&)> subs = {
      {"ls", RunLs}, {"stat", RunStat}, {"put", RunPut}, {"get", RunGet}, {"cat", RunCat}, {"rm", RunRm}};
  const std::string& sub = args[0];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    PrintStoreUsage(stdout);
    return 0;
  }
  auto it = subs.find(sub);
  if (it == subs.end()) {
    fmt::print(stderr, "straightline store: unknown subcommand '{}'\n\n", sub);
    PrintStoreUsage(stderr);
    return 2;
  }
  return it->second(Args(args.begin() + 1, args.end()));
}

}  // namespace sl::cli
