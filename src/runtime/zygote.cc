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
#include <map>
#include <set>

#include "runtime/run_handler.h"
#include "runtime/sandbox.h"
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

// PID 1 of a sandboxed instance's namespace: forks the instance process (which returns from
// here), then reaps whatever ends up parented to it. When the instance exits it reports the
// instance's wait status on status_fd (init itself cannot die of the instance's signal: the
// kernel does not deliver default-action signals to a namespace's init from inside) and exits,
// and the kernel kills everything left in the namespace. A runtime that is PID 1 would also see
// abort() turned into SIGSEGV and `kill $$` ignored; Lambda's runtime is not PID 1 either.
void RunSandboxInit(int status_fd) {
  pid_t instance = ::fork();
  if (instance < 0) {
    std::fprintf(stderr, "instance: init: fork: %s\n", std::strerror(errno));
    std::fflush(stderr);
    ::_exit(126);
  }
  if (instance == 0) {
    ::close(status_fd);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    return;
  }
  ::prctl(PR_SET_DUMPABLE, 0);  // the instance (same uid) cannot ptrace its init
  ::prctl(PR_SET_NAME, "sl-init");
  int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null_fd >= 0) {  // the log pipe is the instance's: init's copies must not keep it open
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
    ::close(null_fd);
  }
  for (;;) {
    int status = 0;
    pid_t pid = ::waitpid(-1, &status, 0);
    if (pid < 0 && errno == EINTR) continue;
    if (pid == instance || pid < 0) {
      if (pid == instance) ::write(status_fd, &status, sizeof(status));
      ::_exit(0);
    }
  }
}

[[noreturn]] void BecomeInstance(const SpawnRequest& req, int log_fd, int netns_fd, int idmap_userns_fd,
                                 int status_fd, const HandlerRegistry& registry) {
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
  // "0" is the writer itself, whatever PID namespace it is in (a sandboxed instance's init is PID 1).
  for (const auto& procs : req.cgroup_procs) WriteAll(procs, "0");
  if (req.sandbox.enabled) {
    Status s = EnterSandbox(req.sandbox, netns_fd, idmap_userns_fd, req.exec && req.bash_as_sh);
    if (!s.ok()) {
      std::fprintf(stderr, "instance: cannot enter its sandbox: %s\n", s.ToString().c_str());
      std::fflush(stderr);
      ::_exit(126);
    }
  }
  if (netns_fd >= 0) ::close(netns_fd);
  if (idmap_userns_fd >= 0) ::close(idmap_userns_fd);
  if (req.sandbox.enabled) RunSandboxInit(status_fd);  // returns in the instance process only
  if (!req.cwd.empty() && ::chdir(req.cwd.c_str()) != 0) {
    std::fprintf(stderr, "instance: chdir %s: %s\n", req.cwd.c_str(), std::strerror(errno));
  }
  ::clearenv();
  for (const auto& kv : req.env) {
    size_t eq = kv.find('=');
    if (eq != std::string::npos) ::setenv(kv.substr(0, eq).c_str(), kv.c_str() + eq + 1, 1);
  }
  if (req.exec) {
    if (req.bash_as_sh && !req.sandbox.enabled) {
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
  std::map<pid_t, int> status_pipes;  // sandboxed: read end of the pipe its init reports on
  PidNamespaceForNextFork pid_ns;
  int idmap_userns = -1;          // made on the first sandboxed spawn that asks for idmapped mounts
  std::string idmap_error;
  auto reap = [&] {
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (children.erase(pid)) {
        ::kill(-pid, SIGKILL);  // stragglers the instance started (e.g. curl in a bootstrap)
        if (auto it = status_pipes.find(pid); it != status_pipes.end()) {
          int reported = 0;
          if (::read(it->second, &reported, sizeof(reported)) == sizeof(reported)) status = reported;
          ::close(it->second);
          status_pipes.erase(it);
        }
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
      std::vector<int> fds;
      auto packet = RecvPacket(control_fd, &fds);
      if (!packet.ok()) break;  // platform gone
      auto close_fds = [&] {
        for (int fd : fds) ::close(fd);
        fds.clear();
      };
      auto j = nlohmann::json::parse(*packet, nullptr, false);
      std::string op = j.is_object() ? j.value("op", "") : "";
      if (op != "spawn") close_fds();
      if (op == "kill") {
        pid_t pid = j.value("pid", 0);
        if (pid > 0 && children.count(pid)) {  // only our own, not-yet-reaped children
          ::kill(-pid, SIGKILL);
          ::kill(pid, SIGKILL);
        }
      } else if (op == "spawn") {
        SpawnRequest req = SpawnRequestFromJson(j);
        int log_fd = !fds.empty() ? fds[0] : -1;
        int netns_fd = req.sandbox.has_netns && fds.size() > 1 ? fds[1] : -1;
        nlohmann::json reply{{"op", "spawned"}, {"id", req.id}};
        std::string error;
        bool wants_idmap = false;
        for (const auto& m : req.sandbox.mounts) wants_idmap = wants_idmap || m.idmap;
        if (req.sandbox.enabled && wants_idmap && idmap_userns < 0 && idmap_error.empty()) {
          auto ns = CreateIdmapUserns(req.sandbox.uid, req.sandbox.gid);
          if (ns.ok()) {
            idmap_userns = *ns;
          } else {
            idmap_error = ns.status().ToString();
            std::fprintf(stderr, "zygote: no idmapped mounts (%s): mounts keep the host's owners\n",
                         idmap_error.c_str());
          }
        }
        if (req.sandbox.enabled) {
          Status s = pid_ns.Enter();
          if (!s.ok()) error = s.ToString();
        }
        int status_pipe[2] = {-1, -1};
        if (error.empty() && req.sandbox.enabled && ::pipe2(status_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
          error = std::string("pipe2: ") + std::strerror(errno);
          pid_ns.Restore().IgnoreError();
        }
        pid_t pid = -1;
        if (error.empty()) {
          pid = ::fork();
          if (pid == 0) {
            ::close(control_fd);
            ::close(sfd);
            for (auto& [other, fd] : status_pipes) ::close(fd);
            if (status_pipe[0] >= 0) ::close(status_pipe[0]);
            if (!req.sandbox.enabled && idmap_userns >= 0) ::close(idmap_userns);
            BecomeInstance(req, log_fd, netns_fd, req.sandbox.enabled ? idmap_userns : -1, status_pipe[1],
                           registry);
          }
          if (status_pipe[1] >= 0) ::close(status_pipe[1]);
          if (pid > 0 && status_pipe[0] >= 0) {
            status_pipes[pid] = status_pipe[0];
          } else if (status_pipe[0] >= 0) {
            ::close(status_pipe[0]);
          }
          if (pid < 0) error = std::string("fork: ") + std::strerror(errno);
          if (req.sandbox.enabled) {
            Status s = pid_ns.Restore();
            if (!s.ok()) {
              // Every later fork would start yet another namespace: stop serving rather than
              // hand out half-isolated instances.
              std::fprintf(stderr, "zygote: %s\n", s.ToString().c_str());
              close_fds();
              break;
            }
          }
        }
        if (!error.empty()) {
          reply["error"] = error;
        } else {
          ::setpgid(pid, pid);  // also from the parent: no window where a kill misses the group
          children.insert(pid);
          reply["pid"] = pid;
        }
        close_fds();
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
  if (idmap_userns >= 0) ::close(idmap_userns);
  return 0;
}

}  // namespace sl::runtime
