// Pricing: turns one measured invocation into what its provider would bill, and prices an
// always-on VM for a wall-clock span. Pure functions of (profile, measurements).
//
// Rules, all taken from the profile (see docs/providers.md and profiles/*.yaml for sources):
//   billed_ms  = max(min_billed_ms, ceil((duration_ms + (bill_init ? init_ms : 0)) / granularity)
//                                    * granularity)
//   memory     = configured memory_mb, or for MemoryBasis::kObserved the observed peak rounded up
//                to memory_bucket_mb and clamped to [min_billed_memory_mb, max_billed_memory_mb]
//   GB-s       = billed_ms/1000 * memory/1024        (GB = GiB for every provider here)
//   vCPU-s     = billed_ms/1000 * VcpuForMemory      (only if price_per_vcpu_s > 0)
//   GHz-s      = billed_ms/1000 * GhzForMemory       (only if price_per_ghz_s > 0)
//   cost       = GB-s*per_gb_s + vCPU-s*per_vcpu_s + GHz-s*per_ghz_s + per_request
// Not modelled: volume tiers (AWS >6 B GB-s/month), regional prices, provisioned concurrency,
// egress, ephemeral storage. Free tiers are applied per report (cost_report.h), not here.
//
// Failure contract: INVALID_ARGUMENT for negative/NaN times or a memory size the profile does
// not allow (configured basis); FAILED_PRECONDITION when a VM profile is priced per invocation
// or a function profile as a VM.
#pragma once

#include <cstdint>

#include "common/status.h"
#include "faas/economics/invocation_record.h"
#include "faas/economics/provider_profile.h"

namespace sl::faas {

struct BilledInvocation {
  double billed_ms = 0;        // incl. INIT when the profile bills it
  double billed_init_ms = 0;   // the INIT part that entered billed_ms (before rounding)
  int64_t billed_memory_mb = 0;
  double gb_s = 0;
  double vcpu_s = 0;
  double ghz_s = 0;
  double compute_usd = 0;
  double request_usd = 0;
  double cost_usd = 0;         // compute_usd + request_usd
};

// init_ms: measured cold-start init (0 for warm invocations).
// observed_memory_mb: measured peak; used only by MemoryBasis::kObserved (0 = unknown → minimum).
Result<BilledInvocation> PriceInvocation(const ProviderProfile& profile, double duration_ms,
                                         int64_t memory_mb, int64_t observed_memory_mb = 0,
                                         double init_ms = 0);

// Convenience for the platform: prices a finished record under `profile` from its measured
// fields (duration_ms, memory_mb, max_memory_used_mb, and init_ms when cold_start) and fills
// billed_ms and cost_usd. Throttled records are billed nothing. Errors as PriceInvocation, with
// the request id prepended.
Status FillBilling(const ProviderProfile& profile, InvocationRecord* record);

// Rounds a raw time up to the profile's granularity and minimum (no INIT logic).
double RoundBilledMs(const ProviderProfile& profile, double raw_ms);

// Cost of keeping one VM on for wall_seconds: per-second billing with the profile's minimum
// (EC2/GCE: 60 s). ceil(max(min, wall) / granularity) * granularity * hourly / 3600.
Result<double> VmCost(const ProviderProfile& vm, double wall_seconds);

}  // namespace sl::faas
