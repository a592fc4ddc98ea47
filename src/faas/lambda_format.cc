#include "faas/lambda_format.h"

#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sl::faas {
namespace {

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

std::string Hex(size_t digits) {
  static const char* kHex = "0123456789abcdef";
  std::string s(digits, '0');
  uint64_t bits = 0;
  for (size_t i = 0; i < digits; ++i) {
    if (i % 16 == 0) bits = Rng()();
    s[i] = kHex[bits & 0xf];
    bits >>= 4;
  }
  return s;
}

std::string SignalName(int sig) {
  switch (sig) {
    case SIGKILL: return "killed";
    case SIGABRT: return "aborted";
    case SIGSEGV: return "segmentation fault";
    case SIGTERM: return "terminated";
    case SIGBUS: return "bus error";
    case SIGFPE: return "floating point exception";
    case SIGILL: return "illegal instruction";
    case SIGINT: return "interrupt";
    default: return fmt::format("signal {}", sig);
  }
}

std::string FormatSeconds(double s) { return fmt::format("{:.2f}", s); }

}  // namespace

std::string RandomRequestId() {
  std::string h = Hex(32);
  h[12] = '4';                                    // version 4
  h[16] = "89ab"[Rng()() & 3];                    // RFC 4122 variant
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

std::string RandomTraceId(WallTime now) {
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  return fmt::format("Root=1-{:08x}-{};Parent={};Sampled=0", secs, Hex(24), Hex(16));
}

std::string FunctionArn(const std::string& region, const std::string& function) {
  return fmt::format("arn:aws:lambda:{}:000000000000:function:{}", region, function);
}

std::string LogStreamName(WallTime now, const std::string& instance_id) {
  std::time_t t = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(now));
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}/{:02}/{:02}/[$LATEST]{}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, instance_id);
}

std::string StartLine(const std::string& id) {
  return "START RequestId: " + id + " Version: $LATEST\n";
}

std::string EndLine(const std::string& id) { return "END RequestId: " + id + "\n"; }

std::string ReportLine(const std::string& id, const ReportFields& f) {
  std::string s = fmt::format(
      "REPORT RequestId: {}\tDuration: {:.2f} ms\tBilled Duration: {:.0f} ms\tMemory Size: {} "
      "MB\tMax Memory Used: {} MB",
      id, f.duration_ms, f.billed_ms, f.memory_mb, f.max_memory_used_mb);
  if (f.init_ms >= 0) s += fmt::format("\tInit Duration: {:.2f} ms", f.init_ms);
  if (!f.status.empty()) s += "\tStatus: " + f.status;
  if (!f.error_type.empty()) s += "\tError Type: " + f.error_type;
  return s + "\n";
}

std::string TimeoutLogLine(WallTime now, const std::string& id, double timeout_s) {
  return FormatRfc3339(now) + " " + id + " Task timed out after " + FormatSeconds(timeout_s) +
         " seconds\n";
}

std::string ErrorJson(const std::string& message, const std::string& type) {
  return nlohmann::json{{"errorMessage", message}, {"errorType", type}}.dump();
}

std::string TimeoutErrorJson(WallTime now, const std::string& id, double timeout_s) {
  return ErrorJson(FormatRfc3339(now) + " " + id + " Task timed out after " +
                       FormatSeconds(timeout_s) + " seconds",
                   "Sandbox.Timedout");
}

std::string DescribeWaitStatus(int st) {
  if (WIFEXITED(st)) return fmt::format("exit status {}", WEXITSTATUS(st));
  if (WIFSIGNALED(st)) {
    std::string s = "signal: " + SignalName(WTERMSIG(st));
#ifdef WCOREDUMP
    if (WCOREDUMP(st)) s += " (core dumped)";
#endif
    return s;
  }
  return fmt::format("wait status {}", st);
}

std::string ExitErrorJson(const std::string& id, int wait_status) {
  return ErrorJson("RequestId: " + id + " Error: Runtime exited with error: " +
                       DescribeWaitStatus(wait_status),
                   "Runtime.ExitError");
}

std::string OutOfMemoryErrorJson(const std::string& id) {
  return ErrorJson("RequestId: " + id + " Error: Runtime exited with error: signal: killed",
                   "Runtime.OutOfMemory");
}

}  // namespace sl::faas
