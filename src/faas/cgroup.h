// Cgroups for function instances: cgroup v1 `memory` (memory.limit_in_bytes = the function's
// memory size; the kernel's OOM killer enforces it), `cpu` (cpu.cfs_quota_us = the vCPUs the
// memory buys under the provider profile) and `pids` (pids.max: processes and threads at once;
// also the authoritative list of every process the instance started, which cleanup kills). The platform gets one parent cgroup per controller,
// nested under the cgroup this process already runs in (memory) or the controller root (cpu):
// ".../straightline-<pid>-<n>/", and one child per instance. Nothing outside those directories
// is touched.
//
// CgroupManager::Create never fails: it probes what this machine allows and reports it
// (memory_ok/cpu_ok/detail); the platform logs that and marks the ledger (cpu_enforced).
// Ownership: the manager removes its parent directories in its destructor; an InstanceCgroup
// removes its directories in its destructor (after killing any process still inside).
// Thread safety: CreateInstance may be called from any thread; an InstanceCgroup is used by one
// thread at a time (the platform holds it under the instance's lock).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"

namespace sl::faas {

class InstanceCgroup {
 public:
  ~InstanceCgroup();
  InstanceCgroup(const InstanceCgroup&) = delete;
  InstanceCgroup& operator=(const InstanceCgroup&) = delete;

  // cgroup.procs files a new process writes its pid to (zygote child / before exec).
  const std::vector<std::string>& procs_files() const { return procs_files_; }
  bool memory_limited() const { return !memory_dir_.empty(); }
  bool cpu_limited() const { return !cpu_dir_.empty(); }
  bool pids_limited() const { return !pids_dir_.empty(); }
  // Peak memory charged to the instance since the last ResetPeak (memory.max_usage_in_bytes);
  // -1 without a memory cgroup.
  int64_t PeakMemoryBytes() const;
  void ResetPeak();
  // Times the OOM killer fired in this cgroup (memory.oom_control "oom_kill"); 0 without one.
  int64_t OomKills() const;
  // SIGKILLs every process still in the cgroup (stragglers of a killed instance), repeating
  // while new ones appear (a fork racing the kill).
  void KillAll();
  // Changes the CPU quota to `vcpu` (the platform runs INIT at more CPU than the invocations:
  // platform_lifecycle.cc). No-op without a CPU cgroup.
  Status SetCpuQuota(double vcpu);
  const std::string& name() const { return name_; }
  // The memory controller directory ("" without one); runc joins it for a function image.
  const std::string& memory_dir() const { return memory_dir_; }

 private:
  friend class CgroupManager;
  InstanceCgroup() = default;
  std::string name_;
  std::string memory_dir_, cpu_dir_, pids_dir_;
  std::vector<std::string> procs_files_;
};

class CgroupManager {
 public:
  static std::unique_ptr<CgroupManager> Create(bool enabled);
  ~CgroupManager();

  bool memory_ok() const { return !memory_parent_.empty(); }
  bool cpu_ok() const { return !cpu_parent_.empty(); }
  bool pids_ok() const { return !pids_parent_.empty(); }
  const std::string& detail() const { return detail_; }

  // memory_bytes <= 0: no memory cgroup; vcpu <= 0: no CPU quota; pids_max <= 0: no pids limit.
  Result<std::unique_ptr<InstanceCgroup>> CreateInstance(const std::string& name,
                                                         int64_t memory_bytes, double vcpu,
                                                         int64_t pids_max = 0);

 private:
  CgroupManager() = default;
  std::string memory_parent_, cpu_parent_, pids_parent_;
  std::string detail_;
};

}  // namespace sl::faas
