#include "package/oci_image.h"

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/sha256.h"

namespace sl::package {
namespace {

using nlohmann::json;

constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kConfigType = "application/vnd.oci.image.config.v1+json";

json DescriptorJson(const std::string& media_type, const std::string& digest, uint64_t size) {
  return json{{"mediaType", media_type}, {"digest", digest}, {"size", size}};
}

// Writes a blob named by its digest; returns its descriptor.
Result<Descriptor> WriteBlob(const std::string& layout_dir, const std::string& media_type,
                             const std::string& contents) {
  Descriptor d{media_type, "sha256:" + Sha256Hex(contents), contents.size()};
  SL_RETURN_IF_ERROR(
      WriteFileAtomic(layout_dir + "/blobs/sha256/" + DigestHex(d.digest), contents));
  return d;
}

}  // namespace

std::string DigestHex(const std::string& digest) {
  size_t colon = digest.find(':');
  return colon == std::string::npos ? digest : digest.substr(colon + 1);
}

std::string ConfigJson(const ImageConfig& c, const std::vector<LayerBlob>& layers) {
  json cfg = json::object();
  if (!c.user.empty()) cfg["User"] = c.user;
  if (!c.env.empty()) cfg["Env"] = c.env;
  if (!c.entrypoint.empty()) cfg["Entrypoint"] = c.entrypoint;
  if (!c.cmd.empty()) cfg["Cmd"] = c.cmd;
  if (!c.working_dir.empty()) cfg["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) cfg["Labels"] = c.labels;
  if (!c.exposed_ports.empty()) {
    json ports = json::object();
    for (const auto& p : c.exposed_ports) ports[p] = json::object();
    cfg["ExposedPorts"] = ports;
  }
  json diff_ids = json::array();
  for (const auto& l : layers) diff_ids.push_back(l.diff_id);
  json history = json::array();
  for (size_t i = 0; i < layers.size(); ++i) {
    history.push_back({{"created", c.created},
                       {"created_by", i < c.history.size() ? c.history[i] : "straightline package"}});
  }
  json doc = {{"created", c.created},
              {"architecture", c.architecture},
              {"os", c.os},
              {"config", cfg},
              {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
              {"history", history}};
  return doc.dump();  // nlohmann's object keeps keys sorted: a canonical form
}

Result<BuiltImage> WriteOciLayout(const std::string& layout_dir, const ImageConfig& config,
                                  std::vector<LayerBlob> layers, const std::string& ref_name) {
  BuiltImage image;
  image.layout_dir = layout_dir;
  image.ref_name = ref_name;
  SL_ASSIGN_OR_RETURN(image.config, WriteBlob(layout_dir, kConfigType, ConfigJson(config, layers)));
  json layer_list = json::array();
  for (const auto& l : layers) layer_list.push_back(DescriptorJson(l.media_type, l.digest, l.size));
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", kManifestType},
                   {"config", DescriptorJson(kConfigType, image.config.digest, image.config.size)},
                   {"layers", layer_list}};
  SL_ASSIGN_OR_RETURN(image.manifest, WriteBlob(layout_dir, kManifestType, manifest.dump()));
  json m = DescriptorJson(kManifestType, image.manifest.digest, image.manifest.size);
  m["annotations"] = {{"org.opencontainers.image.ref.name", ref_name}};
  json index = {{"schemaVersion", 2}, {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests", json::array({m})}};
  SL_RETURN_IF_ERROR(WriteFileAtomic(layout_dir + "/index.json", index.dump()));
  SL_RETURN_IF_ERROR(
      WriteFileAtomic(layout_dir + "/oci-layout", json{{"imageLayoutVersion", "1.0.0"}}.dump()));
  image.layers = std::move(layers);
  return image;
}

Result<uint64_t> WriteOciArchive(const BuiltImage& image, const std::string& path,
                                 int64_t mtime) {
  LayerTree tree;
  const std::string& dir = image.layout_dir;
  SL_RETURN_IF_ERROR(tree.AddDirectory("blobs"));
  SL_RETURN_IF_ERROR(tree.AddDirectory("blobs/sha256"));
  auto blob = [&](const std::string& digest) {
    const std::string hex = DigestHex(digest);
    return tree.AddFile("blobs/sha256/" + hex, dir + "/blobs/sha256/" + hex, 0644);
  };
  SL_RETURN_IF_ERROR(blob(image.config.digest));
  SL_RETURN_IF_ERROR(blob(image.manifest.digest));
  for (const auto& l : image.layers) SL_RETURN_IF_ERROR(blob(l.digest));
  SL_RETURN_IF_ERROR(tree.AddFile("index.json", dir + "/index.json", 0644));
  SL_RETURN_IF_ERROR(tree.AddFile("oci-layout", dir + "/oci-layout", 0644));
  return WriteTarFile(tree, path, mtime);
}

Result<uint64_t> WriteDockerArchive(const BuiltImage& image, const std::string& repo_tag,
                                    const std::string& path, int64_t mtime) {
  LayerTree tree;
  const std::string& dir = image.layout_dir;
  const std::string config_name = DigestHex(image.config.digest) + ".json";
  SL_RETURN_IF_ERROR(
      tree.AddFile(config_name, dir + "/blobs/sha256/" + DigestHex(image.config.digest), 0644));
  json layers = json::array();
  for (const auto& l : image.layers) {
    if (l.digest != l.diff_id) {
      return InvalidArgument("{}: docker-archive needs uncompressed layers, {} is {}", path,
                             l.digest, l.media_type);
    }
    const std::string name = DigestHex(l.diff_id) + ".tar";
    SL_RETURN_IF_ERROR(tree.AddFile(name, l.path, 0644));
    layers.push_back(name);
  }
  json manifest = json::array(
      {{{"Config", config_name}, {"RepoTags", json::array({repo_tag})}, {"Layers", layers}}});
  SL_RETURN_IF_ERROR(tree.AddContents("manifest.json", manifest.dump()));
  return WriteTarFile(tree, path, mtime);
}

}  // namespace sl::package
