#include "runtime/trace_handler.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include <nlohmann/json.hpp>

#include "common/big_buffer_allocator.h"

namespace sl::runtime {
namespace {

constexpr int64_t kMaxMb = 10240;
constexpr size_t kPage = 4096;

// The instance's memory: one mapping, grown (remapped) when a call asks for more.
struct Resident {
  std::mutex mu;
  char* data = nullptr;  // GUARDED_BY(mu)
  size_t bytes = 0;      // GUARDED_BY(mu)
  uint8_t round = 0;     // GUARDED_BY(mu): the value written this call, so no write is a no-op
};
Resident& TheResident() {
  static Resident* r = new Resident;  // never destroyed: instances end by exiting
  return *r;
}

// Grows the buffer to `bytes` and writes every page of it once. false: the mapping failed.
bool Touch(size_t bytes) {
  Resident& r = TheResident();
  std::lock_guard<std::mutex> l(r.mu);
  if (bytes > r.bytes) {
    char* grown = nullptr;
    try {
      grown = static_cast<char*>(big_buffer::Allocate(bytes));
    } catch (const std::bad_alloc&) {
      return false;
    }
    if (r.data != nullptr) big_buffer::Deallocate(r.data, r.bytes);
    r.data = grown;
    r.bytes = bytes;
  }
  ++r.round;
  volatile char* p = r.data;
  for (size_t off = 0; off < bytes; off += kPage) p[off] = static_cast<char>(r.round | 1);
  return true;
}

Result<double> NonNegative(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) return 0.0;
  const auto& v = j[key];
  if (!v.is_number()) return InvalidArgument("trace: '{}' is not a number: {}", key, v.dump());
  double d = v.get<double>();
  if (!std::isfinite(d) || d < 0) return InvalidArgument("trace: '{}' must be >= 0, got {}", key, d);
  return d;
}

double MsSince(Clock* clock, TimePoint t0) {
  return std::chrono::duration<double, std::milli>(clock->Now() - t0).count();
}

}  // namespace

InvocationResponse RunTraceHandler(const InvocationRequest& request, Clock* clock) {
  const TimePoint t0 = clock->Now();
  auto j = nlohmann::json::parse(request.payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvocationResponse::Failure("trace: payload is not a JSON object", "HandlerError");
  }
  auto ms = NonNegative(j, "ms");
  auto mb = NonNegative(j, "mb");
  for (const auto* r : {&ms, &mb}) {
    if (!r->ok()) return InvocationResponse::Failure(r->status().message(), "HandlerError");
  }
  if (*mb > kMaxMb) {
    return InvocationResponse::Failure(
        fmt::format("trace: 'mb' {} is over {} MiB (the largest function memory size)", *mb, kMaxMb),
        "HandlerError");
  }
  const bool spin = j.value("spin", false);
  const auto mib = static_cast<size_t>(std::ceil(*mb));
  if (mib > 0 && !Touch(mib << 20)) {
    return InvocationResponse::Failure(fmt::format("trace: cannot map {} MiB", mib),
                                       "Runtime.OutOfMemory");
  }
  const double touch_ms = MsSince(clock, t0);
  const auto end = t0 + std::chrono::duration_cast<Nanos>(std::chrono::duration<double, std::milli>(*ms));
  if (spin) {
    volatile uint64_t x = 0;
    while (clock->Now() < end) {
      for (int i = 0; i < 10000; ++i) x = x + static_cast<uint64_t>(i);
    }
  } else if (const TimePoint now = clock->Now(); now < end) {
    clock->SleepFor(end - now);
  }
  return InvocationResponse::Success(nlohmann::json{{"ms", *ms},
                                                    {"mb", mib},
                                                    {"touch_ms", touch_ms},
                                                    {"ran_ms", MsSince(clock, t0)},
                                                    {"pid", static_cast<int>(::getpid())}}
                                         .dump());
}

Status TraceHandlerInit() {
  const char* env = std::getenv("STRAIGHTLINE_TRACE_MB");
  if (env == nullptr || *env == '\0') return Status::Ok();
  char* end = nullptr;
  const double mb = std::strtod(env, &end);
  if (end == env || *end != '\0' || !std::isfinite(mb) || mb < 0 || mb > kMaxMb) {
    return InvalidArgument("trace: STRAIGHTLINE_TRACE_MB '{}': want MiB in [0, {}]", env, kMaxMb);
  }
  const auto mib = static_cast<size_t>(std::ceil(mb));
  if (mib > 0 && !Touch(mib << 20)) return ResourceExhausted("trace: cannot map {} MiB in INIT", mib);
  return Status::Ok();
}

int64_t TraceHandlerResidentMb() {
  Resident& r = TheResident();
  std::lock_guard<std::mutex> l(r.mu);
  return static_cast<int64_t>(r.bytes >> 20);
}

}  // namespace sl::runtime
