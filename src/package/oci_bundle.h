// OCI bundle: the config.json + rootfs directory that `runc run --bundle DIR ID` starts, for the
// container tier's replicas (serve/remote) and functions that run from images on the embedded
// platform (faas). The container sees the host's runtime (/usr, /lib, /etc, ...) and the given
// extra paths through read-only bind mounts over an empty read-only rootfs (or an image's root
// file system, read-only), a private /tmp (tmpfs), its own pid, ipc, uts and mount namespaces,
// and the HOST network namespace (so a server inside it listening on 127.0.0.1:PORT is
// reachable from the host, like a Cloud Run container on $PORT) unless network_namespace names
// another. CPU, memory and pids limits go into linux.resources.
// Thread safety: plain functions. Failure contract: WriteOciBundle returns the file-system error
// naming the path; OciConfigJson never fails.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sl::package {

struct BundleSpec {
  std::string dir;                        // bundle directory; rootfs is <dir>/rootfs
  std::vector<std::string> args;          // process.args (absolute path first)
  std::vector<std::string> env;           // "KEY=value"
  // Read-only bind mounts: host path → container path. Host paths that do not exist are skipped.
  std::vector<std::pair<std::string, std::string>> ro_binds;
  // Writable bind mounts (host path → container path), e.g. the directory a replica reports its
  // port in. Host paths that do not exist are skipped. Keep them to directories the caller owns.
  std::vector<std::pair<std::string, std::string>> rw_binds;
  double cpus = 0;                        // cfs quota in CPUs; 0: unlimited
  int64_t memory_mb = 0;                  // memory limit; 0: unlimited
  std::string hostname = "straightline";
  // Image mode (serving_image.h): an absolute root file system shared by every replica (it is
  // mounted read-only, so sharing is safe) instead of the empty <dir>/rootfs; the image's user
  // (a non-root user gets no capabilities) and working directory.
  std::string root_path;                  // "": <dir>/rootfs
  uint32_t uid = 0, gid = 0;
  std::string cwd = "/";
  // Function instances (faas): the network namespace to join (a path such as /proc/PID/fd/N; ""
  // = the host's), the cgroup path runc creates or joins in every controller ("" = runc's
  // default), a pids limit (0: none) and the /tmp size.
  std::string network_namespace;
  std::string cgroups_path;
  int64_t pids_limit = 0;
  int64_t tmp_mb = 256;
};

// The host directories a dynamically linked host binary needs inside the container.
std::vector<std::pair<std::string, std::string>> HostRuntimeBinds();

std::string OciConfigJson(const BundleSpec& spec);
// Creates <dir>/rootfs (unless root_path is set) and writes <dir>/config.json atomically.
Status WriteOciBundle(const BundleSpec& spec);

}  // namespace sl::package
