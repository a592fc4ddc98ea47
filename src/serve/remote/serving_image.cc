#include "serve/remote/serving_image.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "package/subprocess.h"

namespace sl::serve {
namespace {

using nlohmann::json;

// "PATH[:REF]" → {PATH, REF}. A path holds no ':' here (REF itself may: "name:tag").
std::pair<std::string, std::string> SplitRef(const std::string& s) {
  size_t colon = s.find(':');
  if (colon == std::string::npos) return {s, ""};
  return {s.substr(0, colon), s.substr(colon + 1)};
}

Result<std::string> DefaultRef(const std::string& layout) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(layout + "/index.json"));
  json index = json::parse(text, nullptr, false);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array() ||
      index["manifests"].empty()) {
    return InvalidArgument("container image: {}/index.json lists no manifest", layout);
  }
  const json& m = index["manifests"][0];
  if (m.contains("annotations") && m["annotations"].contains("org.opencontainers.image.ref.name")) {
    return m["annotations"]["org.opencontainers.image.ref.name"].get<std::string>();
  }
  return InvalidArgument("container image: {}/index.json's first manifest has no "
                         "org.opencontainers.image.ref.name; name one with :REF",
                         layout);
}

Status Run(const std::vector<std::string>& argv) {
  auto r = package::RunProcess(argv);
  if (!r.ok()) {
    return FailedPrecondition("container image: cannot run {} ({}); install it "
                              "(scripts/install-deps.sh)",
                              argv[0], r.status().message());
  }
  if (r->exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    return Internal("container image: {} exited {}: {}", cmd, r->exit_code,
                    package::FirstLine(*r));
  }
  return Status::Ok();
}

}  // namespace

Result<UnpackedImage> UnpackServingImage(const std::string& reference, const std::string& dir) {
  std::string layout, ref;
  std::error_code ec;
  if (reference.rfind("oci-archive:", 0) == 0) {
    auto [path, r] = SplitRef(reference.substr(12));
    if (!PathExists(path)) return InvalidArgument("container image {}: no file {}", reference, path);
    layout = dir + "/layout";
    SL_RETURN_IF_ERROR(MakeDirs(layout));
    SL_RETURN_IF_ERROR(Run({"tar", "-xf", path, "-C", layout}));
    ref = r;
  } else if (reference.rfind("oci:", 0) == 0) {
    auto [path, r] = SplitRef(reference.substr(4));
    if (!PathExists(path + "/index.json")) {
      return InvalidArgument("container image {}: {} is not an OCI layout (no index.json)",
                             reference, path);
    }
    layout = std::filesystem::absolute(path, ec).string();
    ref = r;
  } else {
    return InvalidArgument("container image '{}': want oci-archive:PATH[:REF] or oci:DIR[:REF]",
                           reference);
  }
  if (ref.empty()) {
    SL_ASSIGN_OR_RETURN(ref, DefaultRef(layout));
  }
  SL_RETURN_IF_ERROR(MakeDirs(dir));
  const std::string bundle = dir + "/bundle";
  SL_RETURN_IF_ERROR(Run({"umoci", "unpack", "--image", layout + ":" + ref, bundle}));
  if (layout == dir + "/layout") std::filesystem::remove_all(layout, ec);  // the layers are applied

  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(bundle + "/config.json"));
  json c = json::parse(text, nullptr, false);
  if (!c.is_object() || !c.contains("process")) {
    return Internal("container image {}: umoci wrote no process in {}/config.json", reference,
                    bundle);
  }
  const json& p = c["process"];
  UnpackedImage out;
  out.dir = dir;
  out.rootfs = std::filesystem::absolute(bundle + "/rootfs", ec).string();
  out.args = p.value("args", std::vector<std::string>{});
  out.env = p.value("env", std::vector<std::string>{});
  out.cwd = p.value("cwd", std::string("/"));
  if (p.contains("user")) {
    out.uid = p["user"].value("uid", 0u);
    out.gid = p["user"].value("gid", 0u);
  }
  if (out.args.empty()) {
    return InvalidArgument("container image {}: no Entrypoint or Cmd", reference);
  }
  for (size_t i = 0; i + 1 < out.args.size(); ++i) {
    if (out.args[i] == "--auth-token-file") out.token_path = out.args[i + 1];
  }
  return out;
}

std::vector<std::string> BindToLoopback(std::vector<std::string> args) {
  bool found = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--host" && i + 1 < args.size()) {
      args[i + 1] = "127.0.0.1";
      found = true;
    } else if (args[i].rfind("--host=", 0) == 0) {
      args[i] = "--host=127.0.0.1";
      found = true;
    }
  }
  if (!found) {
    args.push_back("--host");
    args.push_back("127.0.0.1");
  }
  return args;
}

std::vector<std::string> SetEnv(std::vector<std::string> env, const std::string& key_value) {
  const std::string key = key_value.substr(0, key_value.find('=') + 1);
  std::erase_if(env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
  env.push_back(key_value);
  return env;
}

void RemoveUnpackedImage(const UnpackedImage& image) {
  if (image.dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(image.dir, ec);
}

}  // namespace sl::serve
