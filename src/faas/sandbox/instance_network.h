// InstanceNetwork: the network a sandboxed function instance sees — a network namespace of its
// own with only loopback up, in which the platform (from its own threads, in its own namespace)
//   - listens on 127.0.0.1:9001 for the instance's Runtime API (AWS_LAMBDA_RUNTIME_API is
//     "127.0.0.1:9001", as on Lambda), served by the platform's RuntimeApiServer; and
//   - listens on each allowed egress endpoint's own ip:port (non-127 addresses are added to the
//     namespace's loopback) and relays to the real endpoint (egress_relay.h).
// The instance joins the namespace through netns_fd() (runtime/sandbox.h). No other address is
// reachable from inside: other instances' Runtime APIs live in their own namespaces, and the
// host's loopback (the platform's Invoke API, the gateway, anything else) is a different one.
//
// How the sockets get inside: a short-lived thread unshares CLONE_NEWNET (a per-thread
// property), brings up lo, binds the listeners and opens /proc/thread-self/ns/net; sockets keep
// the namespace they were created in, so the platform serves them after the thread is gone.
// Ownership: owns the namespace fd, the listeners and the relay; destruction stops the relay
// (the namespace disappears with its last fd and process).
// Thread safety: Create from any thread; the object is then used by one owner.
// Failure contract: Create names the step and errno (e.g. "unshare(CLONE_NEWNET): Operation not
// permitted" when not root), or the endpoint it could not resolve or bind.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/unique_fd.h"
#include "faas/sandbox/egress_relay.h"

namespace sl::faas {

inline constexpr int kSandboxRuntimeApiPort = 9001;

// "host:port", "http://host:port[/...]" or "https://host[:port]" → an IPv4 endpoint (host
// resolved now). INVALID_ARGUMENT naming the text for anything else.
Result<sockaddr_in> ParseEgressEndpoint(const std::string& text);

class InstanceNetwork {
 public:
  static Result<std::unique_ptr<InstanceNetwork>> Create(const std::vector<sockaddr_in>& egress);
  ~InstanceNetwork();

  int netns_fd() const { return netns_.get(); }
  // The listening Runtime API socket (127.0.0.1:9001 inside); taken by the RuntimeApiServer.
  UniqueFd TakeRuntimeApiListener() { return std::move(runtime_api_); }
  std::string runtime_api_endpoint() const { return "127.0.0.1:" + std::to_string(kSandboxRuntimeApiPort); }
  const EgressRelay& relay() const { return relay_; }

 private:
  InstanceNetwork() = default;
  UniqueFd netns_;
  UniqueFd runtime_api_;
  EgressRelay relay_;
};

}  // namespace sl::faas
