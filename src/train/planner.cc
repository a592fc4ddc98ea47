#include "train/planner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "faas/economics/pricing.h"
#include "ml/model.h"
#include "ml/trainer.h"

namespace sl::train {
namespace {

std::vector<int64_t> MemorySizes(const faas::ProviderProfile& p) {
  if (!p.allowed_memory_mb.empty()) return p.allowed_memory_mb;
  std::vector<int64_t> out;
  const int64_t step = std::max<int64_t>(p.memory_step_mb, 64);
  for (int64_t m = p.min_memory_mb; m <= p.max_memory_mb; m += step) out.push_back(m);
  if (out.empty() || out.back() != p.max_memory_mb) out.push_back(p.max_memory_mb);
  return out;
}

Result<double> MeasureSecondsPerSample(const JobSpec& spec, int64_t* train_samples) {
  SL_ASSIGN_OR_RETURN(ml::data::DatasetSplits splits, ml::data::LoadDataset(spec.data));
  *train_samples = splits.train.size();
  std::string name = spec.model_name;
  if (name.empty()) name = splits.train.kind == ml::SampleKind::kTokens ? "textclf" : "cnn";
  SL_ASSIGN_OR_RETURN(ml::ModelSpec ms, ml::MakeModelSpec(name, spec.hparams, ml::InputSpec::Of(splits.train),
                                                          splits.train.num_classes()));
  SL_ASSIGN_OR_RETURN(ml::Model model, ml::Model::Create(ms, spec.local.seed));
  ml::TrainConfig cfg = spec.local;
  cfg.threads = 1;
  cfg.epochs = 1;
  cfg.max_steps = 3;  // warm-up
  SL_RETURN_IF_ERROR(ml::Train(model, splits.train, cfg).status());
  cfg.max_steps = 12;
  SL_ASSIGN_OR_RETURN(ml::TrainStats st, ml::Train(model, splits.train, cfg));
  if (st.samples <= 0 || st.seconds <= 0) return Internal("planner: the calibration run trained nothing");
  return st.seconds / static_cast<double>(st.samples);
}

}  // namespace

Result<Plan> PlanMemory(const PlanInput& input) {
  SL_ASSIGN_OR_RETURN(faas::ProviderProfile profile, faas::LoadProviderProfile(input.spec.provider));
  return PlanMemoryWithProfile(input, profile);
}

Result<Plan> PlanMemoryWithProfile(const PlanInput& input, const faas::ProviderProfile& profile) {
  const JobSpec& spec = input.spec;
  SL_RETURN_IF_ERROR(spec.Validate());
  Plan plan;
  int64_t n = input.train_samples;
  if (input.seconds_per_sample > 0) {
    plan.seconds_per_sample = input.seconds_per_sample;
  } else {
    SL_ASSIGN_OR_RETURN(plan.seconds_per_sample, MeasureSecondsPerSample(spec, &n));
    plan.reasoning.push_back(fmt::format("measured {:.1f} µs per training sample of {} at 1 vCPU (12 steps here)",
                                         plan.seconds_per_sample * 1e6, spec.model_name.empty() ? "the model" : spec.model_name));
  }
  if (n <= 0) return InvalidArgument("planner: train_samples must be > 0");
  const double threads = std::max(1, spec.local.threads);
  const double timeout = profile.max_timeout_s > 0 ? std::min(spec.timeout_s, profile.max_timeout_s) : spec.timeout_s;
  const std::vector<int64_t> sizes = MemorySizes(profile);
  const int64_t rounds_base = spec.rounds_per_epoch;
  const int64_t limit = input.concurrency_limit > 0 ? input.concurrency_limit : profile.default_concurrency;
  const int64_t waves = limit > 0 ? (spec.workers + limit - 1) / limit : 1;
  if (waves > 1) {
    plan.reasoning.push_back(fmt::format("{} invocations per round exceed the concurrency limit of {}: {} waves per round",
                                         spec.workers, limit, waves));
  }

  auto evaluate = [&](int64_t rpe) {
    std::vector<PlanCandidate> out;
    const double per_inv = std::ceil(static_cast<double>(n) / static_cast<double>(spec.workers * rpe));
    for (int64_t m : sizes) {
      PlanCandidate c;
      c.memory_mb = m;
      c.vcpu = faas::VcpuForMemory(profile, m);
      c.duration_s = input.overhead_s + per_inv * plan.seconds_per_sample / std::min(std::max(c.vcpu, 0.05), threads);
      c.job_seconds = static_cast<double>(spec.epochs * rpe * waves) * c.duration_s;
      auto billed = faas::PriceInvocation(profile, c.duration_s * 1000, m);
      if (!billed.ok()) continue;
      c.cost_usd = billed->cost_usd * static_cast<double>(spec.workers * spec.epochs * rpe);
      out.push_back(c);
    }
    return out;
  };

  // Enough rounds per epoch that even the fastest size stays within half the timeout.
  int64_t rpe = rounds_base;
  std::vector<PlanCandidate> cands;
  for (;; ++rpe) {
    cands = evaluate(rpe);
    if (cands.empty()) return InvalidArgument("planner: {} offers no memory size to price", profile.name);
    double fastest = cands.front().duration_s;
    for (const auto& c : cands) fastest = std::min(fastest, c.duration_s);
    if (fastest <= kTimeoutSafety * timeout || spec.workers * rpe >= n || rpe > 10000) break;
  }
  if (rpe != rounds_base) {
    plan.reasoning.push_back(fmt::format("rounds per epoch raised from {} to {} so an invocation stays within {:.0f} % "
                                         "of the {:.0f} s timeout",
                                         rounds_base, rpe, 100 * kTimeoutSafety, timeout));
  }
  // Sizes whose invocations fit the timeout's safety margin, cheapest first (ties: faster).
  std::vector<PlanCandidate> fits;
  for (const auto& c : cands) {
    if (c.duration_s <= kTimeoutSafety * timeout) fits.push_back(c);
  }
  if (fits.empty()) {
    return FailedPrecondition("planner: {} cannot fit {} samples per invocation within {:.0f} % of the {:.0f} s timeout "
                              "even at {} rounds per epoch",
                              profile.name, static_cast<int64_t>(std::ceil(static_cast<double>(n) / static_cast<double>(spec.workers * rpe))),
                              100 * kTimeoutSafety, timeout, rpe);
  }
  std::sort(fits.begin(), fits.end(), [](const PlanCandidate& a, const PlanCandidate& b) {
    if (std::abs(a.cost_usd - b.cost_usd) > 1e-12 * std::max(a.cost_usd, b.cost_usd)) return a.cost_usd < b.cost_usd;
    return a.duration_s < b.duration_s;
  });
  const PlanCandidate* pick = nullptr;
  for (const auto& c : fits) {
    if (input.deadline_s <= 0 || c.job_seconds <= input.deadline_s) {
      pick = &c;
      break;
    }
  }
  if (pick == nullptr) {
    pick = &*std::min_element(fits.begin(), fits.end(),
                              [](const auto& a, const auto& b) { return a.job_seconds < b.job_seconds; });
    plan.reasoning.push_back(fmt::format("no memory size meets the {:.0f} s deadline; taking the fastest", input.deadline_s));
  }
  plan.memory_mb = pick->memory_mb;
  plan.rounds_per_epoch = rpe;
  plan.samples_per_invocation = static_cast<int64_t>(std::ceil(static_cast<double>(n) / static_cast<double>(spec.workers * rpe)));
  plan.steps_per_invocation =
      (plan.samples_per_invocation + std::max<int64_t>(spec.local.batch_size, 1) - 1) / std::max<int64_t>(spec.local.batch_size, 1);
  plan.invocations_per_round = spec.workers;
  plan.waves_per_round = waves;
  plan.candidates = cands;
  const auto& cheapest = fits.front();
  plan.reasoning.push_back(fmt::format(
      "{}: {} sizes priced; {} invocations per round, {} samples = {} local steps each; cheapest {} MB ({:.2f} vCPU, {:.2f} s/invocation, ${:.6f} "
      "for the job)",
      profile.name, cands.size(), plan.invocations_per_round, plan.samples_per_invocation, plan.steps_per_invocation,
      cheapest.memory_mb, cheapest.vcpu, cheapest.duration_s,
      cheapest.cost_usd));
  plan.reasoning.push_back(fmt::format(
      "chose {} MB = {:.2f} vCPU: predicted {:.2f} s per invocation, {:.1f} s for {} rounds, ${:.6f}{}", pick->memory_mb,
      pick->vcpu, pick->duration_s, pick->job_seconds, spec.epochs * rpe, pick->cost_usd,
      input.deadline_s > 0 ? fmt::format(" (deadline {:.0f} s)", input.deadline_s) : " (no deadline: cheapest, then fastest)"));
  return plan;
}

Result<Calibration> CalibrateFromRound(const RoundRecord& round, const faas::ProviderProfile& profile, int threads) {
  double compute_ms = 0, duration_ms = 0, cpu_weighted = 0;
  int64_t samples = 0, accepted = 0;
  for (const auto& a : round.attempts) {
    if (a.outcome != "ok" || a.samples <= 0) continue;
    const double cpu = std::min(std::max(faas::VcpuForMemory(profile, a.memory_mb), 0.05), static_cast<double>(std::max(threads, 1)));
    compute_ms += a.compute_ms;
    cpu_weighted += a.compute_ms * cpu;
    duration_ms += a.duration_ms - a.compute_ms;
    samples += a.samples;
    ++accepted;
  }
  if (accepted == 0 || compute_ms <= 0) {
    return FailedPrecondition("planner: round {} has no accepted attempt with measured samples to calibrate from",
                              round.round);
  }
  Calibration c;
  c.seconds_per_sample = cpu_weighted / 1000 / static_cast<double>(samples);
  c.overhead_s = std::max(0.0, duration_ms / 1000 / static_cast<double>(accepted));
  return c;
}

}  // namespace sl::train
