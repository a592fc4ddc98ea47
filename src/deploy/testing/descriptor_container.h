// Tests only: turns the container a generated descriptor describes (a core/v1 Container and its
// pod's volumes, as written for Kubernetes, Knative and KServe) into an OCI bundle that runc runs
// exactly as the descriptor says: process.args = command + args, env = env (+ PORT =
// containerPort when the descriptor leaves it to the platform, as Knative and KServe set it),
// user = securityContext runAsUser/runAsGroup (container, else pod), root read-only iff
// readOnlyRootFilesystem, capabilities dropped as listed, volumes mounted where volumeMounts say
// (a Secret from a host directory standing in for it, read-only; an emptyDir as a tmpfs).
//
// The image's file system is either a real image unpacked by umoci (`rootfs`, with the image
// config's Env underneath the descriptor's, as a kubelet merges them), or stood in for by
// read-only binds of this host's /usr, /lib, /lib64, /etc plus `image_files` (host path → path
// in the image: the straightline binary, the model), as serve/remote/oci_bundle.cc does.
// Network: the host's namespace (as the container tier), so the port must be free here.
// Thread safety: plain functions. Failure contract: INVALID_ARGUMENT naming the descriptor field
// that cannot be run (e.g. a volume of another kind, a missing secret directory).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace sl::deploy::testing {

struct ContainerRun {
  std::vector<std::string> args;  // command + args
  std::vector<std::string> env;   // KEY=value
  int64_t port = 0;               // containerPort
  int64_t uid = 0, gid = 0;
  bool read_only_root = false;
  std::vector<std::string> drop_caps;  // "ALL" drops every capability
  bool no_new_privileges = false;
  std::string readiness_path, liveness_path;
  std::string config_json;  // the OCI runtime config written into the bundle
};

struct BundleInputs {
  std::string bundle_dir;
  // secretName → host directory holding its keys as files.
  std::map<std::string, std::string> secrets;
  // Host path → path inside the image (the stand-in for the image's own files).
  std::vector<std::pair<std::string, std::string>> image_files;
  // Whether the platform injects PORT=containerPort (Knative, KServe serverless).
  bool platform_sets_port = false;
  // An unpacked image's root file system (absolute); empty: the host stand-ins above.
  std::string rootfs;
  std::vector<std::string> image_env;  // the image config's Env, KEY=value
};

// `pod_spec` holds "volumes" and optionally a pod "securityContext".
Result<ContainerRun> WriteDescriptorBundle(const nlohmann::json& container,
                                           const nlohmann::json& pod_spec,
                                           const BundleInputs& in);

// A TCP port free on 127.0.0.1 at the time of the call.
int FreeLoopbackPort();

}  // namespace sl::deploy::testing
