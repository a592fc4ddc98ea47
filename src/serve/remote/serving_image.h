// ServingImage: a straightline serving image (`straightline package serve`) unpacked once into a
// directory the container tier owns (package/unpacked_image.h), so its replicas run the image
// itself instead of a bundle of host bind mounts; plus the adjustments a replica's process gets.
// Thread safety: plain functions.
#pragma once

#include <string>
#include <vector>

#include "package/unpacked_image.h"

namespace sl::serve {

using package::RemoveUnpackedImage;
using package::UnpackedImage;
inline Result<UnpackedImage> UnpackServingImage(const std::string& reference, const std::string& dir) {
  return package::UnpackImage(reference, dir);
}

// `args` with every `--host X` / `--host=X` pointing at 127.0.0.1 (appended when absent), so a
// replica sharing the host network namespace listens on loopback only.
std::vector<std::string> BindToLoopback(std::vector<std::string> args);

// `env` with KEY=value set (replacing an existing KEY).
std::vector<std::string> SetEnv(std::vector<std::string> env, const std::string& key_value);

}  // namespace sl::serve
