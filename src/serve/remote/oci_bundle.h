// The OCI bundle writer lives in package/oci_bundle.h (the embedded platform runs function images
// with it too); the container tier names it serve::BundleSpec.
#pragma once

#include "package/oci_bundle.h"

namespace sl::serve {
using package::BundleSpec;
using package::HostRuntimeBinds;
using package::OciConfigJson;
using package::WriteOciBundle;
}  // namespace sl::serve
