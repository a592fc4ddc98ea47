// libFuzzer target for the Azure Functions trace readers (azure_trace.h, csv_reader.h): CSV a
// user downloads (the public traces, or any file given to --trace). The same bytes go through
// every reader. Contract checked: each returns OK or INVALID_ARGUMENT whose message starts with
// the file name and, for a line error, "FILE:LINE:"; never throws. An OK trace is what the header
// promises: 2019 counts >= 0 with one per minute column, percentiles with p increasing and values
// non-negative and non-decreasing; 2021 durations >= 0 and finite. A small OK trace is then turned
// into a workload and simulated under a fixed and the hybrid policy: calls sorted and inside the
// horizon, 1 <= cold starts <= invocations for every app that was called, idle time finite and
// >= 0, and the same seed gives the same outcome twice.
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-all.sh (target
// azure_trace). Seeds: fuzz/corpus/azure_trace/ (cut from the shared samples).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "trace/azure_trace.h"
#include "trace/csv_reader.h"
#include "trace/keep_alive_study.h"

namespace {

using namespace sl::trace;

void Check(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "azure_trace_fuzz: invariant violated: %s: %s\n", what, detail.c_str());
  std::abort();
}

void CheckError(const sl::Status& st, const std::string& file) {
  Check(st.code() == sl::Code::kInvalidArgument, "error code", st.ToString());
  Check(st.message().rfind(file + ":", 0) == 0, "error does not start with the file name",
        st.message());
}

void CheckPercentiles(const PercentilePoints& p, const char* what) {
  for (size_t i = 0; i < p.points.size(); ++i) {
    Check(std::isfinite(p.points[i].second) && p.points[i].second >= 0, what, "negative value");
    if (i > 0) {
      Check(p.points[i].first > p.points[i - 1].first, what, "p not increasing");
      Check(p.points[i].second >= p.points[i - 1].second, what, "value decreasing");
    }
  }
}

void Simulate(const Trace& t) {
  int64_t total = 0;
  for (const auto& f : t.functions) {
    for (int32_t n : f.per_minute) total += n;
  }
  total += static_cast<int64_t>(t.invocations.size());
  if (total > 5000) return;  // keep each input fast; the readers are the target
  sl::faas::ProviderProfile profile;
  profile.keep_alive_s = 600;
  WorkloadOptions wo;
  wo.arrivals = static_cast<ArrivalMode>(total % 3);
  auto w = BuildWorkload(t, wo);
  Check(w.ok(), "BuildWorkload failed on a parsed trace", w.status().ToString());
  Check(w->invocations == total, "workload lost invocations");
  for (const auto& u : w->units) {
    for (size_t i = 0; i < u.calls.size(); ++i) {
      Check(u.calls[i].start >= sl::Nanos(0) && u.calls[i].start <= w->horizon, "call outside the horizon");
      Check(u.calls[i].duration >= sl::Nanos(0), "negative duration");
      if (i > 0) Check(u.calls[i].start >= u.calls[i - 1].start, "calls not sorted");
    }
  }
  SimOptions so;
  so.instance_concurrency = total % 2;  // unlimited or one at a time
  sl::FakeClock clock;
  auto a = RunKeepAliveStudy(*w, {"fixed:1m", "hybrid"}, profile, so, &clock);
  auto b = RunKeepAliveStudy(*w, {"fixed:1m", "hybrid"}, profile, so, &clock);
  Check(a.ok() && b.ok(), "study failed");
  for (size_t p = 0; p < a->policies.size(); ++p) {
    const auto& pa = a->policies[p];
    Check(pa.invocations == total, "study lost invocations");
    Check(pa.cold_starts == b->policies[p].cold_starts && pa.wasted_gb_s == b->policies[p].wasted_gb_s,
          "not deterministic");
    for (const auto& app : pa.apps) {
      Check(app.outcome.cold_starts >= 1 && app.outcome.cold_starts <= app.outcome.invocations,
            "cold starts out of [1, invocations]");
      Check(std::isfinite(app.outcome.idle_seconds) && app.outcome.idle_seconds >= 0, "idle time");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  {
    Trace t;
    sl::Status st = ParseInvocations2019(text, "inv.csv", &t);
    if (!st.ok()) {
      CheckError(st, "inv.csv");
    } else {
      Check(t.minutes > 0, "no minutes");
      for (const auto& f : t.functions) {
        Check(static_cast<int32_t>(f.per_minute.size()) == t.minutes, "minute count");
        for (int32_t n : f.per_minute) Check(n >= 0, "negative count");
      }
      Simulate(t);
    }
  }
  {
    // The text as a durations and a memory file, for a trace that has every function the text
    // names (so the durations rows are read, not skipped as unknown functions).
    Trace t;
    t.minutes = 1;
    CsvReader r(text, "names.csv");
    if (r.ReadHeader().ok() && r.FindColumn("HashApp") >= 0 && r.FindColumn("HashFunction") >= 0) {
      const int ca = r.FindColumn("HashApp"), cf = r.FindColumn("HashFunction");
      r.ForEachRow([&](const CsvRow& row) {
         TraceFunction f;
         f.app = row.fields[ca];
         f.function = row.fields[cf];
         f.per_minute = {1};
         t.functions.push_back(std::move(f));
         return sl::Status::Ok();
       }).IgnoreError();
    }
    if (sl::Status d = ParseDurations2019(text, "run.csv", &t); !d.ok()) CheckError(d, "run.csv");
    if (sl::Status m = ParseMemory2019(text, "mem.csv", &t); !m.ok()) CheckError(m, "mem.csv");
    for (const auto& f : t.functions) {
      if (f.has_durations) CheckPercentiles(f.durations.percentiles, "durations");
    }
    for (const auto& [app, m] : t.app_memory) {
      CheckPercentiles(m.percentiles, "memory");
      Check(m.average_mb >= 0 && std::isfinite(m.average_mb), "memory average");
    }
    Simulate(t);
  }
  {
    Trace t;
    sl::Status st = ParseInvocations2021(text, "t21.csv", &t);
    if (!st.ok()) {
      CheckError(st, "t21.csv");
    } else {
      for (const auto& inv : t.invocations) {
        Check(inv.duration_s >= 0 && std::isfinite(inv.duration_s) && std::isfinite(inv.start_s),
              "2021 times");
        Check(inv.function >= 0 && inv.function < static_cast<int32_t>(t.functions.size()), "index");
      }
      Simulate(t);
    }
  }
  auto f = DetectFormat(text, "x.csv");
  if (!f.ok()) CheckError(f.status(), "x.csv");
  return 0;
}
