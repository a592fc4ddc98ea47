#include "package/image_builder.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <set>
#include <sstream>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "common/clock.h"
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
  return std::chrono::duration<double>(Clock::Real()->Now() - t0).count();
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

// Adds every file under `host_dir` at `image_dir` keeping the executable bit (0755 / 0644):
// a custom runtime's code folder, whose bootstrap must stay executable.
Status AddCodeTree(const std::string& host_dir, const std::string& image_dir, LayerTree* tree,
                   uint64_t* bytes) {
  std::error_code ec;
  SL_RETURN_IF_ERROR(tree->AddDirectory(image_dir));
  std::set<std::string> sorted;  // iteration order is the filesystem's; the tree sorts anyway
  for (fs::recursive_directory_iterator it(host_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    sorted.insert(it->path().string());
  }
  if (ec) return ErrnoError(ec.value(), host_dir);
  for (const auto& p : sorted) {
    const std::string dst = image_dir + "/" + fs::path(p).lexically_relative(host_dir).string();
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return ErrnoError(errno, p);
    if (S_ISDIR(st.st_mode)) {
      SL_RETURN_IF_ERROR(tree->AddDirectory(dst));
    } else if (S_ISREG(st.st_mode)) {
      SL_RETURN_IF_ERROR(tree->AddFile(dst, p, (st.st_mode & 0111) != 0 ? 0755 : 0644));
      *bytes += static_cast<uint64_t>(st.st_size);
    }
  }
  return Status::Ok();
}

// What must be in the image for `bootstrap` to start, besides itself: nothing more when it is
// an ELF executable (*elf; its shared libraries come from the closure), else its `#!`
// interpreter, and for `#!/usr/bin/env NAME` env itself and NAME as this host's PATH finds it.
Result<std::vector<std::string>> InterpretersOf(const std::string& bootstrap, bool* elf) {
  SL_ASSIGN_OR_RETURN(std::string head, ReadFileToString(bootstrap));
  head = head.substr(0, 256);
  *elf = head.size() >= 4 && head.compare(0, 4, "\x7f" "ELF") == 0;
  if (*elf) return std::vector<std::string>{};
  if (head.rfind("#!", 0) != 0) {
    return InvalidArgument("{}: neither an ELF executable nor a script starting with #!", bootstrap);
  }
  const size_t nl = head.find('\n');
  const std::string line = head.substr(2, nl == std::string::npos ? std::string::npos : nl - 2);
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) words.push_back(line.substr(i, j - i));
    i = j;
  }
  if (words.empty()) return InvalidArgument("{}: empty #! line", bootstrap);
  std::vector<std::string> out = {words[0]};
  if (fs::path(words[0]).filename() == "env" && words.size() >= 2) {
    const char* path_env = std::getenv("PATH");
    const std::string path = path_env != nullptr ? path_env : "/usr/bin:/bin";
    std::string found;
    for (size_t b = 0; b <= path.size() && found.empty();) {
      size_t e = path.find(':', b);
      if (e == std::string::npos) e = path.size();
      const std::string cand = path.substr(b, e - b) + "/" + words[1];
      if (e > b && ::access(cand.c_str(), X_OK) == 0) found = cand;
      b = e + 1;
    }
    if (found.empty()) return NotFound("{}: its interpreter {} is not on this host's PATH", bootstrap, words[1]);
    out.push_back(found);
  }
  for (const auto& p : out) {
    if (::access(p.c_str(), X_OK) != 0) {
      return NotFound("{}: its interpreter {} is not an executable on this host", bootstrap, p);
    }
  }
  return out;
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
    if (!o.functions.empty()) {
      // The CMD may name a function of the file: the worker looks it up here.
      c.env.push_back(std::string("STRAIGHTLINE_FUNCTIONS_FILE=") + kFunctionsFile);
      std::string fns;
      for (const auto& f : o.functions) fns += (fns.empty() ? "" : ",") + f.name;
      c.labels["org.straightline.functions"] = fns;
    }
    if (names.size() == 1) {
      c.env.push_back(fmt::format("STRAIGHTLINE_MODEL_DIR={}/{}", kModelsDir, names[0]));
      c.env.push_back("STRAIGHTLINE_MODEL_NAME=" + names[0]);
    }
  }
  for (const auto& [k, v] : o.labels) c.labels[k] = v;
  c.history = {"straightline package: shared libraries (host closure, see provenance.json)",
               "straightline package: " + BinaryName(o) + ", passwd, group, /tmp, provenance"};
  if (!names.empty()) c.history.push_back("straightline package: models " + joined);
  if (!o.functions.empty()) c.history.push_back("straightline package: functions (code, functions.json)");
  return c;
}

Result<BuiltImage> BuildImage(const PackageOptions& o, const std::string& layout_dir) {
  auto t0 = Clock::Real()->Now();
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
  if (o.kind == ImageKind::kServing && !o.functions.empty()) {
    return InvalidArgument("functions go into a function image (package function --functions FILE)");
  }
  // Functions: built-ins must be the binary's, custom runtimes need an executable bootstrap and
  // what starts it.
  std::vector<std::string> closure_inputs = {o.binary}, interpreters;
  if (!o.functions.empty()) {
    std::set<std::string> builtins, names;
    bool any_builtin = false;
    for (const auto& f : o.functions) any_builtin = any_builtin || f.code_dir.empty();
    if (any_builtin) {
      SL_ASSIGN_OR_RETURN(ProcessResult r, RunProcess({o.binary, "--list"}));
      if (r.exit_code != 0) return InvalidArgument("{} --list failed: {}", o.binary, FirstLine(r));
      std::string line;
      for (std::stringstream in(r.out); std::getline(in, line);) {
        if (!line.empty()) builtins.insert(line);
      }
    }
    bool default_found = false;
    for (const auto& f : o.functions) {
      if (f.name.empty() || f.name.find('/') != std::string::npos || f.name == "." || f.name == "..") {
        return InvalidArgument("function name '{}' cannot name a folder", f.name);
      }
      if (!names.insert(f.name).second) return InvalidArgument("function '{}' is declared twice", f.name);
      default_found = default_found || f.name == o.handler;
      if (f.code_dir.empty()) {
        if (builtins.count(f.handler) == 0) {
          std::string known;
          for (const auto& b : builtins) known += (known.empty() ? "" : ", ") + b;
          return InvalidArgument("function '{}': handler '{}' is not a built-in of {} (known: {}); a custom "
                                 "runtime needs runtime: provided.al2023 and codeUri",
                                 f.name, f.handler, o.binary, known);
        }
        continue;
      }
      const std::string bootstrap = f.code_dir + "/bootstrap";
      struct stat bs {};
      if (::stat(bootstrap.c_str(), &bs) != 0 || !S_ISREG(bs.st_mode) || (bs.st_mode & 0111) == 0) {
        return InvalidArgument("function '{}': {} is not an executable file (a custom runtime's entry point)",
                               f.name, bootstrap);
      }
      bool elf = false;
      Result<std::vector<std::string>> interp_or = InterpretersOf(bootstrap, &elf);
      if (!interp_or.ok()) return interp_or.status().WithContext(fmt::format("function '{}'", f.name));
      const std::vector<std::string> interp = std::move(interp_or).value();
      if (elf) {
        SL_ASSIGN_OR_RETURN(ProcessResult r, RunProcess({"ldd", bootstrap}));
        if (r.exit_code == 0) {
          closure_inputs.push_back(bootstrap);
        } else if ((r.out + r.err).find("not a dynamic executable") == std::string::npos) {
          return InvalidArgument("function '{}': ldd {}: {}", f.name, bootstrap, FirstLine(r));
        }  // static: nothing to add
      }
      for (const auto& i : interp) {
        if (std::find(interpreters.begin(), interpreters.end(), i) == interpreters.end()) {
          interpreters.push_back(i);
          closure_inputs.push_back(i);
        }
      }
    }
    if (!default_found && builtins.count(o.handler) == 0) {
      return InvalidArgument("the default function '{}' (--handler) is neither a function of the file nor a "
                             "built-in handler",
                             o.handler);
    }
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
  SL_ASSIGN_OR_RETURN(std::vector<std::string> libs, LibraryClosure(closure_inputs, o.extra_libraries));
  libs.insert(libs.end(), interpreters.begin(), interpreters.end());  // scripts' #! programs
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
    auto t = Clock::Real()->Now();
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
  if (!o.functions.empty()) {
    LayerTree fn_layer;
    uint64_t code_bytes = 0;
    json index = json::object();
    for (const auto& f : o.functions) {
      json entry = {{"handler", f.handler}, {"environment", f.environment}};
      if (f.code_dir.empty()) {
        entry["runtime"] = "builtin";
      } else {
        const std::string root = std::string(kFunctionsDir) + "/" + f.name;
        SL_RETURN_IF_ERROR(AddCodeTree(f.code_dir, root, &fn_layer, &code_bytes));
        entry["runtime"] = "provided";
        entry["task_root"] = root;
        entry["bootstrap"] = root + "/bootstrap";
      }
      index[f.name] = entry;
    }
    json doc = {{"note", "the functions of the functions file this image was built from (straightline package "
                         "function --functions); straightline-worker serves the one its CMD names"},
                {"default", o.handler},
                {"functions", index}};
    SL_RETURN_IF_ERROR(fn_layer.AddContents(kFunctionsFile, doc.dump(1) + "\n"));
    Progress(o, fmt::format("functions: {} ({} of custom-runtime code)", o.functions.size(), HumanBytes(code_bytes)));
    SL_RETURN_IF_ERROR(write(fn_layer, "functions"));
  }
  return WriteOciLayout(layout_dir, MakeImageConfig(o, names), std::move(layers), o.ref_name);
}

}  // namespace sl::package
