// The instance's half of function isolation: what a freshly cloned instance process does to
// itself before it runs any function code, as Lambda's sandbox gives each execution
// environment. The platform's half (the network namespace and its Runtime API socket, egress
// relays, cgroups) is in faas/sandbox/.
//
// The template process (zygote.cc) forks the instance as PID 1 of a new PID namespace
// (PidNamespaceForNextFork: a plain fork(), so glibc's fork bookkeeping stays right); the child,
// still root, then calls EnterSandbox, which
//   0. unshares its mount, IPC and UTS namespaces;
//   1. joins the network namespace the platform made (only loopback, where the platform serves
//      this instance's Runtime API on 127.0.0.1:9001 and relays its allowed egress);
//   2. builds a new root on a tmpfs: read-only /usr and /etc (with the host's /bin, /lib, ...
//      symlinks), a fresh /proc that shows only its own PID namespace, a minimal /dev, a private
//      /tmp of the profile's ephemeral-storage size, and the mounts the function was given
//      (its code read-only; a file:// store read-write), idmapped where asked so that files
//      the host's root owns appear as the instance user's; then pivot_root and a read-only /;
//   3. drops privilege for good: no_new_privs, an empty capability bounding set, no
//      supplementary groups, the unprivileged uid/gid; then re-arms PR_SET_PDEATHSIG (a
//      credential change clears it) and keeps itself dumpable so its own /proc/self stays
//      readable to it.
// As PID 1 of its namespace, the instance takes every process it started with it when it
// exits: nothing it spawns (even with setsid) can outlive it.
//
// Thread safety: runs in a single-threaded child between clone and exec. Failure contract: the
// first step that fails returns its errno and the path; the caller prints it to the instance's
// log and exits (the platform reports Runtime.ExitError with that line in the log tail).
#pragma once

#include <string>

#include "common/status.h"
#include "runtime/zygote_protocol.h"

namespace sl::runtime {

// Makes the caller's next fork() start a new PID namespace (the child is its PID 1), and
// Restore()s the caller's own afterwards so that later forks are ordinary again.
class PidNamespaceForNextFork {
 public:
  PidNamespaceForNextFork() = default;
  ~PidNamespaceForNextFork();
  PidNamespaceForNextFork(const PidNamespaceForNextFork&) = delete;
  PidNamespaceForNextFork& operator=(const PidNamespaceForNextFork&) = delete;
  Status Enter();    // unshare(CLONE_NEWPID)
  Status Restore();  // setns back to this process's own PID namespace

 private:
  int own_ns_fd_ = -1;
};

// The user namespace an idmapped mount uses: maps id 0 (the host's root, owner of the mounted
// files) to spec.uid/gid. Made once per template process by CreateIdmapUserns; -1 if unused.
// Returns an fd (close-on-exec), or the errno of the step that failed.
Result<int> CreateIdmapUserns(uint32_t uid, uint32_t gid);

// Steps 1-3 above. netns_fd: the platform's network namespace (-1: keep the current one);
// idmap_userns_fd: from CreateIdmapUserns (-1: idmapped mounts fall back to plain binds).
// bash_as_sh: /bin/sh is bash inside the sandbox (Amazon Linux's shell).
Status EnterSandbox(const SandboxSpec& spec, int netns_fd, int idmap_userns_fd, bool bash_as_sh);

}  // namespace sl::runtime
