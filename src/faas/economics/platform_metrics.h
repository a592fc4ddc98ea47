// PlatformMetrics: the function platform's Prometheus series, registered once in a
// MetricsRegistry and updated from InvocationRecords, so every front (/metrics on the HTTP front,
// benchmarks) sees the same names:
//   sl_faas_invocations_total{function,provider,outcome}    counter
//   sl_faas_errors_total{function,error_type}               counter (outcome != success/throttled)
//   sl_faas_throttles_total{function}                       counter
//   sl_faas_cold_starts_total{function}                     counter
//   sl_faas_duration_seconds{function}                      histogram (measured handler time)
//   sl_faas_init_duration_seconds{function}                 histogram (cold starts only)
//   sl_faas_billed_duration_seconds_total{function,provider} counter
//   sl_faas_cost_usd_total{function,provider}               counter (emulated bill)
//   sl_faas_queued_seconds_total{function}                  counter (waited for local capacity)
//   sl_faas_concurrent_executions{function}                 gauge
//   sl_faas_warm_instances{function}                        gauge
// Thread safety: all methods may be called from any thread. Label lookups take a family mutex;
// the platform may cache nothing — the cost is one map lookup per update.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "common/status.h"
#include "faas/economics/invocation_record.h"

namespace sl::faas {

class PlatformMetrics {
 public:
  // Registers the families in `registry` (not owned; must outlive this). Fails only if a family
  // of the same name but another shape is already registered there.
  static Result<std::unique_ptr<PlatformMetrics>> Create(MetricsRegistry* registry);

  // One finished (or throttled) invocation.
  void ObserveInvocation(const InvocationRecord& r);
  // A synchronous call rejected for concurrency before it produced a record.
  void Throttled(const std::string& function);
  void SetConcurrentExecutions(const std::string& function, double n);
  void SetWarmInstances(const std::string& function, double n);

 private:
  PlatformMetrics() = default;
  CounterFamily* invocations_ = nullptr;
  CounterFamily* errors_ = nullptr;
  CounterFamily* throttles_ = nullptr;
  CounterFamily* cold_starts_ = nullptr;
  HistogramFamily* duration_ = nullptr;
  HistogramFamily* init_ = nullptr;
  CounterFamily* billed_ = nullptr;
  CounterFamily* cost_ = nullptr;
  CounterFamily* queued_ = nullptr;
  GaugeFamily* concurrent_ = nullptr;
  GaugeFamily* warm_ = nullptr;
};

}  // namespace sl::faas
