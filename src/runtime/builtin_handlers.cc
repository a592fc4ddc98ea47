#include "runtime/builtin_handlers.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "runtime/trace_handler.h"

extern char** environ;

namespace sl::runtime {
namespace {

nlohmann::json ParseObject(const std::string& payload) {
  auto j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return nlohmann::json::object();
  return j;
}

InvocationResponse Sleep(const InvocationRequest& req) {
  int64_t ms = ParseObject(req.payload).value("ms", int64_t{0});
  std::printf("sleep: pid %d sleeping %lld ms\n", static_cast<int>(::getpid()),
              static_cast<long long>(ms));
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return InvocationResponse::Success(
      nlohmann::json{{"slept_ms", ms}, {"pid", static_cast<int>(::getpid())}}.dump());
}

InvocationResponse Fail(const InvocationRequest& req) {
  std::string msg = ParseObject(req.payload).value("message", std::string("requested failure"));
  std::fprintf(stderr, "fail: %s\n", msg.c_str());
  return InvocationResponse::Failure(msg, "HandlerError");
}

InvocationResponse Crash(const InvocationRequest& req) {
  auto j = ParseObject(req.payload);
  std::string how = j.value("how", std::string("abort"));
  std::printf("crash: %s\n", how.c_str());
  std::fflush(stdout);
  if (how == "exit") std::_Exit(j.value("code", 1));
  if (how == "segv") std::raise(SIGSEGV);
  std::abort();
}

InvocationResponse Alloc(const InvocationRequest& req) {
  auto j = ParseObject(req.payload);
  int64_t mb = j.value("mb", int64_t{0});
  int64_t hold_ms = j.value("hold_ms", int64_t{0});
  std::vector<char*> blocks;
  for (int64_t i = 0; i < mb; ++i) {
    char* p = static_cast<char*>(std::malloc(1 << 20));
    if (p == nullptr) return InvocationResponse::Failure("malloc failed", "Runtime.OutOfMemory");
    std::memset(p, static_cast<int>(i & 0xff) | 1, 1 << 20);  // touch every page
    blocks.push_back(p);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
  for (char* p : blocks) std::free(p);
  return InvocationResponse::Success(nlohmann::json{{"allocated_mb", mb}}.dump());
}

InvocationResponse Env(const InvocationRequest& req) {
  nlohmann::json out = nlohmann::json::object();
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv = *e;
    size_t eq = kv.find('=');
    if (eq != std::string::npos) out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  out["_request_id"] = req.request_id;
  out["_function_arn"] = req.function_arn;
  out["_trace_id"] = req.trace_id;
  out["_deadline_ms"] = req.deadline_ms;
  return InvocationResponse::Success(out.dump());
}

double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

InvocationResponse Spin(const InvocationRequest& req) {
  int64_t ms = ParseObject(req.payload).value("ms", int64_t{0});
  double cpu0 = CpuSeconds();
  auto end = Clock::Real()->Now() + std::chrono::milliseconds(ms);
  volatile uint64_t x = 0;
  while (Clock::Real()->Now() < end) {
    for (int i = 0; i < 10000; ++i) x = x + static_cast<uint64_t>(i);
  }
  double cpu_ms = (CpuSeconds() - cpu0) * 1000.0;
  return InvocationResponse::Success(nlohmann::json{{"wall_ms", ms}, {"cpu_ms", cpu_ms}}.dump());
}

}  // namespace

Status RegisterBuiltinHandlers(HandlerRegistry* registry) {
  SL_RETURN_IF_ERROR(registry->Register("noop", [](const InvocationRequest&) {
    return InvocationResponse::Success("{}");
  }));
  SL_RETURN_IF_ERROR(registry->Register("echo", [](const InvocationRequest& req) {
    return InvocationResponse::Success(req.payload);
  }));
  SL_RETURN_IF_ERROR(registry->Register("sleep", Sleep));
  SL_RETURN_IF_ERROR(registry->Register("fail", Fail));
  SL_RETURN_IF_ERROR(registry->Register("crash", Crash));
  SL_RETURN_IF_ERROR(registry->Register("alloc", Alloc));
  SL_RETURN_IF_ERROR(registry->Register("env", Env));
  SL_RETURN_IF_ERROR(registry->Register("spin", Spin));
  SL_RETURN_IF_ERROR(registry->Register(
      "trace", [](const InvocationRequest& req) { return RunTraceHandler(req, Clock::Real()); },
      TraceHandlerInit));
  SL_RETURN_IF_ERROR(registry->Register(
      "init-error",
      [](const InvocationRequest&) { return InvocationResponse::Success("{}"); },
      [] { return FailedPrecondition("init-error: this handler always fails its INIT phase"); }));
  return Status::Ok();
}

}  // namespace sl::runtime
