// The shared-library closure of executables, as this host's dynamic loader resolves it (`ldd`,
// i.e. ld.so --list: the DT_NEEDED graph through ld.so.cache and RUNPATHs, plus the loader
// itself), and where each file comes from (`dpkg -S`), for images built on an empty base.
//
// Host paths are reproduced in the image as they are on the host: every symlink on the way to a
// library (usr-merge's /lib -> usr/lib, libfoo.so.1 -> libfoo.so.1.2.3, /etc/alternatives) is
// added as a symlink and the file it ends at as a file, so the image's loader finds each library
// where the host's found it, without an ld.so.cache.
// Thread safety: stateless. Failure contract: errors name the executable or library path
// (a library ldd reports "not found" is an error naming both).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "package/layer.h"

namespace sl::package {

// Absolute paths of the libraries `binary` loads (loader included), in ldd's order.
Result<std::vector<std::string>> SharedLibraries(const std::string& binary);

// The union over `binaries` plus `extra` (e.g. what a library dlopens), deduplicated, sorted.
Result<std::vector<std::string>> LibraryClosure(const std::vector<std::string>& binaries,
                                                const std::vector<std::string>& extra);

// Adds `host_path` to `tree` at the same path, following symlinks component by component (each
// link becomes a symlink entry; the final regular file a file entry with its host mode).
// Returns the host path of the regular file it ended at.
Result<std::string> AddHostPath(const std::string& host_path, LayerTree* tree);

struct DebianOrigin {
  std::string package;  // "libc6:amd64"; empty when no package owns the file
  std::string version;  // "2.36-9+deb12u14"
};

// For each path, the Debian package that owns it and the installed version (dpkg -S, then
// dpkg-query). Paths owned by no package map to an empty origin. Without dpkg: an error.
Result<std::map<std::string, DebianOrigin>> DebianOrigins(const std::vector<std::string>& paths);

}  // namespace sl::package
