// EgressRelay: how a sandboxed function instance reaches the few endpoints it is allowed to
// (its store, declared egress). Its network namespace has only loopback; the platform listens
// there on the endpoint's own address and port (instance_network.h) and relays each accepted
// connection to the real endpoint from the platform's namespace. Nothing else is reachable:
// not the host's other ports, not other instances, not the platform's control endpoints.
//
// Bytes are copied unchanged both ways (the Host header and SigV4 signatures stay valid, since
// the instance addresses the endpoint by its real host:port). A connection ends when either side
// closes; half-closes are forwarded.
// Ownership: owns the listening sockets and every relayed connection; Stop() (or the destructor)
// closes them all and joins its threads.
// Thread safety: Start/Stop from the owner thread; the relay runs on its own threads (one
// accept loop per listener, one per connection).
// Failure contract: a target that refuses the connection closes the instance's connection
// (the instance sees a reset, as with a refused connect).
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"

namespace sl::faas {

class EgressRelay {
 public:
  EgressRelay() = default;
  ~EgressRelay();
  EgressRelay(const EgressRelay&) = delete;
  EgressRelay& operator=(const EgressRelay&) = delete;

  // Relays connections accepted on `listener` (a listening socket, taken over) to `target`.
  void Add(UniqueFd listener, const sockaddr_in& target, std::string name);
  void Stop();
  int64_t connections() const { return connections_.load(); }

 private:
  struct Connection {
    UniqueFd inside, outside;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  void AcceptLoop(int listener, sockaddr_in target, std::string name);
  void Pump(Connection* c);
  void ReapFinished();  // joins connection threads that ended; holds mu_

  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> connections_{0};
  std::vector<UniqueFd> listeners_;
  std::vector<std::thread> accept_threads_;
  std::mutex mu_;
  std::list<std::unique_ptr<Connection>> conns_;  // GUARDED_BY(mu_)
};

}  // namespace sl::faas
