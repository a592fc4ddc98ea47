#include "faas/remote/remote_accounting.h"

#include <algorithm>

#include "common/log.h"
#include "faas/economics/pricing.h"
#include "faas/economics/store_io_report.h"

namespace sl::faas {

Result<std::unique_ptr<RemoteAccounting>> RemoteAccounting::Open(const std::string& host,
                                                                 const std::string& profile,
                                                                 const std::string& ledger_path) {
  auto p = LoadProviderProfile(profile);
  if (!p.ok()) return p.status().WithContext(fmt::format("{} host: pricing profile", host));
  if (p->kind != ProfileKind::kFunction) {
    return InvalidArgument("{} host: pricing profile '{}' is a VM profile, not a function profile",
                           host, profile);
  }
  std::unique_ptr<LedgerWriter> ledger;
  if (!ledger_path.empty()) {
    auto w = LedgerWriter::Open(ledger_path);
    if (!w.ok()) return w.status().WithContext(fmt::format("{} host: ledger", host));
    ledger = std::move(w).value();
  }
  return std::unique_ptr<RemoteAccounting>(
      new RemoteAccounting(host, std::move(p).value(), std::move(ledger)));
}

int64_t RemoteAccounting::EffectiveMemory(int64_t memory_mb) const {
  int64_t m = memory_mb > 0 ? memory_mb : profile_.default_memory_mb;
  if (!CheckMemorySize(profile_, m).ok()) m = NearestAllowedMemory(profile_, m);
  return m;
}

void RemoteAccounting::Bill(InvokeResult* r, const std::optional<PlatformReport>& report,
                            double round_trip_ms, int64_t memory_mb) const {
  double priced_ms = 0;
  int64_t observed = 0;
  if (report) {
    r->billing = BillingSource::kPlatformReport;
    r->duration_ms = report->duration_ms;
    r->cold_start = report->init_ms.has_value();
    r->init_ms = report->init_ms.value_or(0);
    if (report->memory_mb) memory_mb = *report->memory_mb;
    r->max_memory_mb = report->max_memory_used_mb.value_or(0);
    observed = r->max_memory_mb;
    // The platform's own billed figure already holds whatever INIT it bills; without one,
    // the profile decides from duration + init.
    priced_ms = report->billed_ms.value_or(-1);
  } else {
    r->billing = BillingSource::kMeasuredByCaller;
    r->duration_ms = round_trip_ms;
    r->cold_start = false;
    r->init_ms = 0;
    priced_ms = -1;
  }
  int64_t m = EffectiveMemory(memory_mb);
  auto billed = priced_ms >= 0 ? PriceInvocation(profile_, priced_ms, m, observed, 0)
                               : PriceInvocation(profile_, r->duration_ms, m, observed, r->init_ms);
  if (!billed.ok()) {
    SL_LOG_WARN("faas", "{}: cannot price invocation {}: {}", host_, r->request_id,
                billed.status().ToString());
    return;
  }
  r->billed_ms = billed->billed_ms;
  r->cost_usd = billed->cost_usd;
}

void RemoteAccounting::Record(const InvokeRequest& request, const InvokeResult& r,
                              int64_t memory_mb, WallTime start,
                              std::string_view error_type) const {
  if (!ledger_) return;
  InvocationRecord rec = LedgerRecordOf(r);
  if (rec.request_id.empty()) rec.request_id = "unknown";
  rec.function = request.function;
  rec.provider = profile_.name;
  rec.stage = request.stage;
  rec.memory_mb = EffectiveMemory(memory_mb);
  rec.error_type = std::string(error_type);
  rec.start_time = start;
  rec.host = host_;
  RecordStoreIo(profile_, r.payload, &rec);  // the function's store traffic, priced (issue 20)
  if (Status s = ledger_->Append(rec); !s.ok()) {
    SL_LOG_WARN("faas", "{}: ledger {}: {}", host_, ledger_->path(), s.ToString());
  }
}

}  // namespace sl::faas
