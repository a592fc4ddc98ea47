#include "faas/economics/pricing.h"

#include <algorithm>
#include <cmath>

namespace sl::faas {
namespace {

// Rounds x up to a multiple of step, tolerating floating-point noise (300.0000000001 ms must
// stay 300 ms, not become 400 ms under 100 ms rounding).
double CeilTo(double x, double step) {
  double q = x / step;
  double r = std::round(q);
  if (std::fabs(q - r) < 1e-9) return r * step;
  return std::ceil(q) * step;
}

}  // namespace

double RoundBilledMs(const ProviderProfile& p, double raw_ms) {
  return std::max(p.min_billed_ms, CeilTo(raw_ms, p.granularity_ms));
}

Result<BilledInvocation> PriceInvocation(const ProviderProfile& p, double duration_ms,
                                         int64_t memory_mb, int64_t observed_memory_mb,
                                         double init_ms) {
  if (p.kind != ProfileKind::kFunction) {
    return FailedPrecondition("profile {} is a VM; price it with VmCost", p.name);
  }
  if (!(duration_ms >= 0) || !(init_ms >= 0) || !std::isfinite(duration_ms) ||
      !std::isfinite(init_ms)) {
    return InvalidArgument("profile {}: duration {} ms / init {} ms must be finite and >= 0",
                           p.name, duration_ms, init_ms);
  }
  if (observed_memory_mb < 0) {
    return InvalidArgument("profile {}: observed memory {} MB < 0", p.name, observed_memory_mb);
  }
  BilledInvocation b;
  if (p.memory_basis == MemoryBasis::kObserved) {
    // Azure Consumption: observed memory rounded up to the next 128 MB bucket, at least 128 MB,
    // capped at the instance maximum (functions-consumption-costs.md, 2019-09-20).
    int64_t bucket = p.memory_bucket_mb;
    int64_t m = (observed_memory_mb + bucket - 1) / bucket * bucket;
    m = std::max(m, p.min_billed_memory_mb);
    if (p.max_billed_memory_mb > 0) m = std::min(m, p.max_billed_memory_mb);
    b.billed_memory_mb = m;
  } else {
    SL_RETURN_IF_ERROR(CheckMemorySize(p, memory_mb));
    b.billed_memory_mb = memory_mb;
  }
  b.billed_init_ms = p.bill_init ? init_ms : 0;
  b.billed_ms = RoundBilledMs(p, duration_ms + b.billed_init_ms);
  const double s = b.billed_ms / 1000.0;
  b.gb_s = s * static_cast<double>(b.billed_memory_mb) / 1024.0;
  // CPU is charged on the configured size (for the observed basis there is no configured CPU
  // price; Azure prices GB-s only).
  const int64_t cpu_mb = p.memory_basis == MemoryBasis::kObserved ? b.billed_memory_mb : memory_mb;
  if (p.price_per_vcpu_s > 0) b.vcpu_s = s * VcpuForMemory(p, cpu_mb);
  if (p.price_per_ghz_s > 0) b.ghz_s = s * GhzForMemory(p, cpu_mb);
  b.compute_usd = b.gb_s * p.price_per_gb_s + b.vcpu_s * p.price_per_vcpu_s +
                  b.ghz_s * p.price_per_ghz_s;
  b.request_usd = p.price_per_request;
  b.cost_usd = b.compute_usd + b.request_usd;
  return b;
}

Status FillBilling(const ProviderProfile& profile, InvocationRecord* r) {
  if (r->outcome == Outcome::kThrottled) {
    r->billed_ms = 0;
    r->cost_usd = 0;
    return Status::Ok();
  }
  auto b = PriceInvocation(profile, r->duration_ms, r->memory_mb, r->max_memory_used_mb,
                           r->cold_start ? r->init_ms : 0);
  if (!b.ok()) return b.status().WithContext("request " + r->request_id);
  r->billed_ms = b->billed_ms;
  r->cost_usd = b->cost_usd;
  return Status::Ok();
}

Result<double> VmCost(const ProviderProfile& vm, double wall_seconds) {
  if (vm.kind != ProfileKind::kVm) {
    return FailedPrecondition("profile {} is not a VM profile", vm.name);
  }
  if (!(wall_seconds >= 0) || !std::isfinite(wall_seconds)) {
    return InvalidArgument("profile {}: wall time {} s must be finite and >= 0", vm.name,
                           wall_seconds);
  }
  double billed = CeilTo(std::max(vm.vm_min_billed_s, wall_seconds), vm.vm_granularity_s);
  return billed * vm.vm_hourly_usd / 3600.0;
}

}  // namespace sl::faas
