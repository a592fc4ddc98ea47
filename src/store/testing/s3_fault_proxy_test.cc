// The S3 backend against a real S3-compatible server (s3rver on 127.0.0.1) behind the fault
// proxy (fault_proxy.h): every fault kind is retried with backoff and the bytes come back exact,
// a truncated body is never returned as data, put-if-absent stays exactly-once when the reply to
// the winning write is lost, and a seeded mix of faults over many operations loses nothing.
// Skipped when s3rver is not installed (scripts/install-deps.sh puts it in .deps).
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "store/object_store.h"
#include "store/s3_test_server.h"
#include "store/store_test_util.h"
#include "store/testing/fault_proxy.h"

namespace sl::store {
namespace {

using testing::Fault;
using testing::FaultKind;
using testing::FaultProxy;
using testing::FaultProxyOptions;

// Real time (SigV4 dates must be current for s3rver), with every retry wait recorded.
class RecordingClock final : public Clock {
 public:
  TimePoint Now() const override { return Clock::Real()->Now(); }
  WallTime WallNow() const override { return Clock::Real()->WallNow(); }
  void SleepFor(Nanos d) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      waits_.push_back(d);
    }
    Clock::Real()->SleepFor(d);
  }
  std::vector<Nanos> waits() const {
    std::lock_guard<std::mutex> lock(mu_);
    return waits_;
  }
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    waits_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<Nanos> waits_;
};

bool S3rverInstalled() { return PathExists(testing::SourceDir() + "/.deps/node_modules/.bin/s3rver"); }

class S3FaultProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!S3rverInstalled()) GTEST_SKIP() << "s3rver is not installed (scripts/install-deps.sh)";
    server_ = testing::SharedS3rver();
  }

  std::unique_ptr<FaultProxy> StartProxy(FaultProxyOptions o = {}) {
    o.upstream_port = server_->port();
    o.access_key_id = testing::S3rverProcess::kAccessKey;
    o.secret_access_key = testing::S3rverProcess::kSecretKey;
    auto p = FaultProxy::Start(o);
    EXPECT_TRUE(p.ok()) << p.status();
    return std::move(p).value();
  }

  StoreOptions Options(const FaultProxy& proxy, int attempts = 5) {
    StoreOptions o;
    o.endpoint = proxy.endpoint();
    o.access_key_id = testing::S3rverProcess::kAccessKey;
    o.secret_access_key = testing::S3rverProcess::kSecretKey;
    o.clock = &clock_;
    o.retry.max_attempts = attempts;
    o.retry.initial_backoff = std::chrono::milliseconds(20);
    o.retry.max_backoff = std::chrono::milliseconds(200);
    o.connect_timeout_seconds = 2;
    o.low_speed_timeout_seconds = 5;
    return o;
  }

  // A store under a fresh prefix of the shared bucket.
  std::unique_ptr<ObjectStore> Open(const StoreOptions& o) {
    static std::atomic<int> n{0};
    auto s = OpenObjectStore(fmt::format("s3://{}/fault-{}-{}", server_->bucket(), ::getpid(), n++), o);
    EXPECT_TRUE(s.ok()) << s.status();
    return std::move(s).value();
  }

  // The events of `method` requests since `from`.
  static std::vector<testing::FaultEvent> EventsOf(const FaultProxy& p, const std::string& method, size_t from = 0) {
    std::vector<testing::FaultEvent> out;
    auto all = p.events();
    for (size_t i = from; i < all.size(); ++i) {
      if (all[i].method == method) out.push_back(all[i]);
    }
    return out;
  }

  testing::S3rverProcess* server_ = nullptr;
  RecordingClock clock_;
};

// Each fault kind, twice in a row on a GET of a 300 KB object: the third attempt returns the
// exact bytes, after two backoff waits; a slow answer is simply waited for.
TEST_F(S3FaultProxyTest, EachFaultKindOnGetIsRetriedWithBackoffAndTheBytesAreExact) {
  auto proxy = StartProxy();
  proxy->SetRandomFaults(false);
  auto store = Open(Options(*proxy));
  const std::string data = testing::RandomBytes(300'000, 7);
  ASSERT_TRUE(store->Put("obj", data).ok());
  const std::vector<Fault> kinds = {{FaultKind::kServerError, false}, {FaultKind::kServerError, true},
                                    {FaultKind::kSlowDown, false},    {FaultKind::kReset, true},
                                    {FaultKind::kTruncate, true},     {FaultKind::kSlow, true}};
  for (const Fault& f : kinds) {
    SCOPED_TRACE(std::string(testing::FaultKindName(f.kind)) + (f.after_upstream ? " after" : " before"));
    size_t from = proxy->events().size();
    clock_.Clear();
    proxy->Script({f, f}, "GET");
    auto got = store->Get("obj");
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(*got == data);
    auto gets = EventsOf(*proxy, "GET", from);
    if (f.kind == FaultKind::kSlow) {
      // Two slow answers are two successful reads: no retry, no wait.
      EXPECT_EQ(gets.size(), 1u);
      EXPECT_TRUE(clock_.waits().empty());
      got = store->Get("obj");  // the second scripted slow answer
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_TRUE(*got == data);
      continue;
    }
    ASSERT_EQ(gets.size(), 3u);
    EXPECT_EQ(gets[0].fault.kind, f.kind);
    EXPECT_EQ(gets[1].fault.kind, f.kind);
    EXPECT_EQ(gets[2].fault.kind, FaultKind::kNone);
    auto waits = clock_.waits();
    ASSERT_EQ(waits.size(), 2u);  // equal jitter: [10, 20] ms, then [20, 40] ms
    EXPECT_GE(waits[0], std::chrono::milliseconds(10));
    EXPECT_GE(waits[1], std::chrono::milliseconds(20));
    EXPECT_LE(waits[1], std::chrono::milliseconds(40));
  }
  auto st = proxy->stats();
  EXPECT_EQ(st.injected[static_cast<int>(FaultKind::kReset)], 2u);
  EXPECT_EQ(st.injected[static_cast<int>(FaultKind::kTruncate)], 2u);
}

// A body cut short (Content-Length promised, fewer bytes, then FIN) or a reset mid-body never
// comes back as data: with too few attempts to get past it, every read is UNAVAILABLE and
// GetToFile leaves no file behind.
TEST_F(S3FaultProxyTest, ATruncatedBodyIsNeverReturnedAsData) {
  auto proxy = StartProxy();
  proxy->SetRandomFaults(false);
  auto store = Open(Options(*proxy, /*attempts=*/2));
  const std::string data = testing::RandomBytes(200'000, 9);
  ASSERT_TRUE(store->Put("obj", data).ok());
  for (FaultKind kind : {FaultKind::kTruncate, FaultKind::kReset}) {
    SCOPED_TRACE(std::string(testing::FaultKindName(kind)));
    proxy->Script({{kind, true}, {kind, true}}, "GET");
    auto got = store->Get("obj");
    EXPECT_EQ(got.status().code(), Code::kUnavailable) << (got.ok() ? "returned " + std::to_string(got->size()) + " bytes" : got.status().ToString());
    EXPECT_NE(got.status().message().find("gave up after 2 attempts"), std::string::npos) << got.status();

    proxy->Script({{kind, true}, {kind, true}}, "GET");
    auto range = store->GetRange("obj", 1000, 150'000);
    EXPECT_EQ(range.status().code(), Code::kUnavailable) << (range.ok() ? "returned " + std::to_string(range->size()) + " bytes" : range.status().ToString());

    TempDir tmp("sl-fault-get");
    proxy->Script({{kind, true}, {kind, true}}, "GET");
    Status s = store->GetToFile("obj", tmp.Join("out"));
    EXPECT_EQ(s.code(), Code::kUnavailable) << s;
    EXPECT_FALSE(PathExists(tmp.Join("out")));
    EXPECT_TRUE(std::filesystem::is_empty(tmp.path())) << "temp files left behind";

    proxy->Script({{kind, true}, {kind, true}}, "GET");
    auto listing = store->List("");
    EXPECT_EQ(listing.status().code(), Code::kUnavailable);
  }
  // And once the faults stop, the same reads are exact.
  EXPECT_TRUE(store->Get("obj").value() == data);
  EXPECT_TRUE(store->GetRange("obj", 1000, 150'000).value() == data.substr(1000, 150'000));
}

// Uploads cut mid-body (the server never sees them), replies lost after the server stored the
// object, and a multipart upload whose parts and CompleteMultipartUpload hit faults: the object
// that lands is exactly what was put.
TEST_F(S3FaultProxyTest, UploadsInterruptedOrWithLostRepliesLandExactlyOnce) {
  auto proxy = StartProxy();
  proxy->SetRandomFaults(false);
  StoreOptions o = Options(*proxy);
  o.part_size = 5u << 20;
  o.multipart_threshold = 5u << 20;
  o.upload_concurrency = 2;
  auto store = Open(o);
  const std::string small = testing::RandomBytes(100'000, 1);
  proxy->Script({{FaultKind::kReset, false}, {FaultKind::kServerError, true}, {FaultKind::kTruncate, true}}, "PUT");
  ASSERT_TRUE(store->Put("small", small).ok());
  EXPECT_EQ(EventsOf(*proxy, "PUT").size(), 4u);
  EXPECT_TRUE(store->Get("small").value() == small);

  TempDir tmp("sl-fault-put");
  const std::string big = testing::RandomBytes(12u << 20, 2);  // 3 parts
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("big"), big).ok());
  size_t from = proxy->events().size();
  proxy->Script({{FaultKind::kReset, false}, {FaultKind::kTruncate, true}}, "PUT");
  // POSTs: CreateMultipartUpload passes, CompleteMultipartUpload's reply is lost after it was done.
  proxy->Script({{FaultKind::kNone, true}, {FaultKind::kReset, true}}, "POST");
  Status s = store->PutFile("big", tmp.Join("big"));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(EventsOf(*proxy, "PUT", from).size(), 5u);  // 3 parts + 2 retried
  auto got = store->Get("big");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == big);
}

// A server that decides put-if-absent itself (the proxy emulates AWS S3's If-None-Match): when
// the reply to the winning write is lost (reset, 500 or a truncated reply after the server
// stored it), the retry meets the writer's own object and must still report success, once; a
// second writer still loses.
TEST_F(S3FaultProxyTest, PutIfAbsentStaysExactlyOnceWhenTheWinningReplyIsLost) {
  FaultProxyOptions po;
  po.emulate_conditional_put = true;
  auto proxy = StartProxy(po);
  proxy->SetRandomFaults(false);
  auto store = Open(Options(*proxy));
  ASSERT_TRUE(store->capabilities().atomic_put_if_absent);  // the probe saw the proxy refuse
  int i = 0;
  for (Fault f : {Fault{FaultKind::kReset, true}, Fault{FaultKind::kServerError, true}, Fault{FaultKind::kTruncate, true}}) {
    SCOPED_TRACE(testing::FaultKindName(f.kind));
    std::string key = fmt::format("k{}", i++);
    size_t from = proxy->events().size();
    proxy->Script({f}, "PUT");
    Status first = store->PutIfAbsent(key, "mine");
    EXPECT_TRUE(first.ok()) << first;
    auto puts = EventsOf(*proxy, "PUT", from);
    ASSERT_GE(puts.size(), 2u);
    EXPECT_EQ(puts[0].upstream_status, 200);  // the first attempt did store it
    EXPECT_EQ(store->Get(key).value(), "mine");
    EXPECT_EQ(store->PutIfAbsent(key, "other").code(), Code::kAlreadyExists);
    EXPECT_EQ(store->Get(key).value(), "mine");
  }
  // Multipart: CompleteMultipartUpload's reply lost after the server completed it.
  StoreOptions o = Options(*proxy);
  o.part_size = 5u << 20;
  o.multipart_threshold = 5u << 20;
  auto big_store = Open(o);
  const std::string big = testing::RandomBytes(6u << 20, 3);
  proxy->Script({{FaultKind::kNone, true}, {FaultKind::kReset, true}}, "POST");
  Status s = big_store->PutIfAbsent("big", big);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_TRUE(big_store->Get("big").value() == big);
  EXPECT_EQ(big_store->PutIfAbsent("big", "other").code(), Code::kAlreadyExists);
}

// Writers racing for the same keys through random faults (each its own store, as separate
// functions would be): for every key exactly one wins, and the object is the winner's.
TEST_F(S3FaultProxyTest, PutIfAbsentRaceThroughRandomFaultsHasOneWinnerPerKey) {
  FaultProxyOptions po;
  po.emulate_conditional_put = true;
  po.seed = 11;
  po.rates = {{FaultKind::kServerError, 0.06}, {FaultKind::kSlowDown, 0.06}, {FaultKind::kReset, 0.06},
              {FaultKind::kTruncate, 0.06}, {FaultKind::kSlow, 0.03}};
  po.slow_min_ms = 5;
  po.slow_max_ms = 30;
  auto proxy = StartProxy(po);
  const int kWriters = 6, kKeys = 12;
  std::string uri = fmt::format("s3://{}/race-{}", server_->bucket(), ::getpid());
  std::vector<std::unique_ptr<ObjectStore>> stores;
  for (int w = 0; w < kWriters; ++w) stores.push_back(OpenObjectStore(uri, Options(*proxy, 8)).value());
  std::vector<std::vector<Status>> results(kWriters, std::vector<Status>(kKeys));
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int k = 0; k < kKeys; ++k) results[w][k] = stores[w]->PutIfAbsent(fmt::format("key{}", k), fmt::format("writer{}", w));
    });
  }
  for (auto& t : threads) t.join();
  for (int k = 0; k < kKeys; ++k) {
    int winners = 0, winner = -1;
    for (int w = 0; w < kWriters; ++w) {
      if (results[w][k].ok()) {
        ++winners;
        winner = w;
      } else {
        EXPECT_EQ(results[w][k].code(), Code::kAlreadyExists) << results[w][k];
      }
    }
    EXPECT_EQ(winners, 1) << "key" << k;
    auto got = stores[0]->Get(fmt::format("key{}", k));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, fmt::format("writer{}", winner));
  }
  EXPECT_GT(proxy->stats().faults(), 0u);
}

// Many mixed operations, one at a time, through a seeded schedule of every fault kind (30 % of
// requests): nothing fails and nothing differs. The same seed gives the same faults on the same
// requests.
TEST_F(S3FaultProxyTest, SeededMixOfFaultsOverManyOperationsLosesNothing) {
  auto run = [&](uint64_t seed) {
    FaultProxyOptions po;
    po.seed = seed;
    po.rates = {{FaultKind::kServerError, 0.06}, {FaultKind::kSlowDown, 0.06}, {FaultKind::kReset, 0.06},
                {FaultKind::kTruncate, 0.06}, {FaultKind::kSlow, 0.06}};
    po.slow_min_ms = 5;
    po.slow_max_ms = 40;
    auto proxy = StartProxy(po);
    StoreOptions o = Options(*proxy);
    o.conditional_put = StoreOptions::ConditionalPut::kEmulate;  // no probe: the same requests on every run
    auto store = Open(o);
    std::map<std::string, std::string> model;
    for (int i = 0; i < 60; ++i) {
      std::string key = fmt::format("obj/{:02}", i % 25);
      std::string data = testing::RandomBytes(1000 + (i * 7919) % 150'000, 100 + i);
      switch (i % 5) {
        case 0:
        case 1:
          {
            Status put = store->Put(key, data);
            EXPECT_TRUE(put.ok()) << i << ": " << put;
          }
          model[key] = data;
          break;
        case 2: {
          auto got = store->Get(key);
          if (model.count(key)) {
            EXPECT_TRUE(got.ok() && *got == model[key]) << i << ": " << got.status();
          } else {
            EXPECT_EQ(got.status().code(), Code::kNotFound) << i;
          }
          break;
        }
        case 3: {
          auto head = store->Head(key);
          if (model.count(key)) {
            EXPECT_TRUE(head.ok() && head->size == model[key].size()) << i << ": " << head.status();
          }
          auto all = store->List("obj/");
          EXPECT_TRUE(all.ok() && all->size() == model.size()) << i << ": " << all.status();
          break;
        }
        case 4:
          {
            Status del = store->Delete(key);
            EXPECT_TRUE(del.ok()) << i << ": " << del;
          }
          model.erase(key);
          break;
      }
    }
    for (const auto& [k, v] : model) EXPECT_TRUE(store->Get(k).value() == v) << k;
    std::vector<std::pair<std::string, FaultKind>> seen;
    for (const auto& e : proxy->events()) seen.emplace_back(e.method, e.fault.kind);
    return std::make_pair(proxy->stats(), seen);
  };
  auto [stats, seen] = run(42);
  for (int k = 1; k < testing::kFaultKinds; ++k) {
    EXPECT_GE(stats.injected[k], 1u) << testing::FaultKindName(static_cast<FaultKind>(k));
  }
  EXPECT_GE(stats.faults(), 15u);
  std::printf("seed 42: %llu requests, %llu faults injected: %s\n", static_cast<unsigned long long>(stats.requests),
              static_cast<unsigned long long>(stats.faults()), stats.ToJson().c_str());
  auto again = run(42);
  EXPECT_EQ(again.second, seen) << "the same seed must give the same schedule";
}

// Past max_consecutive the faults stop being transient: the store gives up after its attempts
// with UNAVAILABLE; and a server that stalls longer than the low-speed timeout is abandoned and
// the request retried.
TEST_F(S3FaultProxyTest, PersistentFaultsGiveUpAndAStallIsAbandoned) {
  FaultProxyOptions po;
  po.rates = {{FaultKind::kSlowDown, 1.0}};
  po.max_consecutive = -1;
  auto proxy = StartProxy(po);
  auto store = Open(Options(*proxy, 3));
  Status s = store->Put("k", "v");
  EXPECT_EQ(s.code(), Code::kUnavailable) << s;
  EXPECT_NE(s.message().find("SlowDown"), std::string::npos) << s;
  EXPECT_NE(s.message().find("gave up after 3 attempts"), std::string::npos) << s;
  EXPECT_EQ(proxy->stats().requests, 3u);

  FaultProxyOptions stall;
  stall.slow_min_ms = 4000;  // the head after 2 s: longer than a 1 s low-speed timeout
  stall.slow_max_ms = 4000;
  auto slow = StartProxy(stall);
  slow->SetRandomFaults(false);
  StoreOptions o = Options(*slow);
  o.low_speed_timeout_seconds = 1;
  auto store2 = Open(o);
  ASSERT_TRUE(store2->Put("k", "value").ok());
  slow->Script({{FaultKind::kSlow, true}}, "GET");
  auto t0 = Clock::Real()->Now();
  auto got = store2->Get("k");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "value");
  EXPECT_EQ(EventsOf(*slow, "GET").size(), 2u);
  EXPECT_LT(Clock::Real()->Now() - t0, std::chrono::milliseconds(3500));
}

}  // namespace
}  // namespace sl::store
