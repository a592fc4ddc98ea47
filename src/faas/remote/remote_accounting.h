// RemoteAccounting: prices remote invocations under a provider profile and appends them to an
// optional caller-side ledger (one InvocationRecord per synchronous invocation, with `host` set
// and the billing source), so that `straightline cost` and the run report work for remote
// platforms as for the local one.
//
// Billing sources (invocation_record.h):
//   kPlatformReport    the platform's REPORT line: Billed Duration (else Duration + Init
//                      Duration), Memory Size and Max Memory Used, priced by the profile
//   kMeasuredByCaller  the caller's round trip (an upper bound of the handler's duration) at the
//                      function's configured memory, priced by the profile
// A memory size the profile does not allow is priced at the nearest allowed size (the cost is an
// estimate either way; failing the invocation for it would be worse).
// Throttled and platform-error invocations are billed nothing but still recorded.
// Ownership: owns the ledger writer. Thread safety: all methods may be called concurrently.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "faas/economics/ledger.h"
#include "faas/economics/provider_profile.h"
#include "faas/invoker.h"
#include "faas/remote/platform_report.h"

namespace sl::faas {

class RemoteAccounting {
 public:
  // `ledger_path` "" = no ledger. Errors: the profile cannot be loaded (NOT_FOUND /
  // INVALID_ARGUMENT naming it), the ledger cannot be opened.
  static Result<std::unique_ptr<RemoteAccounting>> Open(const std::string& host,
                                                        const std::string& profile,
                                                        const std::string& ledger_path);

  const ProviderProfile& profile() const { return profile_; }

  // Fills duration/billed/memory/init/cold_start/cost and `billing` of `r` from the report
  // (kPlatformReport) or, without one, from `round_trip_ms` (kMeasuredByCaller).
  // `memory_mb` is the function's configured memory (0: the profile's default).
  void Bill(InvokeResult* r, const std::optional<PlatformReport>& report, double round_trip_ms,
            int64_t memory_mb) const;

  // Appends one record (no-op without a ledger). Errors are logged, not returned: a full disk
  // must not fail invocations that ran.
  void Record(const InvokeRequest& request, const InvokeResult& r, int64_t memory_mb,
              WallTime start, std::string_view error_type) const;

 private:
  RemoteAccounting(std::string host, ProviderProfile profile, std::unique_ptr<LedgerWriter> ledger)
      : host_(std::move(host)), profile_(std::move(profile)), ledger_(std::move(ledger)) {}
  int64_t EffectiveMemory(int64_t memory_mb) const;

  const std::string host_;
  const ProviderProfile profile_;
  const std::unique_ptr<LedgerWriter> ledger_;
};

}  // namespace sl::faas
