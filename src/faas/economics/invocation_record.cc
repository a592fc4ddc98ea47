#include "faas/economics/invocation_record.h"

#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace sl::faas {
namespace {

constexpr std::string_view kOutcomeNames[] = {"success", "handled_error", "unhandled", "timeout",
                                              "out_of_memory", "crash", "throttled",
                                              "platform_error"};

constexpr std::string_view kBillingNames[] = {"profile", "platform_report", "measured_by_caller"};

}  // namespace

std::string_view BillingSourceName(BillingSource b) { return kBillingNames[static_cast<int>(b)]; }

Result<BillingSource> ParseBillingSource(std::string_view s) {
  for (size_t i = 0; i < std::size(kBillingNames); ++i) {
    if (kBillingNames[i] == s) return static_cast<BillingSource>(i);
  }
  return InvalidArgument("unknown billing source '{}' (want profile, platform_report or measured_by_caller)", s);
}

std::string_view OutcomeName(Outcome o) { return kOutcomeNames[static_cast<int>(o)]; }

Result<Outcome> ParseOutcome(std::string_view s) {
  for (size_t i = 0; i < std::size(kOutcomeNames); ++i) {
    if (kOutcomeNames[i] == s) return static_cast<Outcome>(i);
  }
  return InvalidArgument("unknown outcome '{}' (want success, handled_error, unhandled, timeout, "
                         "out_of_memory, crash, throttled or platform_error)", s);
}

nlohmann::json RecordToJson(const InvocationRecord& r) {
  nlohmann::json j = {
      {"request_id", r.request_id},
      {"function", r.function},
      {"provider", r.provider},
      {"memory_mb", r.memory_mb},
      {"cold_start", r.cold_start},
      {"init_ms", r.init_ms},
      {"duration_ms", r.duration_ms},
      {"billed_ms", r.billed_ms},
      {"max_memory_used_mb", r.max_memory_used_mb},
      {"cost_usd", r.cost_usd},
      {"outcome", OutcomeName(r.outcome)},
      {"start_time", FormatRfc3339(r.start_time)},
      {"queued_ms", r.queued_ms},
      {"cpu_enforced", r.cpu_enforced},
      {"instance_id", r.instance_id},
  };
  if (!r.error_type.empty()) j["error_type"] = r.error_type;
  if (!r.stage.empty()) j["stage"] = r.stage;
  if (!r.host.empty()) j["host"] = r.host;
  if (r.billing != BillingSource::kProfile) j["billing"] = BillingSourceName(r.billing);
  if (!r.store.empty()) {
    j["store"] = r.store;
    j["store_bytes_read"] = r.store_bytes_read;
    j["store_bytes_written"] = r.store_bytes_written;
    j["store_read_requests"] = r.store_read_requests;
    j["store_write_requests"] = r.store_write_requests;
    j["store_list_requests"] = r.store_list_requests;
    j["transfer_usd"] = r.transfer_usd;
    j["store_request_usd"] = r.store_request_usd;
  }
  return j;
}

Result<WallTime> ParseRfc3339(std::string_view s) {
  std::tm tm{};
  int y, mo, d, h, mi, sec;
  int consumed = 0;
  std::string str(s);
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) !=
          6 || consumed != 19) {
    return InvalidArgument("'{}' is not an RFC 3339 time (want 2026-11-22T20:53:01.123Z)", s);
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  int64_t nanos = 0;
  size_t i = 19;
  if (i < str.size() && str[i] == '.') {
    int64_t scale = 100'000'000;
    for (++i; i < str.size() && std::isdigit(static_cast<unsigned char>(str[i])); ++i) {
      nanos += (str[i] - '0') * scale;
      scale /= 10;
    }
  }
  int64_t offset_s = 0;
  std::string_view zone = std::string_view(str).substr(i);
  if (zone == "Z" || zone == "z") {
    offset_s = 0;
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int oh = std::atoi(std::string(zone.substr(1, 2)).c_str());
    int om = std::atoi(std::string(zone.substr(4, 2)).c_str());
    offset_s = (zone[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
  } else {
    return InvalidArgument("'{}': bad time zone '{}' (want Z or ±hh:mm)", s, zone);
  }
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset_s;
  return WallTime(Nanos(secs * 1'000'000'000 + nanos));
}

Result<InvocationRecord> RecordFromJson(const nlohmann::json& j, std::string_view where) {
  if (!j.is_object()) return DataLoss("{}: a ledger line must be a JSON object", where);
  InvocationRecord r;
  auto str = [&](const char* key, std::string* out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      return required ? DataLoss("{}: missing field '{}'", where, key) : Status::Ok();
    }
    if (!it->is_string()) return DataLoss("{}: field '{}' must be a string", where, key);
    *out = it->get<std::string>();
    return Status::Ok();
  };
  auto num = [&](const char* key, double* out, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      return required ? DataLoss("{}: missing field '{}'", where, key) : Status::Ok();
    }
    if (!it->is_number()) return DataLoss("{}: field '{}' must be a number", where, key);
    double v = it->get<double>();
    if (!std::isfinite(v) || v < 0) {
      return DataLoss("{}: field '{}' = {} must be a finite number >= 0", where, key, v);
    }
    *out = v;
    return Status::Ok();
  };
  auto integer = [&](const char* key, int64_t* out, bool required) -> Status {
    double v = static_cast<double>(*out);
    SL_RETURN_IF_ERROR(num(key, &v, required));
    if (v != std::floor(v)) return DataLoss("{}: field '{}' must be an integer", where, key);
    *out = static_cast<int64_t>(v);
    return Status::Ok();
  };
  auto boolean = [&](const char* key, bool* out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return Status::Ok();
    if (!it->is_boolean()) return DataLoss("{}: field '{}' must be true or false", where, key);
    *out = it->get<bool>();
    return Status::Ok();
  };
  SL_RETURN_IF_ERROR(str("request_id", &r.request_id, true));
  SL_RETURN_IF_ERROR(str("function", &r.function, true));
  SL_RETURN_IF_ERROR(str("provider", &r.provider, true));
  SL_RETURN_IF_ERROR(str("stage", &r.stage, false));
  SL_RETURN_IF_ERROR(str("instance_id", &r.instance_id, false));
  SL_RETURN_IF_ERROR(str("error_type", &r.error_type, false));
  SL_RETURN_IF_ERROR(str("host", &r.host, false));
  SL_RETURN_IF_ERROR(integer("memory_mb", &r.memory_mb, true));
  SL_RETURN_IF_ERROR(boolean("cold_start", &r.cold_start));
  SL_RETURN_IF_ERROR(num("init_ms", &r.init_ms, false));
  SL_RETURN_IF_ERROR(num("duration_ms", &r.duration_ms, true));
  SL_RETURN_IF_ERROR(num("billed_ms", &r.billed_ms, false));
  SL_RETURN_IF_ERROR(integer("max_memory_used_mb", &r.max_memory_used_mb, false));
  SL_RETURN_IF_ERROR(num("cost_usd", &r.cost_usd, false));
  SL_RETURN_IF_ERROR(num("queued_ms", &r.queued_ms, false));
  SL_RETURN_IF_ERROR(boolean("cpu_enforced", &r.cpu_enforced));
  SL_RETURN_IF_ERROR(str("store", &r.store, false));
  SL_RETURN_IF_ERROR(integer("store_bytes_read", &r.store_bytes_read, false));
  SL_RETURN_IF_ERROR(integer("store_bytes_written", &r.store_bytes_written, false));
  SL_RETURN_IF_ERROR(integer("store_read_requests", &r.store_read_requests, false));
  SL_RETURN_IF_ERROR(integer("store_write_requests", &r.store_write_requests, false));
  SL_RETURN_IF_ERROR(integer("store_list_requests", &r.store_list_requests, false));
  SL_RETURN_IF_ERROR(num("transfer_usd", &r.transfer_usd, false));
  SL_RETURN_IF_ERROR(num("store_request_usd", &r.store_request_usd, false));
  std::string outcome = "success";
  SL_RETURN_IF_ERROR(str("outcome", &outcome, false));
  auto o = ParseOutcome(outcome);
  if (!o.ok()) return DataLoss("{}: field 'outcome': {}", where, o.status().message());
  r.outcome = *o;
  std::string billing = "profile";
  SL_RETURN_IF_ERROR(str("billing", &billing, false));
  auto b = ParseBillingSource(billing);
  if (!b.ok()) return DataLoss("{}: field 'billing': {}", where, b.status().message());
  r.billing = *b;
  std::string start;
  SL_RETURN_IF_ERROR(str("start_time", &start, false));
  if (!start.empty()) {
    auto t = ParseRfc3339(start);
    if (!t.ok()) return DataLoss("{}: field 'start_time': {}", where, t.status().message());
    r.start_time = *t;
  }
  return r;
}

}  // namespace sl::faas
