#include "serve/placement/adaptive_placer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "serve/placement/placement_policies.h"

namespace sl::serve {
namespace {

// Priors before anything is measured (ms): in-process inference of a small CNN, one loopback
// HTTP hop more for a container, the runtime-API path for a warm function.
constexpr double kPriorServiceMs[3] = {2.0, 4.0, 8.0};
constexpr double kPriorStartMs[3] = {0.0, 1000.0, 700.0};
// Per-byte crossing cost (ms/byte): none in-process; ~1 GB/s loopback HTTP; a function's body
// crosses twice more (front → runtime API → instance), ~0.3 GB/s.
constexpr double kTransferMsPerByte[3] = {0.0, 1e-6, 3e-6};

size_t Index(TierKind k) { return static_cast<size_t>(k); }

}  // namespace

AdaptivePlacer::AdaptivePlacer(Options options, Clock* clock)
    : options_(options), clock_(clock != nullptr ? clock : Clock::Real()), rate_(options.window) {}

double AdaptivePlacer::CorrectionLocked(size_t tier, size_t size_class) const {
  const Correction& c = correction_[tier][size_class];
  if (!c.seen) return 1;
  const double age_s = std::chrono::duration<double>(clock_->Now() - c.updated).count();
  const double half_life_s =
      std::chrono::duration<double>(options_.correction_half_life).count();
  const double keep = half_life_s > 0 ? std::exp2(-std::max(0.0, age_s) / half_life_s) : 1.0;
  return 1 + (c.factor - 1) * keep;
}

double AdaptivePlacer::CorrectionFor(TierKind tier, int64_t samples) const {
  std::lock_guard<std::mutex> lock(mu_);
  return CorrectionLocked(Index(tier), SizeClass(samples));
}

AdaptivePlacer::Prediction AdaptivePlacer::Predict(const TierState& s, int64_t wire_bytes,
                                                   int64_t samples) const {
  Learned l;
  double correction = 1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    l = learned_[Index(s.kind)];
    correction = CorrectionLocked(Index(s.kind), SizeClass(samples));
  }
  Prediction p;
  p.tier = s.kind;
  const size_t i = Index(s.kind);
  p.service_ms = s.service_ms_ewma > 0 ? s.service_ms_ewma
                 : l.service_ms > 0    ? l.service_ms
                                       : kPriorServiceMs[i];
  const double parallel = static_cast<double>(std::max<int64_t>(1, s.replicas));
  const double ahead = static_cast<double>(s.inflight + s.queued + 1) - parallel;
  p.wait_ms = std::max(0.0, ahead) * p.service_ms / parallel;
  const double start = s.start_ms_ewma > 0 ? s.start_ms_ewma
                       : l.start_ms > 0    ? l.start_ms
                                           : kPriorStartMs[i];
  const bool can_scale = s.replicas < s.max_replicas;
  bool needs_start = false;
  if (s.kind == TierKind::kFunction) needs_start = s.inflight >= s.replicas && can_scale;
  if (s.kind == TierKind::kContainer) needs_start = s.replicas == 0;
  if (needs_start) {
    p.start_ms = start;
    p.wait_ms = 0;  // a new instance takes it instead of queueing behind the busy ones
  }
  p.transfer_ms = static_cast<double>(wire_bytes) * kTransferMsPerByte[i];
  p.failure_ms = l.failure_rate * options_.refusal_penalty_ms;
  p.correction = correction;
  p.shares_gateway_cpu = s.shares_gateway_cpu;
  p.cost_usd = s.cost_per_request_usd > 0 ? s.cost_per_request_usd : l.cost_usd;
  p.eligible = s.HasCapacity() &&
               (options_.cost_budget_usd <= 0 || p.cost_usd <= options_.cost_budget_usd);
  return p;
}

Decision AdaptivePlacer::Place(const PlacementInput& input) {
  std::vector<Prediction> preds;
  preds.reserve(input.tiers.size());
  for (const TierState& s : input.tiers) {
    if (!s.available) continue;
    preds.push_back(Predict(s, input.wire_bytes, input.batch));
  }
  // Starting capacity is the last resort: while some tier can take the request warm, a request
  // never waits for a cold start or a container start. And while the cores are busy, the local
  // tier keeps what it has room for (see "Shared cores"). Both are explained in the header.
  const bool has_slo = options_.latency_slo_ms > 0;
  const bool cores_busy = options_.colocated_below_cpu <= 0 || input.host_cpu_busy < 0 ||
                          input.host_cpu_busy >= options_.colocated_below_cpu;
  bool warm_exists = false, warm_meets_slo = false;
  const Prediction* local = nullptr;  // the local tier, when it takes the request warm
  for (const Prediction& p : preds) {
    if (!p.eligible || p.start_ms > 0) continue;
    warm_exists = true;
    warm_meets_slo = warm_meets_slo || (has_slo && p.total_ms() <= options_.latency_slo_ms);
    if (cores_busy && p.tier == TierKind::kLocal) local = &p;
  }
  const bool local_misses_slo = has_slo && local != nullptr &&
                                local->total_ms() > options_.latency_slo_ms;
  auto candidate = [&](const Prediction& p) {
    if (!p.eligible) return false;
    if (local != nullptr && &p != local && p.shares_gateway_cpu &&
        !(local_misses_slo && p.total_ms() <= options_.latency_slo_ms)) {
      return false;
    }
    if (p.start_ms <= 0 || !warm_exists) return true;
    // A start beside warm capacity only when no warm tier meets the SLO and the start does.
    return has_slo && !warm_meets_slo && p.total_ms() <= options_.latency_slo_ms;
  };
  const Prediction* fastest = nullptr;
  const Prediction* cheapest_in_slo = nullptr;
  for (const Prediction& p : preds) {
    if (!candidate(p)) continue;
    if (fastest == nullptr || p.total_ms() < fastest->total_ms()) fastest = &p;
    if (options_.latency_slo_ms > 0 && p.total_ms() <= options_.latency_slo_ms) {
      if (cheapest_in_slo == nullptr || p.cost_usd < cheapest_in_slo->cost_usd ||
          (p.cost_usd == cheapest_in_slo->cost_usd && p.total_ms() < cheapest_in_slo->total_ms())) {
        cheapest_in_slo = &p;
      }
    }
  }
  std::string table;
  for (const Prediction& p : preds) {
    if (!table.empty()) table += " ";
    table += fmt::format("{}={}", TierLabel(p.tier),
                         p.eligible ? fmt::format("{:.1f}ms", p.total_ms()) : std::string("full"));
    if (p.eligible && p.start_ms > 0) table += "(start)";
  }
  Decision d;
  const Prediction* chosen = cheapest_in_slo != nullptr ? cheapest_in_slo : fastest;
  if (chosen == nullptr) {
    d.status = ResourceExhausted("placement 'adaptive': no deployed tier has capacity{} ({})",
                                 options_.cost_budget_usd > 0 ? " within the cost budget" : "",
                                 table.empty() ? "no tier" : table);
    d.tier = TierKind::kLocal;
    d.reason = "all full; " + table;
    d.rule = "all_full";
    return d;
  }
  d.tier = chosen->tier;
  d.predicted_ms = chosen->total_ms();
  if (cheapest_in_slo != nullptr) {
    d.reason = fmt::format("cheapest within SLO={:.0f}ms; {}", options_.latency_slo_ms, table);
    d.rule = "slo_cheapest";
  } else if (options_.latency_slo_ms > 0) {
    d.reason = fmt::format("none within SLO={:.0f}ms, fastest; {}", options_.latency_slo_ms, table);
    d.rule = "slo_fastest";
  } else if (chosen->start_ms > 0) {
    d.reason = "no warm capacity, start; " + table;
    d.rule = "start";
  } else if (chosen == local && std::any_of(preds.begin(), preds.end(), [&](const Prediction& p) {
               return p.eligible && p.shares_gateway_cpu && p.total_ms() < local->total_ms();
             })) {
    d.reason = fmt::format("local has room, the other tiers share its cores (cpu {}); {}",
                           input.host_cpu_busy < 0 ? std::string("unknown")
                                                   : fmt::format("{:.0f}%", 100 * input.host_cpu_busy),
                           table);
    d.rule = "fastest";
  } else {
    d.reason = "fastest predicted; " + table;
    d.rule = "fastest";
  }
  return d;
}

void AdaptivePlacer::Completed(const Completion& c, const InferenceResponse& response) {
  const double a = options_.ewma_alpha;
  std::lock_guard<std::mutex> lock(mu_);
  Learned& l = learned_[Index(c.tier)];
  const bool refused = response.status.code() == Code::kResourceExhausted ||
                       response.status.code() == Code::kUnavailable ||
                       response.status.code() == Code::kDeadlineExceeded;
  l.failure_rate = (1 - a) * l.failure_rate + a * (refused ? 1.0 : 0.0);
  // What the request really took against what was predicted; a timeout counts with its time.
  const bool timed = response.status.ok() || response.status.code() == Code::kDeadlineExceeded;
  if (timed && c.predicted_ms > 0 && c.observed_ms > 0) {
    Correction& k = correction_[Index(c.tier)][SizeClass(c.samples)];
    const double ratio = std::clamp(c.observed_ms / c.predicted_ms, 0.05, 200.0);
    // Start from the faded value, so old news does not weigh as much as it once did.
    const double current = CorrectionLocked(Index(c.tier), SizeClass(c.samples));
    k.factor = k.seen ? (1 - a) * current + a * ratio : ratio;
    k.seen = true;
    k.updated = clock_->Now();
  }
  if (!response.status.ok()) return;
  if (response.cold_start) {
    UpdateEwma(&l.start_ms, response.service_ms, a);
  } else if (response.service_ms > 0) {
    UpdateEwma(&l.service_ms, response.service_ms, a);
  }
  if (response.cost_usd > 0) UpdateEwma(&l.cost_usd, response.cost_usd, a);
}

}  // namespace sl::serve
