#include "faas/invoker.h"

#include "faas/function_host.h"

namespace sl::faas {

// The default Map: one synchronous Invoke per payload, all submitted at once so the platform
// runs them as concurrently as the function's limits and local capacity allow. Futures are in
// payload order whatever order the invocations finish in; each carries its own status (a
// throttled call does not fail the others).
std::vector<std::future<InvokeResult>> Invoker::Map(const std::string& function,
                                                    const std::vector<std::string>& payloads) {
  return MapEach(function, payloads, [this](InvokeRequest r) { return Invoke(std::move(r)); });
}

InvokeResult NotRunResult(Status status, std::string request_id, BillingSource billing) {
  InvokeResult r;
  r.status = std::move(status);
  r.outcome = OutcomeOfStatus(r.status);
  r.request_id = std::move(request_id);
  r.billing = billing;
  return r;
}

InvocationRecord LedgerRecordOf(const InvokeResult& r) {
  InvocationRecord rec;
  rec.request_id = r.request_id;
  rec.cold_start = r.cold_start;
  rec.init_ms = r.init_ms;
  rec.duration_ms = r.duration_ms;
  rec.billed_ms = r.billed_ms;
  rec.max_memory_used_mb = r.max_memory_mb;
  rec.cost_usd = r.cost_usd;
  rec.outcome = r.outcome;
  rec.billing = r.billing;
  rec.queued_ms = r.queued_ms;
  return rec;
}

}  // namespace sl::faas
