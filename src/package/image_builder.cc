#include "package/image_builder.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <set>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/sha256.h"
#include "package/library_closure.h"
#include "package/subprocess.h"

namespace sl::package {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

void Progress(const PackageOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string BinaryName(const PackageOptions& o) {
  return o.kind == ImageKind::kServing ? "straightline" : "straightline-worker";
}

// A model folder: manifest.json that parses, and the weights file it names with the size and
// SHA-256 it records (the same checks `model show` makes, without loading libtorch).
Status CheckModelFolder(const std::string& dir) {
  const std::string manifest_path = dir + "/manifest.json";
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(manifest_path));
  json m = json::parse(text, nullptr, false);
  if (m.is_discarded() || !m.is_object()) return DataLoss("{}: not JSON", manifest_path);
  if (!m.contains("weights") || !m["weights"].is_object() ||
      !m["weights"].value("file", json()).is_string()) {
    return DataLoss("{}: no weights.file", manifest_path);
  }
  const std::string weights = dir + "/" + m["weights"]["file"].get<std::string>();
  SL_ASSIGN_OR_RETURN(std::string sha, Sha256File(weights));
  const std::string want = m["weights"].value("sha256", std::string());
  if (!want.empty() && sha != want) {
    return DataLoss("{}: SHA-256 {} does not match {}'s weights.sha256 {}", weights, sha,
                    manifest_path, want);
  }
  return Status::Ok();
}

// Adds every regular file under `host_dir` (recursively) at `image_dir`, mode 0644/0755.
Status AddTree(const std::string& host_dir, const std::string& image_dir, LayerTree* tree,
               uint64_t* bytes) {
  std::error_code ec;
  SL_RETURN_IF_ERROR(tree->AddDirectory(image_dir));
  for (fs::recursive_directory_iterator it(host_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::path rel = it->path().lexically_relative(host_dir);
    const std::string dst = image_dir + "/" + rel.string();
    if (it->is_directory()) {
      SL_RETURN_IF_ERROR(tree->AddDirectory(dst));
    } else if (it->is_regular_file()) {
      SL_RETURN_IF_ERROR(tree->AddFile(dst, it->path().string(), 0644));
      *bytes += it->file_size();
    }
  }
  if (ec) return ErrnoError(ec.value(), host_dir);
  return Status::Ok();
}

std::string FolderName(const std::string& dir) {
  return fs::path(dir).lexically_normal().filename().string().empty()
             ? fs::path(dir).lexically_normal().parent_path().filename().string()
             : fs::path(dir).lexically_normal().filename().string();
}

Result<std::string> StrippedBinary(const PackageOptions& o) {
  if (!o.strip_debug) return o.binary;
  const std::string out = o.scratch_dir + "/" + BinaryName(o);
  // strip's output depends only on its input: the digest stays reproducible.
  SL_ASSIGN_OR_RETURN(ProcessResult r, RunProcess({"strip", "--strip-debug", "-o", out, o.binary}));
  if (r.exit_code != 0) {
    return InvalidArgument("{}: strip --strip-debug failed: {}", o.binary, FirstLine(r));
  }
  return out;
}

std::string PasswdFile() {
  return fmt::format(
      "root:x:0:0:root:/root:/sbin/nologin\n"
      "straightline:x:{0}:{0}:straightline:/nonexistent:/sbin/nologin\n",
      kImageUid);
}
std::string GroupFile() { return fmt::format("root:x:0:\nstraightline:x:{}:\n", kImageUid); }

}  // namespace

ImageConfig MakeImageConfig(const PackageOptions& o, const std::vector<std::string>& names) {
  ImageConfig c;
  c.user = fmt::format("{0}:{0}", kImageUid);
  c.created = o.created;
  c.working_dir = "/";
  c.env = {"PATH=/usr/local/bin", "TMPDIR=/tmp"};
  c.labels["org.opencontainers.image.title"] =
      o.kind == ImageKind::kServing ? "straightline serving image" : "straightline function image";
  c.labels["org.straightline.provenance"] = kProvenanceFile;
  std::string joined;
  for (const auto& n : names) joined += (joined.empty() ? "" : ",") + n;
  if (!joined.empty()) c.labels["org.straightline.models"] = joined;
  if (o.kind == ImageKind::kServing) {
    c.labels["org.straightline.kind"] = "serving";
    c.labels["org.straightline.auth-token-file"] = kTokenFile;
    c.entrypoint = {"/usr/local/bin/straightline", "serve"};
    if (!o.model_repository.empty()) {
      c.cmd = {"--model-repository", kModelsDir};
    } else {
      for (const auto& n : names) {
        c.cmd.push_back("--model");
        c.cmd.push_back(std::string(kModelsDir) + "/" + n);
      }
    }
    // serve listens on $PORT (the Knative/KServe contract) and needs a token on a non-loopback
    // address: the token comes from a mounted secret. Its state goes to the writable /tmp
    // through the environment, so a Cmd overridden by a deployment keeps it.
    const std::vector<std::string> rest = {"--tiers", "local",   "--policy",
                                           "local",   "--host",  "0.0.0.0",
                                           "--auth-token-file", kTokenFile};
    c.cmd.insert(c.cmd.end(), rest.begin(), rest.end());
    c.cmd.insert(c.cmd.end(), o.extra_args.begin(), o.extra_args.end());
    c.env.push_back(fmt::format("PORT={}", o.port));
    c.env.push_back("STRAIGHTLINE_STATE_DIR=/tmp/straightline");
    c.exposed_ports = {fmt::format("{}/tcp", o.port)};
  } else {
    c.labels["org.straightline.kind"] = "function";
    c.labels["org.straightline.handler"] = o.handler;
    // The Lambda container-image contract: the entrypoint is the Runtime API client (it reads
    // AWS_LAMBDA_RUNTIME_API, set by the platform); the handler is the CMD (Lambda's
    // ImageConfig.Command overrides it) and _HANDLER (for runtimes that set only that). The
    // worker picks its mode from the environment, so the same image also answers plain HTTP on
    // $PORT (Knative, Cloud Run) and the Azure custom-handler protocol.
    c.entrypoint = {"/usr/local/bin/straightline-worker"};
    c.cmd = {o.handler};
    c.env.push_back("_HANDLER=" + o.handler);
    if (names.size() == 1) {
      c.env.push_back(fmt::format("STRAIGHTLINE_MODEL_DIR={}/{}", kModelsDir, names[0]));
      c.env.push_back("STRAIGHTLINE_MODEL_NAME=" + names[0]);
    }
  }
  for (const auto& [k, v] : o.labels) c.labels[k] = v;
  c.history = {"straightline package: shared libraries (host closure, see provenance.json)",
               "straightline package: " + BinaryName(o) + ", passwd, group, /tmp, provenance"};
  if (!names.empty()) c.history.push_back("straightline package: models " + joined);
  return c;
}

Result<BuiltImage> BuildImage(const PackageOptions& o, const std::string& layout_dir) {
  auto t0 = std::chrono::steady_clock::now();
  struct stat st {};
  if (::stat(o.binary.c_str(), &st) != 0) return ErrnoError(errno, o.binary);
  if (!S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0) {
    return InvalidArgument("{}: not an executable file", o.binary);
  }
  if (o.kind == ImageKind::kFunction && !o.model_repository.empty()) {
    return InvalidArgument("a function image takes --model (one), not --model-repository {}",
                           o.model_repository);
  }
  if (o.kind == ImageKind::kFunction && o.models.size() > 1) {
    return InvalidArgument("a function image holds at most one model (predict loads one)");
  }
  if (o.kind == ImageKind::kServing && o.models.empty() && o.model_repository.empty()) {
    return InvalidArgument("a serving image needs --model DIR or --model-repository DIR");
  }

  // Models first: a wrong folder is the most likely mistake and the cheapest to find.
  std::vector<std::pair<std::string, std::string>> models;  // name, host folder
  if (!o.model_repository.empty()) {
    std::error_code ec;
    std::set<std::string> sorted;
    for (const auto& e : fs::directory_iterator(o.model_repository, ec)) {
      if (e.is_directory()) sorted.insert(e.path().string());
    }
    if (ec) return ErrnoError(ec.value(), o.model_repository);
    for (const auto& d : sorted) models.emplace_back(FolderName(d), d);
    if (models.empty()) return NotFound("{}: no model folders in it", o.model_repository);
  }
  for (const auto& m : o.models) models.emplace_back(FolderName(m), m);
  std::vector<std::string> names;
  for (const auto& [name, dir] : models) {
    SL_RETURN_IF_ERROR(CheckModelFolder(dir));
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return InvalidArgument("two models are named '{}' ({}): rename a folder", name, dir);
    }
    names.push_back(name);
  }

  SL_RETURN_IF_ERROR(MakeDirs(layout_dir + "/blobs/sha256"));
  SL_ASSIGN_OR_RETURN(std::string binary, StrippedBinary(o));

  // Layer 1: the library closure at host paths.
  SL_ASSIGN_OR_RETURN(std::vector<std::string> libs, LibraryClosure({o.binary}, o.extra_libraries));
  LayerTree lib_layer;
  std::vector<std::string> files;
  for (const auto& l : libs) {
    SL_ASSIGN_OR_RETURN(std::string file, AddHostPath(l, &lib_layer));
    files.push_back(file);
  }
  uint64_t lib_bytes = 0;
  for (const auto& f : files) {
    if (::stat(f.c_str(), &st) == 0) lib_bytes += static_cast<uint64_t>(st.st_size);
  }
  Progress(o, fmt::format("libraries: {} resolved by ldd, {} files, {} ({:.1f} s)", libs.size(),
                          files.size(), HumanBytes(lib_bytes), SecondsSince(t0)));
  SL_ASSIGN_OR_RETURN(auto origins, DebianOrigins(libs));

  // Layer 2: the application.
  LayerTree app;
  SL_RETURN_IF_ERROR(app.AddFile("usr/local/bin/" + BinaryName(o), binary, 0755));
  SL_RETURN_IF_ERROR(app.AddContents("etc/passwd", PasswdFile()));
  SL_RETURN_IF_ERROR(app.AddContents("etc/group", GroupFile()));
  SL_RETURN_IF_ERROR(app.AddDirectory("tmp", 01777));
  if (o.kind == ImageKind::kServing) {
    SL_RETURN_IF_ERROR(app.AddDirectory("var/run/secrets/straightline"));
  }
  json prov = json::object();
  json by_package = json::object();
  for (const auto& [path, origin] : origins) {
    prov[path] = origin.package.empty()
                     ? json{{"package", nullptr}}
                     : json{{"package", origin.package}, {"version", origin.version}};
    if (!origin.package.empty()) by_package[origin.package] = origin.version;
  }
  json provenance = {{"note", "shared libraries copied from the build host by `straightline "
                              "package` (ldd closure); package = dpkg -S owner"},
                     {"binary", {{"path", "/usr/local/bin/" + BinaryName(o)},
                                 {"sha256", Sha256File(binary).value_or("")},
                                 {"stripped_debug", o.strip_debug}}},
                     {"libraries", prov},
                     {"debian_packages", by_package}};
  SL_RETURN_IF_ERROR(app.AddContents(kProvenanceFile, provenance.dump(1) + "\n"));

  std::vector<LayerBlob> layers;
  auto write = [&](const LayerTree& tree, const std::string& what) -> Status {
    auto t = std::chrono::steady_clock::now();
    SL_ASSIGN_OR_RETURN(LayerBlob b, WriteLayer(tree, layout_dir + "/blobs/sha256", o.layer));
    Progress(o, fmt::format("layer {}: {} entries, tar {}, blob {} ({:.1f} s)", what,
                            tree.entries().size(), HumanBytes(b.tar_size), HumanBytes(b.size),
                            SecondsSince(t)));
    layers.push_back(std::move(b));
    return Status::Ok();
  };
  SL_RETURN_IF_ERROR(write(lib_layer, "libraries"));
  SL_RETURN_IF_ERROR(write(app, BinaryName(o)));
  if (!models.empty()) {
    LayerTree model_layer;
    uint64_t model_bytes = 0;
    for (const auto& [name, dir] : models) {
      SL_RETURN_IF_ERROR(AddTree(dir, std::string(kModelsDir) + "/" + name, &model_layer,
                                 &model_bytes));
    }
    SL_RETURN_IF_ERROR(write(model_layer, "models"));
  }
  return WriteOciLayout(layout_dir, MakeImageConfig(o, names), std::move(layers), o.ref_name);
}

}  // namespace sl::package
