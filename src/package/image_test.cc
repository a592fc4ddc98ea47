// End to end: `straightline package` with the real binaries, then the real tools read and run
// what it wrote. Each image is built once for the whole binary (SetUpTestSuite) and shared.
// Tools that are missing (skopeo, umoci, runc, podman, docker-registry) skip their test with a
// message naming the tool; they are installed by scripts/install-deps.sh.
#include <fcntl.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/http_server.h"
#include "common/sha256.h"
#include "package/subprocess.h"

namespace sl::package {
namespace {

using nlohmann::json;

std::string BinaryDir() {
  const char* d = std::getenv("STRAIGHTLINE_BINARY_DIR");
  return d != nullptr ? d : SL_BINARY_DIR;
}

bool HaveTool(const std::string& name) {
  auto r = RunProcess({"sh", "-c", "command -v " + name});
  return r.ok() && r->exit_code == 0;
}

#define REQUIRE_TOOL(name)                                                             \
  do {                                                                                 \
    if (!HaveTool(name)) GTEST_SKIP() << name << " is not installed (scripts/install-deps.sh)"; \
  } while (0)

#define REQUIRE_ROOT()                                                  \
  do {                                                                  \
    if (::geteuid() != 0) GTEST_SKIP() << "runc needs root here";       \
  } while (0)

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// A child process with stdout+stderr to a log file; killed (TERM, then KILL) when destroyed.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log) : log_(log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      std::vector<char*> a;
      for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
      a.push_back(nullptr);
      ::execvp(a[0], a.data());
      _exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGTERM);
      if (Wait(std::chrono::seconds(10)) < 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
  }
  // Exit code, or -1 if still running after `timeout`.
  int Wait(std::chrono::milliseconds timeout) {
    auto end = Clock::Real()->Now() + timeout;
    while (Clock::Real()->Now() < end) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  std::string Log() const { return ReadFileToString(log_).value_or(""); }

 private:
  std::string log_;
  pid_t pid_ = -1;
  bool exited_ = false;
};

// Runs `straightline package ... --json` and returns its JSON report.
json Package(std::vector<std::string> args) {
  std::vector<std::string> argv = {BinaryDir() + "/straightline", "package"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--json");
  auto r = RunProcess(argv);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return json();
  EXPECT_EQ(r->exit_code, 0) << r->err;
  json j = json::parse(r->out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r->out;
  return j;
}

// The default names `package` gives (org.opencontainers.image.ref.name).
constexpr const char* kServeRef = "straightline-serve:latest";
constexpr const char* kFunctionRef = "straightline-function:latest";

// The serving oci-archive's name: the test's own, so `podman load` replaces no image of the user.
std::string ArchiveTag() { return fmt::format("straightline-serve-test-{}:v1", ::getpid()); }

std::string ManifestDigestOfLayout(const std::string& dir) {
  json index = json::parse(ReadFileToString(dir + "/index.json").value_or("{}"), nullptr, false);
  if (index.is_discarded() || !index.contains("manifests")) return "";
  return index["manifests"][0].value("digest", "");
}

// Errors name what was wrong: the missing manifest, the flag.
TEST(PackageCli, ErrorsNameTheFileOrFlag) {
  TempDir dir("sl-package-cli-test");
  auto r = RunProcess({BinaryDir() + "/straightline", "package", "serve", "--model",
                       dir.Join("no-model"), "--out", dir.Join("x.tar")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_NE(r->err.find(dir.Join("no-model/manifest.json")), std::string::npos) << r->err;
  EXPECT_FALSE(PathExists(dir.Join("x.tar")));
  EXPECT_FALSE(PathExists(dir.Join(".x.tar.staging")));
  auto f = RunProcess({BinaryDir() + "/straightline", "package", "serve", "--model", dir.path(),
                       "--out", dir.Join("x.tar"), "--format", "zip"});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->exit_code, 2);
  EXPECT_NE(f->err.find("--format"), std::string::npos) << f->err;
  auto h = RunProcess({BinaryDir() + "/straightline", "package", "--help"});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->exit_code, 0);
  for (const char* w : {"--push", "oci-archive", "docker-archive", "65532", "$PORT",
                        "/var/run/secrets/straightline/token", "AWS_LAMBDA_RUNTIME_API"}) {
    EXPECT_NE(h->out.find(w), std::string::npos) << w;
  }
}

class PackageImageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir("sl-package-image-test");
    model_ = dir_->Join("models/tiny");
    auto t = RunProcess({BinaryDir() + "/straightline", "train", "--dataset", "fashion-mnist",
                         "--model", "logreg", "--epochs", "1", "--limit", "2000", "--out", model_});
    ASSERT_TRUE(t.ok());
    ASSERT_EQ(t->exit_code, 0) << t->err;
    serve_dir_ = new json(Package({"serve", "--model", model_, "--format", "oci-dir", "--out",
                                   dir_->Join("serve.oci")}));
    serve_archive_ = new json(Package({"serve", "--model", model_, "--format", "oci-archive",
                                       "--tag", ArchiveTag(), "--out", dir_->Join("serve.tar")}));
    function_dir_ = new json(Package({"function", "--model", model_, "--compression", "none",
                                      "--format", "oci-dir", "--out", dir_->Join("fn.oci")}));
    function_docker_ = new json(Package(
        {"function", "--model", model_, "--format", "docker-archive", "--tag",
         fmt::format("straightline-function-test-{}:v1", ::getpid()), "--out",
         dir_->Join("fn-docker.tar")}));
  }
  static void TearDownTestSuite() {
    delete serve_dir_;
    delete serve_archive_;
    delete function_dir_;
    delete function_docker_;
    delete dir_;
  }

  // umoci-unpacks `layout` into `bundle` and rewrites its config.json for a test run: read-only
  // root, host network (so the test reaches it on loopback), a tmpfs /tmp, `args` if given.
  static void Unpack(const std::string& layout, const std::string& ref, const std::string& bundle,
                     const std::vector<std::string>& args, json extra_mounts = json::array(),
                     const std::vector<std::string>& extra_env = {}) {
    auto r = RunProcess({"umoci", "unpack", "--image", layout + ":" + ref, bundle});
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->exit_code, 0) << r->err;
    json c = json::parse(ReadFileToString(bundle + "/config.json").value_or("{}"));
    c["process"]["terminal"] = false;
    if (!args.empty()) c["process"]["args"] = args;  // else the image's Entrypoint + Cmd
    c["root"]["readonly"] = true;
    json ns = json::array();
    for (const auto& n : c["linux"]["namespaces"]) {
      if (n["type"] != "network") ns.push_back(n);
    }
    c["linux"]["namespaces"] = ns;
    c["mounts"].push_back({{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                           {"options", {"nosuid", "nodev", "mode=1777"}}});
    for (const auto& m : extra_mounts) c["mounts"].push_back(m);
    for (const auto& e : extra_env) {  // replaces the image's value of the same variable
      json env = json::array();
      const std::string key = e.substr(0, e.find('=') + 1);
      for (const auto& v : c["process"]["env"]) {
        if (v.get<std::string>().rfind(key, 0) != 0) env.push_back(v);
      }
      env.push_back(e);
      c["process"]["env"] = env;
    }
    ASSERT_TRUE(WriteFileAtomic(bundle + "/config.json", c.dump()).ok());
  }

  static TempDir* dir_;
  static std::string model_;
  static json* serve_dir_;
  static json* serve_archive_;
  static json* function_dir_;
  static json* function_docker_;
};

TempDir* PackageImageTest::dir_ = nullptr;
std::string PackageImageTest::model_;
json* PackageImageTest::serve_dir_ = nullptr;
json* PackageImageTest::serve_archive_ = nullptr;
json* PackageImageTest::function_dir_ = nullptr;
json* PackageImageTest::function_docker_ = nullptr;

TEST_F(PackageImageTest, SameInputsGiveTheSameDigest) {
  ASSERT_TRUE(serve_dir_->contains("manifest_digest"));
  // Two builds of the serving image (gzip layers) and two of the function image (uncompressed).
  EXPECT_EQ((*serve_dir_)["manifest_digest"], (*serve_archive_)["manifest_digest"]);
  EXPECT_EQ((*function_dir_)["manifest_digest"], (*function_docker_)["manifest_digest"]);
  EXPECT_EQ(ManifestDigestOfLayout(dir_->Join("serve.oci")), (*serve_dir_)["manifest_digest"]);
  // The archive itself is reproducible too: a third build writes the same bytes.
  Package({"serve", "--model", model_, "--format", "oci-archive", "--tag", ArchiveTag(), "--out",
           dir_->Join("again.tar")});
  EXPECT_EQ(Sha256File(dir_->Join("again.tar")).value_or("a"),
            Sha256File(dir_->Join("serve.tar")).value_or("b"));
  std::remove(dir_->Join("again.tar").c_str());
  EXPECT_EQ((*serve_dir_)["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ((*function_dir_)["layers"][0]["mediaType"], "application/vnd.oci.image.layer.v1.tar");
  // A function image needs the image path: its libtorch closure exceeds Lambda's .zip limit.
  EXPECT_FALSE((*function_dir_)["lambda_zip_fits"].get<bool>());
}

TEST_F(PackageImageTest, SkopeoReadsTheServingOciArchiveConfig) {
  REQUIRE_TOOL("skopeo");
  auto r = RunProcess({"skopeo", "inspect", "--config", "oci-archive:" + dir_->Join("serve.tar")});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->err;
  json c = json::parse(r->out)["config"];
  EXPECT_EQ(c["User"], "65532:65532");
  EXPECT_EQ(c["Entrypoint"], json({"/usr/local/bin/straightline", "serve"}));
  EXPECT_TRUE(c["ExposedPorts"].contains("8080/tcp"));
  EXPECT_NE(c["Env"].dump().find("PORT=8080"), std::string::npos) << c["Env"];
  EXPECT_NE(c["Env"].dump().find("STRAIGHTLINE_STATE_DIR=/tmp/straightline"), std::string::npos);
  EXPECT_NE(c["Cmd"].dump().find("/var/run/secrets/straightline/token"), std::string::npos);
  EXPECT_EQ(c["Labels"]["org.straightline.kind"], "serving");
  EXPECT_EQ(c["Labels"]["org.straightline.models"], "tiny");
  auto m = RunProcess({"skopeo", "inspect", "oci-archive:" + dir_->Join("serve.tar")});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(json::parse(m->out)["Digest"], (*serve_dir_)["manifest_digest"]);
}

TEST_F(PackageImageTest, SkopeoReadsTheFunctionDockerArchiveConfig) {
  REQUIRE_TOOL("skopeo");
  auto r = RunProcess(
      {"skopeo", "inspect", "--config", "docker-archive:" + dir_->Join("fn-docker.tar")});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->err;
  json c = json::parse(r->out)["config"];
  EXPECT_EQ(c["Entrypoint"], json({"/usr/local/bin/straightline-worker"}));
  EXPECT_EQ(c["Cmd"], json({"predict"}));
  EXPECT_NE(c["Env"].dump().find("_HANDLER=predict"), std::string::npos) << c["Env"];
  EXPECT_NE(c["Env"].dump().find("STRAIGHTLINE_MODEL_DIR=/opt/straightline/models/tiny"),
            std::string::npos);
  EXPECT_EQ(c["Labels"]["org.straightline.kind"], "function");
  EXPECT_EQ(c["User"], "65532:65532");
}

TEST_F(PackageImageTest, ServingImageServesKServeV2UnderRuncReadOnlyAsUid65532) {
  REQUIRE_ROOT();
  REQUIRE_TOOL("umoci");
  REQUIRE_TOOL("runc");
  REQUIRE_TOOL("curl");
  const std::string bundle = dir_->Join("serve-bundle");
  ASSERT_TRUE(MakeDirs(dir_->Join("secret")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_->Join("secret/token"), "test-token-1\n").ok());
  const int port = FreePort();
  ASSERT_GT(port, 0);
  // The image's own Entrypoint and Cmd; the port comes from $PORT (the Knative/KServe contract).
  Unpack(dir_->Join("serve.oci"), kServeRef, bundle, {},
         json::array({{{"destination", "/var/run/secrets/straightline"},
                       {"type", "bind"},
                       {"source", dir_->Join("secret")},
                       {"options", {"rbind", "ro"}}}}),
         {fmt::format("PORT={}", port)});
  const std::string name = fmt::format("sl-package-test-serve-{}", ::getpid());
  {
    Child runc({"runc", "run", "--bundle", bundle, name}, dir_->Join("serve.log"));
    const std::string base = fmt::format("http://127.0.0.1:{}", port);
    bool ready = false;
    for (int i = 0; i < 100 && !ready; ++i) {
      auto r = RunProcess({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", base + "/v2/health/ready"});
      ready = r.ok() && r->out == "200";
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(ready) << runc.Log();
    auto state = RunProcess({"runc", "state", name});
    ASSERT_TRUE(state.ok());
    int pid = json::parse(state->out, nullptr, false).value("pid", 0);
    ASSERT_GT(pid, 0) << state->out;
    std::string status = ReadFileToString(fmt::format("/proc/{}/status", pid)).value_or("");
    EXPECT_NE(status.find("Uid:\t65532\t65532"), std::string::npos) << status;
    std::string mounts = ReadFileToString(fmt::format("/proc/{}/mountinfo", pid)).value_or("");
    bool root_ro = false;
    for (size_t at = 0; at < mounts.size();) {
      size_t nl = mounts.find('\n', at);
      std::string line = mounts.substr(at, nl - at);
      std::vector<std::string> f;
      for (size_t p = 0; p < line.size();) {
        size_t sp = line.find(' ', p);
        f.push_back(line.substr(p, sp - p));
        p = sp == std::string::npos ? line.size() : sp + 1;
      }
      if (f.size() > 5 && f[4] == "/" && f[5].rfind("ro", 0) == 0) root_ro = true;
      at = nl == std::string::npos ? mounts.size() : nl + 1;
    }
    EXPECT_TRUE(root_ro) << mounts;
    auto no_token = RunProcess({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", base + "/v2/models/tiny"});
    EXPECT_EQ(no_token.value_or(ProcessResult{}).out, "401");
    auto infer = RunProcess({"curl", "-s", "-H", "Authorization: Bearer test-token-1", "-H",
                             "Content-Type: application/json", "--data-binary",
                             "@" + std::string(std::getenv("STRAIGHTLINE_SOURCE_DIR") != nullptr
                                                   ? std::getenv("STRAIGHTLINE_SOURCE_DIR")
                                                   : SL_SOURCE_DIR) +
                                 "/examples/request.json",
                             base + "/v2/models/tiny/infer"});
    ASSERT_TRUE(infer.ok());
    json out = json::parse(infer->out, nullptr, false);
    ASSERT_FALSE(out.is_discarded()) << infer->out;
    EXPECT_EQ(out["model_name"], "tiny") << infer->out;
    EXPECT_EQ(out["outputs"][0]["shape"], json({1, 10})) << infer->out;
    // SIGTERM: serve drains and exits 0.
    auto k = RunProcess({"runc", "kill", name, "TERM"});
    ASSERT_TRUE(k.ok());
    EXPECT_EQ(runc.Wait(std::chrono::seconds(30)), 0) << runc.Log();
  }
  RunProcess({"runc", "delete", "--force", name}).status().IgnoreError();
}

TEST_F(PackageImageTest, FunctionImageRunsTheWorkerUnderRunc) {
  REQUIRE_ROOT();
  REQUIRE_TOOL("umoci");
  REQUIRE_TOOL("runc");
  const std::string bundle = dir_->Join("fn-bundle");
  Unpack(dir_->Join("fn.oci"), kFunctionRef, bundle, {"/usr/local/bin/straightline-worker", "--list"});
  const std::string name = fmt::format("sl-package-test-fn-{}", ::getpid());
  auto r = RunProcess({"runc", "run", "--bundle", bundle, name});
  RunProcess({"runc", "delete", "--force", name}).status().IgnoreError();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->err;
  for (const char* h : {"echo", "predict", "train-shard", "train-preprocess"}) {
    EXPECT_NE(r->out.find(h), std::string::npos) << h << " missing from:\n" << r->out;
  }
  // Provenance: every library names its Debian package.
  json prov = json::parse(
      ReadFileToString(bundle + "/rootfs/opt/straightline/provenance.json").value_or("{}"),
      nullptr, false);
  ASSERT_FALSE(prov.is_discarded());
  EXPECT_TRUE(prov["debian_packages"].contains("libc6:amd64")) << prov["debian_packages"];
  EXPECT_GT(prov["libraries"].size(), 10u);
}

// The Lambda container-image contract: the image's own entrypoint and CMD (predict, with the
// baked model), given only AWS_LAMBDA_RUNTIME_API, poll a Runtime API and answer an invocation.
TEST_F(PackageImageTest, FunctionImageAnswersALambdaRuntimeApiInvocationUnderRunc) {
  REQUIRE_ROOT();
  REQUIRE_TOOL("umoci");
  REQUIRE_TOOL("runc");
  const char* src = std::getenv("STRAIGHTLINE_SOURCE_DIR");
  auto request = ReadFileToString(std::string(src != nullptr ? src : SL_SOURCE_DIR) +
                                  "/examples/request.json");
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  std::mutex mu;
  int nexts = 0;
  std::string response, error;
  std::vector<HttpResponder> held;  // later polls wait here until the test ends
  HttpServer::Options so;
  auto server = HttpServer::Start(so, [&](HttpRequest&& req, HttpResponder respond) {
    std::lock_guard<std::mutex> lock(mu);
    if (req.method == "GET" && req.path == "/2018-06-01/runtime/invocation/next") {
      if (nexts++ > 0) {
        held.push_back(std::move(respond));
        return;
      }
      HttpResponse r = HttpResponse::Json(200, *request);
      r.headers.Set("Lambda-Runtime-Aws-Request-Id", "req-1");
      r.headers.Set("Lambda-Runtime-Deadline-Ms",
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       Clock::Real()->WallNow().time_since_epoch())
                                       .count() + 60000));
      r.headers.Set("Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:000000000000:function:predict");
      respond(std::move(r));
    } else if (req.path == "/2018-06-01/runtime/invocation/req-1/response") {
      response = req.body;
      respond(HttpResponse::Text(202, ""));
    } else {
      error += req.path + ": " + req.body + "\n";
      respond(HttpResponse::Text(202, ""));
    }
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string bundle = dir_->Join("fn-lambda-bundle");
  Unpack(dir_->Join("fn.oci"), kFunctionRef, bundle, {}, json::array(),
         {fmt::format("AWS_LAMBDA_RUNTIME_API=127.0.0.1:{}", (*server)->port())});
  const std::string name = fmt::format("sl-package-test-fn-lambda-{}", ::getpid());
  {
    Child runc({"runc", "run", "--bundle", bundle, name}, dir_->Join("fn-lambda.log"));
    for (int i = 0; i < 300; ++i) {
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!response.empty() || !error.empty()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    RunProcess({"runc", "kill", name, "KILL"}).status().IgnoreError();
    runc.Wait(std::chrono::seconds(10));
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(error, "") << runc.Log();
    json out = json::parse(response, nullptr, false);
    ASSERT_FALSE(out.is_discarded()) << response << runc.Log();
    EXPECT_EQ(out["model_name"], "tiny") << response;
    EXPECT_EQ(out["outputs"][0]["shape"], json({1, 10})) << response;
  }
  RunProcess({"runc", "delete", "--force", name}).status().IgnoreError();
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto& r : held) r(HttpResponse::Text(410, "test over"));
    held.clear();
  }
  (*server)->Stop();
}

// The same function image answers plain HTTP on $PORT (Knative, Cloud Run functions): the
// worker picks its mode from the environment and its handler from the CMD.
TEST_F(PackageImageTest, FunctionImageAnswersHttpOnPortUnderRunc) {
  REQUIRE_ROOT();
  REQUIRE_TOOL("umoci");
  REQUIRE_TOOL("runc");
  REQUIRE_TOOL("curl");
  const int port = FreePort();
  ASSERT_GT(port, 0);
  const std::string bundle = dir_->Join("fn-http-bundle");
  Unpack(dir_->Join("fn.oci"), kFunctionRef, bundle, {"/usr/local/bin/straightline-worker", "echo"},
         json::array(), {fmt::format("PORT={}", port)});
  const std::string name = fmt::format("sl-package-test-fn-http-{}", ::getpid());
  {
    Child runc({"runc", "run", "--bundle", bundle, name}, dir_->Join("fn-http.log"));
    const std::string url = fmt::format("http://127.0.0.1:{}/", port);
    std::string body;
    for (int i = 0; i < 100; ++i) {
      auto r = RunProcess({"curl", "-s", "-f", "--data-binary", "{\"hello\":\"image\"}", url});
      if (r.ok() && r->exit_code == 0) {
        body = r->out;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_NE(body.find("image"), std::string::npos) << body << runc.Log();
    RunProcess({"runc", "kill", name, "TERM"}).status().IgnoreError();
    EXPECT_EQ(runc.Wait(std::chrono::seconds(20)), 0) << runc.Log();
  }
  RunProcess({"runc", "delete", "--force", name}).status().IgnoreError();
}

TEST_F(PackageImageTest, PodmanLoadsTheDockerArchive) {
  REQUIRE_TOOL("podman");
  const std::string ref = fmt::format("localhost/straightline-function-test-{}:v1", ::getpid());
  auto r = RunProcess({"podman", "load", "-i", dir_->Join("fn-docker.tar")});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->err << r->out;
  auto i = RunProcess({"podman", "image", "inspect", ref});
  RunProcess({"podman", "rmi", "-f", ref}).status().IgnoreError();
  ASSERT_TRUE(i.ok());
  ASSERT_EQ(i->exit_code, 0) << i->err;
  json j = json::parse(i->out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j[0]["Config"]["User"], "65532:65532");
  // The oci-archive loads under the name in its index (org.opencontainers.image.ref.name).
  const std::string oci_ref = "localhost/" + ArchiveTag();
  auto o = RunProcess({"podman", "load", "-i", dir_->Join("serve.tar")});
  RunProcess({"podman", "rmi", "-f", oci_ref}).status().IgnoreError();
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->exit_code, 0) << o->err << o->out;
  EXPECT_NE(o->out.find(oci_ref), std::string::npos) << o->out;
}

TEST_F(PackageImageTest, PushToALoopbackRegistryAndPullBackKeepTheDigest) {
  REQUIRE_TOOL("skopeo");
  if (!PathExists("/usr/bin/docker-registry")) {
    GTEST_SKIP() << "/usr/bin/docker-registry is not installed (Debian docker-registry)";
  }
  const int port = FreePort();
  ASSERT_GT(port, 0);
  ASSERT_TRUE(WriteFileAtomic(dir_->Join("registry.yml"),
                              fmt::format("version: 0.1\n"
                                          "log:\n  level: warn\n"
                                          "storage:\n  filesystem:\n    rootdirectory: {}\n"
                                          "  delete:\n    enabled: true\n"
                                          "http:\n  addr: 127.0.0.1:{}\n",
                                          dir_->Join("registry"), port))
                  .ok());
  Child registry({"/usr/bin/docker-registry", "serve", dir_->Join("registry.yml")},
                 dir_->Join("registry.log"));
  const std::string host = fmt::format("127.0.0.1:{}", port);
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    auto r = RunProcess({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://" + host + "/v2/"});
    up = r.ok() && r->out == "200";
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(up) << registry.Log();
  const std::string dest = host + "/straightline/serve:v1";
  json pushed = Package({"serve", "--model", model_, "--format", "oci-dir", "--out",
                         dir_->Join("pushed.oci"), "--push", dest, "--dest-tls-verify=false"});
  ASSERT_TRUE(pushed.contains("pushed_digest")) << pushed;
  EXPECT_EQ(pushed["pushed_digest"], pushed["manifest_digest"]);
  EXPECT_EQ(pushed["manifest_digest"], (*serve_dir_)["manifest_digest"]);
  auto pull = RunProcess({"skopeo", "copy", "--quiet", "--src-tls-verify=false",
                          "--preserve-digests", "docker://" + dest,
                          "oci:" + dir_->Join("pulled.oci") + ":v1"});
  ASSERT_TRUE(pull.ok());
  ASSERT_EQ(pull->exit_code, 0) << pull->err;
  EXPECT_EQ(ManifestDigestOfLayout(dir_->Join("pulled.oci")), pushed["manifest_digest"]);
  auto remote = RunProcess({"skopeo", "inspect", "--tls-verify=false", "docker://" + dest});
  ASSERT_TRUE(remote.ok());
  EXPECT_EQ(json::parse(remote->out, nullptr, false).value("Digest", ""), pushed["manifest_digest"]);
}

// ---- A function image from a functions file (`package function --functions FILE`) ----

// A Lambda custom runtime written in bash alone (the image has no curl): the Runtime API over
// bash's /dev/tcp. It answers each event with what it sees: its task root's file, _HANDLER, its
// working directory, an environment variable from the functions file, and the event.
constexpr const char* kBashBootstrap = R"BOOT(#!/bin/bash
# A Lambda custom runtime in bash alone (no curl in the image): the Runtime API over /dev/tcp.
set -u
host=${AWS_LAMBDA_RUNTIME_API%:*}; port=${AWS_LAMBDA_RUNTIME_API##*:}
greeting=$(<"$LAMBDA_TASK_ROOT/greeting.txt")
http() {  # METHOD PATH [BODY] -> sets HEADERS, REQUEST_ID (when sent) and BODY
  local method=$1 path=$2 body=${3:-}
  exec 3<>"/dev/tcp/$host/$port"
  printf '%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$method" "$path" "$host" "${#body}" "$body" >&3
  local line len=0; HEADERS=""
  IFS= read -r line <&3
  while IFS= read -r line <&3; do
    line=${line%$'\r'}; [[ -z $line ]] && break
    HEADERS+="$line"$'\n'
    [[ ${line,,} == content-length:* ]] && len=${line#*: }
    [[ ${line,,} == lambda-runtime-aws-request-id:* ]] && REQUEST_ID=${line#*: }
  done
  BODY=""; ((len > 0)) && IFS= read -r -N "$len" BODY <&3
  exec 3<&-
}
while true; do
  http GET /2018-06-01/runtime/invocation/next
  http POST "/2018-06-01/runtime/invocation/$REQUEST_ID/response" "{\"greeting\":\"$greeting\",\"handler\":\"$_HANDLER\",\"cwd\":\"$PWD\",\"stage\":\"${STAGE:-}\",\"event\":$BODY}"
done
)BOOT";

// Serves a Runtime API that hands out `payload` once; later polls wait until Stop().
class OneEventRuntimeApi {
 public:
  explicit OneEventRuntimeApi(std::string payload) : payload_(std::move(payload)) {
    auto s = HttpServer::Start(HttpServer::Options{}, [this](HttpRequest&& req, HttpResponder respond) {
      std::lock_guard<std::mutex> lock(mu_);
      if (req.method == "GET" && req.path == "/2018-06-01/runtime/invocation/next") {
        if (handed_) {
          held_.push_back(std::move(respond));
          return;
        }
        handed_ = true;
        HttpResponse r = HttpResponse::Json(200, payload_);
        r.headers.Set("Lambda-Runtime-Aws-Request-Id", "req-1");
        r.headers.Set("Lambda-Runtime-Deadline-Ms",
                      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         Clock::Real()->WallNow().time_since_epoch())
                                         .count() + 60000));
        r.headers.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:f");
        respond(std::move(r));
      } else if (req.path == "/2018-06-01/runtime/invocation/req-1/response") {
        response_ = req.body;
        respond(HttpResponse::Text(202, ""));
      } else {
        error_ += req.method + " " + req.path + ": " + req.body + "\n";
        respond(HttpResponse::Text(202, ""));
      }
    });
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) server_ = std::move(s).value();
  }
  ~OneEventRuntimeApi() { Stop(); }
  int port() const { return server_ ? server_->port() : 0; }
  // Waits up to `timeout` for the response (or an error post); returns {response, errors}.
  std::pair<std::string, std::string> Wait(std::chrono::seconds timeout) {
    const auto end = Clock::Real()->Now() + timeout;
    while (Clock::Real()->Now() < end) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (!response_.empty() || !error_.empty()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::lock_guard<std::mutex> lock(mu_);
    return {response_, error_};
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& r : held_) r(HttpResponse::Text(410, "test over"));
      held_.clear();
    }
    if (server_) server_->Stop();
  }

 private:
  std::string payload_;
  std::mutex mu_;
  bool handed_ = false;
  std::string response_, error_;
  std::vector<HttpResponder> held_;
  std::unique_ptr<HttpServer> server_;
};

// Runs the unpacked bundle (its config.json's args replaced by `args` when given) under runc as
// Lambda would: only AWS_LAMBDA_RUNTIME_API added; returns the one invocation's response.
std::string RunLambdaOnce(const std::string& bundle, const std::vector<std::string>& args,
                          const std::string& payload, const std::string& log, std::string* errors) {
  OneEventRuntimeApi api(payload);
  json c = json::parse(ReadFileToString(bundle + "/config.json").value_or("{}"));
  if (!args.empty()) c["process"]["args"] = args;
  json env = json::array();
  for (const auto& v : c["process"]["env"]) {
    if (v.get<std::string>().rfind("AWS_LAMBDA_RUNTIME_API=", 0) != 0) env.push_back(v);
  }
  env.push_back(fmt::format("AWS_LAMBDA_RUNTIME_API=127.0.0.1:{}", api.port()));
  c["process"]["env"] = env;
  EXPECT_TRUE(WriteFileAtomic(bundle + "/config.json", c.dump()).ok());
  const std::string name = fmt::format("sl-package-test-fns-{}", ::getpid());
  std::pair<std::string, std::string> got;
  {
    Child runc({"runc", "run", "--bundle", bundle, name}, log);
    got = api.Wait(std::chrono::seconds(30));
    RunProcess({"runc", "kill", name, "KILL"}).status().IgnoreError();
    runc.Wait(std::chrono::seconds(10));
    if (got.first.empty()) got.second += "no response; container log:\n" + runc.Log();
  }
  RunProcess({"runc", "delete", "--force", name}).status().IgnoreError();
  api.Stop();
  *errors = got.second;
  return got.first;
}

TEST(PackageFunctionsFile, OneImageRunsTheFilesBuiltinAndCustomRuntimeFunctionsUnderRunc) {
  REQUIRE_ROOT();
  REQUIRE_TOOL("umoci");
  REQUIRE_TOOL("runc");
  TempDir dir("sl-package-fns-test");
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  ASSERT_TRUE(MakeDirs(dir.Join("hello")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.Join("hello/bootstrap"), kBashBootstrap).ok());
  ASSERT_EQ(::chmod(dir.Join("hello/bootstrap").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomic(dir.Join("hello/greeting.txt"), "hello from bash").ok());
  ASSERT_TRUE(WriteFileAtomic(dir.Join("functions.yaml"),
                              "provider: {name: aws-lambda, memorySize: 512, timeout: 10}\n"
                              "functions:\n"
                              "  hello:\n"
                              "    runtime: provided.al2023\n"
                              "    codeUri: ./hello\n"
                              "    handler: greet.handler\n"
                              "    environment: {STAGE: packaged}\n"
                              "  say: {handler: echo}\n"
                              "  shard: {handler: train-shard}\n")
                  .ok());
  json built = Package({"function", "--functions", dir.Join("functions.yaml"), "--compression", "none",
                        "--format", "oci-dir", "--out", dir.Join("fns.oci")});
  ASSERT_TRUE(built.contains("layers")) << built;
  EXPECT_EQ(built["layers"].size(), 3u) << "libraries | worker | functions";
  // Reproducible like every image.
  json again = Package({"function", "--functions", dir.Join("functions.yaml"), "--compression", "none",
                        "--format", "oci-dir", "--out", dir.Join("fns-again.oci")});
  EXPECT_EQ(again["manifest_digest"], built["manifest_digest"]);

  const std::string bundle = dir.Join("fns-bundle");
  auto r = RunProcess({"umoci", "unpack", "--image", dir.Join("fns.oci") + ":" + kFunctionRef, bundle});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->err;
  json c = json::parse(ReadFileToString(bundle + "/config.json").value_or("{}"));
  // The default CMD is the file's first function; the index is named in the environment.
  EXPECT_EQ(c["process"]["args"], json({"/usr/local/bin/straightline-worker", "hello"}));
  EXPECT_NE(c["process"]["env"].dump().find("STRAIGHTLINE_FUNCTIONS_FILE=/opt/straightline/functions.json"),
            std::string::npos)
      << c["process"]["env"];
  struct stat st {};
  ASSERT_EQ(::stat((bundle + "/rootfs/opt/straightline/functions/hello/bootstrap").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);
  EXPECT_TRUE(PathExists(bundle + "/rootfs/opt/straightline/functions/hello/greeting.txt"));
  EXPECT_TRUE(PathExists(bundle + "/rootfs/bin/bash")) << "the bootstrap's #! interpreter";
  json index = json::parse(ReadFileToString(bundle + "/rootfs/opt/straightline/functions.json").value_or("{}"),
                           nullptr, false);
  ASSERT_TRUE(index.is_object()) << "no functions.json";
  EXPECT_EQ(index["default"], "hello");
  EXPECT_EQ(index["functions"]["hello"]["runtime"], "provided");
  EXPECT_EQ(index["functions"]["say"]["handler"], "echo");
  EXPECT_EQ(index["functions"]["shard"]["runtime"], "builtin");
  json prov = json::parse(ReadFileToString(bundle + "/rootfs/opt/straightline/provenance.json").value_or("{}"),
                          nullptr, false);
  EXPECT_TRUE(prov["debian_packages"].contains("bash")) << prov["debian_packages"];

  // Read-only root, a tmpfs /tmp, host network (the Runtime API is on loopback), uid 65532.
  c["root"]["readonly"] = true;
  c["process"]["terminal"] = false;
  json ns = json::array();
  for (const auto& n : c["linux"]["namespaces"]) {
    if (n["type"] != "network") ns.push_back(n);
  }
  c["linux"]["namespaces"] = ns;
  c["mounts"].push_back({{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                         {"options", {"nosuid", "nodev", "mode=1777"}}});
  EXPECT_EQ(c["process"]["user"]["uid"], 65532);
  ASSERT_TRUE(WriteFileAtomic(bundle + "/config.json", c.dump()).ok());

  // The image's own entrypoint + CMD: the custom runtime, exec'd by the worker in its folder.
  std::string errors;
  std::string out = RunLambdaOnce(bundle, {}, R"({"n":1})", dir.Join("hello.log"), &errors);
  EXPECT_EQ(errors, "");
  json hello = json::parse(out, nullptr, false);
  ASSERT_TRUE(hello.is_object()) << out;
  EXPECT_EQ(hello["greeting"], "hello from bash");
  EXPECT_EQ(hello["handler"], "greet.handler");
  EXPECT_EQ(hello["cwd"], "/opt/straightline/functions/hello");
  EXPECT_EQ(hello["stage"], "packaged");
  EXPECT_EQ(hello["event"], json({{"n", 1}}));

  // CMD "say": a built-in function of the file under its own name (Lambda's ImageConfig.Command).
  out = RunLambdaOnce(bundle, {"/usr/local/bin/straightline-worker", "say"}, R"({"said":"hi"})",
                      dir.Join("say.log"), &errors);
  EXPECT_EQ(errors, "");
  EXPECT_EQ(json::parse(out, nullptr, false), json({{"said", "hi"}})) << out;
}

TEST(PackageFunctionsFile, ErrorsNameTheFunctionAndWhatIsWrong) {
  TempDir dir("sl-package-fns-errors");
  auto package = [&](const std::string& yaml) {
    EXPECT_TRUE(WriteFileAtomic(dir.Join("f.yaml"), yaml).ok());
    auto r = RunProcess({BinaryDir() + "/straightline", "package", "function", "--functions", dir.Join("f.yaml"),
                         "--format", "oci-dir", "--out", dir.Join("x.oci")});
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : ProcessResult{};
  };
  ProcessResult r = package("functions:\n  f: {handler: no-such-handler}\n");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("function 'f': handler 'no-such-handler' is not a built-in"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("train-shard"), std::string::npos) << "lists the known handlers: " << r.err;

  ASSERT_TRUE(MakeDirs(dir.Join("odd")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.Join("odd/bootstrap"), "#!/no/such/interpreter\n").ok());
  ASSERT_EQ(::chmod(dir.Join("odd/bootstrap").c_str(), 0755), 0);
  r = package("functions:\n  odd: {runtime: provided.al2023, codeUri: ./odd, handler: x}\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("/no/such/interpreter"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("function 'odd'"), std::string::npos) << r.err;

  r = package("functions:\n  gone: {runtime: provided.al2023, codeUri: ./gone, handler: x}\n");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("gone"), std::string::npos) << r.err;  // the functions file's own check

  auto serve = RunProcess({BinaryDir() + "/straightline", "package", "serve", "--functions", dir.Join("f.yaml"),
                           "--out", dir.Join("y.tar")});
  ASSERT_TRUE(serve.ok());
  EXPECT_EQ(serve->exit_code, 2);
  EXPECT_NE(serve->err.find("--functions"), std::string::npos) << serve->err;
}

}  // namespace
}  // namespace sl::package
