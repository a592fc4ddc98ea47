#include "store/s3_test_server.h"

#include "common/clock.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace sl::store::testing {

std::string SourceDir() {
  const char* env = std::getenv("STRAIGHTLINE_SOURCE_DIR");
  if (env != nullptr && *env) return env;
  return SL_SOURCE_DIR;
}

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}


bool CanConnectLoopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

void StopChild(pid_t pid) {
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    int st = 0;
    if (::waitpid(pid, &st, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
}

Result<std::unique_ptr<S3rverProcess>> S3rverProcess::Start(const std::string& bucket) {
  std::string bin = SourceDir() + "/.deps/node_modules/.bin/s3rver";
  // A test does not install what it needs (it would change the machine under other tests):
  // `make test` runs scripts/install-deps.sh before any test.
  if (!PathExists(bin)) {
    return FailedPrecondition("s3rver is not installed ({} is missing): run scripts/install-deps.sh "
                              "(make test does)", bin);
  }
  std::unique_ptr<S3rverProcess> p(new S3rverProcess());
  p->bucket_ = bucket;
  p->data_dir_ = p->dir_.Join("data");
  SL_RETURN_IF_ERROR(MakeDirs(p->data_dir_));
  for (int attempt = 0; attempt < 3; ++attempt) {
    p->port_ = FreeLoopbackPort();
    if (p->port_ <= 0) return Unavailable("no free loopback port");
    std::string log = p->dir_.Join("s3rver.log");
    std::string port = std::to_string(p->port_);
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return ErrnoError(errno, "fork s3rver");
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(1);
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::setpgid(0, 0);
      // s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node >= 17 (OpenSSL 3)
      // only offers through the legacy provider; without it every truncated listing is a 500.
      ::setenv("NODE_OPTIONS", "--openssl-legacy-provider", 1);
      ::execl(bin.c_str(), bin.c_str(), "--directory", p->data_dir_.c_str(), "--address", "127.0.0.1", "--port",
              port.c_str(), "--silent", "--configure-bucket", bucket.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    p->pid_ = pid;
    auto deadline = Clock::Real()->Now() + std::chrono::seconds(30);
    while (Clock::Real()->Now() < deadline) {
      if (CanConnectLoopback(p->port_)) return p;
      int st = 0;
      if (::waitpid(pid, &st, WNOHANG) == pid) {  // died (port taken by a racer?): try another port
        p->pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (p->pid_ > 0) {
      return DeadlineExceeded("s3rver on port {} did not start within 30 s; see {}", p->port_, log);
    }
  }
  return Unavailable("s3rver exited at startup three times; see {}", p->dir_.Join("s3rver.log"));
}

S3rverProcess::~S3rverProcess() {
  if (pid_ > 0) StopChild(pid_);
}

S3rverProcess* SharedS3rver() {
  static std::unique_ptr<S3rverProcess> server;
  static std::once_flag once;
  std::call_once(once, [] {
    auto s = S3rverProcess::Start("sl-test");
    if (!s.ok()) {
      std::fprintf(stderr, "cannot start s3rver: %s\n", s.status().ToString().c_str());
      std::abort();
    }
    server = std::move(s).value();
  });
  return server.get();
}

}  // namespace sl::store::testing
