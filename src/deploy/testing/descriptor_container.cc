#include "deploy/testing/descriptor_container.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include "common/file_util.h"

namespace sl::deploy::testing {
namespace {

using nlohmann::json;

Status MakeMountPoint(const std::string& rootfs, const std::string& inside, bool is_file) {
  const std::filesystem::path p = std::filesystem::path(rootfs) / inside.substr(1);
  // Never through a symlink of the image (an absolute one would point into the host).
  std::filesystem::path at = rootfs;
  for (const auto& part : std::filesystem::path(inside.substr(1))) {
    at /= part;
    std::error_code ec;
    if (std::filesystem::is_symlink(std::filesystem::symlink_status(at, ec))) {
      return InvalidArgument("mount point {}: {} is a symlink in the root file system", inside,
                             at.string());
    }
  }
  SL_RETURN_IF_ERROR(MakeDirs(is_file ? p.parent_path().string() : p.string()));
  if (is_file && !PathExists(p.string())) std::ofstream(p.string()).flush();
  return Status::Ok();
}

// Kubernetes quantities as the descriptors write them: "2", "500m"; "1Gi", "512Mi".
double CpuOf(const std::string& q) {
  if (!q.empty() && q.back() == 'm') return std::stod(q.substr(0, q.size() - 1)) / 1000.0;
  return std::stod(q);
}
int64_t BytesOf(const std::string& q) {
  if (q.size() > 2 && q.substr(q.size() - 2) == "Gi") return std::stoll(q) << 30;
  if (q.size() > 2 && q.substr(q.size() - 2) == "Mi") return std::stoll(q) << 20;
  return std::stoll(q);
}

}  // namespace

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  close(fd);
  return port;
}

Result<ContainerRun> WriteDescriptorBundle(const json& c, const json& pod, const BundleInputs& in) {
  ContainerRun run;
  for (const auto& a : c.value("command", json::array())) run.args.push_back(a.get<std::string>());
  for (const auto& a : c.value("args", json::array())) run.args.push_back(a.get<std::string>());
  if (run.args.empty()) return InvalidArgument("container.command: empty (would run the image's entrypoint)");
  // No port: a container that calls out (a Lambda function polling the Runtime API).
  if (c.contains("ports") && !c["ports"].empty()) run.port = c["ports"][0]["containerPort"].get<int64_t>();
  // The image's Env, then the descriptor's env over it, then what the platform sets over both.
  std::vector<std::pair<std::string, std::string>> env;
  auto set_env = [&](const std::string& k, const std::string& v) {
    for (auto& kv : env) {
      if (kv.first == k) {
        kv.second = v;
        return;
      }
    }
    env.emplace_back(k, v);
  };
  for (const auto& kv : in.image_env) set_env(kv.substr(0, kv.find('=')), kv.substr(kv.find('=') + 1));
  if (in.image_env.empty()) set_env("PATH", "/usr/local/bin:/usr/bin:/bin");
  for (const auto& e : c.value("env", json::array())) {
    const std::string name = e["name"];
    if (!e.contains("value")) return InvalidArgument("container.env {}: only literal values run here", name);
    set_env(name, e["value"].get<std::string>());
  }
  if (in.platform_sets_port && run.port > 0) set_env("PORT", std::to_string(run.port));
  for (const auto& [k, v] : env) run.env.push_back(k + "=" + v);
  const json pod_sc = pod.value("securityContext", json::object());
  const json sc = c.value("securityContext", json::object());
  auto pick = [&](const char* key) -> int64_t {
    if (sc.contains(key)) return sc[key].get<int64_t>();
    if (pod_sc.contains(key)) return pod_sc[key].get<int64_t>();
    return -1;
  };
  run.uid = pick("runAsUser");
  run.gid = pick("runAsGroup");
  if (run.uid < 0) return InvalidArgument("securityContext.runAsUser: not set (the image's USER would apply)");
  if (run.gid < 0) run.gid = run.uid;
  if (sc.value("runAsNonRoot", pod_sc.value("runAsNonRoot", false)) && run.uid == 0) {
    return InvalidArgument("securityContext: runAsNonRoot with runAsUser 0 would not start");
  }
  run.read_only_root = sc.value("readOnlyRootFilesystem", false);
  run.no_new_privileges = !sc.value("allowPrivilegeEscalation", true);
  if (sc.contains("capabilities")) {
    for (const auto& d : sc["capabilities"].value("drop", json::array())) run.drop_caps.push_back(d);
  }
  if (c.contains("readinessProbe")) run.readiness_path = c["readinessProbe"]["httpGet"]["path"];
  if (c.contains("livenessProbe")) run.liveness_path = c["livenessProbe"]["httpGet"]["path"];

  const std::string rootfs = in.rootfs.empty() ? in.bundle_dir + "/rootfs" : in.rootfs;
  SL_RETURN_IF_ERROR(MakeDirs(rootfs));
  SL_RETURN_IF_ERROR(MakeDirs(in.bundle_dir));
  json mounts = json::array({
      {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
      {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/shm"}, {"type", "tmpfs"}, {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
      {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
  });
  for (const char* d : {"proc", "dev", "sys"}) SL_RETURN_IF_ERROR(MakeDirs(rootfs + "/" + d));
  auto bind = [&](const std::string& host, const std::string& inside) -> Status {
    SL_RETURN_IF_ERROR(MakeMountPoint(rootfs, inside, !IsDirectory(host)));
    mounts.push_back({{"destination", inside}, {"type", "bind"}, {"source", host},
                      {"options", {"rbind", "ro", "nosuid", "nodev"}}});
    return Status::Ok();
  };
  // The image's contents, stood in for by the host's runtime and the given files. A file of the
  // image that lands inside one of those trees (the binary at /usr/local/bin/straightline) needs
  // its own mount point, which a read-only bind of the whole tree would not have: such trees are
  // bound child by child, down the path to the file, with real directories on the path.
  std::vector<std::string> dests;
  for (const auto& f : in.image_files) dests.push_back(f.second);
  std::function<Status(const std::string&)> bind_tree = [&](const std::string& dir) -> Status {
    bool on_path = false;
    for (const auto& d : dests) on_path = on_path || d.rfind(dir + "/", 0) == 0;
    if (!on_path) return bind(dir, dir);
    SL_RETURN_IF_ERROR(MakeDirs(rootfs + dir));
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string child = e.path().string();
      bool is_dest = false;
      for (const auto& d : dests) is_dest = is_dest || d == child;
      if (is_dest) continue;
      if (e.is_directory() && !e.is_symlink()) {
        SL_RETURN_IF_ERROR(bind_tree(child));
      } else if (e.is_symlink()) {
        std::error_code ec;
        std::filesystem::create_symlink(std::filesystem::read_symlink(e.path()), rootfs + child, ec);
      } else {
        SL_RETURN_IF_ERROR(bind(child, child));
      }
    }
    return Status::Ok();
  };
  if (in.rootfs.empty()) {
    for (const char* d : {"/usr", "/lib", "/lib64", "/etc"}) {
      if (PathExists(d)) SL_RETURN_IF_ERROR(bind_tree(d));
    }
    for (const auto& [host, inside] : in.image_files) SL_RETURN_IF_ERROR(bind(host, inside));
  }
  // Volumes, where the descriptor mounts them.
  std::map<std::string, json> volumes;
  for (const auto& v : pod.value("volumes", json::array())) volumes[v["name"]] = v;
  for (const auto& m : c.value("volumeMounts", json::array())) {
    const std::string name = m["name"], path = m["mountPath"];
    if (volumes.count(name) == 0) return InvalidArgument("volumeMounts {}: no such volume", name);
    const json& v = volumes[name];
    if (v.contains("secret")) {
      const std::string secret = v["secret"]["secretName"];
      auto it = in.secrets.find(secret);
      if (it == in.secrets.end()) return InvalidArgument("volume {}: secret {} not provided", name, secret);
      SL_RETURN_IF_ERROR(bind(it->second, path));
    } else if (v.contains("emptyDir")) {
      SL_RETURN_IF_ERROR(MakeMountPoint(rootfs, path, false));
      // runc gives a tmpfs the mode of the directory it covers; an emptyDir is world-writable.
      if (chmod((rootfs + path).c_str(), 01777) != 0) return ErrnoError(errno, rootfs + path);
      mounts.push_back({{"destination", path}, {"type", "tmpfs"}, {"source", "tmpfs"},
                        {"options", {"nosuid", "nodev", "mode=1777", "size=262144k"}}});
    } else {
      return InvalidArgument("volume {}: only secret and emptyDir volumes run here", name);
    }
  }
  json resources = {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
  const json limits = c.value("resources", json::object()).value("limits", json::object());
  if (limits.contains("cpu")) {
    const int64_t period = 100000;
    resources["cpu"] = {{"quota", std::llround(CpuOf(limits["cpu"].get<std::string>()) * period)},
                        {"period", period}};
  }
  if (limits.contains("memory")) {
    resources["memory"] = {{"limit", BytesOf(limits["memory"].get<std::string>())}};
  }
  bool drop_all = false;
  for (const auto& d : run.drop_caps) drop_all = drop_all || d == "ALL";
  const json caps = drop_all ? json::array() : json::array({"CAP_KILL", "CAP_NET_BIND_SERVICE"});
  json config = {
      {"ociVersion", "1.0.2-dev"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", run.uid}, {"gid", run.gid}}},
        {"args", run.args},
        {"env", run.env},
        {"cwd", "/"},
        {"capabilities",
         {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
        {"noNewPrivileges", run.no_new_privileges}}},
      {"root", {{"path", rootfs}, {"readonly", run.read_only_root}}},
      {"hostname", "descriptor"},
      {"mounts", mounts},
      {"linux",
       {{"resources", resources},
        {"namespaces",
         json::array({{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}})},
        {"maskedPaths", {"/proc/kcore", "/proc/keys", "/sys/firmware"}},
        {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
  };
  run.config_json = config.dump(2);
  SL_RETURN_IF_ERROR(WriteFileAtomic(in.bundle_dir + "/config.json", run.config_json));
  return run;
}

}  // namespace sl::deploy::testing
