#include "faas/sandbox/sandbox_probe.h"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "faas/sandbox/instance_network.h"

namespace sl::faas {

Status ProbeSandbox() {
  if (::geteuid() != 0) {
    return FailedPrecondition("the platform does not run as root (euid {}): it cannot make namespaces "
                              "or switch instances to an unprivileged user", ::geteuid());
  }
  auto net = InstanceNetwork::Create({});
  if (!net.ok()) return FailedPrecondition("{}", net.status().message());
  pid_t pid = ::fork();
  if (pid < 0) return ErrnoError(errno, "sandbox probe: fork");
  if (pid == 0) {
    // Only async-signal-safe syscalls here: the platform may be multi-threaded.
    if (::unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS) != 0) ::_exit(errno & 0x7f);
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    int err = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    return FailedPrecondition("unshare(mount, PID, IPC, UTS namespaces): {}",
                              err ? std::strerror(err) : "probe child died");
  }
  return Status::Ok();
}

}  // namespace sl::faas
