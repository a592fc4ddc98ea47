#include "common/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "common/clock.h"

namespace sl {
namespace {

LogLevel LevelFromEnv() {
  const char* v = std::getenv("STRAIGHTLINE_LOG");
  if (v == nullptr) return LogLevel::kInfo;
  if (std::strcmp(v, "debug") == 0) return LogLevel::kDebug;
  if (std::strcmp(v, "warn") == 0) return LogLevel::kWarn;
  if (std::strcmp(v, "error") == 0) return LogLevel::kError;
  return LogLevel::kInfo;
}

std::atomic<int>& LevelRef() {
  static std::atomic<int> level{static_cast<int>(LevelFromEnv())};
  return level;
}

}  // namespace

void SetLogLevel(LogLevel level) { LevelRef().store(static_cast<int>(level)); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(LevelRef().load()); }

void LogLine(LogLevel level, std::string_view component, std::string_view message) {
  static constexpr char kLetters[] = {'D', 'I', 'W', 'E'};
  std::string line = fmt::format("{} {} {}: {}\n", FormatRfc3339(Clock::Real()->WallNow()),
                                 kLetters[static_cast<int>(level)], component, message);
  // One fwrite per line: stdio locks the stream, so lines do not interleave.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace sl
