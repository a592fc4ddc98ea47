// ZygoteClient: the platform's handle on the template process (runtime/zygote.h). Starts
// `straightline-worker --zygote` once, then asks it to fork (or fork+exec) instances, and turns
// its exit reports into on_exit callbacks. Every instance process is a child of the zygote, so
// the zygote reaps them and a kill request can never hit a recycled pid.
//
// Start returns once the zygote has finished its own initialisation (its "ready" message).
// Ownership: owns the zygote process and the socket; Stop() (or the destructor) closes the
// socket, which makes the zygote kill every instance and exit, and waits for it.
// Thread safety: Spawn/Kill from any thread. on_exit runs on the client's reader thread: it must
// not call Spawn synchronously (Spawn waits for that thread).
// Failure contract: Start names the worker path and errno; Spawn returns UNAVAILABLE when the
// zygote is gone, INTERNAL with the zygote's reason when fork failed.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/status.h"
#include "runtime/zygote_protocol.h"

namespace sl::faas {

class ZygoteClient {
 public:
  using ExitCallback = std::function<void(pid_t pid, int wait_status)>;
  static Result<std::unique_ptr<ZygoteClient>> Start(const std::string& worker_path,
                                                     ExitCallback on_exit);
  ~ZygoteClient();

  // Forks an instance; stdout_fd (may be -1) becomes its stdout and stderr; netns_fd (>= 0 only
  // with a stdout_fd and request.sandbox.enabled) is the network namespace it joins. Neither is
  // taken over: the caller closes them. Returns its pid as this process sees it.
  Result<pid_t> Spawn(runtime::SpawnRequest request, int stdout_fd, int netns_fd = -1);
  // SIGKILLs the instance's process group, if it is still alive.
  Status Kill(pid_t pid);
  void Stop();
  pid_t zygote_pid() const { return zygote_pid_; }

 private:
  ZygoteClient() = default;
  void ReadLoop();

  pid_t zygote_pid_ = -1;
  int sock_ = -1;
  ExitCallback on_exit_;
  std::thread reader_;
  std::mutex send_mu_;  // serialises sendmsg on sock_
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_id_ = 1;                                    // GUARDED_BY(mu_)
  std::map<uint64_t, std::optional<Result<pid_t>>> waiting_;  // GUARDED_BY(mu_)
  bool dead_ = false;                                       // GUARDED_BY(mu_)
  bool stopped_ = false;                                    // GUARDED_BY(mu_)
};

}  // namespace sl::faas
