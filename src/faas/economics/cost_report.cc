#include "faas/economics/cost_report.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "faas/economics/pricing.h"
#include "faas/economics/transfer_pricing.h"

namespace sl::faas {
namespace {

constexpr double kHoursPerMonth = 730;

// One record as seen by one pricing view.
struct Item {
  const InvocationRecord* rec;
  const ProviderProfile* profile;  // pricing profile of this view
  double dur_s = 0;
  double init_s = 0;
  double platform_cold_s = 0;      // profile cold-start mean, cold invocations only
  BilledInvocation bill;           // zero for throttled
  TransferPrice xfer;              // the record's store traffic under this view's profile
};

// Prices a record's store traffic under `profile` (no store: nothing). Store clouds' profiles are
// loaded once per report.
TransferPrice PriceStoreIo(const InvocationRecord& r, const ProviderProfile& profile,
                           std::map<std::string, std::optional<ProviderProfile>>* store_clouds) {
  if (r.store.empty()) return {};
  const std::string cloud = CloudOfStoreUri(r.store);
  if (!store_clouds->count(cloud)) {
    auto p = LoadStoreCloudProfile(cloud);
    (*store_clouds)[cloud] = p.ok() ? *p : std::nullopt;
  }
  const auto& sc = (*store_clouds)[cloud];
  return PriceTransfer(profile, sc ? &*sc : nullptr, r.store,
                       StoreTransfer{.bytes_read = r.store_bytes_read,
                                     .bytes_written = r.store_bytes_written,
                                     .read_requests = r.store_read_requests,
                                     .write_requests = r.store_write_requests,
                                     .list_requests = r.store_list_requests});
}

struct StageAcc {
  UsageTotals t;
  double max_lat = 0;
  double max_lat_cold = 0;
};

void Add(StageAcc& a, const Item& it) {
  UsageTotals& t = a.t;
  ++t.invocations;
  if (it.rec->outcome == Outcome::kThrottled) {
    ++t.throttled;
    return;
  }
  if (it.rec->outcome != Outcome::kSuccess) ++t.errors;
  if (it.rec->cold_start) ++t.cold_starts;
  t.t_total_s += it.dur_s;
  t.init_total_s += it.init_s;
  t.billed_s += it.bill.billed_ms / 1000.0;
  t.gb_s += it.bill.gb_s;
  t.vcpu_s += it.bill.vcpu_s;
  t.ghz_s += it.bill.ghz_s;
  t.compute_usd += it.bill.compute_usd;
  t.request_usd += it.bill.request_usd;
  t.cost_usd += it.bill.cost_usd;
  t.store_bytes_read += it.rec->store_bytes_read;
  t.store_bytes_written += it.rec->store_bytes_written;
  t.store_requests += it.rec->store_read_requests + it.rec->store_write_requests + it.rec->store_list_requests;
  t.transfer_usd += it.xfer.transfer_usd;
  t.store_request_usd += it.xfer.request_usd;
  const double lat = it.dur_s + (it.rec->cold_start ? it.init_s : 0);
  a.max_lat = std::max(a.max_lat, lat);
  a.max_lat_cold = std::max(a.max_lat_cold, lat + it.platform_cold_s);
}

void Merge(UsageTotals& into, const StageAcc& a) {
  const UsageTotals& t = a.t;
  into.invocations += t.invocations;
  into.throttled += t.throttled;
  into.cold_starts += t.cold_starts;
  into.errors += t.errors;
  into.t_total_s += t.t_total_s;
  into.init_total_s += t.init_total_s;
  into.billed_s += t.billed_s;
  into.gb_s += t.gb_s;
  into.vcpu_s += t.vcpu_s;
  into.ghz_s += t.ghz_s;
  into.compute_usd += t.compute_usd;
  into.request_usd += t.request_usd;
  into.cost_usd += t.cost_usd;
  into.store_bytes_read += t.store_bytes_read;
  into.store_bytes_written += t.store_bytes_written;
  into.store_requests += t.store_requests;
  into.transfer_usd += t.transfer_usd;
  into.store_request_usd += t.store_request_usd;
  // Stages run one after another: their parallel times add up.
  into.t_parallel_s += a.max_lat;
  into.t_parallel_cold_s += a.max_lat_cold;
}

// Stages in first-appearance order with their accumulators.
struct StageSet {
  std::vector<std::string> order;
  std::map<std::string, StageAcc> acc;
  StageAcc& Get(const std::string& s) {
    auto it = acc.find(s);
    if (it == acc.end()) {
      order.push_back(s);
      it = acc.emplace(s, StageAcc{}).first;
    }
    return it->second;
  }
};

Status BuildView(const std::vector<Item>& items, const CostOptions& opt, PricingView* view) {
  std::vector<std::string> group_order;
  std::map<std::string, StageSet> groups;
  std::map<std::string, std::set<std::string>> group_providers;
  StageSet all;
  for (const Item& it : items) {
    const std::string key = opt.group_by == CostOptions::GroupBy::kFunction ? it.rec->function
                                                                             : it.profile->name;
    if (!groups.count(key)) group_order.push_back(key);
    Add(groups[key].Get(it.rec->stage), it);
    group_providers[key].insert(it.profile->name);
    Add(all.Get(it.rec->stage), it);
  }
  for (const std::string& key : group_order) {
    GroupReport g;
    g.key = key;
    const auto& provs = group_providers[key];
    g.provider = provs.size() == 1 ? *provs.begin() : "mixed";
    const StageSet& ss = groups[key];
    bool tagged = ss.order.size() > 1 || (ss.order.size() == 1 && !ss.order[0].empty());
    for (const std::string& s : ss.order) {
      const StageAcc& a = ss.acc.at(s);
      Merge(g.totals, a);
      if (tagged) {
        StageTotals st{s.empty() ? "(untagged)" : s, {}};
        Merge(st.totals, a);
        g.stages.push_back(st);
      }
    }
    view->groups.push_back(std::move(g));
  }
  for (const std::string& s : all.order) Merge(view->total, all.acc.at(s));
  std::set<std::string> unpriced;
  for (const Item& it : items) unpriced.insert(it.xfer.unpriced.begin(), it.xfer.unpriced.end());
  for (const auto& u : unpriced) view->notes.push_back("store traffic not priced: " + u);

  view->total_after_free_tier_usd = view->total.cost_usd;
  if (opt.free_tier) {
    // One month's free tier per provider, over the whole ledger.
    std::map<std::string, UsageTotals> per_provider;
    std::map<std::string, const ProviderProfile*> profiles;
    for (const Item& it : items) {
      if (it.rec->outcome == Outcome::kThrottled) continue;
      UsageTotals& t = per_provider[it.profile->name];
      profiles[it.profile->name] = it.profile;
      ++t.invocations;
      t.gb_s += it.bill.gb_s;
      t.vcpu_s += it.bill.vcpu_s;
      t.ghz_s += it.bill.ghz_s;
    }
    for (const auto& [name, t] : per_provider) {
      const ProviderProfile& p = *profiles[name];
      const auto& ft = p.free_tier;
      double usd = std::min(t.gb_s, ft.gb_s) * p.price_per_gb_s +
                   std::min(t.vcpu_s, ft.vcpu_s) * p.price_per_vcpu_s +
                   std::min(t.ghz_s, ft.ghz_s) * p.price_per_ghz_s +
                   std::min(static_cast<double>(t.invocations), ft.requests) * p.price_per_request;
      view->free_tier.push_back({name, usd});
      view->total_after_free_tier_usd -= usd;
    }
  }
  return Status::Ok();
}

std::string Money(double v) { return fmt::format("${:.8f}", v); }

}  // namespace

Result<CostReport> BuildCostReport(const std::vector<InvocationRecord>& records,
                                   const CostOptions& options, const std::string& ledger_name) {
  auto load = options.load_profile ? options.load_profile
                                   : [](const std::string& n) { return LoadProviderProfile(n); };
  std::map<std::string, ProviderProfile> cache;
  std::map<std::string, std::optional<ProviderProfile>> store_clouds;
  auto get = [&](const std::string& name, const std::string& why) -> Result<const ProviderProfile*> {
    auto it = cache.find(name);
    if (it != cache.end()) return &it->second;
    auto p = load(name);
    if (!p.ok()) return p.status().WithContext(why);
    return &cache.emplace(name, std::move(p).value()).first->second;
  };

  CostReport rep;
  rep.ledger = ledger_name;
  rep.group_by = options.group_by == CostOptions::GroupBy::kFunction ? "function" : "provider";
  rep.records = static_cast<int64_t>(records.size());
  rep.measured = {"handler durations (T_i)", "init (cold-start) times of our instance processes",
                  "peak memory", "cold/warm", "queueing for local capacity (never billed)",
                  "wall span on this machine"};
  rep.emulated = {"prices and free tiers", "billing granularity and minimums", "request fees",
                  "memory sizes and CPU per memory", "platform cold-start overheads (T_parallel+cold)"};
  // Remote platforms' rows say where their durations come from (InvocationRecord::billing).
  std::map<BillingSource, int64_t> by_billing;
  for (const InvocationRecord& r : records) ++by_billing[r.billing];
  if (by_billing.size() > 1 || (!by_billing.empty() && by_billing.begin()->first != BillingSource::kProfile)) {
    std::vector<std::string> parts;
    for (const auto& [source, n] : by_billing) {
      const char* what = source == BillingSource::kProfile          ? "measured on this machine's instances"
                         : source == BillingSource::kPlatformReport ? "from the platform's own REPORT lines"
                                                                    : "the caller's round trip (an upper bound)";
      parts.push_back(fmt::format("{} invocation(s): durations {} ({})", n, what, BillingSourceName(source)));
    }
    rep.measured.push_back(fmt::format("{}", fmt::join(parts, "; ")));
  }

  // --- as recorded: each record under its own provider ---
  rep.recorded.title = "as recorded (each invocation priced under its own provider profile)";
  std::vector<Item> items;
  double first = 0, last = 0;
  int64_t base_ns = 0;
  bool have_time = false;
  for (const InvocationRecord& r : records) {
    rep.recorded_cost_usd += r.cost_usd;
    SL_ASSIGN_OR_RETURN(const ProviderProfile* p,
                        get(r.provider, fmt::format("request {}", r.request_id)));
    if (p->kind != ProfileKind::kFunction) {
      return InvalidArgument("request {}: provider {} is a VM profile", r.request_id, r.provider);
    }
    Item it{&r, p, r.duration_ms / 1000.0, r.cold_start ? r.init_ms / 1000.0 : 0,
            r.cold_start ? p->cold_start_mean_ms / 1000.0 : 0, {}, {}};
    if (r.outcome != Outcome::kThrottled) {
      auto bill = PriceInvocation(*p, r.duration_ms, r.memory_mb, r.max_memory_used_mb, it.init_s * 1000);
      if (!bill.ok()) return bill.status().WithContext(fmt::format("request {}", r.request_id));
      it.bill = *bill;
    }
    it.xfer = PriceStoreIo(r, *p, &store_clouds);
    items.push_back(it);
    if (r.start_time.time_since_epoch().count() > 0) {
      // Seconds relative to the first timed record (epoch seconds as doubles lose microseconds).
      if (!have_time) base_ns = r.start_time.time_since_epoch().count();
      double s = static_cast<double>(r.start_time.time_since_epoch().count() - base_ns) / 1e9;
      double e = s + (r.queued_ms + it.init_s * 1000 + r.duration_ms) / 1000.0;
      first = have_time ? std::min(first, s) : s;
      last = have_time ? std::max(last, e) : e;
      have_time = true;
    }
  }
  rep.wall_span_s = have_time ? last - first : 0;
  SL_RETURN_IF_ERROR(BuildView(items, options, &rep.recorded));
  if (std::fabs(rep.recorded.total.cost_usd - rep.recorded_cost_usd) >
      1e-9 + 1e-6 * rep.recorded_cost_usd) {
    rep.recorded.notes.push_back(fmt::format(
        "the ledger's cost_usd fields sum to {}, the current profiles give {} (profiles changed "
        "since the run, or records written by another tool)",
        Money(rep.recorded_cost_usd), Money(rep.recorded.total.cost_usd)));
  }

  // --- repriced views ---
  for (const std::string& target_name : options.reprice) {
    SL_ASSIGN_OR_RETURN(const ProviderProfile* target, get(target_name, "--reprice"));
    if (target->kind != ProfileKind::kFunction) {
      return InvalidArgument("--reprice {}: a VM profile; VMs are compared separately", target_name);
    }
    PricingView view;
    view.target = target_name;
    view.title = fmt::format("repriced under {} ({})", target_name, target->display_name);
    std::vector<Item> ritems;
    std::set<std::string> remaps;
    for (const InvocationRecord& r : records) {
      const ProviderProfile* src = cache.at(r.provider).kind == ProfileKind::kFunction
                                       ? &cache.at(r.provider) : nullptr;
      const int64_t mem = NearestAllowedMemory(*target, r.memory_mb);
      if (mem != r.memory_mb && target->memory_basis != MemoryBasis::kObserved) {
        remaps.insert(fmt::format("{} MB -> {} MB", r.memory_mb, mem));
      }
      double scale = 1;
      if (options.scale_cpu && src != nullptr) {
        const double vs = std::min(1.0, VcpuForMemory(*src, r.memory_mb));
        const double vt = std::min(1.0, VcpuForMemory(*target, mem));
        if (vs > 0 && vt > 0) scale = vs / vt;
      }
      Item it{&r, target, scale * r.duration_ms / 1000.0,
              r.cold_start ? scale * r.init_ms / 1000.0 : 0,
              r.cold_start ? target->cold_start_mean_ms / 1000.0 : 0, {}, {}};
      if (r.outcome != Outcome::kThrottled) {
        auto bill = PriceInvocation(*target, it.dur_s * 1000, mem, r.max_memory_used_mb,
                                    it.init_s * 1000);
        if (!bill.ok()) return bill.status().WithContext(fmt::format("request {}", r.request_id));
        it.bill = *bill;
      }
      it.xfer = PriceStoreIo(r, *target, &store_clouds);
      ritems.push_back(it);
    }
    for (const auto& m : remaps) {
      view.notes.push_back(fmt::format("memory {} (nearest size {} allows)", m, target_name));
    }
    view.notes.push_back(options.scale_cpu
                             ? "durations scaled by min(1,vCPU_src)/min(1,vCPU_dst): assumes "
                               "single-threaded CPU-bound work"
                             : "durations as measured (not scaled by CPU; use --scale-cpu for a "
                               "CPU-bound estimate)");
    SL_RETURN_IF_ERROR(BuildView(ritems, options, &view));
    rep.repriced.push_back(std::move(view));
  }

  // --- always-on VMs ---
  double work_cpu_s = 0;
  for (const Item& it : items) {
    if (it.rec->outcome == Outcome::kThrottled) continue;
    work_cpu_s += it.dur_s * std::min(1.0, VcpuForMemory(*it.profile, it.rec->memory_mb));
  }
  for (const std::string& vm_name : options.vms) {
    SL_ASSIGN_OR_RETURN(const ProviderProfile* vm, get(vm_name, "VM comparison"));
    VmComparison c;
    c.profile = vm_name;
    c.hourly_usd = vm->vm_hourly_usd;
    c.span_s = rep.wall_span_s;
    SL_ASSIGN_OR_RETURN(c.span_cost_usd, VmCost(*vm, c.span_s));
    c.work_s = work_cpu_s / vm->vm_vcpus;
    SL_ASSIGN_OR_RETURN(c.work_cost_usd, VmCost(*vm, c.work_s));
    c.month_usd = vm->vm_hourly_usd * kHoursPerMonth;
    rep.vms.push_back(c);
  }
  return rep;
}

namespace {

void FormatView(const PricingView& v, bool by_function, std::string* out) {
  auto w = std::back_inserter(*out);
  fmt::format_to(w, "\n== {} ==\n", v.title);
  fmt::format_to(w, "{:<24} {:<24} {:>6} {:>5} {:>4} {:>10} {:>10} {:>11} {:>10} {:>10} {:>10} {:>12} {:>12} {:>12}\n",
                 by_function ? "function" : "provider", "priced as", "inv", "cold", "err",
                 "T_total s", "T_par s", "T_par+cold", "GB-s", "vCPU-s", "GHz-s", "compute",
                 "requests", "total");
  auto row = [&](const std::string& a, const std::string& b, const UsageTotals& t) {
    fmt::format_to(w, "{:<24} {:<24} {:>6} {:>5} {:>4} {:>10.3f} {:>10.3f} {:>11.3f} {:>10.3f} {:>10.3f} {:>10.3f} {:>12} {:>12} {:>12}\n",
                   a, b, t.invocations, t.cold_starts, t.errors, t.t_total_s, t.t_parallel_s,
                   t.t_parallel_cold_s, t.gb_s, t.vcpu_s, t.ghz_s, Money(t.compute_usd),
                   Money(t.request_usd), Money(t.cost_usd));
  };
  for (const GroupReport& g : v.groups) {
    row(g.key, g.provider, g.totals);
    for (const StageTotals& s : g.stages) row("  stage " + s.stage, "", s.totals);
  }
  row("TOTAL", "", v.total);
  if (v.total.store_requests > 0) {
    fmt::format_to(w, "  object store traffic of the functions: {:.3f} MiB read, {:.3f} MiB written, {} requests; "
                      "transfer between clouds {}, store requests {} (not in the total)\n",
                   static_cast<double>(v.total.store_bytes_read) / (1 << 20),
                   static_cast<double>(v.total.store_bytes_written) / (1 << 20), v.total.store_requests,
                   Money(v.total.transfer_usd), Money(v.total.store_request_usd));
  }
  for (const FreeTierCredit& f : v.free_tier) {
    fmt::format_to(w, "  free tier {} (one month, whole ledger): -{}\n", f.provider, Money(f.usd));
  }
  if (!v.free_tier.empty()) {
    fmt::format_to(w, "  total after free tier: {}\n", Money(v.total_after_free_tier_usd));
  }
  for (const std::string& n : v.notes) fmt::format_to(w, "  note: {}\n", n);
}

nlohmann::json TotalsJson(const UsageTotals& t) {
  return {{"invocations", t.invocations}, {"throttled", t.throttled},
          {"cold_starts", t.cold_starts}, {"errors", t.errors},
          {"t_total_s", t.t_total_s},     {"init_total_s", t.init_total_s},
          {"t_parallel_s", t.t_parallel_s}, {"t_parallel_cold_s", t.t_parallel_cold_s},
          {"billed_s", t.billed_s},       {"gb_s", t.gb_s},
          {"vcpu_s", t.vcpu_s},           {"ghz_s", t.ghz_s},
          {"compute_usd", t.compute_usd}, {"request_usd", t.request_usd},
          {"cost_usd", t.cost_usd},       {"store_bytes_read", t.store_bytes_read},
          {"store_bytes_written", t.store_bytes_written}, {"store_requests", t.store_requests},
          {"transfer_usd", t.transfer_usd}, {"store_request_usd", t.store_request_usd}};
}

nlohmann::json ViewJson(const PricingView& v) {
  nlohmann::json groups = nlohmann::json::array();
  for (const GroupReport& g : v.groups) {
    nlohmann::json stages = nlohmann::json::array();
    for (const StageTotals& s : g.stages) stages.push_back({{"stage", s.stage}, {"totals", TotalsJson(s.totals)}});
    groups.push_back({{"key", g.key}, {"provider", g.provider}, {"totals", TotalsJson(g.totals)},
                      {"stages", stages}});
  }
  nlohmann::json free = nlohmann::json::array();
  for (const FreeTierCredit& f : v.free_tier) free.push_back({{"provider", f.provider}, {"usd", f.usd}});
  return {{"title", v.title}, {"target", v.target}, {"groups", groups},
          {"total", TotalsJson(v.total)}, {"free_tier", free},
          {"total_after_free_tier_usd", v.total_after_free_tier_usd}, {"notes", v.notes}};
}

}  // namespace

std::string FormatCostReport(const CostReport& r) {
  std::string out;
  auto w = std::back_inserter(out);
  fmt::format_to(w, "ledger {}: {} records, wall span {:.3f} s on this machine\n",
                 r.ledger.empty() ? "(memory)" : r.ledger, r.records, r.wall_span_s);
  fmt::format_to(w, "measured here: {}\n", fmt::join(r.measured, "; "));
  fmt::format_to(w, "taken from provider profiles (emulated): {}\n", fmt::join(r.emulated, "; "));
  fmt::format_to(w, "T_par = sum over stages of max(init+T_i); T_par+cold adds each profile's "
                    "platform cold-start mean to cold invocations\n");
  const bool by_function = r.group_by != "provider";
  FormatView(r.recorded, by_function, &out);
  for (const PricingView& v : r.repriced) FormatView(v, by_function, &out);
  if (!r.vms.empty()) {
    fmt::format_to(w, "\n== always-on VM comparison (per-second billing, 60 s minimum) ==\n");
    fmt::format_to(w, "{:<20} {:>9} {:>11} {:>14} {:>13} {:>14} {:>12}\n", "vm", "$/hour",
                   "span s", "cost for span", "CPU work s", "cost for work", "$/month");
    for (const VmComparison& c : r.vms) {
      fmt::format_to(w, "{:<20} {:>9.6f} {:>11.3f} {:>14} {:>13.3f} {:>14} {:>12.2f}\n", c.profile,
                     c.hourly_usd, c.span_s, Money(c.span_cost_usd), c.work_s,
                     Money(c.work_cost_usd), c.month_usd);
    }
    fmt::format_to(w, "  span = this run's wall time (measured); CPU work = sum of T_i x "
                      "min(1, vCPU_i) spread over the VM's vCPUs (CPU-bound estimate)\n");
  }
  return out;
}

nlohmann::json CostReportToJson(const CostReport& r) {
  nlohmann::json repriced = nlohmann::json::array();
  for (const PricingView& v : r.repriced) repriced.push_back(ViewJson(v));
  nlohmann::json vms = nlohmann::json::array();
  for (const VmComparison& c : r.vms) {
    vms.push_back({{"profile", c.profile}, {"hourly_usd", c.hourly_usd}, {"span_s", c.span_s},
                   {"span_cost_usd", c.span_cost_usd}, {"work_s", c.work_s},
                   {"work_cost_usd", c.work_cost_usd}, {"month_usd", c.month_usd}});
  }
  return {{"ledger", r.ledger}, {"group_by", r.group_by}, {"records", r.records}, {"wall_span_s", r.wall_span_s},
          {"recorded_cost_usd", r.recorded_cost_usd}, {"recorded", ViewJson(r.recorded)},
          {"repriced", repriced}, {"vms", vms}, {"measured", r.measured},
          {"emulated", r.emulated}};
}

}  // namespace sl::faas
