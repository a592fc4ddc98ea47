// ScriptedInvoker: an in-process Invoker for tests, the awscli interop check and demos of the
// front without the platform. Functions are C++ callables registered by name; Invoke runs them
// on the calling thread and returns a ready future.
//
// Behaviour mirrors the Invoker failure contract: an unknown function → NOT_FOUND, a payload
// over max_payload_bytes → OUT_OF_RANGE, more than `concurrency` calls of one function at once
// → RESOURCE_EXHAUSTED, a script returning a function error → status OK + function_error +
// Lambda's error JSON. DryRun only validates. Each call's log tail is Lambda-shaped
// (START / script lines / END / REPORT).
// Thread safety: Add before use; Invoke/Map from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "faas/invoker.h"

namespace sl::faas {

struct ScriptedReply {
  std::string payload;
  std::string function_error;  // "" | "Unhandled" | "Handled"; payload is then the error JSON
  std::string log;             // lines the "handler" printed
};

class ScriptedInvoker final : public Invoker {
 public:
  using Script = std::function<ScriptedReply(const std::string& payload)>;

  // concurrency 0: unlimited.
  void Add(const std::string& name, Script script, int concurrency = 0);
  void set_max_payload_bytes(size_t n) { max_payload_bytes_ = n; }
  // Calls that ran a script (DryRun and rejected calls excluded).
  int64_t calls(const std::string& name) const;

  std::future<InvokeResult> Invoke(InvokeRequest request) override;
  std::vector<std::future<InvokeResult>> Map(const std::string& function,
                                             const std::vector<std::string>& payloads) override;

  // The usual test functions: "echo" (payload back), "fail" (Unhandled error), "noop" ("null").
  static std::unique_ptr<ScriptedInvoker> WithStandardFunctions();

 private:
  struct Fn {
    Script script;
    int concurrency = 0;
    std::atomic<int> running{0};
    std::atomic<int64_t> calls{0};
  };
  std::map<std::string, std::unique_ptr<Fn>> fns_;  // written by Add before any Invoke
  size_t max_payload_bytes_ = 6 * 1024 * 1024;       // Lambda's synchronous limit
};

}  // namespace sl::faas
