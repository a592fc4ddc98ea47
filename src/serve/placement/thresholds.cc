#include "serve/placement/thresholds.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/file_util.h"

namespace sl::serve {

Result<PlacementThresholds> LoadThresholds(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument("placement thresholds {}: not a JSON object", path);
  }
  PlacementThresholds t;
  auto number = [&](const char* key) -> Result<double> {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) {
      return InvalidArgument("placement thresholds {}: key '{}' missing or not a number", path, key);
    }
    double v = it->get<double>();
    if (v < 0) return InvalidArgument("placement thresholds {}: key '{}' = {} is negative", path, key, v);
    return v;
  };
  SL_ASSIGN_OR_RETURN(t.frequency_threshold, number("frequency_threshold_per_s"));
  SL_ASSIGN_OR_RETURN(double d, number("size_threshold_bytes"));
  t.size_threshold = static_cast<int64_t>(d);
  if (j.contains("window_ms")) {
    SL_ASSIGN_OR_RETURN(double w, number("window_ms"));
    if (w <= 0) return InvalidArgument("placement thresholds {}: key 'window_ms' must be > 0", path);
    t.window_ms = static_cast<int64_t>(w);
  }
  if (j.contains("model") && j["model"].is_string()) t.model = j["model"].get<std::string>();
  if (j.contains("derivation") && j["derivation"].is_string()) {
    t.derivation = j["derivation"].get<std::string>();
  }
  if (j.contains("measurements")) t.measurements_json = j["measurements"].dump();
  return t;
}

Status SaveThresholds(const std::string& path, const PlacementThresholds& t) {
  nlohmann::json j;
  j["format"] = "straightline-thresholds/1";
  j["model"] = t.model;
  j["frequency_threshold_per_s"] = t.frequency_threshold;
  j["size_threshold_bytes"] = t.size_threshold;
  j["window_ms"] = t.window_ms;
  j["derivation"] = t.derivation;
  nlohmann::json m = nlohmann::json::parse(t.measurements_json, nullptr, false);
  j["measurements"] = m.is_discarded() ? nlohmann::json::object() : m;
  return WriteFileAtomic(path, j.dump(2) + "\n");
}

Result<int64_t> DeriveSizeThreshold(std::vector<SizeLatency> sizes) {
  if (sizes.empty()) return InvalidArgument("DeriveSizeThreshold: no measured request sizes");
  std::sort(sizes.begin(), sizes.end(),
            [](const SizeLatency& a, const SizeLatency& b) { return a.bytes < b.bytes; });
  for (const SizeLatency& s : sizes) {
    if (s.container_ms > 0 && s.container_ms < s.local_ms) return s.bytes;
  }
  return sizes.back().bytes * 2;
}

bool WithinLocalCapacity(const RateResult& r, double unloaded_p99_ms) {
  const double tail_limit = std::max(2 * unloaded_p99_ms, unloaded_p99_ms + 10);
  return r.success_ratio >= 0.99 && r.p99_ms <= tail_limit;
}

Result<double> DeriveFrequencyThreshold(std::vector<RateResult> rates, double unloaded_p99_ms) {
  if (rates.empty()) return InvalidArgument("DeriveFrequencyThreshold: no measured rates");
  double best = -1;
  for (const RateResult& r : rates) {
    if (WithinLocalCapacity(r, unloaded_p99_ms)) best = std::max(best, r.offered_per_s);
  }
  if (best <= 0) {
    return InvalidArgument("DeriveFrequencyThreshold: the local tier served none of the {} measured "
                           "rates with >= 99% success and p99 <= max(2 x, +10 ms) its unloaded p99 of "
                           "{:.2f} ms", rates.size(), unloaded_p99_ms);
  }
  return 0.8 * best;
}

}  // namespace sl::serve
