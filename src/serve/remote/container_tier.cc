#include "serve/remote/container_tier.h"

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
#include "serve/remote/process_replica_launcher.h"

namespace sl::serve {
namespace {

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
  std::unique_ptr<ReplicaHandle> handle;  // set once launched, GUARDED_BY(mu)
  std::deque<Pending> queue;
  int64_t inflight = 0;
  TimePoint spawned;
  TimePoint last_busy;
  double start_ms = 0;
  std::condition_variable cv;
  std::thread starter;
  std::vector<std::thread> workers;
};

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
  std::string token_file;    // host path of the replica token ("" without replica_auth)
  HttpHeaders auth_headers;  // Authorization: Bearer <replica token>, sent to every replica
  std::unique_ptr<ReplicaLauncher> own_launcher;  // the process launcher unless o.launcher
  ReplicaLauncher* launcher = nullptr;            // never null after Init
  std::string mode_name;                          // launcher->mode(), kept past Shutdown

  mutable std::mutex mu;
  mutable std::condition_variable changed;  // replica became ready / died; supervisor wake-up
  std::vector<std::shared_ptr<Replica>> live;  // starting or ready, GUARDED_BY(mu)
  std::vector<std::shared_ptr<Replica>> graveyard;  // to join and kill outside mu
  bool shutdown = false;
  int64_t started = 0;
  int64_t replaced = 0;
  double start_ewma = 0;
  double service_ewma = 0;
  TimePoint next_start_allowed{};
  int64_t replacements_owed = 0;  // ready replicas that exited, to start again, GUARDED_BY(mu)
  std::thread supervisor;
  int64_t supervisor_rounds = 0;  // completed, GUARDED_BY(mu)
  mutable std::condition_variable round_done;

  Histogram* start_hist = nullptr;
  Gauge* running_gauge = nullptr;
  Counter* replaced_counter = nullptr;

  Status Init();
  std::shared_ptr<Replica> StartReplicaLocked();
  void RunStarter(std::shared_ptr<Replica> rep);
  void RunWorker(std::shared_ptr<Replica> rep);
  // `rep` by value: callers pass elements of `live`, which this erases from.
  std::vector<Pending> RetireLocked(std::shared_ptr<Replica> rep, RState to);
  // A replica whose process exited: counted, retired (its queue moves on), replaced by the
  // supervisor's next round if it was ready; a replica that died starting delays the next start.
  std::vector<Pending> RetireExitedLocked(std::shared_ptr<Replica> rep, TimePoint now);
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
  if (o.launcher != nullptr) {
    launcher = o.launcher;
  } else {
    auto made = ProcessReplicaLauncher::Create(o, token_file);
    if (!made.ok()) {
      if (!token_file.empty()) std::filesystem::remove(token_file, ec);
      return made.status();
    }
    own_launcher = std::move(*made);
    launcher = own_launcher.get();
  }

  mode_name = std::string(launcher->mode());
  MetricsRegistry* reg = o.metrics ? o.metrics : MetricsRegistry::Default();
  const std::string& m = mode_name;
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

std::shared_ptr<Replica> ContainerTier::Impl::StartReplicaLocked() {
  auto rep = std::make_shared<Replica>();
  // Ids are unique in the process (runc container names are host-wide; several tiers may run).
  static std::atomic<int64_t> replica_seq{0};
  rep->id = fmt::format("sl-serve-{}-{}", getpid(), replica_seq.fetch_add(1));
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
  ReplicaStart start{rep->id, o.state_dir + "/" + rep->id, token_file};
  if (Status s = MakeDirs(start.dir); !s.ok()) return fail_start(s);
  auto handle = launcher->Launch(start);
  if (!handle.ok()) return fail_start(handle.status());
  {
    std::lock_guard<std::mutex> lock(mu);
    rep->handle = std::move(*handle);
    if (rep->state != RState::kStarting) return;  // retired meanwhile; Reap kills it
  }
  // Wait for the port the replica reports, then for its readiness. The handle is only read
  // under mu: the supervisor polls it for an exit.
  HttpClient client(HttpClient::Options::Timeouts(200, 1000));
  const TimePoint deadline = clock->Now() + o.ready_timeout;
  std::string url;
  while (true) {
    int port = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (rep->state != RState::kStarting) return;  // died (supervisor) or retired
      port = rep->port = rep->handle->Port();
    }
    if (port != 0) {
      url = fmt::format("http://127.0.0.1:{}/v2/health/ready", port);
      auto r = client.Get(url, auth_headers);
      if (r.ok() && r->status == 200) break;
    }
    if (clock->Now() > deadline) {
      return fail_start(DeadlineExceeded(
          "replica {} not ready after {} ms ({}; log: {}/replica.log)", rep->id,
          o.ready_timeout.count(),
          port == 0 ? std::string("it never reported its port") : "probing " + url, start.dir));
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
              mode_name, rep->port, rep->start_ms);
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
        // The replica may have died under the request: then its queue must not follow this
        // request into the closed port, so retire it now rather than at the next round.
        std::vector<Pending> rest;
        {
          std::lock_guard<std::mutex> lock(mu);
          if (rep->state == RState::kReady && rep->handle && rep->handle->Exited()) {
            rest = RetireExitedLocked(rep, clock->Now());
          }
        }
        Fail(std::move(rest), Unavailable("container tier: replica {} exited and no other "
                                          "replica had room", rep->id));
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

std::vector<Pending> ContainerTier::Impl::RetireExitedLocked(std::shared_ptr<Replica> rep,
                                                             TimePoint now) {
  if (rep->state == RState::kReady) ++replacements_owed;  // started again even above min
  SL_LOG_WARN("serve", "container tier: replica {} ({}, port {}) exited while {}; replacing it",
              rep->id, mode_name, rep->port, RStateName(rep->state));
  ++replaced;
  if (replaced_counter) replaced_counter->Inc();
  // A replica that dies before it is ready would die again at once: back off.
  if (rep->state == RState::kStarting) next_start_allowed = now + o.restart_backoff;
  return RetireLocked(rep, RState::kDead);
}

// Takes rep out of `live`; its queue moves to other replicas with room, the rest is returned
// (to fail outside mu). The replica's threads and process are released by Reap.
std::vector<Pending> ContainerTier::Impl::RetireLocked(std::shared_ptr<Replica> rep, RState to) {
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
    if (rep->handle) rep->handle->Kill();  // before joining workers: their HTTP calls then end
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
    // 1. Replicas whose process exited: clean up, replace below (a worker may have found one
    //    first, after its request failed).
    for (auto rep : std::vector<std::shared_ptr<Replica>>(live)) {
      if (rep->handle && rep->handle->Exited()) {
        for (auto& p : RetireExitedLocked(rep, now)) crashed.push_back(std::move(p));
      }
    }
    for (; replacements_owed > 0 && static_cast<int64_t>(live.size()) < o.max_replicas;
         --replacements_owed) {
      StartReplicaLocked();
    }
    replacements_owed = 0;  // what did not fit under max is not owed later
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
  // Every starter was joined by Reap, so nothing calls the launcher any more.
  m.own_launcher.reset();  // removes an unpacked image
}

std::string_view ContainerTier::mode() const { return impl_->mode_name; }

std::vector<ReplicaInfo> ContainerTier::Replicas() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<ReplicaInfo> out;
  for (const auto& r : impl_->live) {
    out.push_back({r->id, r->handle ? r->handle->pid() : 0, r->port,
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
