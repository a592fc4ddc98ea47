// HandlerRegistry: the built-in handlers of straightline-worker, by name (the function's
// `handler`). In the spirit of aws-lambda-cpp: a handler gets a request with a payload and a
// deadline and returns a success or a failure; the runtime loop (run_handler.h) does the HTTP.
//
// Layers add handlers by calling Register from a RegisterXxxHandlers(HandlerRegistry*) function
// that worker_main.cc calls before serving (explicit registration: static initialisers in static
// libraries are dropped by the linker). An optional init hook runs once per instance before the
// first request (Lambda's INIT phase); its error is posted to /runtime/init/error.
// Thread safety: Register before serving (single thread); Find from any thread afterwards.
// A handler may be called from several threads at once when the instance serves more than one
// request at a time (AWS_LAMBDA_MAX_CONCURRENCY > 1).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace sl::runtime {

struct InvocationRequest {
  std::string payload;
  std::string request_id;    // Lambda-Runtime-Aws-Request-Id
  std::string function_arn;  // Lambda-Runtime-Invoked-Function-Arn
  std::string trace_id;      // Lambda-Runtime-Trace-Id
  int64_t deadline_ms = 0;   // Lambda-Runtime-Deadline-Ms: Unix epoch milliseconds
  // Time left until the deadline (negative when past it).
  std::chrono::milliseconds RemainingTime() const;
};

struct InvocationResponse {
  bool success = true;
  std::string payload;       // response body, or the error JSON on failure
  std::string content_type = "application/json";
  std::string error_type;    // failure: Lambda errorType

  static InvocationResponse Success(std::string payload,
                                    std::string content_type = "application/json");
  // payload = {"errorMessage": message, "errorType": type, "stackTrace": []}
  static InvocationResponse Failure(const std::string& message, const std::string& type);
};

using Handler = std::function<InvocationResponse(const InvocationRequest&)>;
using InitHook = std::function<Status()>;

class HandlerRegistry {
 public:
  struct Entry {
    std::string name;
    Handler handler;
    InitHook init;  // may be empty
  };
  // ALREADY_EXISTS if the name is taken.
  Status Register(std::string name, Handler handler, InitHook init = {});
  const Entry* Find(const std::string& name) const;  // null when unknown
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, Entry> entries_;
};

}  // namespace sl::runtime
