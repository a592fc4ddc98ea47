#include "faas/economics/platform_metrics.h"

namespace sl::faas {
namespace {

// Label arity always matches the families registered in Create, so WithLabels cannot fail here.
template <typename F>
auto* Cell(F* family, const std::vector<std::string>& labels) {
  return *family->WithLabels(labels);
}

}  // namespace

Result<std::unique_ptr<PlatformMetrics>> PlatformMetrics::Create(MetricsRegistry* reg) {
  std::unique_ptr<PlatformMetrics> m(new PlatformMetrics());
  // Durations from 1 ms (warm no-op) to 15 min (Lambda's maximum timeout).
  const std::vector<double> buckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                       1, 2.5, 5, 10, 30, 60, 300, 900};
  SL_ASSIGN_OR_RETURN(m->invocations_,
                      reg->AddCounter("sl_faas_invocations_total", "Function invocations by outcome.",
                                      {"function", "provider", "outcome"}));
  SL_ASSIGN_OR_RETURN(m->errors_, reg->AddCounter("sl_faas_errors_total",
                                                  "Failed invocations by Lambda error type.",
                                                  {"function", "error_type"}));
  SL_ASSIGN_OR_RETURN(m->throttles_, reg->AddCounter("sl_faas_throttles_total",
                                                     "Invocations rejected by concurrency limits.",
                                                     {"function"}));
  SL_ASSIGN_OR_RETURN(m->cold_starts_, reg->AddCounter("sl_faas_cold_starts_total",
                                                       "Invocations that started a new instance.",
                                                       {"function"}));
  SL_ASSIGN_OR_RETURN(m->duration_, reg->AddHistogram("sl_faas_duration_seconds",
                                                      "Measured handler duration.", {"function"},
                                                      buckets));
  SL_ASSIGN_OR_RETURN(m->init_, reg->AddHistogram("sl_faas_init_duration_seconds",
                                                  "Measured cold-start init (spawn + runtime init).",
                                                  {"function"}, buckets));
  SL_ASSIGN_OR_RETURN(m->billed_, reg->AddCounter("sl_faas_billed_duration_seconds_total",
                                                  "Billed duration under the provider profile.",
                                                  {"function", "provider"}));
  SL_ASSIGN_OR_RETURN(m->cost_, reg->AddCounter("sl_faas_cost_usd_total",
                                                "Emulated cost in USD under the provider profile.",
                                                {"function", "provider"}));
  SL_ASSIGN_OR_RETURN(m->queued_, reg->AddCounter("sl_faas_queued_seconds_total",
                                                  "Time invocations waited for local capacity "
                                                  "(this machine; never billed).",
                                                  {"function"}));
  SL_ASSIGN_OR_RETURN(m->concurrent_, reg->AddGauge("sl_faas_concurrent_executions",
                                                    "Invocations running now.", {"function"}));
  SL_ASSIGN_OR_RETURN(m->warm_, reg->AddGauge("sl_faas_warm_instances",
                                              "Idle or busy instances loaded now.", {"function"}));
  return m;
}

void PlatformMetrics::ObserveInvocation(const InvocationRecord& r) {
  Cell(invocations_, {r.function, r.provider, std::string(OutcomeName(r.outcome))})->Inc();
  if (r.outcome == Outcome::kThrottled) {
    Cell(throttles_, {r.function})->Inc();
    return;
  }
  if (r.outcome != Outcome::kSuccess) {
    Cell(errors_, {r.function, r.error_type.empty() ? std::string(OutcomeName(r.outcome))
                                                    : r.error_type})->Inc();
  }
  if (r.cold_start) {
    Cell(cold_starts_, {r.function})->Inc();
    Cell(init_, {r.function})->Observe(r.init_ms / 1000.0);
  }
  Cell(duration_, {r.function})->Observe(r.duration_ms / 1000.0);
  Cell(billed_, {r.function, r.provider})->Inc(r.billed_ms / 1000.0);
  Cell(cost_, {r.function, r.provider})->Inc(r.cost_usd);
  Cell(queued_, {r.function})->Inc(r.queued_ms / 1000.0);
}

void PlatformMetrics::Throttled(const std::string& function) { Cell(throttles_, {function})->Inc(); }

void PlatformMetrics::SetConcurrentExecutions(const std::string& function, double n) {
  Cell(concurrent_, {function})->Set(n);
}

void PlatformMetrics::SetWarmInstances(const std::string& function, double n) {
  Cell(warm_, {function})->Set(n);
}

}  // namespace sl::faas
