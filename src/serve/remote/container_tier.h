// ContainerTier (serve::Tier kind kContainer): long-lived model-server replicas, each a real OCI
// container started with runc from a bundle straightline writes (oci_bundle.h: read-only bind
// mounts of the host runtime, the straightline binary at /opt/straightline/straightline and the
// model at /model; the host network namespace; cpu/memory limits). Each replica runs
//   straightline serve --tiers local --port 0 --port-file F --model NAME=/model
//                      --auth-token-file TOKEN
// binds a free 127.0.0.1 port itself, reports it in F, and is reached over HTTP with the same
// KServe v2 protocol: the request's original body and content type are forwarded to
// /v2/models/{model}/infer.
//
// Seams (issue 18): HOW a replica runs is a ReplicaLauncher (replica_launcher.h) — by default
// the ProcessReplicaLauncher (runc or child processes, process_replica_launcher.h); tests pass
// an in-process one (fake_replica_launcher.h) so that the rules below run without processes —
// and time is the injected Clock.
//
// Replica authentication (issue 14): a replica is a server like any other and requires a token.
// The tier generates one random token per tier, writes it with mode 0600 to
// <state_dir>/replica-token-<pid>-<n> (removed at Shutdown) and gives the replica that file's path
// through {token_file} in the command — bound read-only at /opt/straightline/token in runc mode —
// never the token itself, so neither `ps` nor the bundle's config.json shows it. Every request
// the tier sends to a replica (readiness probes and forwarded inferences) carries
// "Authorization: Bearer <token>".
//
// Scaling: min..max replicas; a replica starts when the mean queue per live replica exceeds
// scale_up_queue_depth (or when every queue is full and there is room for one more, or when none
// is live); a replica idle for idle_before_scale_down is stopped (never below min). Each replica
// has a bounded queue (queue_per_replica) and runs replica_concurrency requests at once. Start
// time (spawn → /v2/health/ready answers 200) is measured per replica: logs, TierState::
// start_ms_ewma, and the metric sl_serve_container_start_seconds. A replica whose process exits
// is cleaned up (runc kill/delete) and replaced; its queued requests go to other replicas when
// they have room, else fail UNAVAILABLE.
//
// Image mode (`image` set; issue 15 §2): the replicas run a serving image built by `straightline
// package serve` instead of host bind mounts. The tier unpacks the image once (serving_image.h:
// umoci, into <state_dir>/image-<pid>-<n>, deleted at Shutdown) and starts every replica as a
// runc container whose read-only root IS that rootfs, with the image's Entrypoint + Cmd (+
// image_args), Env, User (65532) and WorkingDir, $PORT set to the replica's port, a fresh tmpfs
// /tmp and exactly one host bind mount: the tier's token file, read-only, at the path the image's
// --auth-token-file names. model_dir, binary, command and extra_ro_paths are not used.
// Networking: replicas share the host network namespace as in bundle mode (the tier reaches
// them on 127.0.0.1:PORT), so the image's `--host 0.0.0.0` is rewritten to `--host 127.0.0.1`:
// a replica is reachable on loopback only, never on the host's other addresses. Image mode
// needs runc (mode auto/runc); mode process, or runc unusable, fails creation.
//
// Where runc cannot run (probed once at creation: root, runc, cgroups), mode "auto" runs the same
// server as a plain child process and logs a warning saying so; mode "runc" then fails creation.
//
// Thread safety: Submit/State/Replicas from any thread. Shutdown kills every replica and deletes
// every container (idempotent; the destructor calls it). Failure contract of Submit: see tier.h;
// the replica's HTTP status maps back to the codes there (400 → INVALID_ARGUMENT, 404 → NOT_FOUND,
// 429 → RESOURCE_EXHAUSTED, 503 → UNAVAILABLE, 504 → DEADLINE_EXCEEDED, other → INTERNAL).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "serve/api/tier.h"
#include "serve/remote/replica_launcher.h"

namespace sl {
class MetricsRegistry;
}

namespace sl::serve {

// How replicas run: kAuto = OCI containers by runc where it can run here (probed once), else
// plain child processes (logged); kRunc = containers or Create fails; kProcess = child processes.
enum class ContainerMode { kAuto, kRunc, kProcess };
std::string_view ContainerModeName(ContainerMode m);            // "auto" | "runc" | "process"
Result<ContainerMode> ParseContainerMode(std::string_view text);  // INVALID_ARGUMENT naming it

struct ContainerTierOptions {
  std::vector<std::string> models;      // model names served (Models()); requests name one
  std::string model_dir;                // host directory mounted read-only at /model
  std::string binary;                   // host straightline executable; "" = /proc/self/exe
  // Replica command; {binary}, {model}, {token_file}, {port_file} and {port} are replaced (with
  // the in-container paths in runc mode). Empty: {binary} serve --tiers local --port 0
  // --port-file {port_file} --model NAME={model} --auth-token-file {token_file} (NAME: the only
  // entry of `models`; with several, --model {model}). A command with {port_file} binds a port
  // itself and writes it there ({port} and $PORT are then 0); one without gets a picked port as
  // {port} and $PORT (racy; only for servers that cannot report: process_replica_launcher.h).
  std::vector<std::string> command;
  // Generate the replica token and send it (see above). Off only for replica commands that do
  // not authenticate; {token_file} in the command is then an error.
  bool replica_auth = true;
  std::vector<std::string> env;         // extra "KEY=value" for the replica
  std::vector<std::string> extra_ro_paths;  // more host paths, bound read-only at the same path
  // Image mode (see above): "oci-archive:PATH[:REF]" | "oci:DIR[:REF]"; "" = host bundle mode.
  std::string image;
  std::vector<std::string> image_args;  // appended to the image's Entrypoint + Cmd
  ContainerMode mode = ContainerMode::kAuto;
  std::string runc = "runc";            // path or name in PATH
  std::string state_dir = ".straightline/containers";  // bundles and replica logs
  int64_t min_replicas = 1;
  int64_t max_replicas = 2;
  int64_t replica_concurrency = 2;      // requests in flight per replica
  int64_t queue_per_replica = 16;       // bounded queue per replica
  double scale_up_queue_depth = 2;      // mean queued per live replica that starts one more
  std::chrono::milliseconds idle_before_scale_down{30000};
  std::chrono::milliseconds ready_timeout{30000};
  std::chrono::milliseconds supervise_interval{50};
  std::chrono::milliseconds restart_backoff{1000};  // after a replica failed to start
  double cpus_per_replica = 1;          // cgroup cfs quota (runc mode); 0: unlimited
  int64_t memory_mb_per_replica = 1024; // cgroup memory limit (runc mode); 0: unlimited
  MetricsRegistry* metrics = nullptr;   // null: MetricsRegistry::Default()
  // How replicas run (not owned; must outlive the tier). Null: a ProcessReplicaLauncher built
  // from these options (mode, runc, image, command, binds, limits); with a launcher given, only
  // the scheduling options above and below are used.
  ReplicaLauncher* launcher = nullptr;
  // Queue, start and service times, request deadlines, restart backoff and idle time before
  // scale-down (not owned). Null: Clock::Real(). The supervisor and the readiness probe still
  // pace themselves in real time (supervise_interval, 5 ms), re-reading this clock each time.
  Clock* clock = nullptr;
};

struct ReplicaInfo {
  std::string id;           // container id (runc) / replica name (process)
  int pid = 0;              // runc run process, or the child server; 0: not a process
  int port = 0;             // as the replica reported it; 0 until then
  std::string state;        // starting | ready | stopping | dead
  double start_ms = 0;      // measured spawn → ready (0 while starting)
  int64_t queued = 0;
  int64_t inflight = 0;
};

class ContainerTier final : public Tier {
 public:
  static Result<std::unique_ptr<ContainerTier>> Create(ContainerTierOptions options);
  ~ContainerTier() override;

  TierKind kind() const override { return TierKind::kContainer; }
  std::vector<std::string> Models() const override;
  void Submit(InferenceRequest request, InferenceCallback done) override;
  TierState State() const override;
  void Shutdown() override;

  std::string_view mode() const;       // the launcher's: "runc" | "process" (after the probe)
  std::vector<ReplicaInfo> Replicas() const;
  int64_t replicas_started() const;    // including replacements
  int64_t replicas_replaced() const;   // after a crash
  // Blocks until `n` replicas are ready or `timeout` passes; true when they are.
  bool WaitForReady(int64_t n, std::chrono::milliseconds timeout) const;
  // Blocks until the supervisor (scaling, replacement) has completed `n` more rounds, or
  // `timeout` passes; true when it has. With a FakeClock, tests advance time and then wait for
  // rounds instead of sleeping to show that a rule did not fire.
  bool WaitForSupervisorRounds(int64_t n, std::chrono::milliseconds timeout) const;

  class Impl;

 private:
  explicit ContainerTier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

Result<std::unique_ptr<Tier>> MakeContainerTier(const ContainerTierOptions& options);

}  // namespace sl::serve
