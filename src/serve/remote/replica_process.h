// ReplicaProcess: one model-server replica of the container tier as an OS process — either a
// real OCI container run in the foreground by `runc run --bundle DIR ID` (mode kRunc), or the same
// server as a plain child process (mode kProcess, the fallback where runc cannot run). Its
// stdout/stderr go to a log file. The object owns the process (and the container): Kill()
// — also run by the destructor — kills it (`runc kill ID KILL` + `runc delete -f ID`, or SIGKILL
// to the child's process group) and reaps it.
// ProbeRunc decides once whether runc can run here: root, runc executable, cgroup controllers.
// Thread safety: a ReplicaProcess is used by one thread at a time (the tier serialises). Failure
// contract: Start returns INTERNAL/UNAVAILABLE naming the command and errno when it cannot spawn.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace sl::serve {

enum class ReplicaMode { kRunc, kProcess };
std::string_view ReplicaModeName(ReplicaMode m);  // "runc" | "process"

struct RuncProbe {
  bool usable = false;
  std::string runc_path;  // resolved absolute path when found
  std::string reason;     // why not usable
};
// `runc` is a path or a name looked up in PATH.
RuncProbe ProbeRunc(const std::string& runc);

class ReplicaProcess {
 public:
  // kRunc: `runc_path run --bundle bundle_dir id` (the bundle must exist); kProcess: argv.
  static Result<std::unique_ptr<ReplicaProcess>> Start(ReplicaMode mode, const std::string& id,
                                                       const std::string& runc_path,
                                                       const std::string& bundle_dir,
                                                       const std::vector<std::string>& argv,
                                                       const std::vector<std::string>& env,
                                                       const std::string& log_path);
  ~ReplicaProcess();
  ReplicaProcess(const ReplicaProcess&) = delete;
  ReplicaProcess& operator=(const ReplicaProcess&) = delete;

  // True once the process (runc run, or the child) has exited; reaps it.
  bool Exited();
  // Kills and reaps it, deletes the container. Idempotent.
  void Kill();
  pid_t pid() const { return pid_; }
  const std::string& id() const { return id_; }
  ReplicaMode mode() const { return mode_; }

 private:
  ReplicaProcess() = default;
  ReplicaMode mode_ = ReplicaMode::kProcess;
  std::string id_;
  std::string runc_path_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  bool killed_ = false;
};

// Runs argv to completion with stdout/stderr to /dev/null; returns its exit status (or -1).
int RunQuietly(const std::vector<std::string>& argv);

}  // namespace sl::serve
