#include "serve/sim/placement_sim.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <random>

#include "serve/load/load_report.h"
#include "serve/placement/request_rate.h"

namespace sl::serve::sim {
namespace {

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case Code::kOk: return 200;
    case Code::kResourceExhausted: return 429;
    case Code::kUnavailable: return 503;
    case Code::kDeadlineExceeded: return 504;
    case Code::kInvalidArgument: return 400;
    case Code::kNotFound: return 404;
    default: return 500;
  }
}

double Ms(Nanos d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Session {
  int32_t phase = 0;
  TimePoint arrival{};
  int64_t left = 0;  // requests still to send
  int last_status = 0;
};

struct Call {
  int64_t session = 0;
  int32_t phase = 0;
  std::string rule;         // X-Straightline-Rule: the last placement's, or timeout / admission
  double f_t = -1;          // X-Straightline-Frequency's f_t (-1: refused before placement)
  int64_t samples = 1;
  int64_t wire_bytes = 0;
  TimePoint sent{};
  TimePoint deadline{};     // the gateway's (arrival + request timeout)
  bool answered = false;
  bool holds_admission = false;
  bool tier_holds = false;  // a tier has it and will call back
  uint32_t gen = 0;         // bumped when the slot is reused (timeouts_ entries check it)
};

class Simulation {
 public:
  explicit Simulation(const PlacementSimOptions& o)
      : o_(o), rng_(o.spec.seed * 7919 + 1), rate_(o.placer.window) {}

  Status Init();
  void Run();
  PlacementSimResult TakeResult() { return std::move(r_); }

 private:
  // Client.
  void ScheduleArrival();
  void OnArrival(int32_t phase);
  void StartSession(int64_t s);
  void SendNext(int64_t s);
  void EndSession(int64_t s, bool ok);
  // Gateway.
  void Place(int64_t c, int excluded);
  void Finish(int64_t c, std::string_view tier, const Status& status);
  void Release(int64_t c);
  bool TimeoutLive(const std::pair<int64_t, uint32_t>& e) const;
  void ArmTimeouts();
  void OnTimeouts();
  void SampleSecond();
  SimTier* TierOf(TierKind k) const {
    for (SimTier* t : order_) {
      if (t->kind() == k) return t;
    }
    return nullptr;
  }

  const PlacementSimOptions& o_;
  EventLoop loop_;
  std::mt19937_64 rng_;
  std::unique_ptr<Placer> placer_;
  RequestRate rate_;  // the gateway's own f_t (X-Straightline-Frequency), over the placer's window
  std::shared_ptr<load::LoadRecorder> recorder_;
  bool fixed_policy_ = false;
  std::unique_ptr<CpuPool> shared_pool_, local_pool_;
  std::unique_ptr<SimLocalTier> local_;
  std::unique_ptr<SimContainerTier> container_;
  std::unique_ptr<SimFunctionTier> function_;
  std::vector<SimTier*> order_;
  std::vector<std::mt19937_64> work_rng_;
  ServiceFit fit_[3];   // per TierKind: the service model and its scale (function: vCPU share)
  double scale_[3] = {1, 1, 1};
  double wait_ms_ = 0;  // per request, not CPU (see Init)
  std::vector<int64_t> payload_bytes_;
  std::vector<int64_t> payload_samples_;
  std::discrete_distribution<int> pick_;
  // Client state.
  size_t phase_ = 0;
  int64_t k_ = 0;                 // arrivals released in this phase
  double phase_offset_ = 0;
  int64_t released_requests_ = 0;
  bool arrivals_done_ = false;
  int64_t free_connections_ = 0, backlog_limit_ = 0;
  std::deque<int64_t> backlog_;
  std::vector<Session> sessions_;
  std::vector<Call> calls_;
  int64_t live_sessions_ = 0;
  TimePoint last_end_{};          // when the last session ended (the run's wall time)
  // Gateway state.
  int64_t inflight_samples_ = 0;
  std::vector<int64_t> free_calls_;  // slots of calls_ done with (answered, no tier holds them)
  std::deque<std::pair<int64_t, uint32_t>> timeouts_;  // (call, gen) by send time = by deadline
  bool timeout_armed_ = false;
  Nanos timeout_{};
  bool client_timeout_first_ = false;
  PlacementSimResult r_;
};

Status Simulation::Init() {
  const Topology& t = o_.topology;
  SL_RETURN_IF_ERROR(load::ValidateSpec(o_.spec));
  if (!t.local && !t.container && !t.function) return InvalidArgument("simulate: no tier deployed");
  if (t.shared_cores < 0 || !std::isfinite(t.shared_cores)) {
    return InvalidArgument("simulate: shared cores {} must be >= 0", t.shared_cores);
  }
  if (!(t.local_cores > 0)) return InvalidArgument("simulate: local cores {} must be > 0", t.local_cores);
  if (t.request_timeout_ms <= 0) return InvalidArgument("simulate: request timeout must be > 0 ms");
  PlacerOptions po = o_.placer;
  po.clock = loop_.clock();
  SL_ASSIGN_OR_RETURN(placer_, MakePlacer(po));
  fixed_policy_ = po.policy == "local" || po.policy == "container" || po.policy == "function";
  r_.policy = po.policy;

  for (size_t i = 0; i < o_.spec.payloads.size(); ++i) {
    SL_ASSIGN_OR_RETURN(load::Payload p, load::BuildPayload(o_.spec.payloads[i], o_.input, o_.spec.seed + i));
    payload_bytes_.push_back(static_cast<int64_t>(p.body.size()));
    const std::string& kind = o_.spec.payloads[i].kind;
    payload_samples_.push_back(kind == "batch" || kind == "binary" ? o_.spec.payloads[i].batch : 1);
  }
  r_.load.payload_bytes = payload_bytes_;
  recorder_ = std::make_shared<load::LoadRecorder>(o_.spec.phases.size(), TimePoint{});
  std::vector<double> weights;
  for (const auto& p : o_.spec.payloads) weights.push_back(p.weight);
  pick_ = std::discrete_distribution<int>(weights.begin(), weights.end());

  const Calibration& cal = o_.calibration;
  const bool shared = t.shared_cores > 0;
  if (shared) shared_pool_ = std::make_unique<CpuPool>(&loop_, t.shared_cores);
  work_rng_.resize(3);
  for (size_t i = 0; i < 3; ++i) work_rng_[i].seed(o_.spec.seed * 1000003 + i);
  // The wait in every request's measured time that is not CPU work (calibration.h): a fixed
  // part per request, (1 - κ) of one single-sample request's time, whatever its size and tier.
  wait_ms_ = (1 - t.cpu_fraction) * cal.local.MeanMs(1);
  auto work_of = [this](const ServiceFit& fit, size_t i, double scale) -> WorkFn {
    fit_[i] = fit;
    scale_[i] = scale;
    return [this, i](int64_t samples) {
      const double mean = scale_[i] * fit_[i].MeanMs(samples);
      const double cpu_share = mean > 0 ? std::max(0.05, 1 - wait_ms_ / mean) : 1;
      return cpu_share * scale_[i] * fit_[i].Draw(samples, work_rng_[i]);
    };
  };
  if (t.local) {
    SimLocalOptions lo = t.local_options;
    lo.threads = t.local_threads > 0 ? t.local_threads
                                     : std::max<int64_t>(1, static_cast<int64_t>(std::lround(
                                                                shared ? t.shared_cores : t.local_cores)));
    if (!shared) local_pool_ = std::make_unique<CpuPool>(&loop_, t.local_cores);
    local_ = std::make_unique<SimLocalTier>(&loop_, shared ? shared_pool_.get() : local_pool_.get(), lo,
                                            work_of(cal.local, 0, 1), shared);
    order_.push_back(local_.get());
  }
  if (t.container) {
    SimContainerOptions co = t.container_options;
    const ServiceFit& fit = cal.container.measured ? cal.container : cal.local;
    container_ = std::make_unique<SimContainerTier>(&loop_, shared ? shared_pool_.get() : nullptr, co,
                                                    work_of(fit, 1, 1));
    order_.push_back(container_.get());
  }
  if (t.function) {
    SimFunctionOptions fo = t.function_options;
    fo.seed = o_.spec.seed;
    double scale = 1;
    const ServiceFit* fit = &cal.function;
    if (!cal.function.measured) {
      fit = &cal.local;
      const double vcpu = faas::VcpuForMemory(o_.profile, fo.memory_mb);
      if (vcpu > 0 && vcpu < 1) scale = 1 / vcpu;
    }
    SL_ASSIGN_OR_RETURN(function_, SimFunctionTier::Make(&loop_, shared ? shared_pool_.get() : nullptr, fo,
                                                         o_.profile, work_of(*fit, 2, scale)));
    order_.push_back(function_.get());
  }
  free_connections_ = o_.spec.concurrency;
  backlog_limit_ = o_.spec.backlog > 0 ? o_.spec.backlog : 16 * o_.spec.concurrency;
  const int64_t gateway_ms = t.request_timeout_ms;
  const int64_t client_ms = o_.spec.timeout_ms > 0 ? o_.spec.timeout_ms : gateway_ms;
  client_timeout_first_ = client_ms < gateway_ms;
  timeout_ = std::chrono::milliseconds(std::min(gateway_ms, client_ms));
  return Status::Ok();
}

void Simulation::ScheduleArrival() {
  while (phase_ < o_.spec.phases.size()) {
    const load::Phase& ph = o_.spec.phases[phase_];
    const double at = ph.ArrivalTime(k_ + 1);
    if (at < 0) {
      phase_offset_ += ph.duration_s;
      ++phase_;
      k_ = 0;
      continue;
    }
    if (o_.spec.max_total > 0 && released_requests_ + o_.spec.session_requests > o_.spec.max_total) {
      break;
    }
    ++k_;
    const int32_t phase = static_cast<int32_t>(phase_);
    loop_.Schedule(EventLoop::At(phase_offset_ + at), [this, phase] { OnArrival(phase); });
    return;
  }
  arrivals_done_ = true;
}

void Simulation::OnArrival(int32_t phase) {
  released_requests_ += o_.spec.session_requests;
  ScheduleArrival();
  const int64_t s = static_cast<int64_t>(sessions_.size());
  sessions_.push_back(Session{phase, loop_.Now(), o_.spec.session_requests});
  ++live_sessions_;
  if (free_connections_ > 0) {
    --free_connections_;
    StartSession(s);
  } else if (static_cast<int64_t>(backlog_.size()) >= backlog_limit_) {
    // The load runner's "client backlog full": a failed session and a request without response.
    recorder_->Dropped(loop_.Now(), phase);
    if (o_.on_request) {
      RequestTrace t{loop_.Now(), loop_.Now(), {}};
      t.outcome.phase = phase;
      t.outcome.tier = "client-backlog";
      o_.on_request(t);
    }
    ++r_.load.dropped_sessions;
    last_end_ = std::max(last_end_, loop_.Now());
    --live_sessions_;
  } else {
    backlog_.push_back(s);
  }
  if (arrivals_done_ && live_sessions_ == 0) {
    for (SimTier* t : order_) t->Stop();
  }
}

void Simulation::StartSession(int64_t s) { SendNext(s); }

void Simulation::SendNext(int64_t s) {
  Session& ses = sessions_[static_cast<size_t>(s)];
  --ses.left;
  const int payload = pick_(rng_);
  int64_t c;
  if (!free_calls_.empty()) {
    c = free_calls_.back();
    free_calls_.pop_back();
  } else {
    c = static_cast<int64_t>(calls_.size());
    calls_.emplace_back();
  }
  Call call;
  call.gen = calls_[static_cast<size_t>(c)].gen + 1;
  call.session = s;
  call.phase = ses.phase;
  call.samples = payload_samples_[static_cast<size_t>(payload)];
  call.wire_bytes = payload_bytes_[static_cast<size_t>(payload)];
  call.sent = loop_.Now();
  call.deadline = call.sent + std::chrono::milliseconds(o_.topology.request_timeout_ms);
  calls_[static_cast<size_t>(c)] = std::move(call);
  timeouts_.push_back({c, calls_[static_cast<size_t>(c)].gen});
  ArmTimeouts();
  // Admission (gateway.h): samples held by requests in flight.
  const int64_t limit = o_.topology.max_inflight_samples;
  if (limit > 0 && inflight_samples_ + call.samples > limit) {
    calls_[static_cast<size_t>(c)].rule = "admission";
    Finish(c, "none", ResourceExhausted("gateway busy: samples in flight at the limit"));
    return Release(c);
  }
  inflight_samples_ += call.samples;
  calls_[static_cast<size_t>(c)].holds_admission = true;
  rate_.Record(loop_.Now());
  calls_[static_cast<size_t>(c)].f_t = rate_.PerSecond(loop_.Now());
  placer_->Observe();
  if (o_.on_placer_call) {
    PlacerCall pc;
    pc.kind = PlacerCall::kObserve;
    pc.at = loop_.Now();
    o_.on_placer_call(pc);
  }
  Place(c, -1);
}

void Simulation::Place(int64_t c, int excluded) {
  std::vector<TierState> states;
  states.reserve(order_.size());
  for (SimTier* t : order_) {
    states.push_back(t->State());
    if (static_cast<int>(states.back().kind) == excluded) states.back().capacity = 0;
  }
  const Call& call = calls_[static_cast<size_t>(c)];
  PlacementInput in;
  in.model = o_.spec.model;
  in.wire_bytes = call.wire_bytes;
  in.batch = call.samples;
  in.tiers = states;
  Decision d = placer_->Place(in);
  if (o_.on_placer_call) {
    PlacerCall pc;
    pc.kind = PlacerCall::kPlace;
    pc.at = loop_.Now();
    pc.tiers = states;
    pc.wire_bytes = call.wire_bytes;
    pc.batch = call.samples;
    pc.decision = d;
    o_.on_placer_call(pc);
  }
  r_.placements[d.status.ok() ? std::string(TierLabel(d.tier)) : "none"][d.rule.empty() ? "other" : d.rule]++;
  calls_[static_cast<size_t>(c)].rule = d.rule;
  SimTier* tier = d.status.ok() ? TierOf(d.tier) : nullptr;
  if (tier == nullptr) {
    Finish(c, "none", d.status.ok() ? Unavailable("tier {} is not deployed", TierLabel(d.tier)) : d.status);
    return Release(c);
  }
  const bool retry = !fixed_policy_ && excluded < 0 && order_.size() > 1;
  Completion done;
  done.tier = d.tier;
  done.samples = std::max<int64_t>(1, call.samples);
  done.predicted_ms = d.predicted_ms;
  const TimePoint placed = loop_.Now();
  SimRequest req;
  req.samples = call.samples;
  req.wire_bytes = call.wire_bytes;
  req.arrival = call.sent;
  req.deadline = call.deadline;
  calls_[static_cast<size_t>(c)].tier_holds = true;
  tier->Submit(req, [this, c, done, placed, retry](InferenceResponse r) mutable {
    calls_[static_cast<size_t>(c)].tier_holds = false;
    done.observed_ms = Ms(loop_.Now() - placed);
    placer_->Completed(done, r);
    if (o_.on_placer_call) {
      PlacerCall pc;
      pc.kind = PlacerCall::kCompleted;
      pc.at = loop_.Now();
      pc.completion = done;
      pc.response = r;
      o_.on_placer_call(pc);
    }
    Call& call = calls_[static_cast<size_t>(c)];
    if (r.status.code() == Code::kResourceExhausted && retry && !call.answered) {
      return Place(c, static_cast<int>(done.tier));
    }
    if (call.holds_admission) {  // the tier is done with it (gateway.h, admission)
      call.holds_admission = false;
      inflight_samples_ -= call.samples;
    }
    // The part of the measured time that is not CPU (calibration.h, κ): on the way back.
    const size_t k = static_cast<size_t>(done.tier);
    const double delay_ms =
        call.answered ? 0 : std::min(wait_ms_, 0.95 * scale_[k] * fit_[k].MeanMs(call.samples));
    if (delay_ms <= 0) {
      Finish(c, TierLabel(done.tier), r.status);
      return Release(c);
    }
    call.tier_holds = true;  // until the answer arrives: the slot must not be reused
    const Status status = r.status;
    loop_.AfterMs(delay_ms, [this, c, tier = done.tier, status] {
      calls_[static_cast<size_t>(c)].tier_holds = false;
      Finish(c, TierLabel(tier), status);
      Release(c);
    });
  });
}

void Simulation::Release(int64_t c) {
  const Call& call = calls_[static_cast<size_t>(c)];
  if (call.answered && !call.tier_holds) free_calls_.push_back(c);
}

void Simulation::Finish(int64_t c, std::string_view tier, const Status& status) {
  Call& call = calls_[static_cast<size_t>(c)];
  if (call.answered) return;
  call.answered = true;
  const bool timed_out = status.code() == Code::kDeadlineExceeded && tier == "timeout";
  // The tier still holds a request answered by the timer (gateway.h, admission).
  if (call.holds_admission && !timed_out) {
    call.holds_admission = false;
    inflight_samples_ -= call.samples;
  }
  Session& ses = sessions_[static_cast<size_t>(call.session)];
  load::RequestOutcome out;
  out.phase = call.phase;
  out.response_ms = Ms(loop_.Now() - call.sent);
  if (timed_out && client_timeout_first_) {
    out.status = 0;  // the client gave up first: no response, no headers
  } else {
    out.status = timed_out ? 504 : HttpStatusOf(status);
    out.tier = timed_out ? "none" : std::string(tier);
    out.rule = timed_out ? "timeout" : call.rule;
    out.f_t = call.f_t;
    if (call.f_t >= 0) out.threshold = o_.placer.frequency_threshold;
  }
  recorder_->Request(ses.arrival, out);
  if (o_.on_request) o_.on_request(RequestTrace{ses.arrival, call.sent, out});
  const bool good = out.status >= 200 && out.status < 300;
  ses.last_status = out.status;
  const int64_t s = call.session;
  // The client reacts to the answer; deferring it through the loop keeps re-entrant tier
  // callbacks (a refusal answered inside Submit) from nesting sessions.
  loop_.After(Nanos(0), [this, s, good] {
    if (good && sessions_[static_cast<size_t>(s)].left > 0) return SendNext(s);
    EndSession(s, good);
  });
}

void Simulation::EndSession(int64_t s, bool ok) {
  const Session& ses = sessions_[static_cast<size_t>(s)];
  last_end_ = std::max(last_end_, loop_.Now());
  recorder_->Session(ses.arrival, loop_.Now(), ses.phase, ok,
                     ok ? load::FailureCause::kServerError : load::CauseOfStatus(ses.last_status));
  --live_sessions_;
  if (!backlog_.empty()) {
    const int64_t next = backlog_.front();
    backlog_.pop_front();
    StartSession(next);
  } else {
    ++free_connections_;
  }
  if (arrivals_done_ && live_sessions_ == 0) {
    for (SimTier* t : order_) t->Stop();
  }
}

bool Simulation::TimeoutLive(const std::pair<int64_t, uint32_t>& e) const {
  const Call& call = calls_[static_cast<size_t>(e.first)];
  return call.gen == e.second && !call.answered;
}

void Simulation::ArmTimeouts() {
  while (!timeouts_.empty() && !TimeoutLive(timeouts_.front())) timeouts_.pop_front();
  if (timeout_armed_ || timeouts_.empty()) return;
  timeout_armed_ = true;
  loop_.Schedule(calls_[static_cast<size_t>(timeouts_.front().first)].sent + timeout_, [this] { OnTimeouts(); });
}

void Simulation::OnTimeouts() {
  timeout_armed_ = false;
  const TimePoint now = loop_.Now();
  while (!timeouts_.empty()) {
    if (!TimeoutLive(timeouts_.front())) {
      timeouts_.pop_front();
      continue;
    }
    const int64_t c = timeouts_.front().first;
    if (calls_[static_cast<size_t>(c)].sent + timeout_ > now) break;
    timeouts_.pop_front();
    Finish(c, "timeout", DeadlineExceeded("request timeout passed before the tier answered"));
    Release(c);
  }
  ArmTimeouts();
}

void Simulation::SampleSecond() {
  TierSecond s;
  for (SimTier* t : order_) {
    const TierState st = t->State();
    switch (t->kind()) {
      case TierKind::kLocal: s.local_queued = st.queued; s.local_inflight = st.inflight; break;
      case TierKind::kContainer: s.container_replicas = st.replicas; s.container_queued = st.queued; break;
      case TierKind::kFunction: s.function_instances = st.replicas; s.function_inflight = st.inflight; break;
    }
  }
  r_.tier_seconds.push_back(s);
  if (!(arrivals_done_ && live_sessions_ == 0)) loop_.After(std::chrono::seconds(1), [this] { SampleSecond(); });
}

void Simulation::Run() {
  const TimePoint wall0 = Clock::Real()->Now();
  ScheduleArrival();
  loop_.After(std::chrono::seconds(1), [this] { SampleSecond(); });
  if (arrivals_done_) {
    for (SimTier* t : order_) t->Stop();
  }
  loop_.Run();
  r_.events = loop_.events_run();
  // The load's wall time: until its last session ended (the loop then only drains what timed-out
  // requests still hold, and the armed timeout check).
  r_.simulated_s = std::chrono::duration<double>(last_end_.time_since_epoch()).count();
  r_.load.wall_s = r_.simulated_s;
  r_.load.recorded = recorder_;
  for (SimTier* t : order_) r_.tiers.push_back({std::string(TierLabel(t->kind())), t->stats()});
  r_.wall_ms = Ms(Clock::Real()->Now() - wall0);
}

}  // namespace

load::ModelInputInfo DefaultInput() {
  load::ModelInputInfo in;
  in.shape = {1, 28, 28};
  in.numel = 784;
  return in;
}

void ResolveDefaults(PlacementSimOptions* o) {
  Topology& t = o->topology;
  if (t.container_options.start_ms <= 0) {
    t.container_options.start_ms = o->calibration.container_start_ms > 0 ? o->calibration.container_start_ms : 1000;
  }
  if (t.function_options.concurrency_limit <= 0) {
    t.function_options.concurrency_limit = std::max<int64_t>(1, o->profile.default_concurrency);
  }
  if (t.function_options.init_ms < 0) t.function_options.init_ms = o->calibration.function_start_ms;
  if (t.cpu_fraction < 0) t.cpu_fraction = o->calibration.cpu_fraction;
  t.cpu_fraction = std::clamp(t.cpu_fraction, 0.0, 1.0);
}

Result<PlacementSimResult> RunPlacementSim(const PlacementSimOptions& given) {
  PlacementSimOptions options = given;
  ResolveDefaults(&options);
  Simulation sim(options);
  SL_RETURN_IF_ERROR(sim.Init());
  sim.Run();
  return sim.TakeResult();
}

}  // namespace sl::serve::sim
