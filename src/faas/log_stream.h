// LogStream: one function's log — a file <state_dir>/logs/<function>.log that every instance's
// stdout/stderr and the platform's START / END / REPORT lines are appended to (Lambda's log
// group; instances are told their stream name in AWS_LAMBDA_LOG_STREAM_NAME).
// Each Append is one write(2) to an O_APPEND descriptor, so writers never tear each other's
// chunks. Errors writing logs are reported once to the platform log, never to the invocation.
// Thread safety: Append from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sl::faas {

class LogStream {
 public:
  static Result<std::unique_ptr<LogStream>> Open(const std::string& path);
  ~LogStream();
  void Append(std::string_view bytes);
  const std::string& path() const { return path_; }

 private:
  LogStream(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_;
  std::atomic<bool> warned_{false};
};

// The last `max_bytes` of a log file (for `straightline logs` and tails), cut at a line start.
Result<std::string> TailFile(const std::string& path, size_t max_bytes);

}  // namespace sl::faas
