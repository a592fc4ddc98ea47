// AzuriteProcess: the official Azure Storage emulator (npm azurite, installed into .deps by
// scripts/install-deps.sh), blob service only, started by a test on 127.0.0.1 and a free port
// with its workspace in a temp dir, telemetry off, and one container created; stopped (SIGTERM,
// then SIGKILL) when destroyed. The child also gets PR_SET_PDEATHSIG, so a crashed test never
// leaves a server behind.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/file_util.h"
#include "common/status.h"
#include "store/azure_rest.h"

namespace sl::store::testing {

class AzuriteProcess {
 public:
  // The azurite-blob program, or "" when it is not installed (tests never install it themselves:
  // `make test` runs scripts/install-deps.sh first).
  static std::string Binary();
  static Result<std::unique_ptr<AzuriteProcess>> Start(const std::string& container);
  ~AzuriteProcess();

  int port() const { return port_; }
  // The path-style blob endpoint: http://127.0.0.1:PORT/devstoreaccount1
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_) + "/" + kAzuriteAccount; }
  std::string connection_string() const;
  const std::string& data_dir() const { return data_dir_; }
  const std::string& container() const { return container_; }

  // Creates a container (201, or 409 ContainerAlreadyExists).
  Status CreateContainer(const std::string& name) const;

 private:
  AzuriteProcess() = default;
  TempDir dir_{"sl-azurite"};
  std::string data_dir_;
  std::string container_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// One server for the whole test binary, started on first use; null when azurite is not
// installed (aborts if it is installed but cannot start).
AzuriteProcess* SharedAzurite();

}  // namespace sl::store::testing
