#include "store/s3_test_server.h"

#include <cstdlib>
#include <mutex>

#include <gtest/gtest.h>

namespace sl::store::testing {

std::string SourceDir() {
  const char* env = std::getenv("STRAIGHTLINE_SOURCE_DIR");
  if (env != nullptr && *env) return env;
  return SL_SOURCE_DIR;
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
  LoopbackServerSpec spec;
  spec.name = "s3rver";
  spec.argv = {bin, "--directory", p->data_dir_, "--address", "127.0.0.1", "--port", "{port}",
               "--silent", "--configure-bucket", bucket};
  // s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node >= 17 (OpenSSL 3)
  // only offers through the legacy provider; without it every truncated listing is a 500.
  spec.env = {{"NODE_OPTIONS", "--openssl-legacy-provider"}};
  spec.log_path = p->dir_.Join("s3rver.log");
  SL_ASSIGN_OR_RETURN(LoopbackServer server, SpawnLoopbackServer(spec));
  p->pid_ = server.pid;
  p->port_ = server.port;
  return p;
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
