#include "faas/front/scripted_invoker.h"

#include <chrono>

#include <fmt/format.h>

#include "common/clock.h"
#include "faas/front/lambda_front.h"

namespace sl::faas {

void ScriptedInvoker::Add(const std::string& name, Script script, int concurrency) {
  auto fn = std::make_unique<Fn>();
  fn->script = std::move(script);
  fn->concurrency = concurrency;
  fns_[name] = std::move(fn);
}

int64_t ScriptedInvoker::calls(const std::string& name) const {
  auto it = fns_.find(name);
  return it == fns_.end() ? 0 : it->second->calls.load();
}

std::future<InvokeResult> ScriptedInvoker::Invoke(InvokeRequest request) {
  std::promise<InvokeResult> p;
  InvokeResult r;
  r.request_id = NewRequestId();
  auto it = fns_.find(request.function);
  if (it == fns_.end()) {
    r.status = NotFound("Function not found: {}", request.function);
  } else if (request.payload.size() > max_payload_bytes_) {
    r.status = OutOfRange("{}: request must be smaller than {} bytes for the Invoke operation "
                          "(got {})",
                          request.function, max_payload_bytes_, request.payload.size());
  } else if (request.type != InvocationType::kDryRun) {
    Fn& fn = *it->second;
    int now = fn.running.fetch_add(1) + 1;
    if (fn.concurrency > 0 && now > fn.concurrency) {
      r.status = ResourceExhausted("Rate Exceeded: function '{}' is at its concurrency limit {}",
                                   request.function, fn.concurrency);
    } else {
      fn.calls.fetch_add(1);
      auto t0 = Clock::Real()->Now();
      ScriptedReply reply = fn.script(request.payload);
      r.duration_ms =
          std::chrono::duration<double, std::milli>(Clock::Real()->Now() - t0).count();
      r.billed_ms = r.duration_ms;
      r.payload = std::move(reply.payload);
      r.function_error = std::move(reply.function_error);
      if (request.tail_log) {
        r.log_tail = fmt::format(
            "START RequestId: {} Version: $LATEST\n{}END RequestId: {}\nREPORT RequestId: {}\t"
            "Duration: {:.2f} ms\tBilled Duration: {:.0f} ms\n",
            r.request_id, reply.log, r.request_id, r.request_id, r.duration_ms, r.billed_ms);
      }
    }
    fn.running.fetch_sub(1);
  }
  p.set_value(std::move(r));
  return p.get_future();
}

std::vector<std::future<InvokeResult>> ScriptedInvoker::Map(
    const std::string& function, const std::vector<std::string>& payloads) {
  std::vector<std::future<InvokeResult>> out;
  out.reserve(payloads.size());
  for (const auto& p : payloads) out.push_back(Invoke({function, p}));
  return out;
}

std::unique_ptr<ScriptedInvoker> ScriptedInvoker::WithStandardFunctions() {
  auto inv = std::make_unique<ScriptedInvoker>();
  inv->Add("echo", [](const std::string& payload) {
    return ScriptedReply{payload, "", "echo: " + std::to_string(payload.size()) + " bytes\n"};
  });
  inv->Add("noop", [](const std::string&) { return ScriptedReply{"null", "", ""}; });
  inv->Add("fail", [](const std::string&) {
    return ScriptedReply{
        R"({"errorMessage":"scripted failure","errorType":"RuntimeError","stackTrace":[]})",
        "Unhandled", "fail: raising RuntimeError\n"};
  });
  return inv;
}

}  // namespace sl::faas
