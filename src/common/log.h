// Logging to stderr: one line per event, "2026-11-22T20:53:01.123Z W store: message".
//
// Level from STRAIGHTLINE_LOG (debug|info|warn|error; default info) or SetLogLevel().
// Thread safety: lines from different threads never interleave.
#pragma once

#include <string_view>

#include <fmt/format.h>

namespace sl {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
void LogLine(LogLevel level, std::string_view component, std::string_view message);

template <typename... Args>
void Log(LogLevel level, std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
  if (level < GetLogLevel()) return;
  LogLine(level, component, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace sl

#define SL_LOG_DEBUG(component, ...) ::sl::Log(::sl::LogLevel::kDebug, component, __VA_ARGS__)
#define SL_LOG_INFO(component, ...) ::sl::Log(::sl::LogLevel::kInfo, component, __VA_ARGS__)
#define SL_LOG_WARN(component, ...) ::sl::Log(::sl::LogLevel::kWarn, component, __VA_ARGS__)
#define SL_LOG_ERROR(component, ...) ::sl::Log(::sl::LogLevel::kError, component, __VA_ARGS__)
