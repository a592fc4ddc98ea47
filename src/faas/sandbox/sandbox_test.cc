// Attacks on the function sandbox (issue 16, "Functions are not isolated"): a function that runs
// whatever shell its event carries tries to read the host, other functions' code and
// environments, reach other Runtime APIs and the platform's own endpoints, fork past its limit
// and leave processes behind. Each attack must fail under the sandbox; the network one is also
// run with isolation "none", where it succeeds, so the test can tell the difference.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/file_util.h"
#include "common/http_server.h"
#include "common/metrics.h"
#include "common/wait_until.h"
#include "faas/platform.h"
#include "faas/sandbox/sandbox_probe.h"

namespace sl::faas {
namespace {

// Runs the shell script carried base64-encoded in each event (a JSON string) and answers
// {"out": base64(stdout and stderr), "code": exit status}.
const char* const kAttackerBootstrap = R"SH(#!/bin/bash
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  HEADERS="$(mktemp)"
  EVENT=$(curl -sS -D "$HEADERS" "$API/next")
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  printf '%s' "$EVENT" | tr -d '"' | base64 -d > /tmp/attack.sh
  bash /tmp/attack.sh > /tmp/attack.out 2>&1
  CODE=$?
  OUT=$(base64 -w0 < /tmp/attack.out)
  curl -sS "$API/$ID/response" -d "{\"out\":\"$OUT\",\"code\":$CODE}" > /dev/null
done
)SH";

std::string RandomToken() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

// Host processes whose command line contains `needle`; with kill, SIGKILLs them too (a failed
// test leaves nothing running).
int CountHostProcesses(const std::string& needle, bool kill = false) {
  int n = 0;
  DIR* d = ::opendir("/proc");
  if (d == nullptr) return -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline");
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().find(needle) != std::string::npos) {
      ++n;
      if (kill) ::kill(std::atoi(e->d_name), SIGKILL);
    }
  }
  ::closedir(d);
  return n;
}

struct Attack {
  std::string out;
  int code = -1;
};

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status probe = ProbeSandbox();
    if (!probe.ok()) GTEST_SKIP() << "no sandbox on this machine: " << probe.ToString();
    tmp_ = std::make_unique<TempDir>("sandbox");
    attacker_code_ = tmp_->Join("attacker");
    ASSERT_TRUE(MakeDirs(attacker_code_).ok());
    ASSERT_TRUE(WriteFileAtomic(attacker_code_ + "/bootstrap", kAttackerBootstrap).ok());
    ASSERT_EQ(::chmod((attacker_code_ + "/bootstrap").c_str(), 0755), 0);
  }

  std::unique_ptr<Platform> Start(FunctionIsolation isolation, int64_t pids_max = 0) {
    PlatformOptions o;
    o.state_dir = tmp_->Join(fmt::format("platform-{}", ++platforms_));
    // SL_SANDBOX_TEST_WITHOUT_SANDBOX=1 runs every attack without the sandbox: each test then
    // fails, which is how to see that the attacks are real.
    const char* off = std::getenv("SL_SANDBOX_TEST_WITHOUT_SANDBOX");
    o.isolation = off != nullptr && *off == '1' ? FunctionIsolation::kNone : isolation;
    o.metrics = &metrics_;
    if (pids_max > 0) o.instance_pids_max = pids_max;
    auto p = Platform::Create(o);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    if (!p.ok()) return nullptr;
    FunctionSpec spec;
    spec.name = "attacker";
    spec.kind = HandlerKind::kBootstrap;
    spec.code_dir = attacker_code_;
    spec.handler = "attack";
    spec.memory_mb = 512;
    spec.timeout_s = 30;
    EXPECT_TRUE((*p)->RegisterFunction(spec).ok());
    return std::move(*p);
  }

  static Attack Run(Platform* p, const std::string& script) {
    InvokeRequest req;
    req.function = "attacker";
    req.payload = nlohmann::json(Base64Encode(script)).dump();
    auto fut = p->Invoke(std::move(req));
    Attack a;
    if (fut.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      ADD_FAILURE() << "attack did not finish in 60 s";
      return a;
    }
    InvokeResult r = fut.get();
    EXPECT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_TRUE(r.function_error.empty()) << r.payload << "\n" << r.log_tail;
    auto j = nlohmann::json::parse(r.payload, nullptr, false);
    if (!j.is_object()) {
      ADD_FAILURE() << "attacker answered " << r.payload;
      return a;
    }
    auto out = Base64Decode(j.value("out", ""));
    a.out = out.ok() ? *out : "(bad base64)";
    a.code = j.value("code", -1);
    return a;
  }

  std::unique_ptr<TempDir> tmp_;
  std::string attacker_code_;
  MetricsRegistry metrics_;
  int platforms_ = 0;
};

TEST_F(SandboxTest, RunsAsAnUnprivilegedUserWithNoCapabilitiesAndNoNewPrivileges) {
  auto p = Start(FunctionIsolation::kSandbox);
  ASSERT_NE(p, nullptr);
  Attack a = Run(p.get(), "id -u; id -g; grep -E '^(CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status");
  EXPECT_EQ(a.code, 0) << a.out;
  EXPECT_NE(a.out.find("600001\n600001\n"), std::string::npos) << a.out;
  for (const char* cap : {"CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    EXPECT_NE(a.out.find(std::string(cap) + ":\t0000000000000000"), std::string::npos) << cap << "\n" << a.out;
  }
  EXPECT_NE(a.out.find("NoNewPrivs:\t1"), std::string::npos) << a.out;
  // su/sudo-style escalation: setuid binaries do not raise privileges under no_new_privs.
  Attack su = Run(p.get(), "python3 -c 'import os; os.setuid(0)'");
  EXPECT_NE(su.code, 0) << su.out;
  EXPECT_NE(su.out.find("PermissionError"), std::string::npos) << su.out;
}

TEST_F(SandboxTest, CannotReadShadowWriteTheSystemOrSeeHostFiles) {
  auto p = Start(FunctionIsolation::kSandbox);
  ASSERT_NE(p, nullptr);
  std::string host_file = tmp_->Join("host-secret.txt");
  ASSERT_TRUE(WriteFileAtomic(host_file, "host secret").ok());
  ASSERT_EQ(::chmod(host_file.c_str(), 0644), 0);
  Attack shadow = Run(p.get(), "cat /etc/shadow");
  EXPECT_NE(shadow.code, 0);
  EXPECT_NE(shadow.out.find("Permission denied"), std::string::npos) << shadow.out;
  const std::string probe = "sl-probe-" + RandomToken();
  for (const std::string dir : {"/etc/", "/usr/", "/", "/var/task/"}) {
    const std::string path = dir + probe;
    Attack w = Run(p.get(), "touch " + path);
    EXPECT_NE(w.code, 0) << path << " was writable: " << w.out;
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0) {
      ADD_FAILURE() << path << " appeared on the host";
      ::unlink(path.c_str());  // the test leaves nothing behind, even when it fails
    }
  }
  Attack host = Run(p.get(), "cat " + host_file);
  EXPECT_NE(host.code, 0);
  EXPECT_NE(host.out.find("No such file or directory"), std::string::npos) << host.out;
  // Its own /tmp is writable and of the function's ephemeral-storage size (512 MB default).
  Attack tmp = Run(p.get(), "echo hi > /tmp/x && cat /tmp/x && df -m /tmp | tail -1 | awk '{print $2}'");
  EXPECT_EQ(tmp.code, 0) << tmp.out;
  EXPECT_EQ(tmp.out, "hi\n512\n");
}

TEST_F(SandboxTest, CannotSeeOtherFunctionsCodeProcessesOrEnvironment) {
  auto p = Start(FunctionIsolation::kSandbox);
  ASSERT_NE(p, nullptr);
  // Another function: its code directory holds a secret, and a built-in with a secret in its
  // environment (as a training function holds its store's keys) is mid-invocation.
  std::string other = tmp_->Join("other");
  ASSERT_TRUE(MakeDirs(other).ok());
  ASSERT_TRUE(WriteFileAtomic(other + "/bootstrap", kAttackerBootstrap).ok());
  ASSERT_EQ(::chmod((other + "/bootstrap").c_str(), 0755), 0);
  ASSERT_TRUE(WriteFileAtomic(other + "/secret.txt", "other's code").ok());
  FunctionSpec o;
  o.name = "other";
  o.kind = HandlerKind::kBootstrap;
  o.code_dir = other;
  o.handler = "x";
  ASSERT_TRUE(p->RegisterFunction(o).ok());
  const std::string secret = "sl-secret-" + RandomToken();
  // An exec'd runtime, so that its environment is in /proc/<pid>/environ for anyone who may read it.
  FunctionSpec victim;
  victim.name = "victim";
  victim.kind = HandlerKind::kBootstrap;
  victim.code_dir = attacker_code_;
  victim.handler = "x";
  victim.timeout_s = 30;
  victim.environment["SL_TEST_SECRET"] = secret;
  ASSERT_TRUE(p->RegisterFunction(victim).ok());
  auto busy = p->Invoke({"victim", nlohmann::json(Base64Encode("sleep 4")).dump()});
  ASSERT_TRUE(WaitUntil([&] { auto i = p->GetFunction("victim"); return i.ok() && i->inflight == 1 && !i->instance_pids.empty(); },
                        std::chrono::seconds(20)));

  Attack code = Run(p.get(), "cat " + other + "/secret.txt; ls " + other);
  EXPECT_EQ(code.out.find("other's code"), std::string::npos) << code.out;
  EXPECT_NE(code.out.find("No such file or directory"), std::string::npos) << code.out;
  // Its own code is there, read-only.
  Attack own = Run(p.get(), "ls " + attacker_code_ + " && touch " + attacker_code_ + "/x");
  EXPECT_NE(own.out.find("bootstrap"), std::string::npos) << own.out;
  EXPECT_NE(own.code, 0) << own.out;

  Attack procs = Run(p.get(),
                     "ls /proc | grep -cE '^[0-9]+$'; cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | "
                     "grep -c " + secret + "; true");
  std::istringstream lines(procs.out);
  int visible = -1, leaked = -1;
  lines >> visible >> leaked;
  EXPECT_GT(visible, 0) << procs.out;
  EXPECT_LE(visible, 12) << "sees more than its own processes:\n" << procs.out;
  EXPECT_EQ(leaked, 0) << procs.out;
  busy.wait();
}

// A stand-in for the platform's own endpoints and for the Runtime API ports instances had on the
// host's loopback before the sandbox: the attacker is told its address and tries to reach it.
TEST_F(SandboxTest, CannotReachTheHostsLoopbackButCanWithoutTheSandbox) {
  std::atomic<int> hits{0};
  HttpServer::Options so;
  auto server = HttpServer::Start(so, [&](HttpRequest&&, HttpResponder respond) {
    hits++;
    respond(HttpResponse::Json(200, "{}"));
  });
  ASSERT_TRUE(server.ok());
  std::string url = fmt::format("http://127.0.0.1:{}/2018-06-01/runtime/invocation/next", (*server)->port());
  std::string script = "curl -sS -m 3 " + url + "; echo rc=$?";
  {
    auto p = Start(FunctionIsolation::kSandbox);
    ASSERT_NE(p, nullptr);
    Attack a = Run(p.get(), script);
    EXPECT_NE(a.out.find("rc=7"), std::string::npos) << "expected 'could not connect':\n" << a.out;
    EXPECT_EQ(hits.load(), 0);
  }
  {
    auto p = Start(FunctionIsolation::kNone);
    ASSERT_NE(p, nullptr);
    Attack a = Run(p.get(), script);
    EXPECT_NE(a.out.find("rc=0"), std::string::npos) << a.out;
    EXPECT_EQ(hits.load(), 1) << "the control run (no sandbox) should reach the host";
  }
}

TEST_F(SandboxTest, CannotTakeOrAnswerAnotherInstancesInvocation) {
  auto p = Start(FunctionIsolation::kSandbox);
  ASSERT_NE(p, nullptr);
  FunctionSpec slow_spec;  // a custom runtime mid-invocation, its Runtime API in its environment
  slow_spec.name = "slow";
  slow_spec.kind = HandlerKind::kBootstrap;
  slow_spec.code_dir = attacker_code_;
  slow_spec.handler = "x";
  slow_spec.timeout_s = 30;
  ASSERT_TRUE(p->RegisterFunction(slow_spec).ok());
  auto pending = p->Invoke({"slow", nlohmann::json(Base64Encode("sleep 3; echo genuine")).dump()});
  ASSERT_TRUE(WaitUntil([&] { auto i = p->GetFunction("slow"); return i.ok() && i->inflight == 1 && !i->instance_pids.empty(); },
                        std::chrono::seconds(20)));
  // The attack that worked before the sandbox: find other instances' Runtime APIs in
  // /proc/*/environ and poll their /next (to take their invocations) — there are none to find.
  Attack scan = Run(p.get(),
                    "own=$AWS_LAMBDA_RUNTIME_API; for e in $(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | "
                    "sed -n 's/^AWS_LAMBDA_RUNTIME_API=//p' | sort -u); do [ \"$e\" = \"$own\" ] && continue; "
                    "echo \"other: $e\"; curl -s -m 1 -o /dev/null -w 'code=%{http_code}\\n' "
                    "http://$e/2018-06-01/runtime/invocation/next; done; echo scanned");
  EXPECT_NE(scan.out.find("scanned"), std::string::npos) << scan.out;
  EXPECT_EQ(scan.out.find("other: "), std::string::npos) << "found another instance's Runtime API:\n" << scan.out;
  // Its own Runtime API (127.0.0.1:9001 in its own network namespace, like every instance's)
  // refuses an answer for a request id that is not its own.
  Attack a = Run(p.get(),
                 "curl -sS -m 2 http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/forged-id/response "
                 "-d '\"forged\"'; echo; echo rc=$?");
  EXPECT_NE(a.out.find("InvalidRequestID"), std::string::npos) << a.out;
  InvokeResult slow = pending.get();
  EXPECT_TRUE(slow.status.ok());
  auto answer = nlohmann::json::parse(slow.payload, nullptr, false);
  ASSERT_TRUE(answer.is_object()) << slow.payload;
  auto genuine = Base64Decode(answer.value("out", ""));
  EXPECT_TRUE(genuine.ok() && *genuine == "genuine\n") << slow.payload;
}

// What a function is given, it gets: a writable mount at its own path (files the host's root
// owns appear as its own), and its egress endpoint through the relay — nothing else.
TEST_F(SandboxTest, MountsAndEgressGiveAccessToExactlyWhatWasDeclared) {
  auto p = Start(FunctionIsolation::kSandbox);
  ASSERT_NE(p, nullptr);
  std::string data = tmp_->Join("granted");
  ASSERT_TRUE(MakeDirs(data).ok());
  ASSERT_EQ(::chmod(data.c_str(), 0700), 0);  // root's own, 0700: readable only through the idmap
  ASSERT_TRUE(WriteFileAtomic(data + "/in.txt", "input").ok());
  std::atomic<int> hits{0};
  auto server = HttpServer::Start({}, [&](HttpRequest&& req, HttpResponder respond) {
    hits++;
    respond(HttpResponse::Json(200, "{\"path\":\"" + req.path + "\"}"));
  });
  ASSERT_TRUE(server.ok());
  std::atomic<int> other_hits{0};
  auto other = HttpServer::Start({}, [&](HttpRequest&&, HttpResponder respond) {
    other_hits++;
    respond(HttpResponse::Json(200, "{}"));
  });
  ASSERT_TRUE(other.ok());
  FunctionSpec f;
  f.name = "granted";
  f.kind = HandlerKind::kBootstrap;
  f.code_dir = attacker_code_;
  f.handler = "x";
  f.AddMount(data, /*writable=*/true);
  f.egress.push_back(fmt::format("127.0.0.1:{}", (*server)->port()));
  ASSERT_TRUE(p->RegisterFunction(f).ok());
  InvokeRequest req;
  req.function = "granted";
  req.payload = nlohmann::json(Base64Encode(fmt::format(
      "cat {0}/in.txt; echo; echo output > {0}/out.txt && echo wrote; "
      "curl -sS -m 3 http://127.0.0.1:{1}/via-relay; echo; curl -sS -m 3 http://127.0.0.1:{2}/; echo rc=$?",
      data, (*server)->port(), (*other)->port()))).dump();
  InvokeResult r = p->Invoke(std::move(req)).get();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  auto j = nlohmann::json::parse(r.payload, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.payload << r.log_tail;
  auto out = Base64Decode(j.value("out", ""));
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->find("input\nwrote\n"), std::string::npos) << *out;
  EXPECT_NE(out->find("{\"path\":\"/via-relay\"}"), std::string::npos) << *out;
  EXPECT_NE(out->find("rc=7"), std::string::npos) << "an undeclared endpoint was reachable:\n" << *out;
  EXPECT_EQ(hits.load(), 1);
  EXPECT_EQ(other_hits.load(), 0);
  // What it wrote is on the host, owned by the host's root (the id mapping of the mount).
  auto written = ReadFileToString(data + "/out.txt");
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, "output\n");
  struct stat st{};
  ASSERT_EQ(::stat((data + "/out.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
}

TEST_F(SandboxTest, CannotForkPastItsPidsLimit) {
  auto p = Start(FunctionIsolation::kSandbox, /*pids_max=*/40);
  ASSERT_NE(p, nullptr);
  if (!p->isolation().pids_cgroup) GTEST_SKIP() << "no cgroup v1 pids controller here";
  Attack a = Run(p.get(), R"(python3 - <<'EOF'
import os, time
n = 0
try:
    for i in range(200):
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        n += 1
except OSError as e:
    print("fork failed: errno", e.errno)
print("forked", n)
EOF
)");
  EXPECT_NE(a.out.find("fork failed: errno 11"), std::string::npos) << a.out;
  size_t at = a.out.find("forked ");
  ASSERT_NE(at, std::string::npos) << a.out;
  EXPECT_LT(std::atoi(a.out.c_str() + at + 7), 40) << a.out;
}

TEST_F(SandboxTest, NothingItStartsOutlivesTheInstanceEvenWithSetsid) {
  auto p = Start(FunctionIsolation::kSandbox);
  ASSERT_NE(p, nullptr);
  const std::string marker = "sl-survivor-" + RandomToken();
  Attack a = Run(p.get(), "setsid bash -c 'exec -a " + marker + " sleep 1000' < /dev/null > /dev/null 2>&1 & echo started");
  EXPECT_NE(a.out.find("started"), std::string::npos) << a.out;
  ASSERT_TRUE(WaitUntil([&] { return CountHostProcesses(marker) == 1; }, std::chrono::seconds(5)))
      << "the escapee never started";
  p->Shutdown();
  EXPECT_TRUE(WaitUntil([&] { return CountHostProcesses(marker) == 0; }, std::chrono::seconds(5)))
      << "a process the instance started outlived the platform's shutdown";
  CountHostProcesses(marker, /*kill=*/true);
}

TEST_F(SandboxTest, NothingOutlivesAPlatformKilledWithSigkillAndItsCgroupsAreSweptLater) {
  const std::string marker = "sl-survivor-" + RandomToken();
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A platform process of its own, to be killed with SIGKILL (no cleanup of any kind runs).
    ::close(ready[0]);
    auto p = Start(FunctionIsolation::kSandbox);
    if (p == nullptr) ::_exit(2);
    Attack a = Run(p.get(), "setsid bash -c 'exec -a " + marker + " sleep 1000' < /dev/null > /dev/null 2>&1 & echo started");
    ::write(ready[1], "x", 1);
    ::pause();
    ::_exit(0);
  }
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1) << "the platform process failed";
  ::close(ready[0]);
  ASSERT_TRUE(WaitUntil([&] { return CountHostProcesses(marker) == 1; }, std::chrono::seconds(5)));
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(WaitUntil([&] { return CountHostProcesses(marker) == 0; }, std::chrono::seconds(5)))
      << "a process the instance started outlived its platform's SIGKILL";
  CountHostProcesses(marker, /*kill=*/true);
  // The dead platform's cgroups are swept by the next platform to start.
  const std::string prefix = fmt::format("straightline-{}-", child);
  auto stale = [&] {
    int n = 0;
    for (const char* ctrl : {"pids", "memory", "cpu"}) {
      std::ifstream in("/proc/self/cgroup");
      std::string line, own;
      while (std::getline(in, line)) {
        size_t a = line.find(':'), b = line.find(':', a + 1);
        std::stringstream cs(line.substr(a + 1, b - a - 1));
        std::string name;
        while (std::getline(cs, name, ',')) {
          if (name == ctrl) own = line.substr(b + 1);
        }
      }
      std::string base = std::string("/sys/fs/cgroup/") + ctrl + (own == "/" ? "" : own);
      if (DIR* d = ::opendir(base.c_str())) {
        while (dirent* e = ::readdir(d)) n += std::string(e->d_name).rfind(prefix, 0) == 0;
        ::closedir(d);
      }
    }
    return n;
  };
  auto next = Start(FunctionIsolation::kSandbox);
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(stale(), 0) << "cgroups of the killed platform were left behind";
}

}  // namespace
}  // namespace sl::faas
