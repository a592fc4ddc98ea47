#include "package/oci_bundle.h"

#include <cmath>

#include <nlohmann/json.hpp>

#include "common/file_util.h"

namespace sl::package {

std::vector<std::pair<std::string, std::string>> HostRuntimeBinds() {
  std::vector<std::pair<std::string, std::string>> binds;
  for (const char* d : {"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc"}) {
    if (PathExists(d)) binds.emplace_back(d, d);
  }
  return binds;
}

std::string OciConfigJson(const BundleSpec& spec) {
  using nlohmann::json;
  json mounts = json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/sys"},
       {"type", "sysfs"},
       {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
      {{"destination", "/tmp"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "nodev", "mode=1777", "size=" + std::to_string(spec.tmp_mb * 1024) + "k"}}},
  });
  for (const auto& [host, inside] : spec.ro_binds) {
    if (!PathExists(host)) continue;
    mounts.push_back({{"destination", inside},
                      {"type", "bind"},
                      {"source", host},
                      {"options", {"rbind", "ro", "nosuid", "nodev"}}});
  }
  for (const auto& [host, inside] : spec.rw_binds) {
    if (!PathExists(host)) continue;
    mounts.push_back({{"destination", inside},
                      {"type", "bind"},
                      {"source", host},
                      {"options", {"rbind", "rw", "nosuid", "nodev", "noexec"}}});
  }
  json resources = {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
  if (spec.cpus > 0) {
    const int64_t period = 100000;
    resources["cpu"] = {{"quota", static_cast<int64_t>(std::llround(spec.cpus * period))},
                        {"period", period}};
  }
  if (spec.memory_mb > 0) resources["memory"] = {{"limit", spec.memory_mb * 1024 * 1024}};
  if (spec.pids_limit > 0) resources["pids"] = {{"limit", spec.pids_limit}};
  json namespaces = json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}});
  // Without a "network" entry the container shares the host's, so its 127.0.0.1 port is ours.
  if (!spec.network_namespace.empty()) {
    namespaces.push_back({{"type", "network"}, {"path", spec.network_namespace}});
  }
  const json caps = spec.uid == 0 ? json::array({"CAP_KILL", "CAP_NET_BIND_SERVICE"}) : json::array();
  json config = {
      {"ociVersion", "1.0.2-dev"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", spec.uid}, {"gid", spec.gid}}},
        {"args", spec.args},
        {"env", spec.env},
        {"cwd", spec.cwd.empty() ? "/" : spec.cwd},
        {"capabilities",
         {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", spec.root_path.empty() ? "rootfs" : spec.root_path}, {"readonly", true}}},
      {"hostname", spec.hostname},
      {"mounts", mounts},
      {"linux",
       {{"resources", resources},
        {"namespaces", namespaces},
        {"maskedPaths",
         {"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
        {"readonlyPaths",
         {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
  };
  if (!spec.cgroups_path.empty()) config["linux"]["cgroupsPath"] = spec.cgroups_path;
  return config.dump(2);
}

Status WriteOciBundle(const BundleSpec& spec) {
  SL_RETURN_IF_ERROR(MakeDirs(spec.root_path.empty() ? spec.dir + "/rootfs" : spec.dir));
  return WriteFileAtomic(spec.dir + "/config.json", OciConfigJson(spec));
}

}  // namespace sl::package
