// The Kubernetes, Knative and KServe descriptors' container, run under runc exactly as each
// descriptor says (command + args, env, containerPort / $PORT, runAsUser, readOnlyRootFilesystem,
// dropped capabilities, volumes where volumeMounts put them, resource limits), then probed as
// the platform would: readiness /v2/health/ready, liveness, and a KServe v2 infer with the token
// from the Secret volume (and a 401 without it).
//
// Two file systems under the same descriptor: `image`, the real serving image that
// `straightline package` builds (package::BuildImage, unpacked by umoci, its Env beneath the
// descriptor's), and `host`, read-only binds of this host's /usr, /lib, /lib64, /etc with this
// build's `straightline` at the descriptor's command path and the model at the image's model
// path (testing/descriptor_container.h). Everything else comes from the descriptor.
// Skips, saying why, when runc (or, for `image`, umoci) cannot run here.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <cstdio>
#include <memory>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "deploy/targets.h"
#include "deploy/testing/descriptor_container.h"
#include "package/image_builder.h"
#include "package/subprocess.h"
#include "serve/remote/replica_process.h"
#include "serve/serve_test_util.h"

namespace sl::deploy {
namespace {

using nlohmann::json;
using testing::BundleInputs;

std::string Capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// What every test shares: a tiny model named "tiny", the Secret `tiny-token` (a directory with
// the key `token`, owned by the image's user), and, built once when first asked for, the
// serving image of that model unpacked by umoci.
struct World {
  TempDir dir{"sl-deploy-runc"};
  std::string model, secret, token;
  ml::Dataset raw;
  std::string image_rootfs;   // set once the image is built and unpacked
  std::vector<std::string> image_env;
  std::string image_error;    // why there is no image (a skip reason)
  bool image_tried = false;
  double image_build_s = 0;
};
World* world = nullptr;

class DescriptorRuncTest : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  static void SetUpTestSuite() {
    world = new World;
    World& w = *world;
    w.model = w.dir.path() + "/tiny";
    w.raw = serve::testing::WriteTinyModel(w.model);
    chmod(w.dir.path().c_str(), 0755);
    chmod(w.model.c_str(), 0755);
    w.secret = w.dir.path() + "/secret";
    if (!MakeDirs(w.secret).ok()) return;
    chmod(w.secret.c_str(), 0755);
    w.token = "test-token-" + std::to_string(getpid());
    if (!WriteFileAtomic(w.secret + "/token", w.token + "\n").ok()) return;
    if (chown((w.secret + "/token").c_str(), 65532, 65532) != 0) return;
    chmod((w.secret + "/token").c_str(), 0600);
  }
  static void TearDownTestSuite() {
    delete world;
    world = nullptr;
  }

  // Builds the serving image of the model (uncompressed layers: the test unpacks it at once)
  // and unpacks it with umoci; on failure records why.
  static void EnsureImage() {
    World& w = *world;
    if (w.image_tried) return;
    w.image_tried = true;
    auto umoci = package::RunProcess({"umoci", "--version"});
    if (!umoci.ok() || umoci->exit_code != 0) {
      w.image_error = "umoci is not installed (scripts/install-deps.sh)";
      return;
    }
    const auto t0 = Clock::Real()->Now();
    package::PackageOptions o;
    o.kind = package::ImageKind::kServing;
    o.binary = SL_STRAIGHTLINE_BIN;
    o.models = {w.model};
    o.layer.compression = package::Compression::kNone;
    o.scratch_dir = w.dir.path() + "/scratch";
    (void)MakeDirs(o.scratch_dir);
    const std::string layout = w.dir.path() + "/image.oci";
    auto built = package::BuildImage(o, layout);
    if (!built.ok()) {
      w.image_error = "BuildImage: " + built.status().ToString();
      return;
    }
    const std::string unpacked = w.dir.path() + "/image-bundle";
    auto r = package::RunProcess({"umoci", "unpack", "--image", layout + ":" + built->ref_name, unpacked});
    if (!r.ok() || r->exit_code != 0) {
      w.image_error = "umoci unpack: " + (r.ok() ? r->err : r.status().ToString());
      return;
    }
    const json cfg = json::parse(ReadFileToString(unpacked + "/config.json").value_or("{}"),
                                 nullptr, false);
    if (cfg.is_object() && cfg.contains("process")) {
      for (const auto& e : cfg["process"].value("env", json::array())) w.image_env.push_back(e);
    }
    w.image_rootfs = unpacked + "/rootfs";
    w.image_build_s = std::chrono::duration<double>(Clock::Real()->Now() - t0).count();
  }

  void SetUp() override {
    probe_ = serve::ProbeRunc("runc");
    if (!probe_.usable) GTEST_SKIP() << "SKIPPED: runc cannot run here: " << probe_.reason;
    ASSERT_FALSE(world->raw.features.empty());
    ASSERT_FALSE(world->token.empty());
    if (std::get<1>(GetParam()) == "image") {
      EnsureImage();
      if (world->image_rootfs.empty() && world->image_error.rfind("umoci is not", 0) == 0) {
        GTEST_SKIP() << "SKIPPED: no serving image: " << world->image_error;
      }
      // A build or unpack that fails is a failure, not a skip.
      ASSERT_FALSE(world->image_rootfs.empty()) << "no serving image: " << world->image_error;
      RecordProperty("image_build_and_unpack_s", std::to_string(world->image_build_s));
    }
  }

  void TearDown() override { container_.reset(); }  // runc kill + delete before the dirs go

  // The generated descriptor's container and pod spec for `target`.
  static void Describe(const std::string& target, int port, json* container, json* pod) {
    ServingFlags f;
    f.model_dir = world->model;
    f.image = "registry.example.com/ml/tiny:v1";
    f.port = port;
    f.container_memory_mb = 1024;
    auto spec = ResolveServing(f);
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    json doc;
    if (target == "kubernetes") {
      doc = KubernetesObjects(*spec)[0];
      *pod = doc["spec"]["template"]["spec"];
    } else if (target == "knative") {
      doc = KnativeService(*spec);
      *pod = doc["spec"]["template"]["spec"];
    } else {
      doc = KServeInferenceService(*spec);
      *pod = doc["spec"]["predictor"];
    }
    *container = (*pod)["containers"][0];
  }

  serve::RuncProbe probe_;
  std::unique_ptr<serve::ReplicaProcess> container_;
};

TEST_P(DescriptorRuncTest, ContainerRunsAndAnswersAsDescribed) {
  const auto& [target, source] = GetParam();
  const int port = testing::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  json container, pod;
  Describe(target, port, &container, &pod);
  ASSERT_FALSE(HasFatalFailure());
  BundleInputs in;
  in.bundle_dir = world->dir.path() + "/bundle-" + target + "-" + source;
  in.secrets = {{"tiny-token", world->secret}};
  if (source == "image") {
    in.rootfs = world->image_rootfs;
    in.image_env = world->image_env;
  } else {
    in.image_files = {{std::string(SL_STRAIGHTLINE_BIN), container["command"][0].get<std::string>()},
                      {world->model, ImageLayout().ModelDir("tiny")}};
  }
  in.platform_sets_port = target != "kubernetes";  // Knative (and KServe on it) inject $PORT
  auto run = testing::WriteDescriptorBundle(container, pod, in);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->uid, 65532);
  EXPECT_TRUE(run->read_only_root);
  EXPECT_EQ(run->port, port);
  EXPECT_EQ(run->readiness_path, "/v2/health/ready");

  const std::string id = "sl-deploy-" + std::to_string(getpid()) + "-" + target + "-" + source;
  const std::string log = in.bundle_dir + ".log";
  auto started = serve::ReplicaProcess::Start(serve::ReplicaMode::kRunc, id, probe_.runc_path,
                                              in.bundle_dir, {}, {}, log);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  container_ = std::move(*started);

  // Readiness as the platform probes it: until 200, within 90 s.
  HttpClient http(HttpClient::Options::Timeouts(1000, 5000));
  const std::string base = "http://127.0.0.1:" + std::to_string(run->port);
  const auto deadline = Clock::Real()->Now() + std::chrono::seconds(90);
  int ready = 0;
  while (Clock::Real()->Now() < deadline && !container_->Exited()) {
    auto r = http.Get(base + run->readiness_path);
    if (r.ok() && r->status == 200) {
      ready = 200;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(ready, 200) << "not ready; config:\n" << run->config_json << "\ncontainer log:\n"
                        << ReadFileToString(log).value_or("");
  auto live = http.Get(base + run->liveness_path);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->status, 200);

  // The process runs as the descriptor's user, without capabilities, on a read-only root with
  // /tmp writable.
  const json state = json::parse(Capture(probe_.runc_path + " state " + id), nullptr, false);
  ASSERT_TRUE(state.is_object() && state.contains("pid"));
  const std::string status = ReadFileToString("/proc/" + std::to_string(state["pid"].get<int>()) +
                                              "/status").value_or("");
  EXPECT_NE(status.find("Uid:\t65532\t65532"), std::string::npos) << status;
  EXPECT_NE(status.find("CapEff:\t0000000000000000"), std::string::npos) << status;
  // Mount options as the kernel reports them: / read-only, /tmp (the emptyDir) writable.
  const std::string mountinfo = ReadFileToString("/proc/" + std::to_string(state["pid"].get<int>()) +
                                                 "/mountinfo").value_or("");
  std::map<std::string, std::string> options;  // mount point → per-mount options (last wins)
  for (size_t at = 0; at < mountinfo.size();) {
    const size_t nl = mountinfo.find('\n', at);
    std::vector<std::string> f;
    const std::string line = mountinfo.substr(at, nl - at);
    for (size_t q = 0; q <= line.size();) {
      const size_t sp = std::min(line.find(' ', q), line.size());
      f.push_back(line.substr(q, sp - q));
      q = sp + 1;
    }
    if (f.size() > 5) options[f[4]] = f[5];
    at = nl == std::string::npos ? mountinfo.size() : nl + 1;
  }
  EXPECT_EQ(options["/"].rfind("ro", 0), 0u) << mountinfo;
  EXPECT_EQ(options["/tmp"].rfind("rw", 0), 0u) << mountinfo;
  EXPECT_EQ(options["/var/run/secrets/straightline"].rfind("ro", 0), 0u) << mountinfo;
  if (source == "host") {  // the image has no touch(1): it holds straightline and its libraries
    const std::string exec = probe_.runc_path + " exec --user " + std::to_string(run->uid) + ":" +
                             std::to_string(run->gid) + " " + id + " ";
    EXPECT_NE(std::system((exec + "/usr/bin/touch /written 2>/dev/null").c_str()), 0)
        << "the root file system is writable";
    EXPECT_EQ(std::system((exec + "/usr/bin/touch /tmp/written").c_str()), 0);
  }

  // An inference with the Secret's token, and none without it.
  const std::string body = serve::testing::JsonBody(world->raw, 0, 2);
  const std::string infer = base + "/v2/models/tiny/infer";
  HttpHeaders auth;
  auth.Set("Authorization", "Bearer " + world->token);
  auto r = http.Post(infer, body, auth);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->status, 200) << r->body;
  const json out = json::parse(r->body);
  ASSERT_TRUE(out.contains("outputs")) << r->body;
  EXPECT_EQ(out["outputs"][0]["shape"][0], 2) << r->body;
  auto anonymous = http.Post(infer, body);
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ(anonymous->status, 401);
}

INSTANTIATE_TEST_SUITE_P(Targets, DescriptorRuncTest,
                         ::testing::Combine(::testing::Values("kubernetes", "knative", "kserve"),
                                            ::testing::Values("image", "host")),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

}  // namespace
}  // namespace sl::deploy
