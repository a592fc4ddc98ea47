// The container tier's rules — forwarding and error mapping, scale up on queue depth, scale down
// after idle time, replacement after a crash and where the dead replica's queue goes, bounded
// queues, start failures and back-off, start timeouts, cold starts from zero, deadlines in the
// queue, shutdown — on in-process replicas (fake_replica_launcher.h) and a FakeClock: no runc,
// no child processes, no sleeps that hope something happened. Replicas still speak HTTP on ports
// they bound themselves, so forwarding and authentication are the real code.
#include <future>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/metrics.h"
#include "common/wait_until.h"
#include "serve/remote/container_tier.h"
#include "serve/remote/fake_replica_launcher.h"

namespace sl::serve {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class ContainerTierRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sl_ctier_fake_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    tier_.reset();
    std::filesystem::remove_all(dir_);
  }

  ContainerTierOptions Options() {
    ContainerTierOptions o;
    o.models = {"m"};
    o.launcher = &launcher_;
    o.clock = &clock_;
    o.metrics = &metrics_;
    o.state_dir = dir_ + "/state";
    o.min_replicas = 1;
    o.max_replicas = 2;
    o.replica_concurrency = 1;
    o.queue_per_replica = 4;
    o.scale_up_queue_depth = 1;
    o.idle_before_scale_down = seconds(30);
    o.ready_timeout = seconds(20);
    o.restart_backoff = seconds(1);
    o.supervise_interval = milliseconds(2);
    return o;
  }

  ContainerTier& Make(const ContainerTierOptions& o) {
    auto t = ContainerTier::Create(o);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    tier_ = std::move(*t);
    return *tier_;
  }

  // Submits without waiting; the future holds the answer.
  std::future<InferenceResponse> Submit(const std::string& body, const std::string& model = "m",
                                        milliseconds deadline = seconds(30)) {
    InferenceRequest r;
    r.model = model;
    r.body = body;
    r.content_type = "application/octet-stream";
    r.wire_bytes = static_cast<int64_t>(body.size());
    r.deadline = clock_.Now() + deadline;
    auto p = std::make_shared<std::promise<InferenceResponse>>();
    auto f = p->get_future();
    tier_->Submit(std::move(r), [p](InferenceResponse resp) { p->set_value(std::move(resp)); });
    return f;
  }
  InferenceResponse Run(const std::string& body, const std::string& model = "m") {
    return Submit(body, model).get();
  }

  int64_t Queued() const {
    int64_t n = 0;
    for (const auto& r : tier_->Replicas()) n += r.queued;
    return n;
  }
  // Waits until the replicas hold `inflight` requests in flight (answered by no one yet: the
  // launcher holds them) and `queued` more in their queues.
  bool Holding(int64_t inflight, int64_t queued) {
    return WaitUntil([&] { return launcher_.held() == inflight && Queued() == queued; });
  }

  std::string dir_;
  FakeReplicaLauncher launcher_;
  FakeClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<ContainerTier> tier_;
};

TEST_F(ContainerTierRulesTest, ForwardsBodyAndContentTypeAndMapsReplicaStatuses) {
  ContainerTierOptions o = Options();
  o.max_replicas = 1;
  ContainerTier& tier = Make(o);
  EXPECT_EQ(tier.mode(), "fake");
  ASSERT_TRUE(tier.WaitForReady(1, seconds(10)));
  auto reps = tier.Replicas();
  ASSERT_EQ(reps.size(), 1u);
  EXPECT_GT(reps[0].port, 0) << "the port the replica reported";
  EXPECT_EQ(reps[0].state, "ready");

  InferenceResponse r = Run(std::string(1000, 'x'));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["replica"], reps[0].id);
  EXPECT_EQ(j["bytes"], 1000);
  EXPECT_EQ(j["content_type"], "application/octet-stream");
  EXPECT_FALSE(r.cold_start);

  struct Case {
    std::string body, model;
    Code code;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {"bad", "m", Code::kInvalidArgument, "HTTP 400: input__0: wrong shape"},
           {"{}", "other", Code::kNotFound, "container tier: unknown model 'other'"},
           {"busy", "m", Code::kResourceExhausted, "HTTP 429: replica: queue full"},
           {"down", "m", Code::kUnavailable, "HTTP 503: replica: draining"},
           {"late", "m", Code::kDeadlineExceeded, "HTTP 504: replica: deadline"},
           {"boom", "m", Code::kInternal, "HTTP 500: replica: internal"}}) {
    r = Run(c.body, c.model);
    EXPECT_EQ(r.status.code(), c.code) << c.body << ": " << r.status.ToString();
    EXPECT_NE(r.status.message().find(c.message), std::string::npos) << r.status.ToString();
  }
  // Every forwarded request carried the replica token (the fake answers 401 otherwise).
  EXPECT_EQ(launcher_.requests(reps[0].id), 6);  // "other" never left the tier
}

TEST_F(ContainerTierRulesTest, ScalesUpOnlyWhenTheMeanQueuePerReplicaPassesTheThreshold) {
  ContainerTier& tier = Make(Options());
  ASSERT_TRUE(tier.WaitForReady(1, seconds(10)));
  launcher_.Hold(true);
  auto a = Submit("a");
  ASSERT_TRUE(Holding(1, 0));  // in flight before the next arrives: else both queue a moment
  auto b = Submit("b");
  ASSERT_TRUE(Holding(1, 1));
  // Mean queue 1 per replica is not above the threshold of 1: no start, however long (within
  // the requests' 30 s deadline).
  clock_.Advance(seconds(10));
  ASSERT_TRUE(tier.WaitForSupervisorRounds(3, seconds(10)));
  EXPECT_EQ(launcher_.launches(), 1);
  auto c = Submit("c");  // mean 2 > 1
  ASSERT_TRUE(WaitUntil([&] { return launcher_.launches() == 2; }));
  ASSERT_TRUE(tier.WaitForReady(2, seconds(10)));
  EXPECT_EQ(tier.replicas_started(), 2);
  // Never above max_replicas, however deep the queues.
  std::vector<std::future<InferenceResponse>> more;
  for (int i = 0; i < 4; ++i) more.push_back(Submit("d"));
  ASSERT_TRUE(tier.WaitForSupervisorRounds(3, seconds(10)));
  EXPECT_EQ(launcher_.launches(), 2);
  launcher_.Hold(false);
  launcher_.Release();
  for (auto* f : {&a, &b, &c}) EXPECT_TRUE(f->get().status.ok());
  for (auto& f : more) EXPECT_TRUE(f.get().status.ok());
}

TEST_F(ContainerTierRulesTest, ScalesDownAnIdleReplicaAfterTheIdleTimeButNeverBelowMin) {
  ContainerTier& tier = Make(Options());
  ASSERT_TRUE(tier.WaitForReady(1, seconds(10)));
  launcher_.Hold(true);
  std::vector<std::future<InferenceResponse>> fs;
  for (int i = 0; i < 3; ++i) fs.push_back(Submit("x"));
  ASSERT_TRUE(tier.WaitForReady(2, seconds(10)));
  launcher_.Hold(false);
  launcher_.Release();
  for (auto& f : fs) EXPECT_TRUE(f.get().status.ok());

  clock_.Advance(seconds(30) - milliseconds(1));
  ASSERT_TRUE(tier.WaitForSupervisorRounds(3, seconds(10)));
  EXPECT_EQ(tier.Replicas().size(), 2u) << "scaled down before idle_before_scale_down";
  clock_.Advance(milliseconds(1));
  ASSERT_TRUE(WaitUntil([&] { return tier.Replicas().size() == 1; }));
  ASSERT_TRUE(WaitUntil([&] { return launcher_.running().size() == 1; }))
      << "the retired replica was not stopped";
  clock_.Advance(std::chrono::hours(1));
  ASSERT_TRUE(tier.WaitForSupervisorRounds(3, seconds(10)));
  EXPECT_EQ(tier.Replicas().size(), 1u) << "below min_replicas";
  EXPECT_EQ(tier.replicas_replaced(), 0);
}

TEST_F(ContainerTierRulesTest, CrashedReplicaIsReplacedAndItsQueueMovesToAReplicaWithRoom) {
  ContainerTierOptions o = Options();
  o.min_replicas = 2;
  ContainerTier& tier = Make(o);
  ASSERT_TRUE(tier.WaitForReady(2, seconds(10)));
  launcher_.Hold(true);
  std::vector<std::future<InferenceResponse>> fs;
  for (int i = 0; i < 4; ++i) fs.push_back(Submit("x"));
  ASSERT_TRUE(Holding(2, 2));  // each replica: one in flight, one queued
  const auto before = tier.Replicas();
  ASSERT_EQ(before.size(), 2u);
  const std::string dead = before[0].id;
  launcher_.Crash(dead);
  ASSERT_TRUE(WaitUntil([&] { return tier.replicas_replaced() == 1; }));
  // The survivor holds the moved request; a replacement starts though min is met by none.
  ASSERT_TRUE(tier.WaitForReady(2, seconds(10)));
  EXPECT_EQ(tier.replicas_started(), 3);
  for (const auto& r : tier.Replicas()) EXPECT_NE(r.id, dead);
  launcher_.Hold(false);
  launcher_.Release();
  int ok = 0, unavailable = 0;
  for (auto& f : fs) {
    InferenceResponse r = f.get();
    if (r.status.ok()) {
      ++ok;
      EXPECT_NE(nlohmann::json::parse(r.body)["replica"], dead);
    } else {
      EXPECT_EQ(r.status.code(), Code::kUnavailable) << r.status.ToString();
      EXPECT_NE(r.status.message().find(dead), std::string::npos) << r.status.ToString();
      ++unavailable;
    }
  }
  EXPECT_EQ(unavailable, 1) << "only the request in flight on the dead replica fails";
  EXPECT_EQ(ok, 3);
  EXPECT_NE(metrics_.Render().find("sl_serve_container_replacements_total{mode=\"fake\"} 1"),
            std::string::npos)
      << metrics_.Render();
}

TEST_F(ContainerTierRulesTest, QueueOfACrashedReplicaFailsWhenNoOtherReplicaHasRoom) {
  ContainerTierOptions o = Options();
  o.max_replicas = 1;
  o.queue_per_replica = 2;
  ContainerTier& tier = Make(o);
  ASSERT_TRUE(tier.WaitForReady(1, seconds(10)));
  launcher_.Hold(true);
  std::vector<std::future<InferenceResponse>> fs;
  fs.push_back(Submit("x"));
  ASSERT_TRUE(Holding(1, 0));  // in flight, so that two more fit in the queue of 2
  for (int i = 0; i < 2; ++i) fs.push_back(Submit("x"));
  ASSERT_TRUE(Holding(1, 2));
  // Bounded queue: one in flight + two queued, the fourth is refused at once.
  InferenceResponse refused = Run("x");
  EXPECT_EQ(refused.status.code(), Code::kResourceExhausted) << refused.status.ToString();
  EXPECT_NE(refused.status.message().find("every replica's queue is full (1 replicas x 2 queued"),
            std::string::npos)
      << refused.status.ToString();
  launcher_.Crash(tier.Replicas()[0].id);
  for (auto& f : fs) {
    InferenceResponse r = f.get();
    EXPECT_EQ(r.status.code(), Code::kUnavailable) << r.status.ToString();
  }
  ASSERT_TRUE(tier.WaitForReady(1, seconds(10)));  // replaced
  launcher_.Hold(false);
  EXPECT_TRUE(Run("x").status.ok());
}

TEST_F(ContainerTierRulesTest, FailedStartFailsItsRequestsAndBacksOffBeforeTheNextStart) {
  launcher_.FailLaunches(1, Internal("runc: cgroup not writable"));
  ContainerTierOptions o = Options();
  o.max_replicas = 1;
  ContainerTier& tier = Make(o);
  ASSERT_TRUE(WaitUntil([&] { return tier.Replicas().empty(); }));
  // Within the back-off nothing starts: not the supervisor (min 1) and not a request.
  ASSERT_TRUE(tier.WaitForSupervisorRounds(3, seconds(10)));
  EXPECT_EQ(launcher_.launches(), 0);
  EXPECT_EQ(tier.replicas_started(), 1);
  clock_.Advance(seconds(1));
  ASSERT_TRUE(tier.WaitForReady(1, seconds(10)));
  EXPECT_EQ(tier.replicas_started(), 2);
  EXPECT_TRUE(Run("x").status.ok());
}

TEST_F(ContainerTierRulesTest, RequestWaitingForAStartThatFailsGetsTheLaunchError) {
  launcher_.FailLaunches(1, Internal("runc: cgroup not writable"));
  ContainerTierOptions o = Options();
  o.min_replicas = 0;
  o.max_replicas = 1;
  ContainerTier& tier = Make(o);
  InferenceResponse r = Run("x");
  EXPECT_EQ(r.status.code(), Code::kUnavailable);
  EXPECT_NE(r.status.message().find("failed to start"), std::string::npos) << r.status.ToString();
  EXPECT_NE(r.status.message().find("cgroup not writable"), std::string::npos)
      << r.status.ToString();
  EXPECT_TRUE(tier.Replicas().empty());
}

TEST_F(ContainerTierRulesTest, ReplicaThatDiesWhileStartingIsNotRestartedBeforeTheBackOff) {
  launcher_.StartUnready(true);
  ContainerTierOptions o = Options();
  o.max_replicas = 1;
  ContainerTier& tier = Make(o);
  ASSERT_TRUE(WaitUntil([&] { return launcher_.launches() == 1; }));
  launcher_.StartUnready(false);
  launcher_.Crash(launcher_.running().at(0));
  ASSERT_TRUE(WaitUntil([&] { return tier.replicas_replaced() == 1; }));
  ASSERT_TRUE(tier.WaitForSupervisorRounds(3, seconds(10)));
  EXPECT_EQ(launcher_.launches(), 1) << "restarted inside the back-off";
  clock_.Advance(seconds(1));
  ASSERT_TRUE(tier.WaitForReady(1, seconds(10)));
  EXPECT_EQ(launcher_.launches(), 2);
}

TEST_F(ContainerTierRulesTest, ReplicaThatNeverReportsItsPortTimesOutByTheClock) {
  launcher_.NeverReportPort(true);
  ContainerTierOptions o = Options();
  o.min_replicas = 0;
  o.max_replicas = 1;
  o.ready_timeout = milliseconds(300);
  ContainerTier& tier = Make(o);
  auto f = Submit("x");
  ASSERT_TRUE(WaitUntil([&] { return launcher_.launches() == 1; }));
  ASSERT_TRUE(tier.WaitForSupervisorRounds(3, seconds(10)));
  EXPECT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::timeout)
      << "timed out before the clock passed ready_timeout";
  clock_.Advance(milliseconds(301));
  InferenceResponse r = f.get();
  EXPECT_EQ(r.status.code(), Code::kUnavailable);
  EXPECT_NE(r.status.message().find("not ready after 300 ms (it never reported its port"),
            std::string::npos)
      << r.status.ToString();
}

TEST_F(ContainerTierRulesTest, FirstRequestFromZeroWaitsForTheStartAndSaysSo) {
  launcher_.StartUnready(true);
  ContainerTierOptions o = Options();
  o.min_replicas = 0;
  ContainerTier& tier = Make(o);
  EXPECT_TRUE(tier.Replicas().empty());
  auto first = Submit("x");
  ASSERT_TRUE(WaitUntil([&] { return launcher_.launches() == 1; }));
  auto second = Submit("y");  // joins the starting replica: no second start
  ASSERT_TRUE(tier.WaitForSupervisorRounds(3, seconds(10)));
  EXPECT_EQ(launcher_.launches(), 1);
  EXPECT_EQ(first.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  launcher_.SetReady(launcher_.running().at(0), true);
  InferenceResponse r = first.get();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_TRUE(r.cold_start);
  EXPECT_TRUE(second.get().cold_start);
  r = Run("z");
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.cold_start);
  EXPECT_EQ(tier.State().start_ms_ewma, 0) << "start time is measured on the injected clock";
}

TEST_F(ContainerTierRulesTest, RequestWhoseDeadlinePassesInTheQueueIsNotSent) {
  ContainerTierOptions o = Options();
  o.max_replicas = 1;
  ContainerTier& tier = Make(o);
  ASSERT_TRUE(tier.WaitForReady(1, seconds(10)));
  launcher_.Hold(true);
  auto a = Submit("a");
  auto b = Submit("b", "m", seconds(1));
  ASSERT_TRUE(Holding(1, 1));
  clock_.Advance(seconds(2));
  launcher_.Hold(false);
  launcher_.Release();
  EXPECT_TRUE(a.get().status.ok());
  InferenceResponse r = b.get();
  EXPECT_EQ(r.status.code(), Code::kDeadlineExceeded);
  EXPECT_NE(r.status.message().find("in replica"), std::string::npos) << r.status.ToString();
  EXPECT_EQ(launcher_.requests(tier.Replicas().at(0).id), 1) << "the late request was sent";
  // Already past its deadline: refused before queueing.
  r = Submit("c", "m", milliseconds(0)).get();
  EXPECT_EQ(r.status.code(), Code::kDeadlineExceeded);
}

TEST_F(ContainerTierRulesTest, ShutdownFailsQueuedRequestsAndStopsEveryReplica) {
  ContainerTierOptions o = Options();
  o.max_replicas = 1;
  ContainerTier& tier = Make(o);
  ASSERT_TRUE(tier.WaitForReady(1, seconds(10)));
  launcher_.Hold(true);
  std::vector<std::future<InferenceResponse>> fs;
  for (int i = 0; i < 3; ++i) fs.push_back(Submit("x"));
  ASSERT_TRUE(Holding(1, 2));
  tier.Shutdown();
  for (auto& f : fs) EXPECT_EQ(f.get().status.code(), Code::kUnavailable);
  EXPECT_TRUE(launcher_.running().empty());
  EXPECT_TRUE(tier.Replicas().empty());
  InferenceResponse r = Run("x");
  EXPECT_EQ(r.status.code(), Code::kUnavailable);
  EXPECT_NE(r.status.message().find("shutting down"), std::string::npos);
  EXPECT_EQ(tier.mode(), "fake");
  tier.Shutdown();  // idempotent
}

TEST_F(ContainerTierRulesTest, BadReplicaCountsAreRejected) {
  ContainerTierOptions o = Options();
  o.min_replicas = 3;
  auto t = ContainerTier::Create(o);
  EXPECT_EQ(t.status().code(), Code::kInvalidArgument);
  EXPECT_NE(t.status().message().find("min=3 max=2"), std::string::npos) << t.status().ToString();
  o = Options();
  o.queue_per_replica = 0;
  EXPECT_EQ(ContainerTier::Create(o).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(launcher_.launches(), 0);
}

}  // namespace
}  // namespace sl::serve
