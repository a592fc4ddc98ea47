#include "serve/remote/container_tier.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/auth_token.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "common/log.h"
#include "common/metrics.h"
#include "serve/remote/oci_bundle.h"
#include "serve/remote/replica_process.h"
#include "serve/remote/serving_image.h"

namespace sl::serve {
namespace {

constexpr const char* kBinaryInContainer = "/opt/straightline/straightline";
constexpr const char* kModelInContainer = "/model";
constexpr const char* kTokenInContainer = "/opt/straightline/token";

enum class RState { kStarting, kReady, kStopping, kDead };
std::string_view RStateName(RState s) {
  switch (s) {
    case RState::kStarting: return "starting";
    case RState::kReady: return "ready";
    case RState::kStopping: return "stopping";
    case RState::kDead: return "dead";
  }
  return "?";
}

double MsBetween(TimePoint a, TimePoint b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Pending {
  InferenceRequest request;
  InferenceCallback done;
  TimePoint enqueued;
  bool waited_for_start = false;
};

struct Replica {
  std::string id;
  int port = 0;
  RState state = RState::kStarting;
  std::unique_ptr<ReplicaProcess> proc;
  std::deque<Pending> queue;
  int64_t inflight = 0;
  TimePoint spawned;
  TimePoint last_busy;
  double start_ms = 0;
  std::condition_variable cv;
  std::thread starter;
  std::vector<std::thread> workers;
};

Result<int> PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError(errno, "container tier: socket for a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    return ErrnoError(err, "container tier: bind 127.0.0.1:0 for a free port");
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

std::string Substitute(std::string s, const std::string& key, const std::string& value) {
  for (size_t pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos + value.size())) {
    s.replace(pos, key.size(), value);
  }
  return s;
}

Status StatusFromHttp(int http, const std::string& body, const std::string& where) {
  std::string msg = body;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) {
    msg = j["error"].get<std::string>();
  }
  msg = fmt::format("{}: HTTP {}: {}", where, http, msg);
  switch (http) {
    case 400: case 413: case 415: return Status(Code::kInvalidArgument, msg);
    case 404: return Status(Code::kNotFound, msg);
    case 429: return Status(Code::kResourceExhausted, msg);
    case 503: return Status(Code::kUnavailable, msg);
    case 504: return Status(Code::kDeadlineExceeded, msg);
    default: return Status(Code::kInternal, msg);
  }
}


}  // namespace

class ContainerTier::Impl {
 public:
  ContainerTierOptions o;
  Clock* clock = Clock::Real();  // o.clock, never null
  ReplicaMode mode = ReplicaMode::kProcess;
  std::string runc_path;
  std::string token_file;    // host path of the replica token ("" without replica_auth)
  HttpHeaders auth_headers;  // Authorization: Bearer <replica token>, sent to every replica
  UnpackedImage image;       // image mode only; image.dir empty otherwise

  mutable std::mutex mu;
  mutable std::condition_variable changed;  // replica became ready / died; supervisor wake-up
  std::vector<std::shared_ptr<Replica>> live;  // starting or ready, GUARDED_BY(mu)
  std::vector<std::shared_ptr<Replica>> graveyard;  // to join and kill outside mu
  bool shutdown = false;
  int64_t next_id = 0;
  int64_t started = 0;
  int64_t replaced = 0;
  double start_ewma = 0;
  double service_ewma = 0;
  TimePoint next_start_allowed{};
  std::thread supervisor;
  int64_t supervisor_rounds = 0;  // completed, GUARDED_BY(mu)
  mutable std::condition_variable round_done;

  Histogram* start_hist = nullptr;
  Gauge* running_gauge = nullptr;
  Counter* replaced_counter = nullptr;

  Status Init();
  Status UnpackImage();
  // The replica's runc bundle from the unpacked image (image mode).
  BundleSpec ImageBundle(const std::string& bundle, int port, const std::string& id) const;
  std::shared_ptr<Replica> StartReplicaLocked();
  void RunStarter(std::shared_ptr<Replica> rep);
  void RunWorker(std::shared_ptr<Replica> rep);
  std::vector<Pending> RetireLocked(const std::shared_ptr<Replica>& rep, RState to);
  void Reap(std::vector<std::shared_ptr<Replica>> reps);
  void Fail(std::vector<Pending> pendings, const Status& s);
  void Supervise();
  void UpdateGaugeLocked() {
    if (running_gauge) {
      running_gauge->Set(static_cast<double>(std::count_if(
          live.begin(), live.end(), [](const auto& r) { return r->state == RState::kReady; })));
    }
  }
};

Status ContainerTier::Impl::Init() {
  if (o.max_replicas < 1 || o.min_replicas < 0 || o.min_replicas > o.max_replicas) {
    return InvalidArgument("container tier: replicas min={} max={} (need 0 <= min <= max, max >= 1)",
                           o.min_replicas, o.max_replicas);
  }
  if (o.replica_concurrency < 1 || o.queue_per_replica < 1) {
    return InvalidArgument("container tier: replica_concurrency and queue_per_replica must be >= 1");
  }
  if (o.binary.empty()) {
    std::error_code ec;
    o.binary = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  }
  if (o.command.empty()) {
    // The replica serves the model under the gateway's name for it (the mount point is /model).
    const std::string model_arg = o.models.size() == 1 ? o.models[0] + "={model}" : "{model}";
    o.command = {"{binary}", "serve", "--tiers", "local", "--port", "{port}", "--model", model_arg,
                 "--auth-token-file", "{token_file}"};
  }
  const bool mentions_token = std::any_of(o.command.begin(), o.command.end(), [](const auto& a) {
    return a.find("{token_file}") != std::string::npos;
  });
  if (mentions_token && !o.replica_auth) {
    return InvalidArgument("container tier: the replica command names {{token_file}} but "
                           "replica_auth is off");
  }
  SL_RETURN_IF_ERROR(MakeDirs(o.state_dir));
  std::error_code ec;
  o.state_dir = std::filesystem::absolute(o.state_dir, ec).string();
  if (o.replica_auth) {
    // One file per tier: several serve processes (and calibrate) may share a state dir.
    static std::atomic<int64_t> tier_seq{0};
    token_file = fmt::format("{}/replica-token-{}-{}", o.state_dir, getpid(), tier_seq.fetch_add(1));
    SL_ASSIGN_OR_RETURN(std::string token, GenerateToken());
    SL_RETURN_IF_ERROR(WriteSecretFile(token_file, token + "\n"));
    auth_headers.Set("Authorization", "Bearer " + token);
  }
  if (!o.model_dir.empty()) o.model_dir = std::filesystem::absolute(o.model_dir, ec).string();

  if (o.mode == ContainerMode::kProcess) {
    mode = ReplicaMode::kProcess;
    SL_LOG_INFO("serve", "container tier: mode=process requested: replicas run as plain child "
                         "processes, not containers");
  } else {
    RuncProbe probe = ProbeRunc(o.runc);
    if (probe.usable) {
      mode = ReplicaMode::kRunc;
      runc_path = probe.runc_path;
      SL_LOG_INFO("serve", "container tier: replicas are OCI containers run by {}", runc_path);
    } else if (o.mode == ContainerMode::kRunc) {
      return FailedPrecondition("container tier: mode=runc but runc cannot run here: {}",
                                probe.reason);
    } else {
      mode = ReplicaMode::kProcess;
      SL_LOG_WARN("serve",
                  "container tier: runc cannot run here ({}); replicas run the same server as "
                  "plain CHILD PROCESSES instead of containers",
                  probe.reason);
    }
  }

  if (!o.image.empty()) SL_RETURN_IF_ERROR(UnpackImage());

  MetricsRegistry* reg = o.metrics ? o.metrics : MetricsRegistry::Default();
  std::string m(ReplicaModeName(mode));
  if (auto f = reg->AddHistogram("sl_serve_container_start_seconds",
                                 "Container tier replica start time (spawn to ready)", {"mode"},
                                 ExponentialBuckets(0.05, 2, 10));
      f.ok()) {
    if (auto c = (*f)->WithLabels({m}); c.ok()) start_hist = *c;
  }
  if (auto f = reg->AddGauge("sl_serve_containers_running", "Container tier replicas ready",
                             {"mode"});
      f.ok()) {
    if (auto c = (*f)->WithLabels({m}); c.ok()) running_gauge = *c;
  }
  if (auto f = reg->AddCounter("sl_serve_container_replacements_total",
                               "Container tier replicas replaced after their process exited",
                               {"mode"});
      f.ok()) {
    if (auto c = (*f)->WithLabels({m}); c.ok()) replaced_counter = *c;
  }

  std::lock_guard<std::mutex> lock(mu);
  for (int64_t i = 0; i < o.min_replicas; ++i) StartReplicaLocked();
  supervisor = std::thread([this] { Supervise(); });
  return Status::Ok();
}

Status ContainerTier::Impl::UnpackImage() {
  if (mode != ReplicaMode::kRunc) {
    return FailedPrecondition("container tier: --container-image {} needs runc (mode {} here); "
                              "without runc use the host bundle mode (no image)",
                              o.image, ReplicaModeName(mode));
  }
  static std::atomic<int64_t> image_seq{0};
  const std::string dir =
      fmt::format("{}/image-{}-{}", o.state_dir, getpid(), image_seq.fetch_add(1));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // a leftover of a crashed run with a recycled pid
  const TimePoint t0 = clock->Now();
  Result<UnpackedImage> img = UnpackServingImage(o.image, dir);
  if (!img.ok()) {
    std::filesystem::remove_all(dir, ec);
    return img.status().WithContext("container tier");
  }
  image = std::move(*img);
  if (o.replica_auth && image.token_path.empty()) {
    // An image whose Cmd reads no token: give it the package's token path.
    image.token_path = "/var/run/secrets/straightline/token";
    image.args.push_back("--auth-token-file");
    image.args.push_back(image.token_path);
  }
  if (!token_file.empty() && ::chown(token_file.c_str(), image.uid, image.gid) != 0) {
    // The replica runs as the image's user and must read its 0600 token: it owns the file.
    return ErrnoError(errno, fmt::format("container tier: chown {} to the image's user {}:{}",
                                         token_file, image.uid, image.gid));
  }
  image.args = BindToLoopback(std::move(image.args));
  for (const auto& a : o.image_args) image.args.push_back(a);
  SL_LOG_INFO("serve", "container tier: image {} unpacked in {:.0f} ms into {}; replicas run "
              "uid {} from its read-only rootfs, listening on 127.0.0.1 only",
              o.image, MsBetween(t0, clock->Now()), image.rootfs, image.uid);
  return Status::Ok();
}

BundleSpec ContainerTier::Impl::ImageBundle(const std::string& bundle, int port,
                                            const std::string& id) const {
  BundleSpec spec;
  spec.dir = bundle;
  spec.root_path = image.rootfs;
  spec.uid = image.uid;
  spec.gid = image.gid;
  spec.cwd = image.cwd;
  spec.args = image.args;
  spec.env = SetEnv(image.env, "PORT=" + std::to_string(port));
  if (const char* lvl = std::getenv("STRAIGHTLINE_LOG")) {
    spec.env = SetEnv(std::move(spec.env), std::string("STRAIGHTLINE_LOG=") + lvl);
  }
  for (const auto& e : o.env) spec.env = SetEnv(std::move(spec.env), e);
  if (!token_file.empty()) spec.ro_binds.emplace_back(token_file, image.token_path);
  spec.cpus = o.cpus_per_replica;
  spec.memory_mb = o.memory_mb_per_replica;
  spec.hostname = id;
  return spec;
}

std::shared_ptr<Replica> ContainerTier::Impl::StartReplicaLocked() {
  auto rep = std::make_shared<Replica>();
  rep->id = fmt::format("sl-serve-{}-{}", getpid(), next_id++);
  rep->spawned = clock->Now();
  rep->last_busy = rep->spawned;
  ++started;
  live.push_back(rep);
  rep->starter = std::thread([this, rep] { RunStarter(rep); });
  for (int64_t i = 0; i < o.replica_concurrency; ++i) {
    rep->workers.emplace_back([this, rep] { RunWorker(rep); });
  }
  return rep;
}

void ContainerTier::Impl::RunStarter(std::shared_ptr<Replica> rep) {
  auto fail_start = [&](const Status& s) {
    SL_LOG_ERROR("serve", "container tier: replica {} failed to start: {}", rep->id, s.ToString());
    std::vector<Pending> failed;
    {
      std::lock_guard<std::mutex> lock(mu);
      next_start_allowed = clock->Now() + o.restart_backoff;
      if (rep->state == RState::kStarting) failed = RetireLocked(rep, RState::kDead);
    }
    Fail(std::move(failed), Unavailable("container tier: replica {} failed to start: {}", rep->id,
                                        s.message()));
  };
  Result<int> port = PickFreePort();
  if (!port.ok()) return fail_start(port.status());
  std::string bundle = o.state_dir + "/" + rep->id;
  const bool runc = mode == ReplicaMode::kRunc;
  std::vector<std::string> argv;
  for (const auto& a : o.command) {
    std::string v = Substitute(a, "{binary}", runc ? kBinaryInContainer : o.binary);
    v = Substitute(v, "{model}", runc ? kModelInContainer : o.model_dir);
    v = Substitute(v, "{token_file}", runc ? kTokenInContainer : token_file);
    argv.push_back(Substitute(v, "{port}", std::to_string(*port)));
  }
  std::vector<std::string> env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                  "HOME=/tmp", "PORT=" + std::to_string(*port)};
  if (const char* lvl = std::getenv("STRAIGHTLINE_LOG")) env.push_back(std::string("STRAIGHTLINE_LOG=") + lvl);
  for (const auto& e : o.env) env.push_back(e);
  if (Status s = MakeDirs(bundle); !s.ok()) return fail_start(s);
  if (!image.dir.empty()) {
    BundleSpec spec = ImageBundle(bundle, *port, rep->id);
    argv = spec.args;
    env = spec.env;
    if (Status s = WriteOciBundle(spec); !s.ok()) return fail_start(s);
  } else if (runc) {
    BundleSpec spec;
    spec.dir = bundle;
    spec.args = argv;
    spec.env = env;
    spec.ro_binds = HostRuntimeBinds();
    spec.ro_binds.emplace_back(o.binary, kBinaryInContainer);
    if (!o.model_dir.empty()) spec.ro_binds.emplace_back(o.model_dir, kModelInContainer);
    if (!token_file.empty()) spec.ro_binds.emplace_back(token_file, kTokenInContainer);
    for (const auto& p : o.extra_ro_paths) spec.ro_binds.emplace_back(p, p);
    spec.cpus = o.cpus_per_replica;
    spec.memory_mb = o.memory_mb_per_replica;
    spec.hostname = rep->id;
    if (Status s = WriteOciBundle(spec); !s.ok()) return fail_start(s);
  }
  std::string log_path = bundle + "/replica.log";
  auto proc = ReplicaProcess::Start(mode, rep->id, runc_path, bundle, argv, env, log_path);
  if (!proc.ok()) return fail_start(proc.status());
  {
    std::lock_guard<std::mutex> lock(mu);
    rep->port = *port;
    rep->proc = std::move(*proc);
    if (rep->state != RState::kStarting) return;  // retired meanwhile; Reap kills it
  }
  HttpClient client(HttpClient::Options::Timeouts(200, 1000));
  const std::string url = fmt::format("http://127.0.0.1:{}/v2/health/ready", *port);
  const TimePoint deadline = clock->Now() + o.ready_timeout;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (rep->state != RState::kStarting) return;  // died (supervisor) or retired
    }
    auto r = client.Get(url, auth_headers);
    if (r.ok() && r->status == 200) break;
    if (clock->Now() > deadline) {
      return fail_start(DeadlineExceeded("{} not ready after {} ms (log: {})", url,
                                         o.ready_timeout.count(), log_path));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::lock_guard<std::mutex> lock(mu);
  if (rep->state != RState::kStarting) return;
  rep->state = RState::kReady;
  rep->last_busy = clock->Now();
  rep->start_ms = MsBetween(rep->spawned, rep->last_busy);
  UpdateEwma(&start_ewma, rep->start_ms);
  if (start_hist) start_hist->Observe(rep->start_ms / 1000.0);
  UpdateGaugeLocked();
  SL_LOG_INFO("serve", "container tier: replica {} ({}) ready on 127.0.0.1:{} in {:.1f} ms", rep->id,
              ReplicaModeName(mode), rep->port, rep->start_ms);
  rep->cv.notify_all();
  changed.notify_all();
}

void ContainerTier::Impl::RunWorker(std::shared_ptr<Replica> rep) {
  HttpClient client(HttpClient::Options::Timeouts(2000, 60000));
  while (true) {
    Pending p;
    int port = 0;
    {
      std::unique_lock<std::mutex> lock(mu);
      rep->cv.wait(lock, [&] {
        return rep->state == RState::kStopping || rep->state == RState::kDead ||
               (rep->state == RState::kReady && !rep->queue.empty());
      });
      if (rep->state != RState::kReady) return;
      p = std::move(rep->queue.front());
      rep->queue.pop_front();
      ++rep->inflight;
      port = rep->port;
    }
    InferenceResponse resp;
    const TimePoint start = clock->Now();
    resp.queue_ms = MsBetween(p.enqueued, start);
    resp.cold_start = p.waited_for_start;
    const bool has_deadline = p.request.deadline != TimePoint{};
    int64_t timeout_ms = 60000;
    if (has_deadline) {
      timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(p.request.deadline - start).count();
    }
    if (timeout_ms <= 0) {
      resp.status = DeadlineExceeded("container tier: request deadline passed after {:.1f} ms in replica {}'s queue",
                                     resp.queue_ms, rep->id);
    } else {
      const std::string url =
          fmt::format("http://127.0.0.1:{}/v2/models/{}/infer", port, p.request.model);
      HttpHeaders headers = auth_headers;
      headers.Set("Content-Type",
                  p.request.content_type.empty() ? "application/json" : p.request.content_type);
      if (p.request.json_header_bytes >= 0) {
        headers.Set(kInferenceHeaderLength, std::to_string(p.request.json_header_bytes));
      }
      auto r = client.Send("POST", url, p.request.body, headers, timeout_ms);
      const std::string where = "container replica " + rep->id;
      if (!r.ok()) {
        Status s = r.status();
        resp.status = s.code() == Code::kDeadlineExceeded ? s.WithContext(where)
                                                          : Unavailable("{}: {}", where, s.message());
      } else if (r->status != 200) {
        resp.status = StatusFromHttp(r->status, r->body, where);
      } else {
        resp.body = std::move(r->body);
        std::string_view ct = r->headers.Get("Content-Type");
        if (!ct.empty()) resp.content_type = std::string(ct);
      }
    }
    resp.service_ms = MsBetween(start, clock->Now());
    {
      std::lock_guard<std::mutex> lock(mu);
      --rep->inflight;
      rep->last_busy = clock->Now();
      if (resp.status.ok()) UpdateEwma(&service_ewma, resp.service_ms);
    }
    p.done(std::move(resp));
  }
}

// Takes rep out of `live`; its queue moves to other replicas with room, the rest is returned
// (to fail outside mu). The replica's threads and process are released by Reap.
std::vector<Pending> ContainerTier::Impl::RetireLocked(const std::shared_ptr<Replica>& rep,
                                                       RState to) {
  rep->state = to;
  live.erase(std::remove(live.begin(), live.end(), rep), live.end());
  graveyard.push_back(rep);
  std::vector<Pending> rest;
  while (!rep->queue.empty()) {
    Pending p = std::move(rep->queue.front());
    rep->queue.pop_front();
    std::shared_ptr<Replica> best;
    for (const auto& r : live) {
      if (static_cast<int64_t>(r->queue.size()) >= o.queue_per_replica) continue;
      if (!best || r->queue.size() < best->queue.size()) best = r;
    }
    if (best && !shutdown) {
      best->queue.push_back(std::move(p));
      best->cv.notify_one();
    } else {
      rest.push_back(std::move(p));
    }
  }
  rep->cv.notify_all();
  UpdateGaugeLocked();
  changed.notify_all();
  return rest;
}

void ContainerTier::Impl::Reap(std::vector<std::shared_ptr<Replica>> reps) {
  for (auto& rep : reps) {
    if (rep->starter.joinable()) rep->starter.join();
    if (rep->proc) rep->proc->Kill();  // before joining workers: their HTTP calls then end
    for (auto& t : rep->workers) {
      if (t.joinable()) t.join();
    }
    std::error_code ec;
    std::filesystem::remove(o.state_dir + "/" + rep->id + "/config.json", ec);
  }
}

void ContainerTier::Impl::Fail(std::vector<Pending> pendings, const Status& s) {
  for (auto& p : pendings) {
    InferenceResponse resp;
    resp.status = s;
    resp.queue_ms = MsBetween(p.enqueued, clock->Now());
    p.done(std::move(resp));
  }
}

void ContainerTier::Impl::Supervise() {
  std::unique_lock<std::mutex> lock(mu);
  while (!shutdown) {
    changed.wait_for(lock, o.supervise_interval);
    if (shutdown) break;
    std::vector<Pending> crashed;
    const TimePoint now = clock->Now();
    // 1. Replicas whose process exited: clean up, replace below.
    int64_t replace = 0;  // ready replicas that crashed: started again even above min
    for (auto rep : std::vector<std::shared_ptr<Replica>>(live)) {
      if (rep->proc && rep->proc->Exited()) {
        if (rep->state == RState::kReady) ++replace;
        SL_LOG_WARN("serve", "container tier: replica {} ({}, port {}) exited while {}; replacing it",
                    rep->id, ReplicaModeName(mode), rep->port, RStateName(rep->state));
        ++replaced;
        if (replaced_counter) replaced_counter->Inc();
        // A replica that dies before it is ready would die again at once: back off.
        if (rep->state == RState::kStarting) next_start_allowed = now + o.restart_backoff;
        auto rest = RetireLocked(rep, RState::kDead);
        for (auto& p : rest) crashed.push_back(std::move(p));
      }
    }
    for (; replace > 0 && static_cast<int64_t>(live.size()) < o.max_replicas; --replace) {
      StartReplicaLocked();
    }
    // 2. Scale up: below min, or queues deeper than the threshold and none starting.
    const int64_t n = static_cast<int64_t>(live.size());
    if (now >= next_start_allowed) {
      if (n < o.min_replicas) {
        for (int64_t i = n; i < o.min_replicas; ++i) StartReplicaLocked();
      } else if (n > 0 && n < o.max_replicas) {
        int64_t queued = 0;
        bool starting = false;
        for (const auto& r : live) {
          queued += static_cast<int64_t>(r->queue.size());
          starting = starting || r->state == RState::kStarting;
        }
        if (!starting && static_cast<double>(queued) / static_cast<double>(n) > o.scale_up_queue_depth) {
          SL_LOG_INFO("serve", "container tier: scale up to {} replicas (queued {} over {})", n + 1,
                      queued, n);
          StartReplicaLocked();
        }
      }
    }
    // 3. Scale down one idle replica above min.
    if (static_cast<int64_t>(live.size()) > o.min_replicas) {
      for (const auto& r : live) {
        if (r->state == RState::kReady && r->queue.empty() && r->inflight == 0 &&
            now - r->last_busy >= o.idle_before_scale_down) {
          SL_LOG_INFO("serve", "container tier: scale down: replica {} idle for {} ms", r->id,
                      o.idle_before_scale_down.count());
          auto rest = RetireLocked(r, RState::kStopping);  // empty queue: nothing returned
          for (auto& p : rest) crashed.push_back(std::move(p));
          break;
        }
      }
    }
    std::vector<std::shared_ptr<Replica>> dead;
    dead.swap(graveyard);
    lock.unlock();
    Fail(std::move(crashed), Unavailable("container tier: the replica holding the request exited "
                                         "and no other replica had room"));
    Reap(std::move(dead));
    lock.lock();
    ++supervisor_rounds;
    round_done.notify_all();
  }
}

std::string_view ContainerModeName(ContainerMode m) {
  switch (m) {
    case ContainerMode::kAuto: return "auto";
    case ContainerMode::kRunc: return "runc";
    case ContainerMode::kProcess: return "process";
  }
  return "auto";
}

Result<ContainerMode> ParseContainerMode(std::string_view text) {
  for (ContainerMode m : {ContainerMode::kAuto, ContainerMode::kRunc, ContainerMode::kProcess}) {
    if (text == ContainerModeName(m)) return m;
  }
  return InvalidArgument("container mode '{}' (want auto, runc or process)", text);
}

ContainerTier::ContainerTier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ContainerTier::~ContainerTier() { Shutdown(); }

Result<std::unique_ptr<ContainerTier>> ContainerTier::Create(ContainerTierOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->o = std::move(options);
  if (impl->o.clock != nullptr) impl->clock = impl->o.clock;
  std::unique_ptr<ContainerTier> tier(new ContainerTier(std::move(impl)));
  SL_RETURN_IF_ERROR(tier->impl_->Init());
  return tier;
}

Result<std::unique_ptr<Tier>> MakeContainerTier(const ContainerTierOptions& options) {
  SL_ASSIGN_OR_RETURN(auto tier, ContainerTier::Create(options));
  return std::unique_ptr<Tier>(std::move(tier));
}

std::vector<std::string> ContainerTier::Models() const { return impl_->o.models; }

void ContainerTier::Submit(InferenceRequest request, InferenceCallback done) {
  Impl& m = *impl_;
  const TimePoint now = m.clock->Now();
  std::unique_lock<std::mutex> lock(m.mu);
  auto refuse = [&](Status s) {
    lock.unlock();
    InferenceResponse resp;
    resp.status = std::move(s);
    done(std::move(resp));
  };
  if (m.shutdown) return refuse(Unavailable("container tier: shutting down"));
  if (request.deadline != TimePoint{} && now >= request.deadline) {
    return refuse(DeadlineExceeded("container tier: request deadline passed before queueing"));
  }
  if (!m.o.models.empty() &&
      std::find(m.o.models.begin(), m.o.models.end(), request.model) == m.o.models.end()) {
    return refuse(NotFound("container tier: unknown model '{}'", request.model));
  }
  std::shared_ptr<Replica> best;
  auto load = [](const Replica& r) { return static_cast<int64_t>(r.queue.size()) + r.inflight; };
  for (RState want : {RState::kReady, RState::kStarting}) {
    for (const auto& r : m.live) {
      if (r->state != want || static_cast<int64_t>(r->queue.size()) >= m.o.queue_per_replica) continue;
      if (!best || load(*r) < load(*best)) best = r;
    }
    if (best) break;
  }
  if ((!best || best->state != RState::kReady) &&
      static_cast<int64_t>(m.live.size()) < m.o.max_replicas &&
      (m.live.empty() || now >= m.next_start_allowed)) {
    bool any_starting = std::any_of(m.live.begin(), m.live.end(),
                                    [](const auto& r) { return r->state == RState::kStarting; });
    if (!best || !any_starting) best = m.StartReplicaLocked();
  }
  if (!best) {
    return refuse(ResourceExhausted(
        "container tier: every replica's queue is full ({} replicas x {} queued, max {} replicas)",
        m.live.size(), m.o.queue_per_replica, m.o.max_replicas));
  }
  Pending p{std::move(request), std::move(done), now, best->state == RState::kStarting};
  best->queue.push_back(std::move(p));
  best->cv.notify_one();
}

TierState ContainerTier::State() const {
  const Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.mu);
  TierState s;
  s.kind = TierKind::kContainer;
  s.shares_gateway_cpu = true;  // replicas run on this host (runc or child processes)
  s.available = !m.shutdown;
  for (const auto& r : m.live) {
    s.inflight += r->inflight;
    s.queued += static_cast<int64_t>(r->queue.size());
    if (r->state == RState::kReady) ++s.replicas;
  }
  s.capacity = m.o.max_replicas * (m.o.queue_per_replica + m.o.replica_concurrency);
  s.max_replicas = m.o.max_replicas;
  s.service_ms_ewma = m.service_ewma;
  s.start_ms_ewma = m.start_ewma;
  return s;
}

void ContainerTier::Shutdown() {
  Impl& m = *impl_;
  std::vector<Pending> failed;
  std::vector<std::shared_ptr<Replica>> dead;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (m.shutdown && m.live.empty() && m.graveyard.empty() && !m.supervisor.joinable()) return;
    m.shutdown = true;
    for (auto rep : std::vector<std::shared_ptr<Replica>>(m.live)) {
      auto rest = m.RetireLocked(rep, RState::kStopping);
      for (auto& p : rest) failed.push_back(std::move(p));
    }
    m.changed.notify_all();
  }
  if (m.supervisor.joinable()) m.supervisor.join();
  {
    std::lock_guard<std::mutex> lock(m.mu);
    dead.swap(m.graveyard);
  }
  m.Fail(std::move(failed), Unavailable("container tier: shutting down"));
  m.Reap(std::move(dead));
  if (!m.token_file.empty()) {
    std::error_code ec;
    std::filesystem::remove(m.token_file, ec);
  }
  RemoveUnpackedImage(m.image);
}

std::string_view ContainerTier::mode() const { return ReplicaModeName(impl_->mode); }

std::vector<ReplicaInfo> ContainerTier::Replicas() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<ReplicaInfo> out;
  for (const auto& r : impl_->live) {
    out.push_back({r->id, r->proc ? static_cast<int>(r->proc->pid()) : 0, r->port,
                   std::string(RStateName(r->state)), r->start_ms,
                   static_cast<int64_t>(r->queue.size()), r->inflight});
  }
  return out;
}

int64_t ContainerTier::replicas_started() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->started;
}

int64_t ContainerTier::replicas_replaced() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->replaced;
}

bool ContainerTier::WaitForSupervisorRounds(int64_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  const int64_t target = impl_->supervisor_rounds + n;
  return impl_->round_done.wait_for(lock, timeout, [&] { return impl_->supervisor_rounds >= target; });
}

bool ContainerTier::WaitForReady(int64_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(impl_->mu);
  return impl_->changed.wait_for(lock, timeout, [&] {
    return std::count_if(impl_->live.begin(), impl_->live.end(),
                         [](const auto& r) { return r->state == RState::kReady; }) >= n;
  });
}

}  // namespace sl::serve
