// The OCI image format around a set of layer blobs: the image config, the manifest, the
// index, and the three outputs `straightline package` writes — an OCI image layout directory,
// the same layout as one tar (`oci-archive`, what `skopeo copy oci-archive:` and
// `podman load` read), and a `docker-archive` (manifest.json + config + layer tars, what
// `docker save` writes and `docker load` / `podman load` / skopeo read).
//
// Every JSON document is written with sorted keys and no whitespace, and `created` is fixed
// by the caller, so the same layers and config give the same digests.
// Ownership: plain values. Thread safety: none.
// Failure contract: errors name the file being written; outputs are written to a temporary
// name and renamed, so a failed write leaves the previous output (or nothing) in place.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "package/layer.h"

namespace sl::package {

struct ImageConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string user;              // "65532:65532"
  std::string working_dir = "/";
  std::vector<std::string> exposed_ports;  // "8080/tcp"
  std::map<std::string, std::string> labels;
  std::string created = "1970-01-01T00:00:00Z";
  std::string architecture = "amd64";
  std::string os = "linux";
  std::vector<std::string> history;  // one created_by line per layer
};

// The OCI image config JSON for `config` over layers with these diff_ids.
std::string ConfigJson(const ImageConfig& config, const std::vector<LayerBlob>& layers);

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:<hex>"
  uint64_t size = 0;
};

// An image whose blobs are in an OCI layout directory `layout_dir` (blobs/sha256/...).
struct BuiltImage {
  std::string layout_dir;
  std::string ref_name;  // "NAME:TAG" (org.opencontainers.image.ref.name; oci:DIR:NAME:TAG)
  Descriptor config;
  Descriptor manifest;
  std::vector<LayerBlob> layers;
};

// Writes the config and manifest blobs, index.json and oci-layout into `layout_dir`, whose
// blobs/sha256 already holds `layers`.
Result<BuiltImage> WriteOciLayout(const std::string& layout_dir, const ImageConfig& config,
                                  std::vector<LayerBlob> layers, const std::string& ref_name);

// `image`'s layout directory as one reproducible tar at `path` (an oci-archive).
Result<uint64_t> WriteOciArchive(const BuiltImage& image, const std::string& path,
                                 int64_t mtime);

// A docker-archive at `path` tagged `repo_tag` ("name:tag"). Docker's format carries the
// uncompressed layer tars, so the image's layers must be uncompressed (Compression::kNone).
Result<uint64_t> WriteDockerArchive(const BuiltImage& image, const std::string& repo_tag,
                                    const std::string& path, int64_t mtime);

// "sha256:abc" -> "abc".
std::string DigestHex(const std::string& digest);

}  // namespace sl::package
