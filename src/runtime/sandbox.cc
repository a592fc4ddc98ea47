#include "runtime/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace sl::runtime {
namespace {

Status Fail(const std::string& what) { return ErrnoError(errno, "sandbox: " + what); }

Status MkdirAll(const std::string& path, mode_t mode) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) return Fail("mkdir " + prefix);
  }
  return Status::Ok();
}

// Creates the mount point for `source` at `target`: a directory, or an empty file for a file.
Status MakeMountPoint(const std::string& source, const std::string& target) {
  struct stat st{};
  if (::stat(source.c_str(), &st) != 0) return Fail("stat " + source);
  if (S_ISDIR(st.st_mode)) return MkdirAll(target, 0755);
  size_t slash = target.rfind('/');
  if (slash != std::string::npos && slash > 0) SL_RETURN_IF_ERROR(MkdirAll(target.substr(0, slash), 0755));
  int fd = ::open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return Fail("create mount point " + target);
  ::close(fd);
  return Status::Ok();
}

Status Bind(const std::string& source, const std::string& target, bool writable) {
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return Fail("bind " + source + " on " + target);
  }
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | (writable ? 0 : MS_RDONLY);
  if (::mount(nullptr, target.c_str(), nullptr, flags, nullptr) != 0) {
    return Fail("remount " + target + (writable ? " nosuid" : " read-only"));
  }
  return Status::Ok();
}

// A bind mount whose files owned by the host's root appear as owned by the userns's id 0
// mapping (the instance's uid/gid): open_tree + mount_setattr(MOUNT_ATTR_IDMAP) + move_mount.
Status BindIdmapped(const std::string& source, const std::string& target, bool writable, int userns_fd) {
  int tree = static_cast<int>(::open_tree(AT_FDCWD, source.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
  if (tree < 0) return Fail("open_tree " + source);
  mount_attr attr{};
  attr.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | (writable ? 0 : MOUNT_ATTR_RDONLY);
  attr.userns_fd = static_cast<uint64_t>(userns_fd);
  if (::mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) != 0) {
    Status s = Fail("idmap mount of " + source);
    ::close(tree);
    return s;
  }
  if (::move_mount(tree, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0) {
    Status s = Fail("move_mount " + source + " to " + target);
    ::close(tree);
    return s;
  }
  ::close(tree);
  return Status::Ok();
}

Status MountTmpfs(const std::string& target, const std::string& options, unsigned long flags) {
  if (::mount("tmpfs", target.c_str(), "tmpfs", flags, options.c_str()) != 0) {
    return Fail("mount tmpfs (" + options + ") on " + target);
  }
  return Status::Ok();
}

// /bin, /lib, ...: Debian's merged /usr makes them symlinks into /usr; anything that is a real
// directory on this host is bound read-only instead.
Status MirrorTopLevel(const std::string& root, const char* name) {
  std::string host = std::string("/") + name;
  struct stat st{};
  if (::lstat(host.c_str(), &st) != 0) return Status::Ok();  // this host has none
  std::string inside = root + host;
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = ::readlink(host.c_str(), target, sizeof(target) - 1);
    if (n < 0) return Fail("readlink " + host);
    target[n] = '\0';
    if (::symlink(target, inside.c_str()) != 0) return Fail("symlink " + inside);
    return Status::Ok();
  }
  if (!S_ISDIR(st.st_mode)) return Status::Ok();
  SL_RETURN_IF_ERROR(MkdirAll(inside, 0755));
  return Bind(host, inside, false);
}

Status BuildDev(const std::string& root) {
  std::string dev = root + "/dev";
  SL_RETURN_IF_ERROR(MkdirAll(dev, 0755));
  SL_RETURN_IF_ERROR(MountTmpfs(dev, "mode=0755,size=64k", MS_NOSUID | MS_NOEXEC));
  for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
    std::string host = std::string("/dev/") + node;
    if (::access(host.c_str(), F_OK) != 0) continue;
    std::string inside = dev + "/" + node;
    int fd = ::open(inside.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0) return Fail("create " + inside);
    ::close(fd);
    if (::mount(host.c_str(), inside.c_str(), nullptr, MS_BIND, nullptr) != 0) return Fail("bind " + host);
  }
  const std::pair<const char*, const char*> links[] = {
      {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
      {"stderr", "/proc/self/fd/2"}};
  for (const auto& [name, target] : links) {
    if (::symlink(target, (dev + "/" + name).c_str()) != 0) return Fail("symlink /dev/" + std::string(name));
  }
  SL_RETURN_IF_ERROR(MkdirAll(dev + "/shm", 01777));
  SL_RETURN_IF_ERROR(MountTmpfs(dev + "/shm", "mode=1777,size=64m", MS_NOSUID | MS_NODEV));
  return Status::Ok();
}

Status DropPrivileges(uint32_t uid, uint32_t gid) {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Fail("no_new_privs");
  for (int cap = 0; cap <= 63; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EINVAL) break;  // past the kernel's last capability
      return Fail("drop capability " + std::to_string(cap) + " from the bounding set");
    }
  }
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if (::setgroups(0, nullptr) != 0) return Fail("setgroups");
  if (::setresgid(gid, gid, gid) != 0) return Fail("setresgid " + std::to_string(gid));
  if (::setresuid(uid, uid, uid) != 0) return Fail("setresuid " + std::to_string(uid));
  // A uid change from 0 clears the permitted and effective sets; check rather than trust.
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &header, data) != 0) return Fail("capget");
  if (data[0].effective | data[1].effective | data[0].permitted | data[1].permitted) {
    errno = EPERM;
    return Fail("capabilities survived the uid change");
  }
  // A credential change clears the parent-death signal and makes the process non-dumpable
  // (its /proc/self would become root's): re-arm both.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::prctl(PR_SET_DUMPABLE, 1);
  return Status::Ok();
}

}  // namespace

PidNamespaceForNextFork::~PidNamespaceForNextFork() {
  if (own_ns_fd_ >= 0) ::close(own_ns_fd_);
}

Status PidNamespaceForNextFork::Enter() {
  if (own_ns_fd_ < 0) {
    own_ns_fd_ = ::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (own_ns_fd_ < 0) return Fail("open /proc/self/ns/pid");
  }
  if (::unshare(CLONE_NEWPID) != 0) return Fail("unshare(CLONE_NEWPID)");
  return Status::Ok();
}

Status PidNamespaceForNextFork::Restore() {
  if (own_ns_fd_ >= 0 && ::setns(own_ns_fd_, CLONE_NEWPID) != 0) return Fail("setns back to own PID namespace");
  return Status::Ok();
}

Result<int> CreateIdmapUserns(uint32_t uid, uint32_t gid) {
  int gate[2];
  if (::pipe2(gate, O_CLOEXEC) != 0) return Fail("pipe2");
  pid_t pid = ::fork();
  if (pid < 0) {
    Status s = Fail("fork");
    ::close(gate[0]);
    ::close(gate[1]);
    return s;
  }
  if (pid == 0) {
    // Holds the new user namespace open until the parent has its fd, then exits.
    ::close(gate[1]);
    char c;
    if (::unshare(CLONE_NEWUSER) != 0) ::_exit(1);
    while (::read(gate[0], &c, 1) < 0 && errno == EINTR) {
    }
    ::_exit(0);
  }
  ::close(gate[0]);
  // Wait until the child is in its own user namespace (its ns link differs from ours).
  struct stat own{}, theirs{};
  ::stat("/proc/self/ns/user", &own);
  std::string ns = "/proc/" + std::to_string(pid) + "/ns/user";
  for (int i = 0; i < 5000; ++i) {
    if (::stat(ns.c_str(), &theirs) == 0 && theirs.st_ino != own.st_ino) break;
    ::usleep(100);
  }
  auto write_map = [&](const char* file, uint32_t id) -> Status {
    std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    std::string line = "0 " + std::to_string(id) + " 1\n";
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Fail("open " + path);
    ssize_t n = ::write(fd, line.data(), line.size());
    int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(line.size())) {
      errno = err;
      return Fail("write " + path);
    }
    return Status::Ok();
  };
  Status s = theirs.st_ino != own.st_ino ? Status::Ok() : Internal("sandbox: idmap user namespace did not appear");
  if (s.ok()) s = write_map("uid_map", uid);
  if (s.ok()) s = write_map("gid_map", gid);
  int fd = -1;
  if (s.ok()) {
    fd = ::open(ns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) s = Fail("open " + ns);
  }
  ::close(gate[1]);
  ::waitpid(pid, nullptr, 0);
  if (!s.ok()) return s;
  return fd;
}

Status EnterSandbox(const SandboxSpec& spec, int netns_fd, int idmap_userns_fd, bool bash_as_sh) {
  if (::unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) != 0) return Fail("unshare mount/IPC/UTS namespaces");
  if (netns_fd >= 0 && ::setns(netns_fd, CLONE_NEWNET) != 0) return Fail("join the instance's network namespace");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return Fail("make mounts private");
  const std::string& root = spec.root_dir;
  if (root.empty() || root[0] != '/') return InvalidArgument("sandbox: root_dir '{}' is not absolute", root);
  SL_RETURN_IF_ERROR(MountTmpfs(root, "mode=0755,size=4m", MS_NOSUID | MS_NODEV));
  for (const char* top : {"bin", "sbin", "lib", "lib32", "lib64", "libx32"}) {
    SL_RETURN_IF_ERROR(MirrorTopLevel(root, top));
  }
  for (const char* dir : {"/usr", "/etc"}) {
    SL_RETURN_IF_ERROR(MkdirAll(root + dir, 0755));
    SL_RETURN_IF_ERROR(Bind(dir, root + dir, false));
  }
  SL_RETURN_IF_ERROR(MkdirAll(root + "/proc", 0555));
  if (::mount("proc", (root + "/proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    return Fail("mount /proc");
  }
  SL_RETURN_IF_ERROR(BuildDev(root));
  SL_RETURN_IF_ERROR(MkdirAll(root + "/tmp", 01777));
  uint64_t tmp_bytes = spec.tmp_bytes > 0 ? spec.tmp_bytes : (512ull << 20);
  SL_RETURN_IF_ERROR(MountTmpfs(root + "/tmp", "mode=1777,size=" + std::to_string(tmp_bytes), MS_NOSUID | MS_NODEV));
  for (const SandboxMount& m : spec.mounts) {
    std::string target = root + (m.target.empty() ? m.source : m.target);
    if (m.source.empty()) {  // just an empty directory (a task root with nothing in it)
      SL_RETURN_IF_ERROR(MkdirAll(target, 0755));
      continue;
    }
    SL_RETURN_IF_ERROR(MakeMountPoint(m.source, target));
    Status s = m.idmap && idmap_userns_fd >= 0 ? BindIdmapped(m.source, target, m.writable, idmap_userns_fd)
                                               : Bind(m.source, target, m.writable);
    if (!s.ok() && m.idmap) {
      // A filesystem without idmapped-mount support: a plain bind, whose permissions are the host's.
      std::fprintf(stderr, "instance: %s; %s is bound without an id mapping\n", s.ToString().c_str(),
                   m.source.c_str());
      s = Bind(m.source, target, m.writable);
    }
    SL_RETURN_IF_ERROR(s);
  }
  if (bash_as_sh && ::access((root + "/usr/bin/bash").c_str(), X_OK) == 0) {
    // Amazon Linux's /bin/sh is bash; Debian's is dash (see zygote.cc).
    if (::mount((root + "/usr/bin/bash").c_str(), (root + "/usr/bin/sh").c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return Fail("bind bash on /bin/sh");
    }
  }
  if (::chdir(root.c_str()) != 0) return Fail("chdir " + root);
  if (::syscall(SYS_pivot_root, ".", ".") != 0) return Fail("pivot_root " + root);
  if (::umount2(".", MNT_DETACH) != 0) return Fail("detach the host's root");
  if (::chdir("/") != 0) return Fail("chdir /");
  if (::mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0) {
    return Fail("remount / read-only");
  }
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0) {
    return Fail("sethostname");
  }
  return DropPrivileges(spec.uid, spec.gid);
}

}  // namespace sl::runtime
