// S3rverProcess: a real S3-compatible server (the npm package s3rver, installed into .deps by
// scripts/install-deps.sh) started by a test on 127.0.0.1 and a free port, with its data in a
// temp dir and one bucket, and stopped (SIGTERM, then SIGKILL) when destroyed. The child also
// gets PR_SET_PDEATHSIG, so a crashed test never leaves a server behind.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "common/file_util.h"
#include "common/status.h"
#include "store/loopback_server_process.h"  // FreeLoopbackPort, StopChild: used with these servers

namespace sl::store::testing {

class S3rverProcess {
 public:
  // FAILED_PRECONDITION naming scripts/install-deps.sh if s3rver is not installed (tests never
  // install anything themselves).
  static Result<std::unique_ptr<S3rverProcess>> Start(const std::string& bucket);
  ~S3rverProcess();

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& bucket() const { return bucket_; }

  // s3rver's default credentials.
  static constexpr const char* kAccessKey = "S3RVER";
  static constexpr const char* kSecretKey = "S3RVER";

 private:
  S3rverProcess() = default;
  TempDir dir_{"sl-s3rver"};
  std::string data_dir_;
  std::string bucket_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// One server for the whole test binary, started on first use. Never null (fails the test and
// aborts if the server cannot start).
S3rverProcess* SharedS3rver();

// The repository root (for .deps and scripts).
std::string SourceDir();

}  // namespace sl::store::testing
