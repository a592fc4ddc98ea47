#include "runtime/zygote.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "runtime/run_handler.h"
#include "runtime/zygote_protocol.h"

extern char** environ;

namespace sl::runtime {
namespace {

// Everything below runs in the forked child before it becomes the instance. The template is
// single-threaded, so ordinary library calls are safe here.
void WriteAll(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::write(fd, value.data(), value.size()) < 0) {
    std::fprintf(stderr, "instance: join %s: %s\n", path.c_str(), std::strerror(errno));
  }
  if (fd >= 0) ::close(fd);
}

[[noreturn]] void BecomeInstance(const SpawnRequest& req, int log_fd, const HandlerRegistry& registry) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::setpgid(0, 0);  // its own process group: the platform kills the instance and its children
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGCHLD, SIG_DFL);
  ::signal(SIGPIPE, SIG_DFL);
  if (log_fd >= 0) {
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    if (log_fd > STDERR_FILENO) ::close(log_fd);
  }
  std::string pid = std::to_string(::getpid());
  for (const auto& procs : req.cgroup_procs) WriteAll(procs, pid);
  if (!req.cwd.empty() && ::chdir(req.cwd.c_str()) != 0) {
    std::fprintf(stderr, "instance: chdir %s: %s\n", req.cwd.c_str(), std::strerror(errno));
  }
  ::clearenv();
  for (const auto& kv : req.env) {
    size_t eq = kv.find('=');
    if (eq != std::string::npos) ::setenv(kv.substr(0, eq).c_str(), kv.c_str() + eq + 1, 1);
  }
  if (req.exec) {
    if (req.bash_as_sh) {
      // Amazon Linux's /bin/sh is bash; Debian's is dash. A private mount namespace lets a
      // `#!/bin/sh` bootstrap written for Lambda run unmodified without touching the host.
      if (::unshare(CLONE_NEWNS) != 0 ||
          ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          ::mount("/bin/bash", "/bin/sh", nullptr, MS_BIND, nullptr) != 0) {
        std::fprintf(stderr, "instance: /bin/sh stays the host's (bash bind mount failed: %s)\n",
                     std::strerror(errno));
      }
    }
    std::vector<char*> argv;
    for (const auto& a : req.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (argv.size() > 1) ::execve(argv[0], argv.data(), environ);
    std::fprintf(stderr, "instance: exec %s: %s\n", req.argv.empty() ? "(none)" : req.argv[0].c_str(),
                 std::strerror(errno));
    std::fflush(stderr);
    ::_exit(127);
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int code = RunFromEnvironment(registry);
  std::fflush(stdout);
  std::fflush(stderr);
  ::_exit(code);
}

}  // namespace

int RunZygote(int control_fd, const HandlerRegistry& registry) {
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  int sfd = ::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    std::fprintf(stderr, "zygote: signalfd: %s\n", std::strerror(errno));
    return 1;
  }
  // Tell the platform the template is initialised: only now do forks start warm.
  if (!SendPacket(control_fd, R"({"op":"ready"})").ok()) return 1;
  std::set<pid_t> children;
  auto reap = [&] {
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (children.erase(pid)) {
        ::kill(-pid, SIGKILL);  // stragglers the instance started (e.g. curl in a bootstrap)
        std::string msg = nlohmann::json{{"op", "exit"}, {"pid", pid}, {"status", status}}.dump();
        SendPacket(control_fd, msg).IgnoreError();
      }
    }
  };
  for (;;) {
    pollfd fds[2] = {{control_fd, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si;
      while (::read(sfd, &si, sizeof(si)) > 0) {
      }
      reap();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      int fd = -1;
      auto packet = RecvPacket(control_fd, &fd);
      if (!packet.ok()) break;  // platform gone
      auto j = nlohmann::json::parse(*packet, nullptr, false);
      std::string op = j.is_object() ? j.value("op", "") : "";
      if (op == "kill") {
        pid_t pid = j.value("pid", 0);
        if (pid > 0 && children.count(pid)) {  // only our own, not-yet-reaped children
          ::kill(-pid, SIGKILL);
          ::kill(pid, SIGKILL);
        }
      } else if (op == "spawn") {
        SpawnRequest req = SpawnRequestFromJson(j);
        pid_t pid = ::fork();
        if (pid == 0) {
          ::close(control_fd);
          ::close(sfd);
          BecomeInstance(req, fd, registry);
        }
        nlohmann::json reply{{"op", "spawned"}, {"id", req.id}};
        if (pid < 0) {
          reply["error"] = std::string("fork: ") + std::strerror(errno);
        } else {
          ::setpgid(pid, pid);  // also from the parent: no window where a kill misses the group
          children.insert(pid);
          reply["pid"] = pid;
        }
        if (fd >= 0) ::close(fd);
        SendPacket(control_fd, reply.dump()).IgnoreError();
      }
    }
  }
  for (pid_t pid : children) {
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }
  while (::waitpid(-1, nullptr, 0) > 0) {
  }
  return 0;
}

}  // namespace sl::runtime
