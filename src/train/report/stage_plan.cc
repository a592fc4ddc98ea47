#include "train/report/stage_plan.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "faas/economics/pricing.h"

namespace sl::train {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Every size the provider lets a function have (as the memory planner walks them: a stepped range
// in steps of at least 64 MB, or the allowed list).
std::vector<int64_t> MemorySizes(const faas::ProviderProfile& p) {
  if (!p.allowed_memory_mb.empty()) return p.allowed_memory_mb;
  std::vector<int64_t> out;
  const int64_t step = std::max<int64_t>(p.memory_step_mb, 64);
  for (int64_t m = p.min_memory_mb; m <= p.max_memory_mb; m += step) out.push_back(m);
  if (out.empty() || out.back() != p.max_memory_mb) out.push_back(p.max_memory_mb);
  return out;
}

double Cpu(const faas::ProviderProfile& p, int64_t memory_mb, int threads) {
  return std::min(std::max(faas::VcpuForMemory(p, memory_mb), 0.05), static_cast<double>(std::max(threads, 1)));
}

double Timeout(const faas::ProviderProfile& p, const PlanOptions& o) {
  const double max = p.max_timeout_s > 0 ? p.max_timeout_s : kInf;
  return o.timeout_s > 0 ? std::min(o.timeout_s, max) : max;
}

// The standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9).
double NormalQuantile(double q) {
  q = std::clamp(q, 1e-12, 1 - 1e-12);
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01,  -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double lo = 0.02425;
  if (q < lo) {
    const double t = std::sqrt(-2 * std::log(q));
    return (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
           ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
  }
  if (q > 1 - lo) return -NormalQuantile(1 - q);
  const double u = q - 0.5, r = u * u;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * u /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

bool RemoteStore(const std::string& uri) { return !uri.empty() && uri.rfind("file://", 0) != 0; }

Result<TrainingStageWork> WorkOf(const RunRecord& record, const std::string& stage, const std::string& provider,
                                 int64_t memory_mb, const std::vector<const std::vector<ShardAttempt>*>& steps,
                                 int threads) {
  SL_ASSIGN_OR_RETURN(faas::ProviderProfile p, faas::LoadProviderProfile(provider));
  TrainingStageWork w;
  w.stage = stage;
  w.measured_provider = p.name;
  w.measured_memory_mb = memory_mb;
  w.measured_cpu = Cpu(p, memory_mb, threads);
  const bool remote = RemoteStore(record.store);
  for (const auto* attempts : steps) {
    std::vector<MeasuredInvocation> step;
    for (const auto& a : *attempts) {
      if (a.outcome != AttemptOutcome::kOk) continue;
      MeasuredInvocation m;
      // With a remote store the transfers do not follow CPU; preprocessing's "download" is its
      // decode of the dataset (load_ms), which does.
      const double transfer = !remote ? 0
                              : stage == "preprocess" ? a.upload_ms
                                                      : a.download_model_ms + a.download_shard_ms + a.upload_ms;
      m.fixed_ms = std::clamp(transfer, 0.0, a.duration_ms);
      m.scaled_ms = a.duration_ms - m.fixed_ms;
      m.cold_start = a.cold_start;
      m.init_ms = a.cold_start ? a.init_ms : 0;
      m.peak_mb = a.max_memory_mb;
      w.peak_mb = std::max(w.peak_mb, a.max_memory_mb);
      step.push_back(m);
    }
    if (!step.empty()) w.steps.push_back(std::move(step));
  }
  if (w.steps.empty()) {
    return InvalidArgument("run {}: the {} stage has no accepted invocation to plan from", record.job_id, stage);
  }
  return w;
}

}  // namespace

Result<TrainingStageWork> PreprocessWorkOf(const RunRecord& record, int threads) {
  return WorkOf(record, "preprocess", record.PreprocessProvider(), record.PreprocessMemoryMb(), {&record.preprocessing},
                threads);
}

Result<TrainingStageWork> TrainWorkOf(const RunRecord& record, int threads) {
  std::vector<const std::vector<ShardAttempt>*> steps;
  for (const auto& r : record.rounds) steps.push_back(&r.attempts);
  return WorkOf(record, "train", record.provider, record.memory_mb, steps, threads);
}

Status CalibrateCpuShare(TrainingStageWork* base, const TrainingStageWork& other) {
  if (base->stage != other.stage) {
    return InvalidArgument("calibration: stage {} against stage {}", base->stage, other.stage);
  }
  const double ratio_cpu = base->measured_cpu / other.measured_cpu;
  if (std::abs(ratio_cpu - 1) < 0.1) {
    return InvalidArgument("calibration of stage {}: both runs had {:.2f} and {:.2f} vCPU; the second run needs "
                           "another size (e.g. --memory preprocess=512,train=512)",
                           base->stage, base->measured_cpu, other.measured_cpu);
  }
  auto mean_scaled = [](const TrainingStageWork& w) {
    double sum = 0;
    int64_t n = 0;
    for (const auto& step : w.steps) {
      for (const auto& i : step) sum += i.scaled_ms, ++n;
    }
    return n > 0 ? sum / static_cast<double>(n) : 0.0;
  };
  const double s_base = mean_scaled(*base), s_other = mean_scaled(other);
  if (!(s_base > 0) || !(s_other > 0)) {
    return InvalidArgument("calibration of stage {}: no CPU-bound time measured", base->stage);
  }
  const double raw = (s_other / s_base - 1) / (ratio_cpu - 1);
  const double a = std::clamp(raw, 0.0, 1.0);
  for (auto& step : base->steps) {
    for (auto& i : step) {
      i.fixed_ms += (1 - a) * i.scaled_ms;
      i.scaled_ms *= a;
    }
  }
  base->cpu_share = a;
  base->calibration = fmt::format("{:.0f} % of its time follows CPU: {:.0f} ms per invocation at {:.2f} vCPU ({} at {} MB), "
                                  "{:.0f} ms at {:.2f} vCPU ({} at {} MB)",
                                  100 * a, s_base, base->measured_cpu, base->measured_provider, base->measured_memory_mb,
                                  s_other, other.measured_cpu, other.measured_provider, other.measured_memory_mb);
  if (raw < -0.1 || raw > 1.1) {
    // Less CPU ran faster (or more than proportionally slower): what else ran on the machine
    // changed between the runs, not the CPU the sizes bought.
    base->calibration += fmt::format(" — UNRELIABLE: the runs imply {:.0f} %, outside 0-100 %; the machine's load "
                                     "differed between them (repeat both on a quieter machine)",
                                     100 * raw);
  }
  return Status::Ok();
}

Result<InferenceWork> InferenceWorkFromLedger(const std::vector<faas::InvocationRecord>& records,
                                              const std::string& function, int threads) {
  std::string fn = function;
  if (fn.empty()) {
    std::set<std::string> names;
    for (const auto& r : records) {
      if (r.function.rfind("sl-preprocess-", 0) == 0 || r.function.rfind("sl-train-", 0) == 0) continue;
      names.insert(r.function);
    }
    if (names.empty()) return InvalidArgument("the ledger has no invocation of an inference function (only training ones)");
    if (names.size() > 1) {
      return InvalidArgument("the ledger has invocations of several functions ({}); name the inference one "
                             "(--inference-function NAME)",
                             fmt::join(names, ", "));
    }
    fn = *names.begin();
  }
  std::vector<double> durations;
  double init_sum = 0, first = kInf, last = -kInf;
  int64_t colds = 0, peak = 0, memory_mb = 0;
  std::string provider;
  for (const auto& r : records) {
    if (r.function != fn || r.outcome != faas::Outcome::kSuccess) continue;
    durations.push_back(r.duration_ms);
    if (r.cold_start) ++colds, init_sum += r.init_ms;
    peak = std::max(peak, r.max_memory_used_mb);
    memory_mb = r.memory_mb;
    provider = r.provider;
    const double t = std::chrono::duration<double>(r.start_time.time_since_epoch()).count();
    first = std::min(first, t);
    last = std::max(last, t);
  }
  if (durations.empty()) return InvalidArgument("the ledger has no successful invocation of '{}'", fn);
  SL_ASSIGN_OR_RETURN(faas::ProviderProfile p, faas::LoadProviderProfile(provider));
  std::sort(durations.begin(), durations.end());
  InferenceWork w;
  double sum = 0;
  for (double d : durations) sum += d;
  w.service_ms = sum / static_cast<double>(durations.size());
  const size_t rank = static_cast<size_t>(std::ceil(0.99 * static_cast<double>(durations.size())));
  w.service_p99_ms = durations[std::clamp<size_t>(rank, 1, durations.size()) - 1];
  w.init_ms = colds > 0 ? init_sum / static_cast<double>(colds) : 0;
  w.peak_mb = peak;
  w.measured_cpu = Cpu(p, memory_mb, threads);
  if (durations.size() > 1 && last > first) w.rate_per_s = static_cast<double>(durations.size() - 1) / (last - first);
  w.source = fmt::format("ledger: {} successful invocations of {} under {} at {} MB ({} cold)", durations.size(), fn,
                         p.name, memory_mb, colds);
  return w;
}

Result<StageOption> PredictTrainingStageAt(const TrainingStageWork& work, const faas::ProviderProfile& p,
                                           int64_t memory_mb, const PlanOptions& o) {
  if (work.steps.empty()) return InvalidArgument("stage {}: no measured invocations", work.stage);
  StageOption s;
  s.stage = work.stage;
  s.provider = p.name;
  s.memory_mb = faas::NearestAllowedMemory(p, memory_mb);
  s.cpu = Cpu(p, s.memory_mb, o.threads);
  const int64_t limit = p.default_concurrency;
  double longest_ms = 0;
  for (const auto& step : work.steps) {
    const int64_t n = static_cast<int64_t>(step.size());
    const int64_t waves = limit > 0 ? (n + limit - 1) / limit : 1;
    double slowest_ms = 0;
    bool cold = false;
    for (const auto& inv : step) {
      const double d = inv.fixed_ms + inv.scaled_ms * work.measured_cpu / s.cpu;
      longest_ms = std::max(longest_ms, d);
      slowest_ms = std::max(slowest_ms, d + inv.init_ms);
      cold = cold || inv.cold_start;
      SL_ASSIGN_OR_RETURN(faas::BilledInvocation b,
                          faas::PriceInvocation(p, d, s.memory_mb, inv.peak_mb, inv.cold_start ? inv.init_ms : 0));
      s.cost_usd += b.cost_usd;
      ++s.invocations;
      s.cold_starts += inv.cold_start;
    }
    const double provider_cold = cold ? p.cold_start_mean_ms / 1000 : 0;
    s.provider_cold_start_s += provider_cold;
    s.time_s += static_cast<double>(waves) * slowest_ms / 1000 + provider_cold;
  }
  const double floor = static_cast<double>(work.peak_mb) * (1 + kPlanMemoryMargin);
  const double timeout = Timeout(p, o);
  if (static_cast<double>(s.memory_mb) < floor) {
    s.feasible = false;
    s.why_not = fmt::format("{} MB < the stage's peak {} MB + {:.0f} %", s.memory_mb, work.peak_mb, 100 * kPlanMemoryMargin);
  } else if (longest_ms / 1000 > kPlanTimeoutSafety * timeout) {
    s.feasible = false;
    s.why_not = fmt::format("an invocation of {:.1f} s exceeds {:.0f} % of the {:.0f} s timeout", longest_ms / 1000,
                            100 * kPlanTimeoutSafety, timeout);
  }
  return s;
}

Result<std::vector<StageOption>> PredictTrainingStage(const TrainingStageWork& work, const faas::ProviderProfile& p,
                                                      const PlanOptions& o) {
  std::vector<StageOption> out;
  for (int64_t m : MemorySizes(p)) {
    SL_ASSIGN_OR_RETURN(StageOption s, PredictTrainingStageAt(work, p, m, o));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<StageOption>> PredictInference(const InferenceWork& w, const faas::ProviderProfile& p,
                                                  const PlanOptions& o) {
  if (!(w.rate_per_s > 0)) return InvalidArgument("inference: rate {} requests/s (must be > 0)", w.rate_per_s);
  if (!(w.service_ms > 0)) return InvalidArgument("inference: service time {} ms (must be > 0)", w.service_ms);
  if (!(w.window_s > 0)) return InvalidArgument("inference: window {} s (must be > 0)", w.window_s);
  std::vector<StageOption> out;
  const double requests = w.rate_per_s * w.window_s;
  for (int64_t m : MemorySizes(p)) {
    StageOption s;
    s.stage = "inference";
    s.provider = p.name;
    s.memory_mb = m;
    s.cpu = Cpu(p, m, o.threads);
    const double scale = std::min(w.measured_cpu, static_cast<double>(std::max(o.threads, 1))) / s.cpu;
    s.mean_ms = w.service_ms * scale;
    const double p99_duration = (w.service_p99_ms > 0 ? w.service_p99_ms : w.service_ms) * scale;
    const double in_flight = w.rate_per_s * s.mean_ms / 1000;
    s.peak_instances = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(in_flight + 3 * std::sqrt(in_flight))));
    const double per_instance_rate = w.rate_per_s / static_cast<double>(s.peak_instances);
    const double steady = requests * std::exp(-per_instance_rate * p.keep_alive_s);
    const double cold = std::min(requests, static_cast<double>(s.peak_instances) + steady);
    s.cold_share = cold / requests;
    s.invocations = static_cast<int64_t>(std::llround(requests));
    s.cold_starts = static_cast<int64_t>(std::llround(cold));
    if (s.cold_share <= 0.01) {
      s.p99_ms = p99_duration + w.extra_ms;
    } else {
      // The 99th percentile falls among the cold requests: their own quantile 1 - 1 % / share.
      const double z = NormalQuantile(1 - 0.01 / s.cold_share);
      s.p99_ms = s.mean_ms + w.extra_ms + w.init_ms + std::max(0.0, p.cold_start_mean_ms + z * p.cold_start_sd_ms);
    }
    s.time_s = s.p99_ms / 1000;
    SL_ASSIGN_OR_RETURN(faas::BilledInvocation warm, faas::PriceInvocation(p, s.mean_ms, m, w.peak_mb, 0));
    SL_ASSIGN_OR_RETURN(faas::BilledInvocation coldb, faas::PriceInvocation(p, s.mean_ms, m, w.peak_mb, w.init_ms));
    s.cost_usd = (requests - cold) * warm.cost_usd + cold * coldb.cost_usd;
    const double floor = static_cast<double>(w.peak_mb) * (1 + kPlanMemoryMargin);
    if (static_cast<double>(m) < floor) {
      s.feasible = false;
      s.why_not = fmt::format("{} MB < the function's peak {} MB + {:.0f} %", m, w.peak_mb, 100 * kPlanMemoryMargin);
    } else if (p.default_concurrency > 0 && s.peak_instances > p.default_concurrency) {
      s.feasible = false;
      s.why_not = fmt::format("needs ~{} instances at once, the limit is {}", s.peak_instances, p.default_concurrency);
    } else if (p99_duration / 1000 > Timeout(p, o)) {
      s.feasible = false;
      s.why_not = fmt::format("p99 duration {:.1f} s exceeds the {:.0f} s timeout", p99_duration / 1000, Timeout(p, o));
    }
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

bool Cheaper(const StageOption& a, const StageOption& b) {
  if (a.cost_usd != b.cost_usd) return a.cost_usd < b.cost_usd;
  return a.time_s < b.time_s;
}

// The options no other option beats in both time and cost, fastest first (cost falling).
std::vector<StageOption> Frontier(std::vector<StageOption> options) {
  std::sort(options.begin(), options.end(), [](const StageOption& a, const StageOption& b) {
    if (a.time_s != b.time_s) return a.time_s < b.time_s;
    return a.cost_usd < b.cost_usd;
  });
  std::vector<StageOption> out;
  for (auto& o : options) {
    if (out.empty() || o.cost_usd < out.back().cost_usd) out.push_back(std::move(o));
  }
  return out;
}

struct Candidates {
  std::vector<StageOption> preprocess, train, inference;  // feasible options only
};

// The cheapest plan over the candidates: the training stages within the deadline together, the
// inference within the SLO; the fastest where none is within.
StageChoice Choose(const Candidates& c, bool has_pre, bool has_train, bool has_inf, const PlanOptions& o) {
  StageChoice out;
  if ((has_pre && c.preprocess.empty()) || (has_train && c.train.empty()) || (has_inf && c.inference.empty())) return out;
  out.found = true;
  const double deadline = o.deadline_s > 0 ? o.deadline_s : kInf;
  if (has_pre || has_train) {
    // One training stage is a pair with an empty one (time 0, cost 0).
    StageOption none;
    const std::vector<StageOption> a = has_pre ? Frontier(c.preprocess) : std::vector<StageOption>{none};
    const std::vector<StageOption> b = has_train ? Frontier(c.train) : std::vector<StageOption>{none};
    const StageOption* best_a = nullptr;
    const StageOption* best_b = nullptr;
    for (const auto& x : a) {
      const double budget = deadline - x.time_s;
      // b is fastest first with cost falling: the cheapest within the budget is the last within it.
      auto it = std::upper_bound(b.begin(), b.end(), budget, [](double t, const StageOption& y) { return t < y.time_s; });
      if (it == b.begin()) continue;
      const StageOption& y = *(it - 1);
      const double cost = x.cost_usd + y.cost_usd, time = x.time_s + y.time_s;
      if (best_a == nullptr || cost < best_a->cost_usd + best_b->cost_usd ||
          (cost == best_a->cost_usd + best_b->cost_usd && time < best_a->time_s + best_b->time_s)) {
        best_a = &x;
        best_b = &y;
      }
    }
    if (best_a == nullptr) {
      out.meets_deadline = false;
      best_a = &a.front();
      best_b = &b.front();
    }
    if (has_pre) out.stages["preprocess"] = *best_a;
    if (has_train) out.stages["train"] = *best_b;
    out.training_time_s = best_a->time_s + best_b->time_s;
    out.cost_usd += best_a->cost_usd + best_b->cost_usd;
  }
  if (has_inf) {
    const StageOption* pick = nullptr;
    for (const auto& x : c.inference) {
      if (o.slo_p99_ms > 0 && x.p99_ms > o.slo_p99_ms) continue;
      if (pick == nullptr || Cheaper(x, *pick)) pick = &x;
    }
    if (pick == nullptr) {
      out.meets_slo = false;
      for (const auto& x : c.inference) {
        if (pick == nullptr || x.p99_ms < pick->p99_ms || (x.p99_ms == pick->p99_ms && x.cost_usd < pick->cost_usd)) pick = &x;
      }
    }
    out.stages["inference"] = *pick;
    out.cost_usd += pick->cost_usd;
  }
  return out;
}

ProviderStageRow RowOf(const std::string& provider, const std::vector<StageOption>& options) {
  ProviderStageRow row;
  row.provider = provider;
  for (const auto& o : options) {
    if (!o.feasible) {
      row.why_not = o.why_not;
      continue;
    }
    if (!row.feasible || Cheaper(o, row.cheapest)) row.cheapest = o;
    if (!row.feasible || o.time_s < row.fastest.time_s || (o.time_s == row.fastest.time_s && o.cost_usd < row.fastest.cost_usd)) {
      row.fastest = o;
    }
    row.feasible = true;
  }
  if (row.feasible) row.why_not.clear();
  return row;
}

bool MeetsAll(const StageChoice& c) { return c.found && c.meets_deadline && c.meets_slo; }

}  // namespace

Result<StagePlan> PlanStages(const TrainingStageWork* preprocess, const TrainingStageWork* train,
                             const InferenceWork* inference, const PlanOptions& options) {
  if (preprocess == nullptr && train == nullptr && inference == nullptr) {
    return InvalidArgument("plan: no stage to plan (give a training run or an inference profile)");
  }
  std::vector<std::string> names = options.providers;
  if (names.empty()) {
    SL_ASSIGN_OR_RETURN(names, faas::ListProviderProfiles());
  }
  std::vector<faas::ProviderProfile> profiles;
  for (const auto& n : names) {
    SL_ASSIGN_OR_RETURN(faas::ProviderProfile p, faas::LoadProviderProfile(n));
    if (p.kind != faas::ProfileKind::kFunction) {
      if (!options.providers.empty()) return InvalidArgument("plan: '{}' is a VM profile, not a function provider", n);
      continue;
    }
    profiles.push_back(std::move(p));
  }
  return PlanStagesWith(preprocess, train, inference, options, std::move(profiles));
}

Result<StagePlan> PlanStagesWith(const TrainingStageWork* preprocess, const TrainingStageWork* train,
                                 const InferenceWork* inference, const PlanOptions& options,
                                 std::vector<faas::ProviderProfile> profiles) {
  if (preprocess == nullptr && train == nullptr && inference == nullptr) {
    return InvalidArgument("plan: no stage to plan (give a training run or an inference profile)");
  }
  StagePlan plan;
  plan.options = options;
  if (profiles.empty()) return InvalidArgument("plan: no function provider to consider");
  for (const auto& p : profiles) {
    if (p.deprecated) plan.notes.push_back(fmt::format("{} is deprecated (kept for comparison): {}", p.name, p.display_name));
  }
  plan.options.providers.clear();
  for (const auto& p : profiles) plan.options.providers.push_back(p.name);

  Candidates all;
  std::map<std::string, Candidates> per;
  StageRows pre_rows{"preprocess", {}}, train_rows{"train", {}}, inf_rows{"inference", {}};
  for (const auto& p : profiles) {
    Candidates& mine = per[p.name];
    auto add = [&](std::vector<StageOption> options, std::vector<StageOption>* into_all, std::vector<StageOption>* into_mine,
                   StageRows* rows) {
      rows->providers.push_back(RowOf(p.name, options));
      for (auto& o : options) {
        if (!o.feasible) continue;
        into_all->push_back(o);
        into_mine->push_back(std::move(o));
      }
    };
    if (preprocess != nullptr) {
      SL_ASSIGN_OR_RETURN(auto o, PredictTrainingStage(*preprocess, p, options));
      add(std::move(o), &all.preprocess, &mine.preprocess, &pre_rows);
    }
    if (train != nullptr) {
      SL_ASSIGN_OR_RETURN(auto o, PredictTrainingStage(*train, p, options));
      add(std::move(o), &all.train, &mine.train, &train_rows);
    }
    if (inference != nullptr) {
      SL_ASSIGN_OR_RETURN(auto o, PredictInference(*inference, p, options));
      add(std::move(o), &all.inference, &mine.inference, &inf_rows);
    }
  }
  for (const TrainingStageWork* w : {preprocess, train}) {
    if (w == nullptr) continue;
    int64_t n = 0;
    for (const auto& step : w->steps) n += static_cast<int64_t>(step.size());
    plan.measured[w->stage] = fmt::format(
        "{} invocations in {} steps under {} at {} MB = {:.2f} vCPU, peak {} MB; {}", n, w->steps.size(),
        w->measured_provider, w->measured_memory_mb, w->measured_cpu, w->peak_mb,
        w->calibration.empty() ? "all of its time assumed to follow CPU (one run: give a second at another size to calibrate)"
                               : w->calibration);
  }
  if (inference != nullptr) {
    plan.measured["inference"] = fmt::format("{}: {:.2f} requests/s for {:.0f} s, mean {:.2f} ms, p99 {:.2f} ms at {:.2f} vCPU",
                                             inference->source, inference->rate_per_s, inference->window_s,
                                             inference->service_ms,
                                             inference->service_p99_ms > 0 ? inference->service_p99_ms : inference->service_ms,
                                             inference->measured_cpu);
  }
  if (preprocess != nullptr) plan.stages.push_back(std::move(pre_rows));
  if (train != nullptr) plan.stages.push_back(std::move(train_rows));
  if (inference != nullptr) plan.stages.push_back(std::move(inf_rows));

  const bool hp = preprocess != nullptr, ht = train != nullptr, hi = inference != nullptr;
  plan.mixed = Choose(all, hp, ht, hi, options);
  for (const auto& p : profiles) plan.single[p.name] = Choose(per[p.name], hp, ht, hi, options);
  // The best single provider: the cheapest that meets everything; if none does, the fastest.
  const StageChoice* best = nullptr;
  for (const auto& [name, c] : plan.single) {
    if (!c.found) continue;
    if (best == nullptr) {
      best = &c;
      continue;
    }
    const bool ma = MeetsAll(c), mb = MeetsAll(*best);
    if (ma != mb) {
      if (ma) best = &c;
      continue;
    }
    if (ma ? c.cost_usd < best->cost_usd
           : c.training_time_s < best->training_time_s ||
                 (c.training_time_s == best->training_time_s && c.cost_usd < best->cost_usd)) {
      best = &c;
    }
  }
  if (best != nullptr) plan.best_single = *best;
  if (!plan.mixed.found) plan.notes.push_back("no provider can run every stage (see the reasons per provider)");
  if (plan.mixed.found && !plan.mixed.meets_deadline) {
    plan.notes.push_back(fmt::format("no plan meets the {:.0f} s deadline: the fastest is shown", options.deadline_s));
  }
  if (plan.mixed.found && !plan.mixed.meets_slo) {
    plan.notes.push_back(fmt::format("no provider meets the p99 SLO of {:.0f} ms: the lowest p99 is shown", options.slo_p99_ms));
  }
  return plan;
}

namespace {

std::string Money(double usd) { return fmt::format("{:.8f}", usd); }

std::string OptionCells(const StageOption& o) {
  if (o.stage == "inference") return fmt::format("{:>6} {:>9.1f} {:>12}", o.memory_mb, o.p99_ms, Money(o.cost_usd));
  return fmt::format("{:>6} {:>9.2f} {:>12}", o.memory_mb, o.time_s, Money(o.cost_usd));
}

std::string SingleProviderOf(const StageChoice& c) {
  std::set<std::string> p;
  for (const auto& [stage, o] : c.stages) p.insert(o.provider);
  return p.size() == 1 ? *p.begin() : "";
}

nlohmann::json OptionJson(const StageOption& o) {
  nlohmann::json j = {{"stage", o.stage},         {"provider", o.provider},   {"memory_mb", o.memory_mb},
                      {"cpu", o.cpu},             {"time_s", o.time_s},       {"cost_usd", o.cost_usd},
                      {"invocations", o.invocations}, {"cold_starts", o.cold_starts}, {"feasible", o.feasible}};
  if (o.stage == "inference") {
    j["mean_ms"] = o.mean_ms;
    j["p99_ms"] = o.p99_ms;
    j["cold_share"] = o.cold_share;
    j["peak_instances"] = o.peak_instances;
  } else {
    j["provider_cold_start_s"] = o.provider_cold_start_s;
  }
  if (!o.feasible) j["why_not"] = o.why_not;
  return j;
}

nlohmann::json ChoiceJson(const StageChoice& c) {
  nlohmann::json stages = nlohmann::json::object();
  for (const auto& [name, o] : c.stages) stages[name] = OptionJson(o);
  return {{"found", c.found},
          {"stages", stages},
          {"training_time_s", c.training_time_s},
          {"cost_usd", c.cost_usd},
          {"meets_deadline", c.meets_deadline},
          {"meets_slo", c.meets_slo}};
}

std::string ChoiceLines(const StageChoice& c) {
  std::string out;
  for (const char* stage : {"preprocess", "train", "inference"}) {
    auto it = c.stages.find(stage);
    if (it == c.stages.end()) continue;
    const StageOption& o = it->second;
    if (o.stage == "inference") {
      out += fmt::format("  {:<11} {:<24} {:>6} MB  p99 {:.1f} ms  ${}  ({} requests, {:.2f} % cold)\n", stage, o.provider,
                         o.memory_mb, o.p99_ms, Money(o.cost_usd), o.invocations, 100 * o.cold_share);
    } else {
      out += fmt::format("  {:<11} {:<24} {:>6} MB  {:.2f} s  ${}  ({} invocations, {} cold)\n", stage, o.provider,
                         o.memory_mb, o.time_s, Money(o.cost_usd), o.invocations, o.cold_starts);
    }
  }
  return out;
}

}  // namespace

std::string StagePlanText(const StagePlan& plan) {
  const PlanOptions& o = plan.options;
  std::string out = fmt::format(
      "plan: {} providers; deadline {} (preprocessing + training), inference p99 SLO {}\n"
      "predicted from the measured stage profiles: CPU-bound time rescaled by the CPU each size buys, billed by "
      "each profile; the providers' cold-start overheads from their profiles; a training stage's time is eq. 5's "
      "(its steps' slowest functions, in waves of the concurrency limit), the coordinator's own work not included\n",
      o.providers.size(), o.deadline_s > 0 ? fmt::format("{:.0f} s", o.deadline_s) : "none",
      o.slo_p99_ms > 0 ? fmt::format("{:.0f} ms", o.slo_p99_ms) : "none");
  for (const auto& st : plan.stages) {
    const bool inf = st.stage == "inference";
    if (auto m = plan.measured.find(st.stage); m != plan.measured.end()) {
      out += fmt::format("\nstage {}: measured {}\n", st.stage, m->second);
    } else {
      out += fmt::format("\nstage {}\n", st.stage);
    }
    out += fmt::format("{:<24} {:>6} {:>9} {:>12}   {:>6} {:>9} {:>12}\n", "provider", "MB",
                       inf ? "p99 ms" : "time s", "cost $", "MB", inf ? "p99 ms" : "time s", "cost $");
    out += fmt::format("{:<24} {:^29}   {:^29}\n", "", "cheapest size", "fastest size");
    for (const auto& r : st.providers) {
      if (!r.feasible) {
        out += fmt::format("{:<24} cannot: {}\n", r.provider, r.why_not);
        continue;
      }
      const auto it = plan.mixed.stages.find(st.stage);
      const bool chosen = it != plan.mixed.stages.end() && it->second.provider == r.provider;
      out += fmt::format("{:<24} {}   {}{}\n", r.provider, OptionCells(r.cheapest), OptionCells(r.fastest),
                         chosen ? fmt::format("   <- plan: {} MB", it->second.memory_mb) : "");
    }
  }
  if (!plan.mixed.found) {
    out += "\nno plan: no provider can run every stage\n";
  } else {
    out += fmt::format("\nplan (cheapest per stage{}):\n", o.deadline_s > 0 || o.slo_p99_ms > 0 ? " within the constraints" : "");
    out += ChoiceLines(plan.mixed);
    const bool training = plan.mixed.stages.count("preprocess") + plan.mixed.stages.count("train") > 0;
    out += fmt::format("  {}cost ${}{}\n",
                       training ? fmt::format("training time {:.2f} s{}, ", plan.mixed.training_time_s,
                                              o.deadline_s > 0 ? (plan.mixed.meets_deadline ? " (meets the deadline)"
                                                                                            : " (MISSES the deadline)")
                                                               : "")
                                : "",
                       Money(plan.mixed.cost_usd), plan.mixed.meets_slo ? "" : " (inference MISSES the SLO)");
  }
  if (plan.best_single.found) {
    const std::string single = SingleProviderOf(plan.best_single);
    out += fmt::format("best single provider: {}: ${}{}{}\n", single, Money(plan.best_single.cost_usd),
                       plan.best_single.stages.count("preprocess") + plan.best_single.stages.count("train") > 0
                           ? fmt::format(", training time {:.2f} s", plan.best_single.training_time_s)
                           : "",
                       MeetsAll(plan.best_single) ? "" : " (misses a constraint)");
    if (plan.mixed.found && plan.best_single.cost_usd > 0) {
      out += fmt::format("the per-stage plan costs {:.1f} % of it\n", 100 * plan.mixed.cost_usd / plan.best_single.cost_usd);
    }
  }
  if (plan.mixed.found) {
    std::map<std::string, std::string> providers, sizes;
    for (const char* s : {"preprocess", "train"}) {
      auto it = plan.mixed.stages.find(s);
      if (it == plan.mixed.stages.end()) continue;
      providers[s] = it->second.provider;
      sizes[s] = std::to_string(it->second.memory_mb);
    }
    if (!providers.empty()) {
      auto join = [](const std::map<std::string, std::string>& m) {
        std::set<std::string> v;
        for (const auto& [k, x] : m) v.insert(x);
        if (v.size() == 1 && m.size() == 2) return *v.begin();
        std::vector<std::string> parts;
        for (const char* s : {"preprocess", "train"}) {
          if (m.count(s)) parts.push_back(fmt::format("{}={}", s, m.at(s)));
        }
        return fmt::format("{}", fmt::join(parts, ","));
      };
      out += fmt::format("run it: straightline train --workers N ... --provider {} --memory {}\n", join(providers), join(sizes));
    }
    if (auto it = plan.mixed.stages.find("inference"); it != plan.mixed.stages.end()) {
      out += fmt::format("{}straightline serve --tiers function ... --provider {} --function-memory-mb {}\n",
                         providers.empty() ? "run it: " : "        ", it->second.provider, it->second.memory_mb);
    }
  }
  for (const auto& n : plan.notes) out += fmt::format("note: {}\n", n);
  return out;
}

nlohmann::json StagePlanJson(const StagePlan& plan) {
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& st : plan.stages) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : st.providers) {
      nlohmann::json row = {{"provider", r.provider}, {"feasible", r.feasible}};
      if (r.feasible) {
        row["cheapest"] = OptionJson(r.cheapest);
        row["fastest"] = OptionJson(r.fastest);
      } else {
        row["why_not"] = r.why_not;
      }
      rows.push_back(row);
    }
    stages.push_back({{"stage", st.stage}, {"providers", rows}});
  }
  nlohmann::json single = nlohmann::json::object();
  for (const auto& [name, c] : plan.single) single[name] = ChoiceJson(c);
  return {{"deadline_s", plan.options.deadline_s},
          {"slo_p99_ms", plan.options.slo_p99_ms},
          {"threads", plan.options.threads},
          {"providers", plan.options.providers},
          {"stages", stages},
          {"measured", plan.measured},
          {"plan", ChoiceJson(plan.mixed)},
          {"best_single", ChoiceJson(plan.best_single)},
          {"best_single_provider", SingleProviderOf(plan.best_single)},
          {"single", single},
          {"notes", plan.notes}};
}

}  // namespace sl::train
