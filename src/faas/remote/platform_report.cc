#include "faas/remote/platform_report.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace sl::faas {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The number at the start of "12.35 ms" / "128 MB"; nullopt when it is not one.
std::optional<double> Number(std::string_view v) {
  std::string s(Trim(v));
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || !std::isfinite(d) || d < 0) return std::nullopt;
  return d;
}

std::optional<PlatformReport> ParseLine(std::string_view line) {
  PlatformReport r;
  bool have_duration = false;
  size_t pos = 0;
  while (pos <= line.size()) {
    size_t tab = line.find('\t', pos);
    std::string_view field = Trim(line.substr(pos, tab == std::string_view::npos ? line.npos : tab - pos));
    pos = tab == std::string_view::npos ? line.size() + 1 : tab + 1;
    size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = Trim(field.substr(0, colon));
    auto value = Number(field.substr(colon + 1));
    if (!value) continue;
    if (name == "Duration") {
      r.duration_ms = *value;
      have_duration = true;
    } else if (name == "Billed Duration") {
      r.billed_ms = *value;
    } else if (name == "Memory Size") {
      r.memory_mb = static_cast<int64_t>(std::llround(*value));
    } else if (name == "Max Memory Used") {
      r.max_memory_used_mb = static_cast<int64_t>(std::llround(*value));
    } else if (name == "Init Duration") {
      r.init_ms = *value;
    }
  }
  if (!have_duration) return std::nullopt;
  return r;
}

}  // namespace

std::optional<PlatformReport> ParsePlatformReport(std::string_view log) {
  std::optional<PlatformReport> last;
  size_t pos = 0;
  while (pos < log.size()) {
    size_t nl = log.find('\n', pos);
    std::string_view line = log.substr(pos, nl == std::string_view::npos ? log.npos : nl - pos);
    pos = nl == std::string_view::npos ? log.size() : nl + 1;
    if (!line.starts_with("REPORT ")) continue;
    if (auto r = ParseLine(line.substr(7))) last = r;
  }
  return last;
}

}  // namespace sl::faas
