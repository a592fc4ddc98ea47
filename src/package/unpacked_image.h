// UnpackedImage: an OCI image (`straightline package serve|function`) unpacked once into a
// directory its owner keeps, so that runc can start containers from it: the container tier's
// replicas (serve/remote/serving_image.h) and functions declared with `image:` on the embedded
// platform (faas). The reference is `oci-archive:PATH[:REF]` (an OCI layout in one tar, as
// `package --format oci-archive` writes) or `oci:DIR[:REF]` (an OCI layout directory); REF is the
// manifest's org.opencontainers.image.ref.name ("NAME:TAG"), by default the layout's only (first)
// manifest's. The layers are applied by `umoci unpack` (an archive is first extracted with tar),
// and the process the image describes (Entrypoint + Cmd, Env, User, WorkingDir) is read from
// the runtime config umoci derives from the image config.
//
// Ownership: the result names files under `dir`; RemoveUnpackedImage deletes `dir`.
// Thread safety: plain functions. Failure contract: INVALID_ARGUMENT naming the reference when
// it is malformed; FAILED_PRECONDITION when tar/umoci are missing; INTERNAL with the tool's first
// error line when unpacking fails.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace sl::package {

struct UnpackedImage {
  std::string dir;                 // what UnpackServingImage created
  std::string rootfs;              // absolute path of the image's root file system
  std::vector<std::string> args;   // Entrypoint + Cmd
  std::vector<std::string> entrypoint, cmd;  // apart, from the image config (a caller may replace Cmd)
  std::vector<std::string> env;    // the image's Env, "KEY=value"
  uint32_t uid = 0, gid = 0;       // the image's User, resolved by umoci
  std::string cwd = "/";
  // Where the server reads its token: the value of --auth-token-file in args ("" if absent).
  std::string token_path;
};

// Unpacks `reference` into `dir` (created; must not exist or be empty).
Result<UnpackedImage> UnpackServingImage(const std::string& reference, const std::string& dir);

// Unpacks `reference` into `dir` (created; must not exist or be empty).
Result<UnpackedImage> UnpackImage(const std::string& reference, const std::string& dir);

void RemoveUnpackedImage(const UnpackedImage& image);

}  // namespace sl::package
