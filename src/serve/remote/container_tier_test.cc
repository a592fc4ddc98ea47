// ContainerTier with real replicas: runc containers on this machine (root, cgroup v1), and the
// child-process fallback, through the ProcessReplicaLauncher. The replica server here is a small
// Python KServe-v2-shaped HTTP server (python3 from the host, visible in the container through the
// read-only /usr bind mount) that binds a port itself and reports it in {port_file}, so the
// launcher's containers, binds, port reports, tokens and cleanup are tested independently of the
// model. The tier's scaling and replacement rules are tested without processes in
// container_tier_fake_test.cc.
#include "serve/remote/container_tier.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "common/metrics.h"
#include "common/wait_until.h"
#include "serve/remote/oci_bundle.h"
#include "serve/remote/process_replica_launcher.h"
#include "serve/remote/replica_process.h"

namespace sl::serve {
namespace {

// argv: PORT_FILE [TOKEN_FILE]. It binds 127.0.0.1:0 and writes the port to PORT_FILE (write +
// rename, as `serve --port-file` does). With a token file, every request (the readiness probe too) must carry
// "Authorization: Bearer <token>", as `straightline serve --auth-token-file` requires.
constexpr const char* kServer = R"PY(
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
port_file = sys.argv[1]
token = open(sys.argv[2]).read().strip() if len(sys.argv) > 2 else None
class H(BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def authorized(self):
        if token is None or self.headers.get("Authorization") == "Bearer " + token: return True
        n = int(self.headers.get("Content-Length", "0"))
        if n: self.rfile.read(n)
        self.reply(401, {"error": "replica: missing or wrong token"})
        return False
    def reply(self, code, obj):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        if not self.authorized(): return
        if self.path == "/v2/health/ready": self.reply(200, {"ready": True})
        else: self.reply(404, {"error": "no route " + self.path})
    def do_POST(self):
        if not self.authorized(): return
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        parts = self.path.split("/")
        if len(parts) != 5 or parts[4] != "infer":
            return self.reply(404, {"error": "no route " + self.path})
        if parts[3] != "m":
            return self.reply(404, {"error": "unknown model '" + parts[3] + "'"})
        if body == b"bad":
            return self.reply(400, {"error": "input__0: wrong shape"})
        if body.startswith(b"sleep"):
            time.sleep(float(body[5:]))
        self.reply(200, {"model_name": parts[3], "pid": os.getpid(), "bytes": n,
                         "content_type": self.headers.get("Content-Type"),
                         "token_file": sys.argv[2] if len(sys.argv) > 2 else "",
                         "in_container": os.path.exists("/opt/straightline") or os.getpid() < 10})
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(port_file + ".tmp", "w") as f: f.write(str(srv.server_address[1]))
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
)PY";

class ContainerTierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sl_ctier_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/server.py", kServer).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ContainerTierOptions Options(const std::string& mode) {
    ContainerTierOptions o;
    o.models = {"m"};
    o.command = {"/usr/bin/python3", dir_ + "/server.py", "{port_file}", "{token_file}"};
    o.extra_ro_paths = {dir_};
    o.mode = ParseContainerMode(mode).value();
    o.state_dir = dir_ + "/state";
    o.min_replicas = 1;
    o.max_replicas = 2;
    o.replica_concurrency = 2;
    o.queue_per_replica = 8;
    o.scale_up_queue_depth = 1;
    o.idle_before_scale_down = std::chrono::milliseconds(60000);
    o.ready_timeout = std::chrono::milliseconds(20000);
    o.cpus_per_replica = 1;
    o.memory_mb_per_replica = 256;
    o.metrics = &metrics_;
    return o;
  }

  static InferenceResponse Run(Tier& tier, const std::string& model, const std::string& body,
                               const std::string& content_type = "application/json",
                               Clock* clock = Clock::Real()) {
    InferenceRequest r;
    r.model = model;
    r.body = body;
    r.content_type = content_type;
    r.wire_bytes = static_cast<int64_t>(body.size());
    r.deadline = clock->Now() + std::chrono::seconds(30);
    std::promise<InferenceResponse> p;
    auto f = p.get_future();
    tier.Submit(std::move(r), [&p](InferenceResponse resp) { p.set_value(std::move(resp)); });
    return f.get();
  }

  static std::string RuncList() {
    std::string out;
    FILE* f = popen("runc list -q 2>/dev/null", "r");
    if (!f) return "?";
    char buf[256];
    while (fgets(buf, sizeof(buf), f)) out += buf;
    pclose(f);
    return out;
  }
  // Our containers (named sl-serve-<pid>-N) still listed by runc.
  static int OurContainers() {
    std::string list = RuncList();
    std::string prefix = "sl-serve-" + std::to_string(getpid()) + "-";
    int n = 0;
    for (size_t pos = list.find(prefix); pos != std::string::npos; pos = list.find(prefix, pos + 1)) ++n;
    return n;
  }

  std::string dir_;
  MetricsRegistry metrics_;
};

TEST(OciBundleTest, ConfigHasReadOnlyBindsHostNetworkAndLimits) {
  BundleSpec spec;
  spec.dir = "/tmp/x";
  spec.args = {"/opt/straightline/straightline", "serve"};
  spec.env = {"PORT=1234"};
  spec.ro_binds = {{"/usr", "/usr"}, {"/nonexistent-path-xyz", "/y"}};
  spec.rw_binds = {{"/tmp", "/run/straightline"}};
  spec.cpus = 1.5;
  spec.memory_mb = 300;
  auto j = nlohmann::json::parse(OciConfigJson(spec));
  EXPECT_EQ(j["root"]["readonly"], true);
  EXPECT_EQ(j["process"]["args"][1], "serve");
  EXPECT_EQ(j["linux"]["resources"]["cpu"]["quota"], 150000);
  EXPECT_EQ(j["linux"]["resources"]["cpu"]["period"], 100000);
  EXPECT_EQ(j["linux"]["resources"]["memory"]["limit"], 300LL * 1024 * 1024);
  for (const auto& ns : j["linux"]["namespaces"]) EXPECT_NE(ns["type"], "network");
  int usr = 0;
  for (const auto& m : j["mounts"]) {
    EXPECT_NE(m["destination"], "/y");  // missing host paths are skipped
    if (m["destination"] == "/usr") {
      ++usr;
      EXPECT_EQ(m["type"], "bind");
      EXPECT_NE(std::find(m["options"].begin(), m["options"].end(), "ro"), m["options"].end());
    }
  }
  EXPECT_EQ(usr, 1);
  // The one writable bind (a replica's port report directory) is rw, noexec.
  int rw = 0;
  for (const auto& m : j["mounts"]) {
    if (m["destination"] != "/run/straightline") continue;
    ++rw;
    EXPECT_EQ(m["source"], "/tmp");
    EXPECT_NE(std::find(m["options"].begin(), m["options"].end(), "rw"), m["options"].end());
    EXPECT_NE(std::find(m["options"].begin(), m["options"].end(), "noexec"), m["options"].end());
  }
  EXPECT_EQ(rw, 1);
}

TEST(RuncProbeTest, MissingRuncIsReported) {
  RuncProbe p = ProbeRunc("no-such-runc-binary");
  EXPECT_FALSE(p.usable);
  EXPECT_NE(p.reason.find("not found"), std::string::npos) << p.reason;
}

TEST_F(ContainerTierTest, RuncContainersServeScaleReplaceAndCleanUp) {
  RuncProbe probe = ProbeRunc("runc");
  ASSERT_TRUE(probe.usable) << "this machine runs runc (root, cgroup v1): " << probe.reason;
  auto tier_or = ContainerTier::Create(Options("runc"));
  ASSERT_TRUE(tier_or.ok()) << tier_or.status().ToString();
  auto& tier = **tier_or;
  EXPECT_EQ(tier.mode(), "runc");
  ASSERT_TRUE(tier.WaitForReady(1, std::chrono::seconds(20)));
  EXPECT_EQ(OurContainers(), 1) << RuncList();
  TierState st = tier.State();
  EXPECT_TRUE(st.available);
  EXPECT_EQ(st.replicas, 1);
  EXPECT_GT(st.start_ms_ewma, 0);
  EXPECT_EQ(st.capacity, 2 * (8 + 2));

  // Inference is forwarded with the original body and content type; the server runs inside the
  // container's own pid namespace (its pid is small).
  InferenceResponse r = Run(tier, "m", std::string(1000, 'x'), "application/octet-stream");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["bytes"], 1000);
  EXPECT_EQ(j["content_type"], "application/octet-stream");
  EXPECT_LT(j["pid"].get<int>(), 10) << "not in a pid namespace";
  // The replica read its token from the read-only bind of the tier's token file, and the tier
  // sent it (the replica answers 401 otherwise, to the readiness probe too).
  EXPECT_EQ(j["token_file"], "/opt/straightline/token");
  EXPECT_GT(r.service_ms, 0);

  // Errors map to the tier contract codes with the replica's message.
  r = Run(tier, "m", "bad");
  EXPECT_EQ(r.status.code(), Code::kInvalidArgument);
  EXPECT_NE(r.status.message().find("wrong shape"), std::string::npos) << r.status.ToString();
  r = Run(tier, "other", "{}");
  EXPECT_EQ(r.status.code(), Code::kNotFound);

  // Queue depth > 1 per replica: a second replica starts.
  std::vector<std::future<InferenceResponse>> slow;
  for (int i = 0; i < 6; ++i) {
    slow.push_back(std::async(std::launch::async, [&] { return Run(tier, "m", "sleep0.4"); }));
  }
  ASSERT_TRUE(tier.WaitForReady(2, std::chrono::seconds(20)));
  for (auto& f : slow) EXPECT_TRUE(f.get().status.ok());
  EXPECT_EQ(tier.State().replicas, 2);
  EXPECT_EQ(OurContainers(), 2) << RuncList();

  // Kill one replica's runc process group: it is cleaned up (runc delete) and replaced, even
  // above min; then kill both.
  auto reps = tier.Replicas();
  ASSERT_EQ(reps.size(), 2u);
  kill(-reps[0].pid, SIGKILL);
  EXPECT_TRUE(WaitUntil([&] { return tier.replicas_replaced() >= 1; }));
  EXPECT_EQ(tier.replicas_replaced(), 1);
  ASSERT_TRUE(tier.WaitForReady(2, std::chrono::seconds(20)));
  EXPECT_EQ(OurContainers(), 2) << RuncList();
  EXPECT_EQ(tier.replicas_started(), 3);
  reps = tier.Replicas();
  ASSERT_EQ(reps.size(), 2u);
  for (const auto& rep : reps) kill(-rep.pid, SIGKILL);
  EXPECT_TRUE(WaitUntil([&] { return tier.replicas_replaced() >= 3; }));
  EXPECT_EQ(tier.replicas_replaced(), 3);
  ASSERT_TRUE(tier.WaitForReady(1, std::chrono::seconds(20)));
  r = Run(tier, "m", "{}");
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  for (const auto& rep : tier.Replicas()) {
    EXPECT_NE(rep.id, reps[0].id);
    EXPECT_NE(rep.id, reps[1].id);
  }
  EXPECT_GE(tier.replicas_started(), 5);

  tier.Shutdown();
  EXPECT_EQ(OurContainers(), 0) << RuncList();
  r = Run(tier, "m", "{}");
  EXPECT_EQ(r.status.code(), Code::kUnavailable);
  EXPECT_NE(metrics_.Render().find("sl_serve_container_start_seconds_count{mode=\"runc\"}"),
            std::string::npos);
}

TEST_F(ContainerTierTest, ChildProcessFallbackStartsFromZeroAndReportsItsPort) {
  ContainerTierOptions o = Options("process");
  o.min_replicas = 0;
  o.max_replicas = 1;
  auto tier_or = ContainerTier::Create(o);
  ASSERT_TRUE(tier_or.ok()) << tier_or.status().ToString();
  auto& tier = **tier_or;
  EXPECT_EQ(tier.mode(), "process");
  EXPECT_TRUE(tier.Replicas().empty());

  // Scale from zero: the first request waits for the start and says so.
  InferenceResponse r = Run(tier, "m", "{\"inputs\":[]}");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.cold_start);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_GT(j["pid"].get<int>(), 10);  // a plain child process, host pid namespace
  EXPECT_EQ(j["in_container"], false);
  EXPECT_EQ(OurContainers(), 0);
  // The port is the one the replica bound and wrote to its port file in its own directory.
  auto reps = tier.Replicas();
  ASSERT_EQ(reps.size(), 1u);
  auto reported = ReadFileToString(dir_ + "/state/" + reps[0].id + "/run/port");
  ASSERT_TRUE(reported.ok()) << reported.status().ToString();
  EXPECT_EQ(*reported, std::to_string(reps[0].port));
  r = Run(tier, "m", "{}");
  EXPECT_FALSE(r.cold_start);
  tier.Shutdown();
}

// The replica command as the launcher runs it: the default command reports its port (no port is
// picked and handed over); a command that cannot report gets a picked one as {port} and $PORT.
TEST_F(ContainerTierTest, LauncherCommandReportsItsPortUnlessTheCommandCannot) {
  ContainerTierOptions o = Options("process");
  o.command.clear();  // the default: straightline serve
  o.binary = "/opt/sl/straightline";
  o.model_dir = dir_ + "/model";
  auto launcher = ProcessReplicaLauncher::Create(o, dir_ + "/token");
  ASSERT_TRUE(launcher.ok()) << launcher.status().ToString();
  ReplicaStart start{"sl-serve-test-0", dir_ + "/state/sl-serve-test-0", dir_ + "/token"};
  auto c = (*launcher)->CommandFor(start);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  const std::vector<std::string> want = {
      "/opt/sl/straightline", "serve", "--tiers", "local", "--port", "0", "--port-file",
      start.dir + "/run/port", "--model", "m=" + dir_ + "/model", "--auth-token-file",
      dir_ + "/token"};
  EXPECT_EQ(c->argv, want);
  EXPECT_EQ(c->port_file, start.dir + "/run/port");
  EXPECT_EQ(c->fixed_port, 0);
  EXPECT_NE(std::find(c->env.begin(), c->env.end(), "PORT=0"), c->env.end());

  o.command = {"/usr/bin/third-party-server", "--listen", "127.0.0.1:{port}"};
  o.replica_auth = false;
  launcher = ProcessReplicaLauncher::Create(o, "");
  ASSERT_TRUE(launcher.ok()) << launcher.status().ToString();
  c = (*launcher)->CommandFor(start);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_GT(c->fixed_port, 0);
  EXPECT_TRUE(c->port_file.empty());
  EXPECT_EQ(c->argv[2], "127.0.0.1:" + std::to_string(c->fixed_port));
  EXPECT_NE(std::find(c->env.begin(), c->env.end(), "PORT=" + std::to_string(c->fixed_port)),
            c->env.end());
}

// The replica token: a 0600 file per tier, its path (not the token) on the replica's command
// line, sent with every forwarded request, required by the replica, removed at shutdown.
TEST_F(ContainerTierTest, ReplicasAuthenticateWithAPerTierTokenFile) {
  auto tier_or = ContainerTier::Create(Options("process"));
  ASSERT_TRUE(tier_or.ok()) << tier_or.status().ToString();
  auto& tier = **tier_or;
  ASSERT_TRUE(tier.WaitForReady(1, std::chrono::seconds(20)));
  std::string token_file;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/state")) {
    if (e.path().filename().string().rfind("replica-token-", 0) == 0) token_file = e.path().string();
  }
  ASSERT_FALSE(token_file.empty());
  struct stat st{};
  ASSERT_EQ(stat(token_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto token = ReadFileToString(token_file);
  ASSERT_TRUE(token.ok());
  while (!token->empty() && token->back() == '\n') token->pop_back();
  EXPECT_EQ(token->size(), 64u);

  InferenceResponse r = Run(tier, "m", "{}");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(nlohmann::json::parse(r.body)["token_file"], token_file);

  // The replica's command line names the file, never the token.
  auto reps = tier.Replicas();
  ASSERT_EQ(reps.size(), 1u);
  auto cmdline = ReadFileToString("/proc/" + std::to_string(reps[0].pid) + "/cmdline");
  ASSERT_TRUE(cmdline.ok());
  EXPECT_NE(cmdline->find(token_file), std::string::npos);
  EXPECT_EQ(cmdline->find(*token), std::string::npos);

  // The replica itself refuses requests without the token or with another one.
  HttpClient client;
  const std::string url = "http://127.0.0.1:" + std::to_string(reps[0].port) + "/v2/models/m/infer";
  auto direct = client.Post(url, "{}");
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->status, 401);
  HttpHeaders wrong;
  wrong.Set("Authorization", "Bearer not-the-token");
  direct = client.Post(url, "{}", wrong);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(direct->status, 401);

  tier.Shutdown();
  EXPECT_FALSE(PathExists(token_file)) << "the token file outlives its tier";
}

TEST_F(ContainerTierTest, ReplicaThatNeverGetsReadyFailsItsRequests) {
  ContainerTierOptions o = Options("process");
  o.command = {"/bin/sleep", "30"};
  o.min_replicas = 0;
  o.ready_timeout = std::chrono::milliseconds(300);
  auto tier_or = ContainerTier::Create(o);
  ASSERT_TRUE(tier_or.ok());
  InferenceResponse r = Run(**tier_or, "m", "{}");
  EXPECT_EQ(r.status.code(), Code::kUnavailable);
  EXPECT_NE(r.status.message().find("not ready after 300 ms"), std::string::npos)
      << r.status.ToString();
}

TEST_F(ContainerTierTest, BadOptionsAreRejected) {
  // A mode is parsed once, at the edge (flags), into ContainerMode.
  auto docker = ParseContainerMode("docker");
  EXPECT_EQ(docker.status().code(), Code::kInvalidArgument);
  EXPECT_NE(docker.status().message().find("'docker' (want auto, runc or process)"), std::string::npos)
      << docker.status().ToString();
  ContainerTierOptions o = Options("runc");
  o.runc = "no-such-runc-binary";
  auto t = ContainerTier::Create(o);
  EXPECT_EQ(t.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(t.status().message().find("not found"), std::string::npos);
  o = Options("auto");
  o.runc = "no-such-runc-binary";
  o.min_replicas = 0;
  auto fallback = ContainerTier::Create(o);
  ASSERT_TRUE(fallback.ok());
  EXPECT_EQ((*fallback)->mode(), "process");
  o = Options("process");
  o.replica_auth = false;  // but the command still passes {token_file}
  auto no_token = ContainerTier::Create(o);
  EXPECT_EQ(no_token.status().code(), Code::kInvalidArgument);
  EXPECT_NE(no_token.status().message().find("{token_file}"), std::string::npos);
}

}  // namespace
}  // namespace sl::serve
