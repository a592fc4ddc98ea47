// The Kubernetes, Knative and KServe descriptors' container, run under runc exactly as each
// descriptor says (command + args, env, containerPort / $PORT, runAsUser, readOnlyRootFilesystem,
// dropped capabilities, volumes where volumeMounts put them, resource limits), then probed as
// the platform would: readiness /v2/health/ready, liveness, and a KServe v2 infer with the token
// from the Secret volume (and a 401 without it).
//
// The serving image is not built here (that is `straightline package`): the bundle stands in
// for it with read-only binds of this host's /usr, /lib, /lib64, /etc, this build's
// `straightline` at the descriptor's command path and a tiny model at the image's model path
// (testing/descriptor_container.h). Everything else comes from the descriptor.
// Skips, saying why, when runc cannot run here (not root, no runc, no cgroups).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/http_client.h"
#include "deploy/targets.h"
#include "deploy/testing/descriptor_container.h"
#include "serve/remote/replica_process.h"
#include "serve/serve_test_util.h"

namespace sl::deploy {
namespace {

using nlohmann::json;
using testing::BundleInputs;
using testing::ContainerRun;

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

class DescriptorRuncTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    probe_ = serve::ProbeRunc("runc");
    if (!probe_.usable) GTEST_SKIP() << "SKIPPED: runc cannot run here: " << probe_.reason;
    // The model: a real artifact, readable by the image's non-root user.
    model_ = dir_.path() + "/tiny";
    raw_ = serve::testing::WriteTinyModel(model_);
    ASSERT_FALSE(raw_.features.empty());
    ASSERT_EQ(chmod(dir_.path().c_str(), 0755), 0);
    ASSERT_EQ(chmod(model_.c_str(), 0755), 0);
    // The Secret <name>-token: a directory holding the key `token`, owned by the image's user.
    secret_ = dir_.path() + "/secret";
    ASSERT_TRUE(MakeDirs(secret_).ok());
    ASSERT_EQ(chmod(secret_.c_str(), 0755), 0);
    token_ = "test-token-" + std::to_string(getpid());
    ASSERT_TRUE(WriteFileAtomic(secret_ + "/token", token_ + "\n").ok());
    ASSERT_EQ(chown((secret_ + "/token").c_str(), 65532, 65532), 0);
    ASSERT_EQ(chmod((secret_ + "/token").c_str(), 0600), 0);
  }

  void TearDown() override { container_.reset(); }  // runc kill + delete before the dirs go

  // The generated descriptor's container and pod spec for `target`.
  void Describe(const std::string& target, int port, json* container, json* pod) {
    ServingFlags f;
    f.model_dir = model_;
    f.image = "registry.example.com/ml/tiny:v1";
    f.port = port;
    f.container_memory_mb = 1024;
    auto spec = ResolveServing(f);
    ASSERT_TRUE(spec.ok()) << spec.status().ToString();
    json doc;
    if (target == "kubernetes") {
      doc = KubernetesObjects(*spec)[0];
    } else if (target == "knative") {
      doc = KnativeService(*spec);
    } else {
      doc = KServeInferenceService(*spec);
      *pod = doc["spec"]["predictor"];
      *container = (*pod)["containers"][0];
      return;
    }
    *pod = doc["spec"]["template"]["spec"];
    *container = (*pod)["containers"][0];
  }

  TempDir dir_{"sl-deploy-runc"};
  serve::RuncProbe probe_;
  std::string model_, secret_, token_;
  ml::Dataset raw_;
  std::unique_ptr<serve::ReplicaProcess> container_;
};

TEST_P(DescriptorRuncTest, ContainerRunsAndAnswersAsDescribed) {
  const std::string target = GetParam();
  const int port = testing::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  json container, pod;
  Describe(target, port, &container, &pod);
  ASSERT_FALSE(HasFatalFailure());
  const std::string layout_binary = container["command"][0];
  BundleInputs in;
  in.bundle_dir = dir_.path() + "/bundle";
  in.secrets = {{"tiny-token", secret_}};
  in.image_files = {{std::string(SL_STRAIGHTLINE_BIN), layout_binary},
                    {model_, ImageLayout().ModelDir("tiny")}};
  in.platform_sets_port = target != "kubernetes";  // Knative (and KServe on it) inject $PORT
  auto run = testing::WriteDescriptorBundle(container, pod, in);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->uid, 65532);
  EXPECT_TRUE(run->read_only_root);
  EXPECT_EQ(run->port, port);
  EXPECT_EQ(run->readiness_path, "/v2/health/ready");

  const std::string id = "sl-deploy-" + std::to_string(getpid()) + "-" + target;
  const std::string log = dir_.path() + "/container.log";
  auto started = serve::ReplicaProcess::Start(serve::ReplicaMode::kRunc, id, probe_.runc_path,
                                              in.bundle_dir, {}, {}, log);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  container_ = std::move(*started);

  // Readiness as the platform probes it: until 200, within 90 s.
  HttpClient http(HttpClient::Options{1000, 5000});
  const std::string base = "http://127.0.0.1:" + std::to_string(run->port);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  int ready = 0;
  while (std::chrono::steady_clock::now() < deadline && !container_->Exited()) {
    auto r = http.Get(base + run->readiness_path);
    if (r.ok() && r->status == 200) {
      ready = 200;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(ready, 200) << "not ready; container log:\n" << ReadFileToString(log).value_or("");
  auto live = http.Get(base + run->liveness_path);
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->status, 200);

  // The process runs as the descriptor's user, on a read-only root with /tmp writable.
  const json state = json::parse(Capture(probe_.runc_path + " state " + id), nullptr, false);
  ASSERT_TRUE(state.is_object() && state.contains("pid"));
  const std::string status = ReadFileToString("/proc/" + std::to_string(state["pid"].get<int>()) +
                                              "/status").value_or("");
  EXPECT_NE(status.find("Uid:\t65532\t65532"), std::string::npos) << status;
  EXPECT_NE(status.find("CapEff:\t0000000000000000"), std::string::npos) << status;
  // As the descriptor's user (runc exec would default to uid 0).
  const std::string exec = probe_.runc_path + " exec --user " + std::to_string(run->uid) + ":" +
                           std::to_string(run->gid) + " " + id + " ";
  EXPECT_NE(std::system((exec + "/usr/bin/touch /written 2>/dev/null").c_str()), 0)
      << "the root file system is writable";
  EXPECT_EQ(std::system((exec + "/usr/bin/touch /tmp/written").c_str()), 0)
      << Capture(exec + "/usr/bin/ls -ld /tmp /tmp/straightline 2>&1");

  // An inference with the Secret's token, and none without it.
  const std::string body = serve::testing::JsonBody(raw_, 0, 2);
  const std::string infer = base + "/v2/models/tiny/infer";
  HttpHeaders auth;
  auth.Set("Authorization", "Bearer " + token_);
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
                         ::testing::Values("kubernetes", "knative", "kserve"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sl::deploy
