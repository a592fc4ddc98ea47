#include "serve/sim/calibration.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/file_util.h"
#include "serve/placement/thresholds.h"

namespace sl::serve::sim {
namespace {

struct Point {
  double samples, mean_ms, p50_ms, p99_ms;
};

// z of the 99th percentile of a standard normal.
constexpr double kZ99 = 2.3263478740;

Result<double> Number(const nlohmann::json& obj, const char* key, const std::string& where) {
  if (!obj.is_object() || !obj.contains(key)) return InvalidArgument("{}: missing '{}'", where, key);
  const nlohmann::json& v = obj[key];
  if (!v.is_number()) return InvalidArgument("{}.{}: not a number", where, key);
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < 0) return InvalidArgument("{}.{}: {} is not a finite value >= 0", where, key, x);
  return x;
}

ServiceFit FitPoints(const std::vector<Point>& pts) {
  ServiceFit f;
  f.points = static_cast<int>(pts.size());
  if (pts.empty()) return f;
  f.measured = true;
  const double n = static_cast<double>(pts.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const Point& p : pts) {
    sx += p.samples;
    sy += p.mean_ms;
    sxx += p.samples * p.samples;
    sxy += p.samples * p.mean_ms;
  }
  const double den = n * sxx - sx * sx;
  double m = den > 0 ? (n * sxy - sx * sy) / den : 0;
  m = std::max(0.0, m);
  double a = (sy - m * sx) / n;
  if (a < 0.01) {  // a line through the origin and beyond: keep the slope, charge a floor
    a = 0.01;
  }
  f.a_ms = a;
  f.m_ms = m;
  for (const Point& p : pts) f.curve.emplace_back(p.samples, p.mean_ms);
  std::sort(f.curve.begin(), f.curve.end());
  // Two rows of the same size: their average.
  std::vector<std::pair<double, double>> merged;
  for (size_t i = 0; i < f.curve.size();) {
    size_t j = i;
    double sum = 0;
    for (; j < f.curve.size() && f.curve[j].first == f.curve[i].first; ++j) sum += f.curve[j].second;
    merged.emplace_back(f.curve[i].first, sum / static_cast<double>(j - i));
    i = j;
  }
  f.curve = std::move(merged);
  std::vector<double> sig;
  for (const Point& p : pts) {
    if (p.p50_ms > 0 && p.p99_ms >= p.p50_ms) sig.push_back(std::log(p.p99_ms / p.p50_ms) / kZ99);
  }
  if (!sig.empty()) {
    std::sort(sig.begin(), sig.end());
    f.sigma = sig[sig.size() / 2];
  }
  return f;
}

}  // namespace

double ServiceFit::MeanMs(int64_t samples) const {
  const double x = static_cast<double>(samples);
  if (curve.empty()) return a_ms + m_ms * x;
  if (curve.size() == 1 || x <= curve.front().first) return curve.front().second;
  for (size_t i = 1; i < curve.size(); ++i) {
    if (x <= curve[i].first) {
      const auto& [x0, y0] = curve[i - 1];
      const auto& [x1, y1] = curve[i];
      return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
    }
  }
  const auto& [x0, y0] = curve[curve.size() - 2];
  const auto& [x1, y1] = curve.back();
  return y1 + std::max(0.0, (y1 - y0) / (x1 - x0)) * (x - x1);
}

double ServiceFit::Draw(int64_t samples, std::mt19937_64& rng) const {
  const double mean = MeanMs(samples);
  if (sigma <= 0) return mean;
  std::normal_distribution<double> z(0, 1);
  return mean * std::exp(sigma * z(rng) - 0.5 * sigma * sigma);
}

const ServiceFit& Calibration::Fit(TierKind kind) const {
  switch (kind) {
    case TierKind::kLocal: return local;
    case TierKind::kContainer: return container;
    case TierKind::kFunction: return function;
  }
  return local;
}

Result<Calibration> ParseCalibration(const std::string& text, const std::string& file) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("{}: not a JSON object (want the thresholds file `straightline calibrate` writes)", file);
  }
  Calibration c;
  c.file = file;
  if (j.contains("model") && j["model"].is_string()) c.model = j["model"].get<std::string>();
  SL_ASSIGN_OR_RETURN(c.frequency_threshold, Number(j, "frequency_threshold_per_s", file));
  SL_ASSIGN_OR_RETURN(double d, Number(j, "size_threshold_bytes", file));
  c.size_threshold = static_cast<int64_t>(d);
  if (j.contains("window_ms")) {
    SL_ASSIGN_OR_RETURN(double w, Number(j, "window_ms", file));
    if (w <= 0) return InvalidArgument("{}: window_ms must be > 0", file);
    c.window_ms = static_cast<int64_t>(w);
  }
  if (!j.contains("measurements") || !j["measurements"].is_object()) {
    return InvalidArgument("{}: no 'measurements' object (written by `straightline calibrate`)", file);
  }
  const nlohmann::json& m = j["measurements"];
  if (!m.contains("sizes") || !m["sizes"].is_array() || m["sizes"].empty()) {
    return InvalidArgument("{}: measurements.sizes: missing or empty (the size sweep of calibrate)", file);
  }
  std::vector<Point> pts[3];
  double local_p50_at_1 = 0;
  const char* names[3] = {"local", "container", "function"};
  for (size_t i = 0; i < m["sizes"].size(); ++i) {
    const nlohmann::json& row = m["sizes"][i];
    const std::string where = fmt::format("{}: measurements.sizes[{}]", file, i);
    SL_ASSIGN_OR_RETURN(double samples, Number(row, "samples_per_request", where));
    if (samples < 1) return InvalidArgument("{}.samples_per_request: {} < 1", where, samples);
    if (!row.contains("local")) return InvalidArgument("{}: no 'local' measurement", where);
    for (int t = 0; t < 3; ++t) {
      if (!row.contains(names[t])) continue;
      const std::string w = where + "." + names[t];
      const nlohmann::json& x = row[names[t]];
      SL_ASSIGN_OR_RETURN(double mean, Number(x, "mean_ms", w));
      SL_ASSIGN_OR_RETURN(double p50, Number(x, "p50_ms", w));
      SL_ASSIGN_OR_RETURN(double p99, Number(x, "p99_ms", w));
      double success = 1;
      if (x.contains("success")) {
        SL_ASSIGN_OR_RETURN(success, Number(x, "success", w));
      }
      // A size the tier failed at a trickle tells nothing about its service time.
      if (success < 0.99) continue;
      pts[t].push_back({samples, mean, p50, p99});
      if (t == 0 && samples == 1) local_p50_at_1 = p50;
    }
  }
  c.local = FitPoints(pts[0]);
  if (!c.local.measured) {
    return InvalidArgument("{}: measurements.sizes: the local tier succeeded at no size", file);
  }
  c.container = FitPoints(pts[1]);
  c.function = FitPoints(pts[2]);
  if (m.contains("tiers") && m["tiers"].is_object()) {
    const nlohmann::json& t = m["tiers"];
    if (t.contains("container")) {
      SL_ASSIGN_OR_RETURN(c.container_start_ms, Number(t["container"], "start_ms_ewma",
                                                       file + ": measurements.tiers.container"));
    }
    if (t.contains("function")) {
      SL_ASSIGN_OR_RETURN(c.function_start_ms, Number(t["function"], "start_ms_ewma",
                                                      file + ": measurements.tiers.function"));
    }
  }
  if (m.contains("host_cores")) {
    SL_ASSIGN_OR_RETURN(double cores, Number(m, "host_cores", file + ": measurements"));
    c.host_cores = static_cast<int64_t>(cores);
  }
  c.cpu_fraction_note = "1: no rate sweep or host cores in the file (all of a request's time taken as CPU)";
  if (c.host_cores > 0 && m.contains("local_rates") && m["local_rates"].is_array() &&
      m.contains("local_unloaded")) {
    SL_ASSIGN_OR_RETURN(double unloaded_p99, Number(m["local_unloaded"], "p99_ms", file + ": measurements.local_unloaded"));
    double within = 0, beyond = 0, warm_p50 = 0;
    for (size_t i = 0; i < m["local_rates"].size(); ++i) {
      const nlohmann::json& row = m["local_rates"][i];
      const std::string where = fmt::format("{}: measurements.local_rates[{}]", file, i);
      RateResult r;
      SL_ASSIGN_OR_RETURN(r.offered_per_s, Number(row, "offered_per_s", where));
      SL_ASSIGN_OR_RETURN(r.success_ratio, Number(row, "success", where));
      SL_ASSIGN_OR_RETURN(r.p50_ms, Number(row, "p50_ms", where));
      SL_ASSIGN_OR_RETURN(r.p99_ms, Number(row, "p99_ms", where));
      if (WithinLocalCapacity(r, unloaded_p99)) {
        within = std::max(within, r.offered_per_s);
        if (r.p50_ms > 0 && (warm_p50 == 0 || r.p50_ms < warm_p50)) warm_p50 = r.p50_ms;
      } else if (beyond == 0 || r.offered_per_s < beyond) {
        beyond = r.offered_per_s;
      }
    }
    std::string how;
    if (within > 0 && beyond > within) {
      c.saturation_rate = std::sqrt(within * beyond);
      how = fmt::format("between {:.0f}/s (within) and {:.0f}/s (saturated)", within, beyond);
    } else if (within > 0) {
      c.saturation_rate = within;
      how = fmt::format("at least {:.0f}/s (every rate within: a lower bound)", within);
    } else if (beyond > 0) {
      c.saturation_rate = beyond;
      how = fmt::format("below {:.0f}/s (no rate within: an upper bound)", beyond);
    }
    if (warm_p50 > 0 && local_p50_at_1 > 0) {
      c.warm_factor = std::clamp(warm_p50 / local_p50_at_1, 0.2, 1.0);
      for (ServiceFit* f : {&c.local, &c.container, &c.function}) {
        f->a_ms *= c.warm_factor;
        f->m_ms *= c.warm_factor;
        for (auto& point : f->curve) point.second *= c.warm_factor;
      }
    }
    const double l1 = c.local.MeanMs(1);
    if (c.saturation_rate > 0 && l1 > 0) {
      const double cpu_ms = 1000.0 * static_cast<double>(c.host_cores) / c.saturation_rate;
      c.cpu_fraction = std::clamp(cpu_ms / l1, 0.05, 1.0);
      c.cpu_fraction_note = fmt::format(
          "{:.2f}: the local tier saturates at ~{:.0f} single-sample requests/s ({}) on {} cores = {:.3f} CPU-ms "
          "a request, of {:.3f} ms (warm cores: x {:.2f} the trickle's)", c.cpu_fraction, c.saturation_rate, how,
          c.host_cores, cpu_ms, l1, c.warm_factor);
    }
  }
  return c;
}

Result<Calibration> LoadCalibration(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) {
    if (text.status().code() == Code::kNotFound) {
      return NotFound("calibration file {} not found (write one with `straightline calibrate --out {}`)", path, path);
    }
    return text.status().WithContext("calibration file " + path);
  }
  return ParseCalibration(*text, path);
}

}  // namespace sl::serve::sim
