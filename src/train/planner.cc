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

struct Measured {
  double seconds_per_sample = 0;
  int64_t train_samples = 0;
  MemoryFootprint footprint;
};

int64_t DatasetBytes(const ml::Dataset& d) {
  return static_cast<int64_t>(d.features.size() * sizeof(float) + d.tokens.size() * sizeof(int32_t) +
                              d.token_offsets.size() * sizeof(int64_t) + d.labels.size() * sizeof(int64_t));
}

Result<Measured> MeasureJob(const JobSpec& spec) {
  SL_ASSIGN_OR_RETURN(ml::data::DatasetSplits splits, ml::data::LoadDataset(spec.data));
  Measured out;
  out.train_samples = splits.train.size();
  std::string name = spec.model_name;
  if (name.empty()) name = splits.train.kind == ml::SampleKind::kTokens ? "textclf" : "cnn";
  SL_ASSIGN_OR_RETURN(ml::ModelSpec ms, ml::MakeModelSpec(name, spec.hparams, ml::InputSpec::Of(splits.train),
                                                          splits.train.num_classes()));
  SL_ASSIGN_OR_RETURN(ml::Model model, ml::Model::Create(ms, spec.local.seed));
  MemoryFootprint& f = out.footprint;
  f.dataset_bytes = DatasetBytes(splits.train) + DatasetBytes(splits.validation) + DatasetBytes(splits.test);
  if (spec.data.train_limit > 0) {
    // A preprocessing function decodes the whole train pool before cutting it to the limit
    // (ml::data::LoadDataset): bound it by the unlimited splits (with --limit 1500 the floor was
    // 182 MB and every preprocessing function ran out of memory at 192 MB; they peak at 263 MB).
    ml::data::DatasetOptions all = spec.data;
    all.train_limit = 0;
    SL_ASSIGN_OR_RETURN(ml::data::DatasetSplits full, ml::data::LoadDataset(all));
    f.dataset_bytes = DatasetBytes(full.train) + DatasetBytes(full.validation) + DatasetBytes(full.test);
  }
  f.train_bytes = DatasetBytes(splits.train);
  f.train_samples = splits.train.size();
  f.workers = spec.workers;
  f.rounds_per_epoch = spec.rounds_per_epoch;
  f.model_parameters = model.NumParameters();
  f.batch_size = spec.local.batch_size;
  f.sample_floats = splits.train.size() > 0 ? std::max<int64_t>(1, f.train_bytes / splits.train.size() / 4) : 1;
  ml::TrainConfig cfg = spec.local;
  cfg.threads = 1;
  cfg.epochs = 1;
  cfg.max_steps = 3;  // warm-up
  SL_RETURN_IF_ERROR(ml::Train(model, splits.train, cfg).status());
  cfg.max_steps = 12;
  SL_ASSIGN_OR_RETURN(ml::TrainStats st, ml::Train(model, splits.train, cfg));
  if (st.samples <= 0 || st.seconds <= 0) return Internal("planner: the calibration run trained nothing");
  out.seconds_per_sample = st.seconds / static_cast<double>(st.samples);
  return out;
}

double Mb(double bytes) { return bytes / (1 << 20); }

}  // namespace

StageMemory BoundStageMemory(const MemoryFootprint& f) {
  StageMemory m;
  const double workers = static_cast<double>(std::max<int64_t>(f.workers, 1));
  const double shard = static_cast<double>(f.train_bytes) / workers;
  const double chunk = shard / static_cast<double>(std::max<int64_t>(f.rounds_per_epoch, 1));
  // A preprocessing function loads every split (ml::data::LoadDataset), decoding from buffers
  // at most half the decoded size (images: 1 byte per 4-byte float), then copies its shard out
  // and encodes it: the data, its decode buffers, and two shard copies.
  const double decode = f.raw_bytes > 0 ? static_cast<double>(f.raw_bytes) : 0.5 * static_cast<double>(f.dataset_bytes);
  m.preprocess_mb = kWorkerBaselineMb + Mb(static_cast<double>(f.dataset_bytes) + decode + 2 * shard);
  // A train-shard function holds its decoded shard (and, while decoding, the downloaded bytes),
  // the round's chunk, the model six times over (weights, gradients, Adam's two moments, the
  // downloaded global model and the serialised update) and one batch's activations and their
  // gradients (bounded by 128 values per input value: the cnn's widest layers hold 32 maps of
  // the input's size, kept forward and backward through a few layers).
  const double model = static_cast<double>(f.model_parameters) * sizeof(float);
  const double activations = static_cast<double>(std::max<int64_t>(f.batch_size, 1)) *
                             static_cast<double>(std::max<int64_t>(f.sample_floats, 1)) * sizeof(float) * 128;
  m.train_mb = kWorkerBaselineMb + Mb(2 * shard + chunk + 6 * model + activations);
  m.explanation = fmt::format(
      "preprocessing holds the whole dataset ({:.0f} MB decoded, {:.0f} MB decode buffers) and two copies of a "
      "{:.0f} MB shard: ≤ {:.0f} MB; train-shard holds the shard twice, a {:.0f} MB chunk, 6 × {:.1f} MB of model "
      "state and {:.0f} MB of activations: ≤ {:.0f} MB (each + {:.0f} MB worker baseline)",
      Mb(static_cast<double>(f.dataset_bytes)), Mb(decode), Mb(shard), m.preprocess_mb, Mb(chunk), Mb(model),
      Mb(activations), m.train_mb, kWorkerBaselineMb);
  return m;
}

Result<Plan> PlanMemory(const PlanInput& input) {
  SL_ASSIGN_OR_RETURN(faas::ProviderProfile profile, faas::LoadProviderProfile(input.spec.provider));
  return PlanMemoryWithProfile(input, profile);
}

Result<Plan> PlanMemoryWithProfile(const PlanInput& input, const faas::ProviderProfile& profile) {
  const JobSpec& spec = input.spec;
  SL_RETURN_IF_ERROR(spec.Validate());
  Plan plan;
  int64_t n = input.train_samples;
  plan.stage_memory.preprocess_mb = input.preprocess_peak_mb;
  plan.stage_memory.train_mb = input.train_peak_mb;
  if (input.seconds_per_sample > 0) {
    plan.seconds_per_sample = input.seconds_per_sample;
  } else {
    SL_ASSIGN_OR_RETURN(Measured m, MeasureJob(spec));
    plan.seconds_per_sample = m.seconds_per_sample;
    n = m.train_samples;
    plan.reasoning.push_back(fmt::format("measured {:.1f} µs per training sample of {} at 1 vCPU (12 steps here)",
                                         plan.seconds_per_sample * 1e6, spec.model_name.empty() ? "the model" : spec.model_name));
    if (input.preprocess_peak_mb <= 0 && input.train_peak_mb <= 0) plan.stage_memory = BoundStageMemory(m.footprint);
  }
  if (n <= 0) return InvalidArgument("planner: train_samples must be > 0");
  const double peak_mb = std::max(plan.stage_memory.preprocess_mb, plan.stage_memory.train_mb);
  plan.min_memory_mb = peak_mb > 0 ? static_cast<int64_t>(std::ceil(peak_mb * (1 + kMemoryMargin))) : 0;
  if (plan.min_memory_mb > 0) {
    plan.reasoning.push_back(fmt::format(
        "memory floor {} MB: stage peaks preprocessing {:.0f} MB, train-shard {:.0f} MB, + {:.0f} % margin{}",
        plan.min_memory_mb, plan.stage_memory.preprocess_mb, plan.stage_memory.train_mb, 100 * kMemoryMargin,
        plan.stage_memory.explanation.empty() ? "" : " (" + plan.stage_memory.explanation + ")"));
  }
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
  // Sizes that hold the stages and whose invocations fit the timeout's safety margin, cheapest
  // first (ties: faster).
  std::vector<PlanCandidate> fits;
  bool any_in_time = false;
  for (const auto& c : cands) {
    if (c.duration_s > kTimeoutSafety * timeout) continue;
    any_in_time = true;
    if (c.memory_mb >= plan.min_memory_mb) fits.push_back(c);
  }
  if (fits.empty() && any_in_time) {
    return FailedPrecondition("planner: {} offers no memory size of at least {} MB (the job's memory floor) "
                              "whose invocations stay within {:.0f} % of the {:.0f} s timeout",
                              profile.name, plan.min_memory_mb, 100 * kTimeoutSafety, timeout);
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
    if (a.outcome != AttemptOutcome::kOk || a.samples <= 0) continue;
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
