// Test servers as child processes on 127.0.0.1 (s3rver and Azurite from npm, for the store
// conformance suites): how one is started, found listening, and stopped. One place for the fork,
// the log file, the process group, PR_SET_PDEATHSIG (a crashed test never leaves a server behind)
// and the retry when the picked port was taken between picking and binding.
// Thread safety: plain functions. Failure contract: SpawnLoopbackServer returns
// DEADLINE_EXCEEDED (not listening after 30 s) or UNAVAILABLE (exited at start-up three times),
// naming the server and its log.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sl::store::testing {

// A port on 127.0.0.1 that nothing listens on right now.
int FreeLoopbackPort();

// Whether something accepts connections on 127.0.0.1:port.
bool CanConnectLoopback(int port);

// Stops a test server's child: SIGTERM, up to 2 s to exit, then SIGKILL; reaps it.
void StopChild(pid_t pid);

struct LoopbackServerSpec {
  std::string name;               // for errors: "s3rver", "azurite"
  std::vector<std::string> argv;  // argv[0] is the executable's path; "{port}" is replaced
  std::vector<std::pair<std::string, std::string>> env;  // set on top of this process's
  std::string log_path;           // stdout and stderr (truncated)
};

struct LoopbackServer {
  pid_t pid = -1;
  int port = 0;
};

// Starts the server on a free loopback port and waits until it accepts connections there; a
// server that exits before (a racer took the port) is started again on another port, up to three
// times.
Result<LoopbackServer> SpawnLoopbackServer(const LoopbackServerSpec& spec);

}  // namespace sl::store::testing
