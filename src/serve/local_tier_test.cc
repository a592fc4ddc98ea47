#include "serve/local_tier.h"

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "serve/serve_test_util.h"
#include "serve/v2/v2_codec.h"

namespace sl::serve {
namespace {

using std::chrono::milliseconds;

// Holds workers inside on_batch_start until Release().
class Gate {
 public:
  void Wait(int64_t samples) {
    std::unique_lock<std::mutex> l(mu_);
    seen_.push_back(samples);
    cv_.notify_all();
    cv_.wait(l, [&] { return open_; });
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void WaitForBatches(size_t n) {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return seen_.size() >= n; });
  }
  std::vector<int64_t> seen() {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  std::vector<int64_t> seen_;
};

class LocalTierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = std::make_unique<TempDir>("serve-local");
    raw_ = testing::WriteTinyModel(tmp_->Join("tiny"));
    repo_ = ModelRepository::Load({tmp_->Join("tiny")}, "").value();
  }

  // Arrives now on `clock` (the tier's), with a deadline `timeout` later.
  InferenceRequest Request(int64_t first, int64_t n, milliseconds timeout = milliseconds(50000),
                           Clock* clock = Clock::Real()) {
    auto r = v2::DecodeRequest("tiny", "application/json", testing::JsonBody(raw_, first, n),
                               repo_->Find("tiny")->input);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    r->arrival = clock->Now();
    r->deadline = r->arrival + timeout;
    return std::move(*r);
  }

  static std::future<InferenceResponse> Submit(Tier& tier, InferenceRequest r) {
    auto p = std::make_shared<std::promise<InferenceResponse>>();
    auto f = p->get_future();
    tier.Submit(std::move(r), [p](InferenceResponse resp) { p->set_value(std::move(resp)); });
    return f;
  }

  std::unique_ptr<TempDir> tmp_;
  ml::Dataset raw_;
  std::unique_ptr<ModelRepository> repo_;
};

TEST_F(LocalTierTest, AnswersWithTheModelsPredictions) {
  auto tier = LocalTier::Create(repo_.get(), {}).value();
  InferenceResponse r = Submit(*tier, Request(0, 3)).get();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  auto parsed = v2::ParseResponse(r.body).value();
  auto expected = repo_->Find("tiny")->predictor->PredictDense(
      std::span<const float>(raw_.features.data(), 3 * 16), 3).value();
  ASSERT_EQ(parsed.labels.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(parsed.labels[i], expected[i].label);
    EXPECT_NEAR(parsed.probabilities[i][0], expected[i].probabilities[0], 1e-6);
  }
  EXPECT_EQ(parsed.id, "r1");
  EXPECT_EQ(r.batch_size, 3);
}

TEST_F(LocalTierTest, QueuedRequestsRunAsOneBatchWithTheSameAnswers) {
  Gate gate;
  LocalTierOptions o;
  o.threads = 1;
  o.max_batch = 8;
  o.max_queue_delay = milliseconds(0);
  o.on_batch_start = [&](int64_t n) { gate.Wait(n); };
  o.run_lone_requests_inline = false;  // these tests hold worker threads, not the caller
  auto tier = LocalTier::Create(repo_.get(), o).value();
  auto first = Submit(*tier, Request(0, 1));
  gate.WaitForBatches(1);  // the only worker is now busy with request 0
  std::vector<std::future<InferenceResponse>> rest;
  for (int64_t i = 1; i <= 8; ++i) rest.push_back(Submit(*tier, Request(i % 12, 1)));
  gate.Release();
  ASSERT_TRUE(first.get().status.ok());
  auto* predictor = repo_->Find("tiny")->predictor.get();
  for (int64_t i = 1; i <= 8; ++i) {
    InferenceResponse r = rest[i - 1].get();
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    auto parsed = v2::ParseResponse(r.body).value();
    auto alone = predictor->PredictDense(
        std::span<const float>(raw_.features.data() + (i % 12) * 16, 16), 1).value();
    EXPECT_EQ(parsed.labels[0], alone[0].label) << i;
    EXPECT_NEAR(parsed.probabilities[0][1], alone[0].probabilities[1], 1e-5) << i;
  }
  // Request 0 alone, then the 8 that queued behind it in one forward pass.
  EXPECT_EQ(gate.seen(), (std::vector<int64_t>{1, 8}));
  EXPECT_EQ(tier->batches_run(), 2);
  EXPECT_EQ(tier->samples_run(), 9);
}

// Issue 22: a request that finds the tier idle runs on the thread that submitted it (no hand-off
// to a worker and back); it holds one of the `threads` while it runs, so what arrives meanwhile
// queues for the workers and still runs as one batch.
TEST_F(LocalTierTest, ALoneRequestRunsOnItsCallersThreadAndHoldsASlot) {
  Gate gate;
  std::mutex mu;
  std::vector<std::thread::id> ran_on;
  LocalTierOptions o;
  o.threads = 1;
  o.max_batch = 8;
  o.max_queue_delay = milliseconds(0);
  o.on_batch_start = [&](int64_t n) {
    {
      std::lock_guard<std::mutex> l(mu);
      ran_on.push_back(std::this_thread::get_id());
    }
    gate.Wait(n);
  };
  auto tier = LocalTier::Create(repo_.get(), o).value();
  std::thread::id caller;
  InferenceResponse first;
  std::thread submitter([&] {
    caller = std::this_thread::get_id();
    InferenceRequest alone = Request(0, 1);
    alone.alone = true;  // as the gateway marks a request when it holds no other
    tier->Submit(std::move(alone), [&](InferenceResponse r) { first = std::move(r); });
    // Submit returned: the answer was given on this thread.
    EXPECT_TRUE(first.status.ok()) << first.status.ToString();
  });
  gate.WaitForBatches(1);  // request 0 runs inline on `submitter`, the one slot taken
  EXPECT_EQ(tier->State().queued, 0);
  std::vector<std::future<InferenceResponse>> rest;
  for (int64_t i = 1; i <= 8; ++i) rest.push_back(Submit(*tier, Request(i % 12, 1)));
  EXPECT_EQ(tier->State().queued, 8) << "the worker took a request while the slot was held";
  gate.Release();
  submitter.join();
  for (auto& f : rest) EXPECT_TRUE(f.get().status.ok());
  EXPECT_EQ(gate.seen(), (std::vector<int64_t>{1, 8}));
  // A request the gateway did not mark alone goes to a worker even when the tier is idle.
  EXPECT_TRUE(Submit(*tier, Request(1, 1)).get().status.ok());
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(ran_on.size(), 3u);
  EXPECT_EQ(ran_on[0], caller);
  EXPECT_NE(ran_on[1], caller) << "the queued batch runs on the worker";
  EXPECT_NE(ran_on[2], std::this_thread::get_id());
}

TEST_F(LocalTierTest, QueuedRequestsRunOnTheVersionTheyArrivedForAndBatchesNeverMixVersions) {
  testing::WriteTinyModel(tmp_->Join("v2"), 8);
  ModelDir v2dir;
  v2dir.name = "tiny";
  v2dir.dir = tmp_->Join("v2");
  v2dir.version = "v2";
  auto v2 = ModelRepository::LoadModel(v2dir).value();
  Gate gate;
  LocalTierOptions o;
  o.threads = 1;
  o.max_batch = 16;
  o.max_queue_delay = milliseconds(0);
  o.on_batch_start = [&](int64_t n) { gate.Wait(n); };
  o.run_lone_requests_inline = false;  // these tests hold worker threads, not the caller
  auto tier = LocalTier::Create(repo_.get(), o).value();
  auto first = Submit(*tier, Request(0, 1));
  gate.WaitForBatches(1);  // the only worker is busy: the rest queue
  std::vector<std::future<InferenceResponse>> old_ones, new_ones;
  for (int64_t i = 0; i < 3; ++i) old_ones.push_back(Submit(*tier, Request(i, 1)));
  ASSERT_TRUE(repo_->Replace(v2).ok());
  for (int64_t i = 0; i < 3; ++i) new_ones.push_back(Submit(*tier, Request(i, 1)));
  // A request the gateway decoded for the old version before the swap keeps it.
  InferenceRequest pinned = Request(0, 1);
  auto v1 = ModelRepository::LoadModel(ModelDir{"tiny", tmp_->Join("tiny"), "1", ""}).value();
  pinned.served = v1;
  auto late_old = Submit(*tier, std::move(pinned));
  gate.Release();
  EXPECT_EQ(first.get().model_version, "1");
  for (auto& f : old_ones) EXPECT_EQ(f.get().model_version, "1");
  for (int64_t i = 0; i < 3; ++i) {
    InferenceResponse r = new_ones[static_cast<size_t>(i)].get();
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_EQ(r.model_version, "v2");
    auto parsed = v2::ParseResponse(r.body).value();
    auto alone = v2->predictor->PredictDense(std::span<const float>(raw_.features.data() + i * 16, 16), 1).value();
    EXPECT_NEAR(parsed.probabilities[0][1], alone[0].probabilities[1], 1e-5) << i;
  }
  EXPECT_EQ(late_old.get().model_version, "1");
  // First alone, then the 3 old ones (not joined by the new ones), the 3 new ones, the pinned one.
  EXPECT_EQ(gate.seen(), (std::vector<int64_t>{1, 3, 3, 1}));
}

TEST_F(LocalTierTest, BatchesNeverExceedMaxBatchSamples) {
  Gate gate;
  LocalTierOptions o;
  o.threads = 1;
  o.max_batch = 4;
  o.on_batch_start = [&](int64_t n) { gate.Wait(n); };
  o.run_lone_requests_inline = false;  // these tests hold worker threads, not the caller
  auto tier = LocalTier::Create(repo_.get(), o).value();
  auto first = Submit(*tier, Request(0, 1));
  gate.WaitForBatches(1);
  std::vector<std::future<InferenceResponse>> rest;
  for (int64_t n : {2, 2, 3, 1}) rest.push_back(Submit(*tier, Request(0, n)));
  gate.Release();
  for (auto& f : rest) ASSERT_TRUE(f.get().status.ok());
  EXPECT_EQ(gate.seen(), (std::vector<int64_t>{1, 4, 4}));
}

TEST_F(LocalTierTest, FullQueueRefusesAtOnceAndShutdownFailsTheQueued) {
  Gate gate;
  LocalTierOptions o;
  o.threads = 1;
  o.max_batch = 1;
  o.queue_limit = 2;
  o.on_batch_start = [&](int64_t n) { gate.Wait(n); };
  o.run_lone_requests_inline = false;  // these tests hold worker threads, not the caller
  auto tier = LocalTier::Create(repo_.get(), o).value();
  auto running = Submit(*tier, Request(0, 1));
  gate.WaitForBatches(1);
  auto q1 = Submit(*tier, Request(1, 1));
  auto q2 = Submit(*tier, Request(2, 1));
  EXPECT_EQ(tier->State().queued, 2);
  EXPECT_FALSE(tier->State().HasCapacity() && tier->State().queued < 2);
  InferenceResponse refused = Submit(*tier, Request(3, 1)).get();  // answered on this thread
  EXPECT_EQ(refused.status.code(), Code::kResourceExhausted);
  EXPECT_NE(refused.status.message().find("queue full"), std::string::npos);
  std::thread stopper([&] { tier->Shutdown(); });
  EXPECT_EQ(q1.get().status.code(), Code::kUnavailable);
  EXPECT_EQ(q2.get().status.code(), Code::kUnavailable);
  gate.Release();
  stopper.join();
  EXPECT_TRUE(running.get().status.ok());
  EXPECT_FALSE(tier->State().available);
  EXPECT_EQ(Submit(*tier, Request(0, 1)).get().status.code(), Code::kUnavailable);
}

TEST_F(LocalTierTest, ExpiredRequestsAreNotRunAndUnknownModelsAreNotFound) {
  Gate gate;
  FakeClock clock;
  LocalTierOptions o;
  o.threads = 1;
  o.max_batch = 1;
  o.clock = &clock;
  o.on_batch_start = [&](int64_t n) { gate.Wait(n); };
  o.run_lone_requests_inline = false;  // these tests hold worker threads, not the caller
  auto tier = LocalTier::Create(repo_.get(), o).value();
  auto running = Submit(*tier, Request(0, 1, milliseconds(50000), &clock));
  gate.WaitForBatches(1);
  auto expired = Submit(*tier, Request(1, 1, milliseconds(1), &clock));
  clock.Advance(milliseconds(2));  // its deadline passes while it is queued
  gate.Release();
  EXPECT_TRUE(running.get().status.ok());
  EXPECT_EQ(expired.get().status.code(), Code::kDeadlineExceeded);
  EXPECT_EQ(gate.seen(), (std::vector<int64_t>{1}));  // the expired one never ran

  InferenceRequest other = Request(0, 1);
  other.model = "nope";
  EXPECT_EQ(Submit(*tier, std::move(other)).get().status.code(), Code::kNotFound);
}

TEST_F(LocalTierTest, StateReportsCapacityAndServiceTime) {
  LocalTierOptions o;
  o.threads = 2;
  o.max_batch = 16;
  o.queue_limit = 10;
  auto tier = LocalTier::Create(repo_.get(), o).value();
  TierState s = tier->State();
  EXPECT_EQ(s.kind, TierKind::kLocal);
  EXPECT_TRUE(s.available);
  EXPECT_EQ(s.capacity, 10 + 2 * 16);
  EXPECT_EQ(s.replicas, 2);
  EXPECT_EQ(s.service_ms_ewma, 0);
  ASSERT_TRUE(Submit(*tier, Request(0, 2)).get().status.ok());
  EXPECT_GT(tier->State().service_ms_ewma, 0);

  o.max_batch = 0;
  EXPECT_EQ(LocalTier::Create(repo_.get(), o).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sl::serve
