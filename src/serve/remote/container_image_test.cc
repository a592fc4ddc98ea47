// ContainerTier in image mode (issue 15 §2): the replicas run a real serving image built by
// `straightline package serve` from the straightline binary of this build, unpacked by umoci and
// run by runc. Checks what a deployment relies on: the replica answers KServe v2 through the
// tier, runs as uid 65532 on a read-only root with no host path mounted but the token, listens on
// loopback only, and the tier deletes its containers and unpacked image at shutdown.
// Skips (saying which) without root, runc, umoci or tar.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/metrics.h"
#include "package/subprocess.h"
#include "serve/remote/container_tier.h"
#include "serve/remote/oci_bundle.h"
#include "serve/remote/serving_image.h"

namespace sl::serve {
namespace {

using nlohmann::json;

bool HaveTool(const std::string& name) {
  auto r = package::RunProcess({"sh", "-c", "command -v " + name});
  return r.ok() && r->exit_code == 0;
}

// One field-split mountinfo line per mount: [4] is the mount point, [5] its options.
std::vector<std::vector<std::string>> MountInfo(int pid) {
  std::vector<std::vector<std::string>> out;
  std::string text = ReadFileToString(fmt::format("/proc/{}/mountinfo", pid)).value_or("");
  for (size_t at = 0; at < text.size();) {
    size_t nl = text.find('\n', at);
    std::string line = text.substr(at, nl - at);
    std::vector<std::string> f;
    for (size_t p = 0; p < line.size();) {
      size_t sp = line.find(' ', p);
      f.push_back(line.substr(p, sp - p));
      p = sp == std::string::npos ? line.size() : sp + 1;
    }
    if (f.size() > 5) out.push_back(f);
    at = nl == std::string::npos ? text.size() : nl + 1;
  }
  return out;
}

// Connects to addr:port; true when something accepts.
bool Accepts(const std::string& addr, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, addr.c_str(), &a.sin_addr);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// The host's first IPv4 address that is not loopback ("" if none).
std::string NonLoopbackAddress() {
  ifaddrs* ifs = nullptr;
  if (::getifaddrs(&ifs) != 0) return "";
  std::string out;
  for (ifaddrs* i = ifs; i != nullptr && out.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_LOOPBACK) != 0 || (i->ifa_flags & IFF_UP) == 0) continue;
    char buf[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf, sizeof buf);
    out = buf;
  }
  ::freeifaddrs(ifs);
  return out;
}

// The first replica log under the tier's state dir, for a failure message.
std::string ReplicaLogs(const std::string& state_dir) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(state_dir, ec)) {
    if (PathExists(e.path().string() + "/replica.log")) {
      return e.path().string() + "/replica.log:\n" +
             ReadFileToString(e.path().string() + "/replica.log").value_or("").substr(0, 4000) +
             "\nconfig.json:\n" +
             ReadFileToString(e.path().string() + "/config.json").value_or("").substr(0, 4000);
    }
  }
  return "(no replica log)";
}

InferenceResponse Infer(Tier& tier, const std::string& model, const std::string& body) {
  InferenceRequest r;
  r.model = model;
  r.body = body;
  r.content_type = "application/json";
  r.wire_bytes = static_cast<int64_t>(body.size());
  r.deadline = Clock::Real()->Now() + std::chrono::seconds(60);
  std::promise<InferenceResponse> p;
  auto f = p.get_future();
  tier.Submit(std::move(r), [&p](InferenceResponse resp) { p.set_value(std::move(resp)); });
  return f.get();
}

TEST(ServingImageTest, HostIsRewrittenToLoopbackAndEnvIsReplaced) {
  using V = std::vector<std::string>;
  EXPECT_EQ(BindToLoopback({"serve", "--host", "0.0.0.0", "--port", "1"}),
            V({"serve", "--host", "127.0.0.1", "--port", "1"}));
  EXPECT_EQ(BindToLoopback({"serve", "--host=0.0.0.0"}), V({"serve", "--host=127.0.0.1"}));
  EXPECT_EQ(BindToLoopback({"serve"}), V({"serve", "--host", "127.0.0.1"}));
  EXPECT_EQ(SetEnv({"PORT=8080", "A=1", "PORTX=2"}, "PORT=9"), V({"A=1", "PORTX=2", "PORT=9"}));
}

TEST(ServingImageTest, BadReferencesNameWhatIsWrong) {
  TempDir dir(fmt::format("sl-serving-image-ref-{}", ::getpid()));
  auto a = UnpackServingImage("docker://x/y", dir.Join("u"));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), Code::kInvalidArgument);
  EXPECT_NE(a.status().message().find("oci-archive:PATH"), std::string::npos) << a.status().ToString();
  auto b = UnpackServingImage("oci-archive:" + dir.Join("none.tar"), dir.Join("u"));
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("none.tar"), std::string::npos) << b.status().ToString();
  ASSERT_TRUE(MakeDirs(dir.Join("layout")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.Join("layout/index.json"), R"({"manifests":[]})").ok());
  auto c = UnpackServingImage("oci:" + dir.Join("layout"), dir.Join("u"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("no manifest"), std::string::npos) << c.status().ToString();
}

TEST(ServingImageTest, ImageBundleUsesTheSharedRootfsAndTheImageUserWithoutCapabilities) {
  BundleSpec spec;
  spec.dir = "/tmp/b";
  spec.root_path = "/state/image-1/bundle/rootfs";
  spec.uid = 65532;
  spec.gid = 65532;
  spec.cwd = "/";
  spec.args = {"/usr/local/bin/straightline", "serve"};
  json c = json::parse(OciConfigJson(spec));
  EXPECT_EQ(c["root"]["path"], spec.root_path);
  EXPECT_EQ(c["root"]["readonly"], true);
  EXPECT_EQ(c["process"]["user"]["uid"], 65532);
  EXPECT_EQ(c["process"]["user"]["gid"], 65532);
  EXPECT_TRUE(c["process"]["capabilities"]["bounding"].empty());
  EXPECT_TRUE(c["process"]["capabilities"]["ambient"].empty());
  for (const auto& m : c["mounts"]) EXPECT_NE(m["type"], "bind") << m.dump();
}

class ContainerImageTest : public ::testing::Test {
 protected:
  // One model and one serving image (uncompressed layers: ~2 s) for the whole binary.
  static void SetUpTestSuite() {
    if (::geteuid() != 0 || !HaveTool("runc") || !HaveTool("umoci") || !HaveTool("tar")) return;
    dir_ = new TempDir(fmt::format("sl-container-image-test-{}", ::getpid()));
    const std::string bin = std::string(SL_BINARY_DIR) + "/straightline";
    const std::string model = dir_->Join("tiny");
    auto t = package::RunProcess({bin, "train", "--dataset", "fashion-mnist", "--model", "logreg",
                                  "--epochs", "1", "--limit", "2000", "--out", model});
    ASSERT_TRUE(t.ok());
    ASSERT_EQ(t->exit_code, 0) << t->err;
    auto p = package::RunProcess({bin, "package", "serve", "--model", model, "--format",
                                  "oci-archive", "--compression", "none", "--out",
                                  dir_->Join("serve.tar")});
    ASSERT_TRUE(p.ok());
    ASSERT_EQ(p->exit_code, 0) << p->err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "runc needs root here";
    for (const char* tool : {"runc", "umoci", "tar"}) {
      if (!HaveTool(tool)) GTEST_SKIP() << tool << " is not installed (scripts/install-deps.sh)";
    }
    ASSERT_NE(dir_, nullptr);
  }

  ContainerTierOptions Options() {
    ContainerTierOptions o;
    o.models = {"tiny"};
    o.image = "oci-archive:" + dir_->Join("serve.tar");
    o.mode = ContainerMode::kRunc;
    o.state_dir = dir_->Join(fmt::format("state-{}", ++seq_));
    o.min_replicas = 1;
    o.max_replicas = 1;
    o.cpus_per_replica = 1;
    o.ready_timeout = std::chrono::milliseconds(60000);
    o.restart_backoff = std::chrono::milliseconds(60000);  // keep the first failure's log
    o.memory_mb_per_replica = 1024;
    o.metrics = &metrics_;
    return o;
  }

  static TempDir* dir_;
  int seq_ = 0;
  MetricsRegistry metrics_;
};
TempDir* ContainerImageTest::dir_ = nullptr;

TEST_F(ContainerImageTest, ReplicaRunsTheImageReadOnlyAsUid65532OnLoopbackOnly) {
  ContainerTierOptions o = Options();
  // Two replicas from one unpacked rootfs, started at once.
  o.min_replicas = 2;
  o.max_replicas = 2;
  const std::string state_dir = o.state_dir;
  auto tier = ContainerTier::Create(o);
  ASSERT_TRUE(tier.ok()) << tier.status().ToString();
  ASSERT_EQ((*tier)->mode(), "runc");
  ASSERT_TRUE((*tier)->WaitForReady(2, std::chrono::seconds(60))) << ReplicaLogs(state_dir);

  const std::string body =
      ReadFileToString(std::string(SL_SOURCE_DIR) + "/examples/request.json").value_or("");
  for (int i = 0; i < 4; ++i) {
    InferenceResponse r = Infer(**tier, "tiny", body);
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    json out = json::parse(r.body, nullptr, false);
    EXPECT_EQ(out["model_name"], "tiny") << r.body;
    EXPECT_EQ(out["outputs"][0]["shape"], json({1, 10})) << r.body;
  }

  auto reps = (*tier)->Replicas();
  ASSERT_EQ(reps.size(), 2u);
  const std::string id = reps[0].id;
  auto state = package::RunProcess({"runc", "state", id});
  ASSERT_TRUE(state.ok());
  const int pid = json::parse(state->out, nullptr, false).value("pid", 0);
  ASSERT_GT(pid, 0) << state->out;
  const std::string status = ReadFileToString(fmt::format("/proc/{}/status", pid)).value_or("");
  EXPECT_NE(status.find("Uid:\t65532\t65532"), std::string::npos) << status;
  EXPECT_NE(status.find("Gid:\t65532\t65532"), std::string::npos) << status;
  // The root is the image, read-only; the only other mounts are the kernel file systems, the
  // tmpfs /tmp, the token file and the replica's own report directory (its port file): no
  // /usr, /lib, /etc, binary or model from the host.
  const std::string token_path = "/var/run/secrets/straightline/token";
  const std::string report_dir = "/run/straightline";
  bool root_ro = false, token_ro = false;
  for (const auto& f : MountInfo(pid)) {
    const std::string& at = f[4];
    if (at == "/") root_ro = f[5].rfind("ro", 0) == 0;
    if (at == token_path) token_ro = f[5].rfind("ro", 0) == 0;
    if (at == report_dir) {
      EXPECT_NE(f[5].find("noexec"), std::string::npos) << f[5];
    }
    const bool allowed = at == "/" || at == "/tmp" || at == token_path || at == report_dir ||
                         at == "/proc" ||
                         at.rfind("/proc/", 0) == 0 || at == "/dev" || at.rfind("/dev/", 0) == 0 ||
                         at == "/sys" || at.rfind("/sys/", 0) == 0;
    EXPECT_TRUE(allowed) << "unexpected mount in the replica: " << fmt::format("{}", at);
  }
  EXPECT_TRUE(root_ro);
  EXPECT_TRUE(token_ro) << "the token is bound read-only at " << token_path;
  // That directory is the replica's alone, on the host too, and holds only the port it bound
  // and reported (the tier read it from there).
  std::vector<std::string> reported;
  for (const auto& e : std::filesystem::directory_iterator(state_dir + "/" + id + "/run")) {
    reported.push_back(e.path().filename().string());
  }
  EXPECT_EQ(reported, std::vector<std::string>{"port"});
  EXPECT_EQ(ReadFileToString(state_dir + "/" + id + "/run/port").value_or(""),
            std::to_string(reps[0].port));
  // Reachable on loopback (the tier's own path), not on the host's other addresses although the
  // image's Cmd says --host 0.0.0.0.
  EXPECT_TRUE(Accepts("127.0.0.1", reps[0].port));
  const std::string other = NonLoopbackAddress();
  if (other.empty()) {
    GTEST_LOG_(INFO) << "no non-loopback IPv4 address here; the off-loopback check is skipped";
  } else {
    EXPECT_FALSE(Accepts(other, reps[0].port)) << "replica reachable on " << other;
  }

  (*tier)->Shutdown();
  auto list = package::RunProcess({"runc", "list", "-q"});
  ASSERT_TRUE(list.ok());
  for (const auto& rep : reps) EXPECT_EQ(list->out.find(rep.id), std::string::npos) << list->out;
  for (const auto& e : std::filesystem::directory_iterator(state_dir)) {
    EXPECT_EQ(e.path().filename().string().rfind("image-", 0), std::string::npos)
        << "unpacked image left: " << e.path();
  }
}

TEST_F(ContainerImageTest, ImageModeNeedsRuncAndAValidReference) {
  ContainerTierOptions o = Options();
  o.mode = ContainerMode::kProcess;
  auto p = ContainerTier::Create(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), Code::kFailedPrecondition) << p.status().ToString();
  EXPECT_NE(p.status().message().find("runc"), std::string::npos) << p.status().ToString();
  o = Options();
  o.image = "docker://example/straightline";
  auto bad = ContainerTier::Create(o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("oci-archive:"), std::string::npos);
  o = Options();
  o.image = "oci:" + dir_->Join("no-such-layout");
  auto missing = ContainerTier::Create(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no-such-layout"), std::string::npos)
      << missing.status().ToString();
}

}  // namespace
}  // namespace sl::serve
