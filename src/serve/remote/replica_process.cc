#include "serve/remote/replica_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <thread>

#include "common/file_util.h"
#include "common/log.h"

namespace sl::serve {
namespace {

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string FindInPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "";
  p += ":/usr/sbin:/sbin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    std::string dir = p.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return "";
}

// fork + exec with stdout/stderr to `out_fd` (or /dev/null when -1), in a new process group.
Result<pid_t> Spawn(const std::vector<std::string>& argv, const std::vector<std::string>* env,
                    int out_fd) {
  std::vector<char*> args = CStrings(argv);
  std::vector<char*> envp;
  if (env) envp = CStrings(*env);
  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    if (devnull >= 0) close(devnull);
    return ErrnoError(err, "fork for " + argv[0]);
  }
  if (pid == 0) {
    setpgid(0, 0);
    int out = out_fd >= 0 ? out_fd : devnull;
    dup2(devnull, 0);
    dup2(out, 1);
    dup2(out, 2);
    // Do not leak the parent's other descriptors into the replica.
    for (int fd = 3; fd < 1024; ++fd) close(fd);
    if (env) {
      execve(args[0], args.data(), envp.data());
    } else {
      execv(args[0], args.data());
    }
    _exit(127);
  }
  setpgid(pid, pid);
  if (devnull >= 0) close(devnull);
  return pid;
}

}  // namespace

std::string_view ReplicaModeName(ReplicaMode m) {
  return m == ReplicaMode::kRunc ? "runc" : "process";
}

RuncProbe ProbeRunc(const std::string& runc) {
  RuncProbe probe;
  probe.runc_path = FindInPath(runc);
  if (probe.runc_path.empty()) {
    probe.reason = "'" + runc + "' not found in PATH (install the Debian package runc)";
    return probe;
  }
  if (geteuid() != 0) {
    probe.reason = "not running as root (runc needs root for rootful containers)";
    return probe;
  }
  bool v1 = IsDirectory("/sys/fs/cgroup/memory") && IsDirectory("/sys/fs/cgroup/cpu");
  bool v2 = PathExists("/sys/fs/cgroup/cgroup.controllers");
  if (!v1 && !v2) {
    probe.reason = "no cgroup cpu/memory controllers under /sys/fs/cgroup";
    return probe;
  }
  if (RunQuietly({probe.runc_path, "--version"}) != 0) {
    probe.reason = probe.runc_path + " --version failed";
    return probe;
  }
  probe.usable = true;
  return probe;
}

int RunQuietly(const std::vector<std::string>& argv) {
  Result<pid_t> pid = Spawn(argv, nullptr, -1);
  if (!pid.ok()) return -1;
  int status = 0;
  while (waitpid(*pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Result<std::unique_ptr<ReplicaProcess>> ReplicaProcess::Start(
    ReplicaMode mode, const std::string& id, const std::string& runc_path,
    const std::string& bundle_dir, const std::vector<std::string>& argv,
    const std::vector<std::string>& env, const std::string& log_path) {
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return ErrnoError(errno, "replica " + id + ": open log " + log_path);
  std::unique_ptr<ReplicaProcess> p(new ReplicaProcess());
  p->mode_ = mode;
  p->id_ = id;
  p->runc_path_ = runc_path;
  Result<pid_t> pid = mode == ReplicaMode::kRunc
                          ? Spawn({runc_path, "run", "--bundle", bundle_dir, id}, nullptr, log_fd)
                          : Spawn(argv, &env, log_fd);
  close(log_fd);
  if (!pid.ok()) return pid.status().WithContext("replica " + id);
  p->pid_ = *pid;
  return p;
}

bool ReplicaProcess::Exited() {
  if (reaped_) return true;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_ || (r < 0 && errno == ECHILD)) reaped_ = true;
  return reaped_;
}

void ReplicaProcess::Kill() {
  if (killed_) return;
  killed_ = true;
  if (mode_ == ReplicaMode::kRunc) {
    RunQuietly({runc_path_, "kill", id_, "KILL"});
  }
  if (!reaped_) kill(-pid_, SIGKILL);  // the process group: runc run, or the child server
  for (int i = 0; i < 500 && !Exited(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!reaped_) {
    int status = 0;
    if (waitpid(pid_, &status, 0) == pid_) reaped_ = true;
  }
  if (mode_ == ReplicaMode::kRunc) {
    if (RunQuietly({runc_path_, "delete", "-f", id_}) != 0) {
      // Already gone (runc run deletes on exit) is the common case; say so only at debug.
      SL_LOG_DEBUG("serve", "container {}: runc delete -f found nothing to delete", id_);
    }
  }
}

ReplicaProcess::~ReplicaProcess() { Kill(); }

}  // namespace sl::serve
