#include "trace/azure_trace.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include <fmt/format.h>

#include "common/file_util.h"
#include "trace/csv_reader.h"

namespace sl::trace {
namespace {

std::string FunctionKey(std::string_view app, std::string_view function) {
  std::string k(app);
  k += '/';
  k += function;
  return k;
}

// Minute column number of a 2019 header name: "17" or "minute_17" → 17; 0 if it is not one.
int MinuteOf(std::string_view name) {
  if (name.rfind("minute_", 0) == 0) name.remove_prefix(7);
  if (name.empty() || name.size() > 6) return 0;
  int m = 0;
  for (char c : name) {
    if (c < '0' || c > '9') return 0;
    m = m * 10 + (c - '0');
  }
  return m;
}

// Reads the (p, column) percentile columns of one row into points, checking that the values are
// non-negative and non-decreasing in p.
Status ReadPercentiles(const CsvReader& r, const CsvRow& row,
                       const std::vector<std::pair<double, int>>& columns, PercentilePoints* out) {
  out->points.clear();
  for (const auto& [p, col] : columns) {
    double v = 0;
    if (!ParseCsvDouble(row.fields[col], &v)) return r.CellError(row, col, "not a number");
    if (v < 0) return r.CellError(row, col, "negative");
    if (!out->points.empty() && v < out->points.back().second) {
      return r.CellError(row, col, fmt::format("smaller than the previous percentile ({})",
                                               out->points.back().second));
    }
    out->points.emplace_back(p, v);
  }
  return Status::Ok();
}

Result<std::vector<std::pair<double, int>>> PercentileColumns(
    const CsvReader& r, const std::string& prefix, const std::vector<int>& percents) {
  std::vector<std::pair<double, int>> cols;
  for (int p : percents) {
    SL_ASSIGN_OR_RETURN(int c, r.RequireColumn(prefix + std::to_string(p)));
    cols.emplace_back(p / 100.0, c);
  }
  return cols;
}

std::unordered_map<std::string, size_t> IndexFunctions(const Trace& trace) {
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < trace.functions.size(); ++i) {
    index.emplace(FunctionKey(trace.functions[i].app, trace.functions[i].function), i);
  }
  return index;
}

}  // namespace

Status ParseInvocations2019(std::string_view text, const std::string& file, Trace* trace) {
  CsvReader r(text, file);
  SL_RETURN_IF_ERROR(r.ReadHeader());
  SL_ASSIGN_OR_RETURN(int c_owner, r.RequireColumn("HashOwner"));
  SL_ASSIGN_OR_RETURN(int c_app, r.RequireColumn("HashApp"));
  SL_ASSIGN_OR_RETURN(int c_fn, r.RequireColumn("HashFunction"));
  const int c_trigger = r.FindColumn("Trigger");
  // Minute columns, by number: they must be exactly 1..N.
  std::vector<int> minute_col;
  for (size_t i = 0; i < r.header().size(); ++i) {
    int m = MinuteOf(r.header()[i]);
    if (m == 0) continue;
    if (static_cast<size_t>(m) > r.header().size()) {
      return InvalidArgument("{}:1: minute column '{}' beyond the {} columns of the header", file,
                             r.header()[i], r.header().size());
    }
    if (minute_col.size() < static_cast<size_t>(m)) minute_col.resize(m, -1);
    minute_col[m - 1] = static_cast<int>(i);
  }
  if (minute_col.empty()) return InvalidArgument("{}:1: no minute columns (1, 2, ... or minute_1, ...)", file);
  for (size_t m = 0; m < minute_col.size(); ++m) {
    if (minute_col[m] < 0) return InvalidArgument("{}:1: minute column {} is missing", file, m + 1);
  }
  if (trace->minutes != 0 && trace->minutes != static_cast<int32_t>(minute_col.size())) {
    return InvalidArgument("{}:1: {} minute columns, the trace already has {}", file,
                           minute_col.size(), trace->minutes);
  }
  trace->format = Trace::Format::k2019;
  trace->minutes = static_cast<int32_t>(minute_col.size());
  auto index = IndexFunctions(*trace);
  return r.ForEachRow([&](const CsvRow& row) -> Status {
    TraceFunction f;
    f.owner = row.fields[c_owner];
    f.app = row.fields[c_app];
    f.function = row.fields[c_fn];
    if (c_trigger >= 0) f.trigger = row.fields[c_trigger];
    if (f.app.empty()) return r.CellError(row, c_app, "empty");
    if (f.function.empty()) return r.CellError(row, c_fn, "empty");
    f.per_minute.resize(minute_col.size());
    for (size_t m = 0; m < minute_col.size(); ++m) {
      int64_t n = 0;
      const int c = minute_col[m];
      if (!ParseCsvInt(row.fields[c], &n) || n < 0 || n > 100'000'000) {
        return r.CellError(row, c, "want an invocation count in [0, 1e8]");
      }
      f.per_minute[m] = static_cast<int32_t>(n);
    }
    if (!index.emplace(FunctionKey(f.app, f.function), trace->functions.size()).second) {
      return r.CellError(row, c_fn, "function listed twice for this app");
    }
    trace->functions.push_back(std::move(f));
    return Status::Ok();
  });
}

Status ParseDurations2019(std::string_view text, const std::string& file, Trace* trace) {
  CsvReader r(text, file);
  SL_RETURN_IF_ERROR(r.ReadHeader());
  SL_ASSIGN_OR_RETURN(int c_app, r.RequireColumn("HashApp"));
  SL_ASSIGN_OR_RETURN(int c_fn, r.RequireColumn("HashFunction"));
  SL_ASSIGN_OR_RETURN(int c_count, r.RequireColumn("Count"));
  SL_ASSIGN_OR_RETURN(int c_avg, r.RequireColumn("Average"));
  SL_ASSIGN_OR_RETURN(int c_min, r.RequireColumn("Minimum"));
  SL_ASSIGN_OR_RETURN(int c_max, r.RequireColumn("Maximum"));
  SL_ASSIGN_OR_RETURN(auto pcols, PercentileColumns(r, "percentile_Average_", {0, 1, 25, 50, 75, 99, 100}));
  auto index = IndexFunctions(*trace);
  std::vector<bool> seen(trace->functions.size(), false);
  return r.ForEachRow([&](const CsvRow& row) -> Status {
    auto it = index.find(FunctionKey(row.fields[c_app], row.fields[c_fn]));
    if (it == index.end()) return Status::Ok();  // a function that was never invoked that day
    if (seen[it->second]) return r.CellError(row, c_fn, "function listed twice for this app");
    seen[it->second] = true;
    DurationStats d;
    if (!ParseCsvInt(row.fields[c_count], &d.count) || d.count < 0) {
      return r.CellError(row, c_count, "want a non-negative integer");
    }
    struct {
      int col;
      double* out;
    } nums[] = {{c_avg, &d.average_ms}, {c_min, &d.minimum_ms}, {c_max, &d.maximum_ms}};
    for (auto& n : nums) {
      if (!ParseCsvDouble(row.fields[n.col], n.out) || *n.out < 0) {
        return r.CellError(row, n.col, "want a non-negative number of ms");
      }
    }
    SL_RETURN_IF_ERROR(ReadPercentiles(r, row, pcols, &d.percentiles));
    TraceFunction& f = trace->functions[it->second];
    f.durations = std::move(d);
    f.has_durations = true;
    return Status::Ok();
  });
}

Status ParseMemory2019(std::string_view text, const std::string& file, Trace* trace) {
  CsvReader r(text, file);
  SL_RETURN_IF_ERROR(r.ReadHeader());
  SL_ASSIGN_OR_RETURN(int c_app, r.RequireColumn("HashApp"));
  SL_ASSIGN_OR_RETURN(int c_count, r.RequireColumn("SampleCount"));
  SL_ASSIGN_OR_RETURN(int c_avg, r.RequireColumn("AverageAllocatedMb"));
  SL_ASSIGN_OR_RETURN(auto pcols, PercentileColumns(r, "AverageAllocatedMb_pct", {1, 5, 25, 50, 75, 95, 99, 100}));
  return r.ForEachRow([&](const CsvRow& row) -> Status {
    AppMemoryStats m;
    const std::string app(row.fields[c_app]);
    if (app.empty()) return r.CellError(row, c_app, "empty");
    if (trace->app_memory.count(app)) return r.CellError(row, c_app, "app listed twice");
    if (!ParseCsvInt(row.fields[c_count], &m.sample_count) || m.sample_count < 0) {
      return r.CellError(row, c_count, "want a non-negative integer");
    }
    if (!ParseCsvDouble(row.fields[c_avg], &m.average_mb) || m.average_mb < 0) {
      return r.CellError(row, c_avg, "want a non-negative number of MB");
    }
    SL_RETURN_IF_ERROR(ReadPercentiles(r, row, pcols, &m.percentiles));
    trace->app_memory.emplace(app, std::move(m));
    return Status::Ok();
  });
}

Status ParseInvocations2021(std::string_view text, const std::string& file, Trace* trace) {
  CsvReader r(text, file);
  SL_RETURN_IF_ERROR(r.ReadHeader());
  SL_ASSIGN_OR_RETURN(int c_app, r.RequireColumn("app"));
  SL_ASSIGN_OR_RETURN(int c_fn, r.RequireColumn("func"));
  SL_ASSIGN_OR_RETURN(int c_end, r.RequireColumn("end_timestamp"));
  SL_ASSIGN_OR_RETURN(int c_dur, r.RequireColumn("duration"));
  trace->format = Trace::Format::k2021;
  auto index = IndexFunctions(*trace);
  return r.ForEachRow([&](const CsvRow& row) -> Status {
    if (row.fields[c_app].empty()) return r.CellError(row, c_app, "empty");
    if (row.fields[c_fn].empty()) return r.CellError(row, c_fn, "empty");
    double end = 0, dur = 0;
    if (!ParseCsvDouble(row.fields[c_end], &end) || std::abs(end) > 1e10) {
      return r.CellError(row, c_end, "want seconds since the start of the trace");
    }
    if (!ParseCsvDouble(row.fields[c_dur], &dur) || dur < 0 || dur > 1e7) {
      return r.CellError(row, c_dur, "want a duration in seconds in [0, 1e7]");
    }
    auto [it, added] = index.emplace(FunctionKey(row.fields[c_app], row.fields[c_fn]),
                                     trace->functions.size());
    if (added) {
      TraceFunction f;
      f.app = row.fields[c_app];
      f.function = row.fields[c_fn];
      trace->functions.push_back(std::move(f));
    }
    trace->invocations.push_back({static_cast<int32_t>(it->second), end - dur, dur});
    return Status::Ok();
  });
}

Result<Trace::Format> DetectFormat(std::string_view text, const std::string& file) {
  CsvReader r(text, file);
  SL_RETURN_IF_ERROR(r.ReadHeader());
  if (r.FindColumn("end_timestamp") >= 0 && r.FindColumn("func") >= 0) return Trace::Format::k2021;
  if (r.FindColumn("HashFunction") >= 0) {
    for (const auto& h : r.header()) {
      if (MinuteOf(h) > 0) return Trace::Format::k2019;
    }
  }
  return InvalidArgument("{}:1: neither an Azure 2021 trace (app,func,end_timestamp,duration) nor "
                         "a 2019 invocations file (HashFunction and minute columns)", file);
}

namespace {

// The durations and memory files that belong beside a 2019 invocations file, or "" if its name
// follows neither convention.
std::pair<std::string, std::string> SiblingFiles(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const std::string inv = "_inv.csv";
  if (base.size() > inv.size() && base.compare(base.size() - inv.size(), inv.size(), inv) == 0) {
    const std::string stem = base.substr(0, base.size() - inv.size());
    return {dir + stem + "_run.csv", dir + stem + "_mem.csv"};
  }
  const std::string azure = "invocations_per_function_md.anon.";
  if (base.rfind(azure, 0) == 0) {
    const std::string day = base.substr(azure.size());  // dNN.csv
    return {dir + "function_durations_percentiles.anon." + day,
            dir + "app_memory_percentiles.anon." + day};
  }
  return {"", ""};
}

}  // namespace

Result<Trace> ReadTrace(const std::string& path, const std::string& durations_path,
                        const std::string& memory_path) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  SL_ASSIGN_OR_RETURN(Trace::Format format, DetectFormat(text, path));
  Trace trace;
  trace.files.push_back(path);
  if (format == Trace::Format::k2021) {
    SL_RETURN_IF_ERROR(ParseInvocations2021(text, path, &trace));
    return trace;
  }
  SL_RETURN_IF_ERROR(ParseInvocations2019(text, path, &trace));
  auto [run, mem] = SiblingFiles(path);
  if (!durations_path.empty()) run = durations_path;
  if (!memory_path.empty()) mem = memory_path;
  if (run.empty() || mem.empty()) {
    return InvalidArgument("{}: a 2019 invocations file needs its durations and memory files: name "
                           "it X_inv.csv (with X_run.csv, X_mem.csv beside it) or "
                           "invocations_per_function_md.anon.dNN.csv, or give both paths", path);
  }
  for (const auto& [p, parse] :
       {std::pair{run, &ParseDurations2019}, std::pair{mem, &ParseMemory2019}}) {
    auto t = ReadFileToString(p);
    if (!t.ok()) {
      return Status(t.status().code(), fmt::format("{} (the 2019 trace {} needs it): {}", p, path,
                                                   t.status().message()));
    }
    SL_RETURN_IF_ERROR(parse(*t, p, &trace));
    trace.files.push_back(p);
  }
  return trace;
}

}  // namespace sl::trace
