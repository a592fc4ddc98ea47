// ProcessReplicaLauncher: the container tier's real replicas (replica_launcher.h) — OCI
// containers run by runc from a bundle this writes, or, where runc cannot run, the same server as
// a plain child process (see container_tier.h for the modes, image mode and what a container
// sees).
//
// The replica command is ContainerTierOptions::command with {binary}, {model}, {token_file},
// {port_file} and {port} replaced (in-container paths under runc). How it reports its port:
//   * {port_file} in the command (the default command: `serve --port 0 --port-file {port_file}`)
//     — the replica binds a free port itself and writes it to that file (atomically); $PORT is 0.
//     In runc mode the file is in a writable bind of <dir>/run at /run/straightline.
//   * image mode — the image's server listens on $PORT (the Knative contract): $PORT is 0 and
//     `--port-file /run/straightline/port` is appended to its arguments.
//   * otherwise (a command that cannot report, e.g. a third-party server taking {port}) — a free
//     port is picked here and passed as {port} and $PORT. That is racy (another program may bind
//     it in between: the replica then fails to start and is retried after the back-off); it is
//     kept only for such commands and logged once.
// Thread safety: Launch from any thread. Failure contract: Create returns INVALID_ARGUMENT for
// inconsistent options, FAILED_PRECONDITION when mode runc (or image mode) is asked for and runc
// cannot run here; Launch returns the file-system or spawn error naming the path or command.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "serve/remote/container_tier.h"
#include "serve/remote/replica_launcher.h"

namespace sl::serve {

class ProcessReplicaLauncher final : public ReplicaLauncher {
 public:
  // `token_file`: the tier's replica token file ("" without replica_auth). In image mode the file
  // is chowned to the image's user, which must read it.
  static Result<std::unique_ptr<ProcessReplicaLauncher>> Create(const ContainerTierOptions& options,
                                                                const std::string& token_file);
  ~ProcessReplicaLauncher() override;  // removes the unpacked image

  std::string_view mode() const override;
  Result<std::unique_ptr<ReplicaHandle>> Launch(const ReplicaStart& start) override;

  // The replica argv and environment as Launch would run them for `start` (tests, logs).
  struct Command {
    std::vector<std::string> argv;
    std::vector<std::string> env;
    std::string port_file;  // host path the replica reports its port to; "" = fixed_port
    int fixed_port = 0;     // the picked port of a command that cannot report
  };
  Result<Command> CommandFor(const ReplicaStart& start) const;

  class Impl;

 private:
  explicit ProcessReplicaLauncher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sl::serve
