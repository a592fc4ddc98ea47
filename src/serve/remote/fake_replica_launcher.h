// FakeReplicaLauncher: container tier replicas as in-process HTTP servers, for tests of the
// tier's scaling, replacement, queueing and error-mapping rules without runc or child processes
// (issue 18). Each replica is a real HttpServer on 127.0.0.1 that binds port 0 itself and
// reports the port it got, speaks the part of KServe v2 the tier uses, and requires the tier's
// bearer token (read from ReplicaStart::token_file, as `serve --auth-token-file` does):
//   GET  /v2/health/ready          200 once the replica is ready (SetReady), else 503
//   POST /v2/models/m/infer        200 {"replica": ID, "bytes": N, "content_type": CT}
//        body "bad" → 400, "busy" → 429, "down" → 503, "late" → 504, "boom" → 500;
//        another model → 404; no or a wrong token → 401
// A test drives it: hold requests in flight (Hold / Release), keep new replicas unready, make
// launches fail, crash a replica (its server stops and Exited() turns true), or make a replica
// that never reports its port.
// Thread safety: every method from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"
#include "serve/remote/replica_launcher.h"

namespace sl::serve {

class FakeReplicaLauncher final : public ReplicaLauncher {
 public:
  FakeReplicaLauncher();
  ~FakeReplicaLauncher() override;

  std::string_view mode() const override { return "fake"; }
  Result<std::unique_ptr<ReplicaHandle>> Launch(const ReplicaStart& start) override;

  // The next `n` launches fail with `status` (nothing is started).
  void FailLaunches(int n, Status status);
  // Replicas launched from now on answer the readiness probe 503 until SetReady(id, true).
  void StartUnready(bool unready);
  void SetReady(const std::string& id, bool ready);
  // Replicas launched from now on never report their port.
  void NeverReportPort(bool never);
  // While held, inference requests are kept in flight (not answered) until Release.
  void Hold(bool hold);
  void Release();               // answers every held request
  int64_t held() const;         // inference requests held now
  // The replica's server stops (clients see the connection close) and Exited() turns true.
  void Crash(const std::string& id);

  int64_t launches() const;                 // successful launches so far
  std::vector<std::string> running() const;  // ids launched and not killed or crashed
  int64_t requests(const std::string& id) const;  // inference requests a replica answered

  struct Replica;

 private:
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Replica>> replicas_;
  int fail_launches_ = 0;
  Status fail_status_;
  bool start_unready_ = false;
  bool never_report_port_ = false;
  bool hold_ = false;
  std::shared_ptr<Replica> Find(const std::string& id) const;
};

}  // namespace sl::serve
