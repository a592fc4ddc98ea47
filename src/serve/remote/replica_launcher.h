// The container tier's seam to the things that run its replicas (issue 18). The tier decides
// WHEN a replica starts, stops or is replaced and WHICH replica a request goes to; a
// ReplicaLauncher decides HOW one runs: an OCI container under runc, a plain child process
// (process_replica_launcher.h), or an in-process test server (fake_replica_launcher.h), so the
// tier's scaling, replacement and queueing rules are tested without processes.
//
// Ports: a replica binds a port of its own choosing and reports it (`serve --port 0 --port-file`
// for real replicas); the tier reads it through ReplicaHandle::Port() and only then probes
// /v2/health/ready on 127.0.0.1:PORT. Nothing is handed a port that some other code bound,
// closed and passed on (that was a race with every other program binding port 0).
//
// Thread safety: Launch may be called from several of the tier's threads at once. A
// ReplicaHandle is used by one thread at a time (the tier serialises calls under its mutex,
// except Kill, which runs after the replica left the tier's lists).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sl::serve {

// One running replica, owned by the tier. The destructor kills it if Kill was not called.
class ReplicaHandle {
 public:
  virtual ~ReplicaHandle() = default;
  // The replica's process id for logs and operators (runc's `run` process, or the child); 0 when
  // the replica is not a process.
  virtual int pid() const = 0;
  // The 127.0.0.1 port the replica listens on, once it has reported it; 0 until then.
  virtual int Port() = 0;
  // True once the replica has exited (reaping it). Never true again after Kill.
  virtual bool Exited() = 0;
  // Stops it and releases everything it holds (container, process). Idempotent.
  virtual void Kill() = 0;
};

// What the tier gives a launcher for one replica.
struct ReplicaStart {
  std::string id;          // unique on this host and kept by the replica (container id, logs)
  std::string dir;         // <state_dir>/<id>: exists, the replica's own (bundle, log, port file)
  std::string token_file;  // host path of the tier's 0600 replica token; "" without replica_auth
};

class ReplicaLauncher {
 public:
  virtual ~ReplicaLauncher() = default;
  // How replicas run, for logs, metrics labels and ContainerTier::mode(): "runc" | "process" |
  // whatever a test launcher calls itself.
  virtual std::string_view mode() const = 0;
  // Starts one replica. Failure contract: the status names the command or resource that failed;
  // the tier then fails the replica's queued requests UNAVAILABLE and backs off.
  virtual Result<std::unique_ptr<ReplicaHandle>> Launch(const ReplicaStart& start) = 0;
};

}  // namespace sl::serve
