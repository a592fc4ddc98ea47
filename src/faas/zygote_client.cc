#include "faas/zygote_client.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/log.h"
#include "common/malloc_tuning.h"

extern char** environ;

namespace sl::faas {

Result<std::unique_ptr<ZygoteClient>> ZygoteClient::Start(const std::string& worker_path,
                                                          ExitCallback on_exit) {
  if (::access(worker_path.c_str(), X_OK) != 0) {
    return ErrnoError(errno, "worker executable " + worker_path);
  }
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoError(errno, "zygote socketpair");
  }
  // The zygote gets its end as fd 3 (dup2 in the child clears CLOEXEC).
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a terminal's Ctrl-C reaches the platform, which then shuts down.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  std::string arg0 = worker_path;
  std::string arg1 = "--zygote";
  char* argv[] = {arg0.data(), arg1.data(), nullptr};
  // The platform's environment, with glibc's huge pages for the template: instances fork from it
  // and inherit its malloc, and a tunable is read only at process start (common/malloc_tuning.h).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "GLIBC_TUNABLES=", 15) != 0) env_strings.emplace_back(*e);
  }
  env_strings.push_back("GLIBC_TUNABLES=" + GlibcTunablesForTensorWorkers());
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, worker_path.c_str(), &fa, &attr, argv, envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(sv[1]);
  if (rc != 0) {
    ::close(sv[0]);
    return ErrnoError(rc, "spawn zygote " + worker_path);
  }
  // Wait for its "ready": the template's own initialisation (libtorch) must not be counted as
  // the first instance's cold start.
  auto boot_start = Clock::Real()->Now();
  std::vector<int> passed;
  auto ready = runtime::RecvPacket(sv[0], &passed);
  for (int fd : passed) ::close(fd);
  if (!ready.ok() || ready->find("\"ready\"") == std::string::npos) {
    int status = 0;
    ::close(sv[0]);
    ::waitpid(pid, &status, 0);
    return Internal("zygote {} ({}) exited during its initialisation (wait status {})", pid,
                    worker_path, status);
  }
  SL_LOG_DEBUG("faas", "zygote {} ready after {:.1f} ms", pid,
               std::chrono::duration<double, std::milli>(Clock::Real()->Now() -
                                                         boot_start).count());
  std::unique_ptr<ZygoteClient> z(new ZygoteClient());
  z->zygote_pid_ = pid;
  z->sock_ = sv[0];
  z->on_exit_ = std::move(on_exit);
  z->reader_ = std::thread([p = z.get()] { p->ReadLoop(); });
  SL_LOG_DEBUG("faas", "zygote {} started from {}", pid, worker_path);
  return z;
}

ZygoteClient::~ZygoteClient() { Stop(); }

void ZygoteClient::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  // Closing our end is the zygote's signal to kill its children and exit.
  ::shutdown(sock_, SHUT_RDWR);
  if (reader_.joinable()) reader_.join();
  {
    std::lock_guard<std::mutex> l(send_mu_);
    ::close(sock_);
    sock_ = -1;  // Kill/Spawn after Stop must not write to a recycled descriptor
  }
  int status = 0;
  for (int i = 0; i < 500; ++i) {  // the zygote exits within ms; never wait forever
    pid_t r = ::waitpid(zygote_pid_, &status, WNOHANG);
    if (r == zygote_pid_ || r < 0) return;
    ::usleep(2000);
  }
  // Still in its own initialisation (it reads the socket only after), or wedged: its instances
  // die with it (PR_SET_PDEATHSIG), so killing it is safe.
  SL_LOG_DEBUG("faas", "zygote {} did not exit within 1 s of its socket closing; killing it",
               zygote_pid_);
  ::kill(zygote_pid_, SIGKILL);
  ::waitpid(zygote_pid_, &status, 0);
}

void ZygoteClient::ReadLoop() {
  for (;;) {
    std::vector<int> fds;
    auto packet = runtime::RecvPacket(sock_, &fds);
    for (int fd : fds) ::close(fd);
    if (!packet.ok()) break;
    auto j = nlohmann::json::parse(*packet, nullptr, false);
    if (!j.is_object()) continue;
    std::string op = j.value("op", "");
    if (op == "spawned") {
      uint64_t id = j.value("id", uint64_t{0});
      std::lock_guard<std::mutex> l(mu_);
      auto it = waiting_.find(id);
      if (it == waiting_.end()) continue;
      if (j.contains("error")) {
        it->second = Result<pid_t>(Internal("zygote: {}", j.value("error", "")));
      } else {
        it->second = Result<pid_t>(static_cast<pid_t>(j.value("pid", -1)));
      }
      cv_.notify_all();
    } else if (op == "exit") {
      if (on_exit_) on_exit_(j.value("pid", -1), j.value("status", 0));
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  dead_ = true;
  cv_.notify_all();
}

Result<pid_t> ZygoteClient::Spawn(runtime::SpawnRequest request, int stdout_fd, int netns_fd) {
  if (stdout_fd < 0 && netns_fd >= 0) {
    return InvalidArgument("zygote spawn: a network namespace needs a log pipe");
  }
  uint64_t id;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (dead_ || stopped_) return Unavailable("zygote {} is gone", zygote_pid_);
    id = next_id_++;
    waiting_[id] = std::nullopt;
  }
  request.id = id;
  request.sandbox.has_netns = netns_fd >= 0;
  Status sent;
  {
    std::lock_guard<std::mutex> l(send_mu_);
    sent = sock_ < 0 ? Unavailable("zygote stopped")
                     : runtime::SendPacket(sock_, runtime::SpawnRequestToJson(request).dump(),
                                           {stdout_fd, netns_fd});
  }
  std::unique_lock<std::mutex> l(mu_);
  if (!sent.ok()) {
    waiting_.erase(id);
    return sent;
  }
  cv_.wait(l, [&] { return waiting_[id].has_value() || dead_; });
  std::optional<Result<pid_t>> r = std::move(waiting_[id]);
  waiting_.erase(id);
  if (!r.has_value()) return Unavailable("zygote {} exited", zygote_pid_);
  return std::move(*r);
}

Status ZygoteClient::Kill(pid_t pid) {
  std::lock_guard<std::mutex> l(send_mu_);
  if (sock_ < 0) return Unavailable("zygote stopped");
  return runtime::SendPacket(sock_, nlohmann::json{{"op", "kill"}, {"pid", pid}}.dump());
}

}  // namespace sl::faas
