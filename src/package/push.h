// Pushes a built image to a registry with skopeo (Debian's `skopeo copy`), from its OCI layout.
// Thread safety: stateless. Failure contract: an error naming the destination and skopeo's
// first line of stderr; NOT_FOUND when skopeo is not installed.
#pragma once

#include <string>

#include "common/status.h"
#include "package/oci_image.h"

namespace sl::package {

struct PushOptions {
  std::string destination;  // "REGISTRY/REPO:TAG" (docker:// is added when missing)
  bool tls_verify = true;   // false for a loopback registry without TLS
  std::string authfile;     // skopeo --authfile (registry credentials), optional
};

// Returns the digest the registry reports for the pushed manifest ("sha256:...").
Result<std::string> PushImage(const BuiltImage& image, const PushOptions& options);

}  // namespace sl::package
