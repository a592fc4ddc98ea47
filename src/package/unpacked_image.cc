#include "package/unpacked_image.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "package/subprocess.h"

namespace sl::package {
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
  auto r = RunProcess(argv);
  if (!r.ok()) {
    return FailedPrecondition("container image: cannot run {} ({}); install it "
                              "(scripts/install-deps.sh)",
                              argv[0], r.status().message());
  }
  if (r->exit_code != 0) {
    std::string cmd;
    for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
    return Internal("container image: {} exited {}: {}", cmd, r->exit_code,
                    FirstLine(*r));
  }
  return Status::Ok();
}

// The image config's Entrypoint and Cmd, read from the layout (index → manifest → config).
Status ReadEntrypointAndCmd(const std::string& layout, const std::string& ref, UnpackedImage* out) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(layout + "/index.json"));
  json index = json::parse(text, nullptr, false);
  auto blob = [&](const std::string& digest) -> Result<json> {
    size_t colon = digest.find(':');
    if (colon == std::string::npos) return InvalidArgument("container image: bad digest '{}'", digest);
    SL_ASSIGN_OR_RETURN(std::string b, ReadFileToString(layout + "/blobs/" + digest.substr(0, colon) + "/" +
                                                       digest.substr(colon + 1)));
    json j = json::parse(b, nullptr, false);
    if (j.is_discarded()) return InvalidArgument("container image: blob {} is not JSON", digest);
    return j;
  };
  if (!index.is_object() || !index["manifests"].is_array()) return InvalidArgument("container image: {}/index.json", layout);
  for (const json& m : index["manifests"]) {
    std::string name = m.contains("annotations") ? m["annotations"].value("org.opencontainers.image.ref.name", "") : "";
    if (name != ref) continue;
    SL_ASSIGN_OR_RETURN(json manifest, blob(m.value("digest", "")));
    SL_ASSIGN_OR_RETURN(json config, blob(manifest["config"].value("digest", "")));
    const json c = config.value("config", json::object());
    out->entrypoint = c.value("Entrypoint", std::vector<std::string>{});
    out->cmd = c.value("Cmd", std::vector<std::string>{});
    return Status::Ok();
  }
  return InvalidArgument("container image: {} has no manifest named {}", layout, ref);
}

}  // namespace

Result<UnpackedImage> UnpackImage(const std::string& reference, const std::string& dir) {
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
  UnpackedImage out;
  SL_RETURN_IF_ERROR(ReadEntrypointAndCmd(layout, ref, &out));
  if (layout == dir + "/layout") std::filesystem::remove_all(layout, ec);  // the layers are applied

  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(bundle + "/config.json"));
  json c = json::parse(text, nullptr, false);
  if (!c.is_object() || !c.contains("process")) {
    return Internal("container image {}: umoci wrote no process in {}/config.json", reference,
                    bundle);
  }
  const json& p = c["process"];
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

void RemoveUnpackedImage(const UnpackedImage& image) {
  if (image.dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(image.dir, ec);
}

}  // namespace sl::package
