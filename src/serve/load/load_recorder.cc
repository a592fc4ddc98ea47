#include "serve/load/load_recorder.h"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace sl::serve::load {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// The number after "name=" in a "a=1; b=2" header value; false when absent or malformed.
bool NumberAfter(std::string_view value, std::string_view name, double* out) {
  size_t at = 0;
  while (at < value.size()) {
    const size_t end = std::min(value.find(';', at), value.size());
    std::string_view part = Trim(value.substr(at, end - at));
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
      std::string_view num = part.substr(name.size() + 1);
      double v = 0;
      auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
      if (ec != std::errc() || ptr != num.data() + num.size() || v < 0) return false;
      *out = v;
      return true;
    }
    at = end + 1;
  }
  return false;
}

bool Good(int status) { return status >= 200 && status < 300; }

}  // namespace

std::string_view FailureCauseName(FailureCause c) {
  switch (c) {
    case FailureCause::kClientBacklog: return "client-backlog";
    case FailureCause::kNoResponse: return "no-response";
    case FailureCause::kRefused: return "refused";
    case FailureCause::kTimeout: return "timeout";
    case FailureCause::kClientError: return "client-error";
    case FailureCause::kServerError: return "server-error";
  }
  return "server-error";
}

FailureCause CauseOfStatus(int status) {
  if (status == 0) return FailureCause::kNoResponse;
  if (status == 429 || status == 503) return FailureCause::kRefused;
  if (status == 504) return FailureCause::kTimeout;
  if (status >= 400 && status < 500) return FailureCause::kClientError;
  return FailureCause::kServerError;
}

void ParseFrequencyHeader(std::string_view value, double* f_t, double* threshold) {
  *f_t = -1;
  *threshold = -1;
  double f = 0, t = 0;
  if (!NumberAfter(value, "f_t", &f)) return;
  *f_t = f;
  if (NumberAfter(value, "F", &t)) *threshold = t;
}

std::string TierOfHeader(std::string_view value) {
  return std::string(Trim(value.substr(0, value.find(';'))));
}

LoadRecorder::LoadRecorder(size_t phases, TimePoint start)
    : start_(start), phases_(std::max<size_t>(phases, 1)), sessions_(std::max<size_t>(phases, 1)) {}

SecondStats& LoadRecorder::SecondOf(TimePoint t) {
  const auto since = std::chrono::duration_cast<std::chrono::seconds>(t - start_).count();
  const size_t i = since < 0 ? 0 : static_cast<size_t>(since);
  if (i >= seconds_.size()) seconds_.resize(i + 1);
  return seconds_[i];
}

size_t LoadRecorder::KeyOf(const std::string& tier, const std::string& rule) {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].tier == tier && keys_[i].rule == rule) return i;
  }
  if (keys_.size() + 1 >= kMaxPlacementKeys) {  // the last slot is "other"
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i].tier == "other" && keys_[i].rule == "other") return i;
    }
    keys_.push_back({"other", "other"});
    return keys_.size() - 1;
  }
  keys_.push_back({tier, rule});
  return keys_.size() - 1;
}

std::map<std::string, GroupAccumulator>& LoadRecorder::TiersOf(int32_t phase) {
  const size_t p = std::min(static_cast<size_t>(std::max(phase, 0)), phases_.size() - 1);
  return phases_[p];
}

void LoadRecorder::Request(TimePoint arrival, const RequestOutcome& r) {
  const bool good = Good(r.status);
  std::lock_guard<std::mutex> lock(mu_);
  auto& tiers = TiersOf(r.phase);
  std::string tier = r.tier.empty() ? "none" : r.tier;
  if (tiers.size() >= kMaxTiers && tiers.find(tier) == tiers.end()) tier = "other";
  GroupAccumulator& g = tiers[tier];
  g.requests++;
  if (!good) g.failures++;
  if (r.status != 0) g.response_ms.Add(r.response_ms);  // no response: no response time

  SecondStats& s = SecondOf(arrival);
  s.requests++;
  if (!good) s.request_failures++;
  if (r.status != 0) s.response_ms.Add(r.response_ms);
  if (r.status != 0) {  // a placement the gateway named (tier "none": refused before a tier)
    const size_t k = KeyOf(r.tier.empty() ? "none" : r.tier, r.rule.empty() ? "unnamed" : r.rule);
    if (s.placements.size() <= k) {
      s.placements.resize(k + 1, 0);
      s.placement_failures.resize(k + 1, 0);
    }
    s.placements[k]++;
    if (!good) s.placement_failures[k]++;
  }
  if (r.f_t >= 0) {
    s.f_t_samples++;
    s.f_t_sum += r.f_t;
    s.f_t_max = std::max(s.f_t_max, r.f_t);
  }
  if (r.threshold >= 0) s.threshold = r.threshold;
}

void LoadRecorder::Session(TimePoint arrival, TimePoint end, int32_t phase, bool ok, FailureCause cause) {
  const double ms = std::chrono::duration<double, std::milli>(end - arrival).count();
  std::lock_guard<std::mutex> lock(mu_);
  const size_t p = std::min(static_cast<size_t>(std::max(phase, 0)), sessions_.size() - 1);
  SessionAccumulator& a = sessions_[p];
  a.sessions++;
  SecondStats& s = SecondOf(arrival);
  s.sessions_launched++;
  if (ok) {
    a.length_ms.Add(ms);
    s.sessions_completed++;
    s.session_ms_sum += ms;
  } else {
    a.failed++;
    s.sessions_failed++;
    s.failed_by_cause[static_cast<size_t>(cause)]++;
  }
}

void LoadRecorder::Dropped(TimePoint arrival, int32_t phase) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropped_++;
    GroupAccumulator& g = TiersOf(phase)["client-backlog"];
    g.requests++;
    g.failures++;
    SecondStats& s = SecondOf(arrival);
    s.requests++;
    s.request_failures++;
  }
  Session(arrival, arrival, phase, /*ok=*/false, FailureCause::kClientBacklog);
}

}  // namespace sl::serve::load
