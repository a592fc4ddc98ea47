#include "faas/invoker.h"

namespace sl::faas {

// The default Map: one synchronous Invoke per payload, all submitted at once so the platform
// runs them as concurrently as the function's limits and local capacity allow. Futures are in
// payload order whatever order the invocations finish in; each carries its own status (a
// throttled call does not fail the others).
std::vector<std::future<InvokeResult>> Invoker::Map(const std::string& function,
                                                    const std::vector<std::string>& payloads) {
  std::vector<std::future<InvokeResult>> futures;
  futures.reserve(payloads.size());
  for (const auto& p : payloads) {
    InvokeRequest req;
    req.function = function;
    req.payload = p;
    futures.push_back(Invoke(std::move(req)));
  }
  return futures;
}

}  // namespace sl::faas
