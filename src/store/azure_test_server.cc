#include "store/azure_test_server.h"

#include <cstdlib>
#include <mutex>

#include "common/clock.h"
#include "store/s3_http.h"
#include "store/s3_test_server.h"

namespace sl::store::testing {

std::string AzuriteProcess::Binary() {
  std::string bin = SourceDir() + "/.deps/node_modules/.bin/azurite-blob";
  // "" when missing: tests never install anything themselves (`make test` runs
  // scripts/install-deps.sh first); the callers say so and skip.
  return PathExists(bin) ? bin : "";
}

std::string AzuriteProcess::connection_string() const {
  return fmt::format("DefaultEndpointsProtocol=http;AccountName={};AccountKey={};BlobEndpoint={};", kAzuriteAccount,
                     kAzuriteKey, endpoint());
}

Result<std::unique_ptr<AzuriteProcess>> AzuriteProcess::Start(const std::string& container) {
  std::string bin = Binary();
  if (bin.empty()) return FailedPrecondition("azurite-blob is not installed (scripts/install-deps.sh)");
  std::unique_ptr<AzuriteProcess> p(new AzuriteProcess());
  p->container_ = container;
  p->data_dir_ = p->dir_.Join("data");
  SL_RETURN_IF_ERROR(MakeDirs(p->data_dir_));
  LoopbackServerSpec spec;
  spec.name = "azurite";
  spec.argv = {bin, "--blobHost", "127.0.0.1", "--blobPort", "{port}", "--location", p->data_dir_,
               "--silent", "--skipApiVersionCheck", "--disableTelemetry"};
  spec.log_path = p->dir_.Join("azurite.log");
  SL_ASSIGN_OR_RETURN(LoopbackServer server, SpawnLoopbackServer(spec));
  p->pid_ = server.pid;
  p->port_ = server.port;
  SL_RETURN_IF_ERROR(p->CreateContainer(container));
  return p;
}

Status AzuriteProcess::CreateContainer(const std::string& name) const {
  AzureSignRequest sig;
  sig.method = "PUT";
  sig.path = fmt::format("/{}/{}", kAzuriteAccount, name);
  sig.query = {{"restype", "container"}};
  sig.headers["x-ms-date"] = FormatRfc1123(Clock::Real()->WallNow());
  sig.headers["x-ms-version"] = kAzureApiVersion;
  SL_ASSIGN_OR_RETURN(std::string auth, AzureSharedKeyAuthorization(kAzuriteAccount, kAzuriteKey, sig));
  HttpClient http(5, 30);
  HttpCall call;
  call.method = "PUT";
  call.url = fmt::format("http://127.0.0.1:{}{}?restype=container", port_, sig.path);
  for (const auto& [k, v] : sig.headers) call.headers.push_back(k + ": " + v);
  call.headers.push_back("authorization: " + auth);
  SL_ASSIGN_OR_RETURN(HttpReply reply, http.Perform(call, "azurite: create container " + name));
  if (reply.status == 201 || reply.status == 409) return Status::Ok();
  return Internal("azurite: create container {}: HTTP {}: {}", name, reply.status, reply.body.substr(0, 300));
}

AzuriteProcess::~AzuriteProcess() {
  if (pid_ > 0) StopChild(pid_);
}

AzuriteProcess* SharedAzurite() {
  static std::unique_ptr<AzuriteProcess> server;
  static std::once_flag once;
  std::call_once(once, [] {
    if (AzuriteProcess::Binary().empty()) return;
    auto s = AzuriteProcess::Start("sl-test");
    if (!s.ok()) {
      std::fprintf(stderr, "cannot start azurite: %s\n", s.status().ToString().c_str());
      std::abort();
    }
    server = std::move(s).value();
  });
  return server.get();
}

}  // namespace sl::store::testing
