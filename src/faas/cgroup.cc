#include "faas/cgroup.h"

#include <signal.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/file_util.h"
#include "common/log.h"

namespace sl::faas {
namespace {

constexpr const char* kRoot = "/sys/fs/cgroup";
constexpr int64_t kCfsPeriodUs = 100000;

Status WriteSmall(const std::string& path, const std::string& value) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return ErrnoError(errno, path);
  size_t n = std::fwrite(value.data(), 1, value.size(), f);
  int err = errno;
  if (std::fclose(f) != 0 || n != value.size()) return ErrnoError(err ? err : errno, path);
  return Status::Ok();
}

std::string ReadSmall(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The path of this process's cgroup for a v1 controller, from /proc/self/cgroup
// ("4:memory:/a/b" → "/a/b"); "" if the controller is not mounted as v1.
std::string OwnCgroupPath(const std::string& controller) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    size_t a = line.find(':');
    size_t b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string ctrls = line.substr(a + 1, b - a - 1);
    std::stringstream cs(ctrls);
    std::string c;
    while (std::getline(cs, c, ',')) {
      if (c == controller) return line.substr(b + 1);
    }
  }
  return "";
}

void RemoveDir(const std::string& dir) {
  // rmdir fails with EBUSY while a just-killed process is still being torn down: retry briefly.
  for (int i = 0; i < 50; ++i) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return;
    if (errno != EBUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  SL_LOG_WARN("faas", "cgroup {}: rmdir: {}", dir, std::strerror(errno));
}

std::atomic<int> g_manager_seq{0};

// SIGKILLs every process listed in a cgroup.procs file until it reads empty (bounded).
void KillProcsIn(const std::string& procs) {
  for (int round = 0; round < 20; ++round) {
    std::ifstream in(procs);
    pid_t pid;
    bool any = false;
    while (in >> pid) {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        any = true;
      }
    }
    if (!any) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// Removes "straightline-<pid>-<n>" directories under `base` whose platform process is gone
// (a platform killed by SIGKILL cannot clean up). Processes still inside (an instance whose
// template was killed too, or anything it started) are killed first.
void RemoveStale(const std::string& base) {
  DIR* d = ::opendir(base.c_str());
  if (d == nullptr) return;
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind("straightline-", 0) != 0) continue;
    int pid = std::atoi(name.c_str() + 13);
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) stale.push_back(base + "/" + name);
  }
  ::closedir(d);
  for (const auto& dir : stale) {
    if (DIR* sub = ::opendir(dir.c_str())) {
      std::vector<std::string> children;
      while (dirent* e = ::readdir(sub)) {
        if (e->d_type == DT_DIR && e->d_name[0] != '.') children.push_back(dir + "/" + e->d_name);
      }
      ::closedir(sub);
      for (const auto& c : children) {
        KillProcsIn(c + "/cgroup.procs");
        RemoveDir(c);
      }
    }
    if (::rmdir(dir.c_str()) == 0) SL_LOG_INFO("faas", "removed stale cgroup {}", dir);
  }
}

}  // namespace

InstanceCgroup::~InstanceCgroup() {
  KillAll();
  if (!memory_dir_.empty()) RemoveDir(memory_dir_);
  if (!cpu_dir_.empty()) RemoveDir(cpu_dir_);
  if (!pids_dir_.empty()) RemoveDir(pids_dir_);
}

int64_t InstanceCgroup::PeakMemoryBytes() const {
  if (memory_dir_.empty()) return -1;
  std::string s = ReadSmall(memory_dir_ + "/memory.max_usage_in_bytes");
  return s.empty() ? -1 : std::atoll(s.c_str());
}

void InstanceCgroup::ResetPeak() {
  if (memory_dir_.empty()) return;
  WriteSmall(memory_dir_ + "/memory.max_usage_in_bytes", "0").IgnoreError();
}

int64_t InstanceCgroup::OomKills() const {
  if (memory_dir_.empty()) return 0;
  std::string s = ReadSmall(memory_dir_ + "/memory.oom_control");
  size_t p = s.find("oom_kill ");
  if (p == std::string::npos) {
    // Older kernels lack the counter; a hit limit (failcnt) with a SIGKILL is then the signal.
    return 0;
  }
  return std::atoll(s.c_str() + p + 9);
}

void InstanceCgroup::KillAll() {
  for (const std::string& procs : procs_files_) KillProcsIn(procs);
}

std::unique_ptr<CgroupManager> CgroupManager::Create(bool enabled) {
  std::unique_ptr<CgroupManager> m(new CgroupManager());
  if (!enabled) {
    m->detail_ = "cgroups disabled by option";
    return m;
  }
  std::string name = fmt::format("straightline-{}-{}", ::getpid(), g_manager_seq.fetch_add(1));
  std::vector<std::string> notes;
  // memory: nest under our own cgroup so the limits of whoever runs us still apply.
  std::string mem_own = OwnCgroupPath("memory");
  std::string mem_base = std::string(kRoot) + "/memory";
  if (mem_own.empty() || !IsDirectory(mem_base)) {
    notes.push_back("no cgroup v1 memory controller");
  } else {
    std::string parent = mem_base + (mem_own == "/" ? "" : mem_own);
    RemoveStale(parent);
    std::string dir = parent + "/" + name;
    if (::mkdir(dir.c_str(), 0755) == 0) {
      m->memory_parent_ = dir;
    } else {
      notes.push_back(fmt::format("mkdir {}: {}", dir, std::strerror(errno)));
    }
  }
  std::string cpu_own = OwnCgroupPath("cpu");
  std::string cpu_base = std::string(kRoot) + "/cpu";
  if (cpu_own.empty() || !IsDirectory(cpu_base)) {
    cpu_base = std::string(kRoot) + "/cpu,cpuacct";
  }
  if (cpu_own.empty() || !IsDirectory(cpu_base)) {
    notes.push_back("no cgroup v1 cpu controller");
  } else {
    std::string parent = cpu_base + (cpu_own == "/" ? "" : cpu_own);
    RemoveStale(parent);
    std::string dir = parent + "/" + name;
    if (::mkdir(dir.c_str(), 0755) == 0 && PathExists(dir + "/cpu.cfs_quota_us")) {
      m->cpu_parent_ = dir;
    } else {
      notes.push_back(fmt::format("mkdir {}: {}", dir, std::strerror(errno)));
    }
  }
  std::string pids_own = OwnCgroupPath("pids");
  std::string pids_base = std::string(kRoot) + "/pids";
  if (pids_own.empty() || !IsDirectory(pids_base)) {
    notes.push_back("no cgroup v1 pids controller");
  } else {
    std::string parent = pids_base + (pids_own == "/" ? "" : pids_own);
    RemoveStale(parent);
    std::string dir = parent + "/" + name;
    if (::mkdir(dir.c_str(), 0755) == 0 && PathExists(dir + "/pids.max")) {
      m->pids_parent_ = dir;
    } else {
      notes.push_back(fmt::format("mkdir {}: {}", dir, std::strerror(errno)));
    }
  }
  for (const auto& n : notes) m->detail_ += (m->detail_.empty() ? "" : "; ") + n;
  return m;
}

CgroupManager::~CgroupManager() {
  if (!memory_parent_.empty()) RemoveDir(memory_parent_);
  if (!cpu_parent_.empty()) RemoveDir(cpu_parent_);
  if (!pids_parent_.empty()) RemoveDir(pids_parent_);
}

Result<std::unique_ptr<InstanceCgroup>> CgroupManager::CreateInstance(const std::string& name,
                                                                      int64_t memory_bytes,
                                                                      double vcpu, int64_t pids_max) {
  std::unique_ptr<InstanceCgroup> cg(new InstanceCgroup());
  cg->name_ = name;
  if (memory_ok() && memory_bytes > 0) {
    std::string dir = memory_parent_ + "/" + name;
    if (::mkdir(dir.c_str(), 0755) != 0) return ErrnoError(errno, "mkdir " + dir);
    cg->memory_dir_ = dir;  // from here the destructor cleans up
    SL_RETURN_IF_ERROR(WriteSmall(dir + "/memory.limit_in_bytes", std::to_string(memory_bytes)));
    // Without swap memsw equals memory; set it where it exists so swap cannot extend the limit.
    if (PathExists(dir + "/memory.memsw.limit_in_bytes")) {
      WriteSmall(dir + "/memory.memsw.limit_in_bytes", std::to_string(memory_bytes)).IgnoreError();
    }
    cg->procs_files_.push_back(dir + "/cgroup.procs");
  }
  if (cpu_ok() && vcpu > 0) {
    std::string dir = cpu_parent_ + "/" + name;
    if (::mkdir(dir.c_str(), 0755) != 0) return ErrnoError(errno, "mkdir " + dir);
    cg->cpu_dir_ = dir;
    SL_RETURN_IF_ERROR(WriteSmall(dir + "/cpu.cfs_period_us", std::to_string(kCfsPeriodUs)));
    SL_RETURN_IF_ERROR(cg->SetCpuQuota(vcpu));
    cg->procs_files_.push_back(dir + "/cgroup.procs");
  }
  if (pids_ok() && pids_max > 0) {
    std::string dir = pids_parent_ + "/" + name;
    if (::mkdir(dir.c_str(), 0755) != 0) return ErrnoError(errno, "mkdir " + dir);
    cg->pids_dir_ = dir;
    SL_RETURN_IF_ERROR(WriteSmall(dir + "/pids.max", std::to_string(pids_max)));
    cg->procs_files_.push_back(dir + "/cgroup.procs");
  }
  return cg;
}

Status InstanceCgroup::SetCpuQuota(double vcpu) {
  if (cpu_dir_.empty()) return Status::Ok();
  const int64_t quota = std::max<int64_t>(1000, static_cast<int64_t>(vcpu * kCfsPeriodUs));
  return WriteSmall(cpu_dir_ + "/cpu.cfs_quota_us", std::to_string(quota));
}

}  // namespace sl::faas
