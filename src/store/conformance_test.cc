// The shared conformance suite: every test here runs against every backend (file, s3 on a real
// S3-compatible server, az on Azurite, gs on gcs_test_server.h — written from Google's docs, as
// no XML-API emulator exists here). Where backends legitimately differ, the test asks the store's
// Capabilities or the test backend and checks the promise that backend makes.
#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "common/sha256.h"
#include "store/object_store.h"
#include "store/store_test_util.h"

namespace sl::store {
namespace {

using testing::RandomBytes;

class ConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    backend_ = testing::MakeBackend(GetParam());
    ASSERT_NE(backend_, nullptr);
    if (std::string why = backend_->unavailable(); !why.empty()) GTEST_SKIP() << GetParam() << ": " << why;
    store_ = backend_->NewStore();
    ASSERT_NE(store_, nullptr);
  }

  // Head reports the checksum the backend records, self-describing; sha256 only when it is one.
  void ExpectChecksumOf(const ObjectInfo& info, std::string_view data) {
    EXPECT_EQ(info.checksum, ComputeChecksum(backend_->checksum_algorithm(), data));
    if (backend_->checksum_algorithm() == ChecksumAlgorithm::kSha256) {
      EXPECT_EQ(info.sha256, Sha256Hex(data));
    } else {
      EXPECT_EQ(info.sha256, "");
    }
  }

  std::unique_ptr<testing::TestBackend> backend_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_P(ConformanceTest, PutThenGetReturnsTheSameBytes) {
  std::string data = RandomBytes(100'003, 1);
  ASSERT_TRUE(store_->Put("models/v1/weights.bin", data).ok());
  auto got = store_->Get("models/v1/weights.bin");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, data);
}

TEST_P(ConformanceTest, EmptyObjectRoundTrips) {
  ASSERT_TRUE(store_->Put("empty", "").ok());
  auto got = store_->Get("empty");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "");
  auto info = store_->Head("empty");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->size, 0u);
  ExpectChecksumOf(*info, "");
}

TEST_P(ConformanceTest, KeysWithSpecialCharactersRoundTrip) {
  for (std::string key : {"sp ace/a+b=c&d", "percent%20not-decoded", "ünï/cødé ✓", "q?x#y", "t~i_l-d.e", "x'y\"z"}) {
    std::string data = "data of " + key;
    ASSERT_TRUE(store_->Put(key, data).ok()) << key;
    auto got = store_->Get(key);
    ASSERT_TRUE(got.ok()) << key << ": " << got.status();
    EXPECT_EQ(*got, data);
  }
  auto all = store_->List("");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 6u);
}

TEST_P(ConformanceTest, GetOfMissingKeyIsNotFoundNamingUriAndKey) {
  auto got = store_->Get("no/such/key");
  ASSERT_EQ(got.status().code(), Code::kNotFound) << got.status();
  EXPECT_NE(got.status().message().find(store_->uri()), std::string::npos) << got.status();
  EXPECT_NE(got.status().message().find("no/such/key"), std::string::npos) << got.status();
  EXPECT_EQ(store_->Head("no/such/key").status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetRange("no/such/key", 0, 1).status().code(), Code::kNotFound);
  TempDir tmp;
  EXPECT_EQ(store_->GetToFile("no/such/key", tmp.Join("out")).code(), Code::kNotFound);
  EXPECT_FALSE(PathExists(tmp.Join("out")));
}

TEST_P(ConformanceTest, PutReplacesExistingObject) {
  ASSERT_TRUE(store_->Put("k", "first version").ok());
  ASSERT_TRUE(store_->Put("k", "second").ok());
  EXPECT_EQ(store_->Get("k").value(), "second");
  EXPECT_EQ(store_->Head("k")->size, 6u);
}

TEST_P(ConformanceTest, GetRangeReturnsTheSliceClippedAtTheEnd) {
  std::string data = RandomBytes(10'000, 2);
  ASSERT_TRUE(store_->Put("r", data).ok());
  EXPECT_EQ(store_->GetRange("r", 0, 10).value(), data.substr(0, 10));
  EXPECT_EQ(store_->GetRange("r", 1234, 4000).value(), data.substr(1234, 4000));
  EXPECT_EQ(store_->GetRange("r", 9990, 100).value(), data.substr(9990));
  EXPECT_EQ(store_->GetRange("r", 5000, ObjectStore::kToEnd).value(), data.substr(5000));
  EXPECT_EQ(store_->GetRange("r", 10'000, 5).value(), "");
  EXPECT_EQ(store_->GetRange("r", 3, 0).value(), "");
  auto past = store_->GetRange("r", 10'001, 5);
  EXPECT_EQ(past.status().code(), Code::kOutOfRange) << past.status();
  EXPECT_NE(past.status().message().find("10001"), std::string::npos) << past.status();
}

TEST_P(ConformanceTest, HeadReportsSizeChecksumAndModifiedTime) {
  WallTime before = Clock::Real()->WallNow() - std::chrono::seconds(2);
  std::string data = RandomBytes(4321, 3);
  ASSERT_TRUE(store_->Put("h/obj", data).ok());
  auto info = store_->Head("h/obj");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->key, "h/obj");
  EXPECT_EQ(info->size, 4321u);
  ExpectChecksumOf(*info, data);
  EXPECT_FALSE(info->etag.empty());
  EXPECT_GE(info->modified, before);
  EXPECT_LE(info->modified, Clock::Real()->WallNow() + std::chrono::seconds(2));
}

TEST_P(ConformanceTest, ListReturnsKeysUnderPrefixInBytewiseOrder) {
  // Chosen so that directory order and key order differ: '.' < '/' < '0'.
  std::vector<std::string> keys = {"a.b", "a/x", "a/y/z", "a0", "b", "ab/c", "a/x0"};
  for (const auto& k : keys) ASSERT_TRUE(store_->Put(k, "v:" + k).ok()) << k;
  auto all = store_->List("");
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<std::string> got;
  for (const auto& o : *all) got.push_back(o.key);
  std::vector<std::string> want = keys;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);

  auto under_a = store_->List("a/");
  ASSERT_TRUE(under_a.ok());
  got.clear();
  for (const auto& o : *under_a) got.push_back(o.key);
  EXPECT_EQ(got, (std::vector<std::string>{"a/x", "a/x0", "a/y/z"}));

  auto partial = store_->List("a");  // mid-segment prefix
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->size(), 6u);
  for (const auto& o : *partial) {
    if (o.key == "a/y/z") {
      EXPECT_EQ(o.size, std::string("v:a/y/z").size());
    }
  }
  EXPECT_TRUE(store_->List("nothing/here").value().empty());
}

TEST_P(ConformanceTest, ListPagesCoverEveryKeyOnceInOrder) {
  std::vector<std::string> want;
  for (int i = 0; i < 53; ++i) {
    std::string k = fmt::format("p/{}/{:03}", i % 3, i);
    want.push_back(k);
    ASSERT_TRUE(store_->Put(k, "x").ok());
  }
  ASSERT_TRUE(store_->Put("q/outside", "x").ok());
  std::sort(want.begin(), want.end());
  std::vector<std::string> got;
  ListOptions opts{.prefix = "p/", .page_token = "", .max_keys = 7};
  int pages = 0;
  while (true) {
    auto page = store_->ListPage(opts);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    EXPECT_LE(page->objects.size(), 7u);
    for (const auto& o : page->objects) got.push_back(o.key);
    if (page->next_page_token.empty()) break;
    opts.page_token = page->next_page_token;
    ASSERT_LT(pages, 100);
  }
  EXPECT_EQ(got, want);
  EXPECT_GE(pages, 8);
}

TEST_P(ConformanceTest, DeleteRemovesTheObjectAndIsIdempotent) {
  ASSERT_TRUE(store_->Put("d/1", "x").ok());
  ASSERT_TRUE(store_->Put("d/2", "y").ok());
  ASSERT_TRUE(store_->Delete("d/1").ok());
  EXPECT_EQ(store_->Get("d/1").status().code(), Code::kNotFound);
  EXPECT_TRUE(store_->Delete("d/1").ok());
  EXPECT_TRUE(store_->Delete("never/was").ok());
  EXPECT_EQ(store_->Get("d/2").value(), "y");
  ASSERT_TRUE(store_->Delete("d/2").ok());
  EXPECT_TRUE(store_->List("").value().empty());
  ASSERT_TRUE(store_->Put("d/1", "again").ok());  // the pruned prefix can be used again
  EXPECT_EQ(store_->Get("d/1").value(), "again");
}

TEST_P(ConformanceTest, PutIfAbsentFirstWriterWinsSequentially) {
  ASSERT_TRUE(store_->PutIfAbsent("out/shard-7", "accepted").ok());
  Status again = store_->PutIfAbsent("out/shard-7", "retried function");
  EXPECT_EQ(again.code(), Code::kAlreadyExists) << again;
  EXPECT_NE(again.message().find("out/shard-7"), std::string::npos) << again;
  EXPECT_EQ(store_->Get("out/shard-7").value(), "accepted");
  // A plain Put still overwrites.
  ASSERT_TRUE(store_->Put("out/shard-7", "forced").ok());
  EXPECT_EQ(store_->Get("out/shard-7").value(), "forced");
  // PutFile honours if_absent too.
  TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("f"), "from file").ok());
  EXPECT_EQ(store_->PutFile("out/shard-7", tmp.Join("f"), {.if_absent = true}).code(), Code::kAlreadyExists);
  ASSERT_TRUE(store_->PutFile("out/shard-8", tmp.Join("f"), {.if_absent = true}).ok());
  EXPECT_EQ(store_->Get("out/shard-8").value(), "from file");
}

TEST_P(ConformanceTest, PutIfAbsentRaceHasExactlyOneWinnerWhenAtomic) {
  if (!store_->capabilities().atomic_put_if_absent) {
    GTEST_SKIP() << store_->uri()
                 << ": this server does not honour If-None-Match on PUT, so PutIfAbsent is emulated "
                    "(check-then-write) and only the sequential guarantee holds";
  }
  constexpr int kWriters = 8;
  for (int round = 0; round < 5; ++round) {
    std::string key = fmt::format("race/{}", round);
    std::atomic<int> wins{0}, exists{0}, other{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back([&, w] {
        Status s = store_->PutIfAbsent(key, fmt::format("writer {}", w));
        if (s.ok()) {
          ++wins;
        } else if (s.code() == Code::kAlreadyExists) {
          ++exists;
        } else {
          ++other;
          ADD_FAILURE() << s;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(wins.load(), 1) << key;
    EXPECT_EQ(exists.load(), kWriters - 1) << key;
    EXPECT_TRUE(store_->Get(key).value().starts_with("writer "));
  }
}

TEST_P(ConformanceTest, UnsafeKeysAreRefusedBeforeAnyIo) {
  const std::string nul("a\0b", 3);
  for (const std::string& key : {std::string(""), std::string("../escape"), std::string("a/../../escape"),
                                 std::string("/etc/passwd"), std::string("a//b"), std::string("trailing/"),
                                 nul, std::string("./x"), std::string(".sl-tmp/x")}) {
    EXPECT_EQ(store_->Put(key, "x").code(), Code::kInvalidArgument) << key;
    EXPECT_EQ(store_->PutIfAbsent(key, "x").code(), Code::kInvalidArgument) << key;
    EXPECT_EQ(store_->Get(key).status().code(), Code::kInvalidArgument) << key;
    EXPECT_EQ(store_->Head(key).status().code(), Code::kInvalidArgument) << key;
    EXPECT_EQ(store_->Delete(key).code(), Code::kInvalidArgument) << key;
  }
  Status s = store_->Put("a/../../escape", "x");
  EXPECT_NE(s.message().find(store_->uri()), std::string::npos) << s;
  EXPECT_TRUE(store_->List("").value().empty());
  EXPECT_EQ(store_->List("../").status().code(), Code::kInvalidArgument);
}

TEST_P(ConformanceTest, PutFileAndGetToFileStreamLargeObjects) {
  // Above the multipart threshold set here, so s3 takes the multipart path with 3 parts.
  StoreOptions opts;
  opts.multipart_threshold = 5 << 20;
  opts.part_size = 5 << 20;
  auto store = backend_->NewStore(opts);
  TempDir tmp;
  std::string data = RandomBytes((12 << 20) + 17, 4);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("src"), data).ok());
  ASSERT_TRUE(store->PutFile("big/blob", tmp.Join("src")).ok());
  auto info = store->Head("big/blob");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->size, data.size());
  ExpectChecksumOf(*info, data);
  Status g = store->GetToFile("big/blob", tmp.Join("dst"));
  ASSERT_TRUE(g.ok()) << g;
  EXPECT_TRUE(ReadFileToString(tmp.Join("dst")).value() == data);
  EXPECT_TRUE(store->GetRange("big/blob", 6 << 20, 10).value() == data.substr(6 << 20, 10));
  // Put from memory above the threshold takes the same path.
  ASSERT_TRUE(store->Put("big/mem", data).ok());
  EXPECT_TRUE(store->Get("big/mem").value() == data);
}

TEST_P(ConformanceTest, CorruptedObjectIsDataLossNamingTheKeyNeverData) {
  std::string data = RandomBytes(50'000, 5);
  ASSERT_TRUE(store_->Put("c/model", data).ok());
  backend_->Corrupt(*store_, "c/model");
  auto got = store_->Get("c/model");
  ASSERT_EQ(got.status().code(), Code::kDataLoss) << got.status();
  EXPECT_NE(got.status().message().find("c/model"), std::string::npos) << got.status();
  EXPECT_NE(got.status().message().find(store_->uri()), std::string::npos) << got.status();
  TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("out"), "previous").ok());
  EXPECT_EQ(store_->GetToFile("c/model", tmp.Join("out")).code(), Code::kDataLoss);
  EXPECT_EQ(ReadFileToString(tmp.Join("out")).value(), "previous");  // untouched
}

TEST_P(ConformanceTest, ConcurrentWritersLastWriterWinsAndReadersNeverSeeTornData) {
  constexpr int kWriters = 4, kRounds = 6;
  constexpr size_t kSize = 256 << 10;
  std::vector<std::string> versions;
  for (int w = 0; w < kWriters; ++w) versions.push_back(RandomBytes(kSize, 100 + w));
  ASSERT_TRUE(store_->Put("shared", versions[0]).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> good_reads{0}, detected_torn{0};
  std::thread reader([&] {
    do {  // at least one read, even if the writers finish first
      auto got = store_->Get("shared");
      if (got.ok()) {
        bool whole = std::find(versions.begin(), versions.end(), *got) != versions.end();
        EXPECT_TRUE(whole) << "torn object returned as data";
        ++good_reads;
      } else if (got.status().code() == Code::kDataLoss) {
        ++detected_torn;  // caught by the checksum, never returned as data
      } else {
        ADD_FAILURE() << got.status();
      }
    } while (!stop.load());
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int r = 0; r < kRounds; ++r) {
        Status s = store_->Put("shared", versions[w]);
        EXPECT_TRUE(s.ok()) << s;
      }
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  reader.join();
  EXPECT_GT(good_reads.load() + detected_torn.load(), 0);
  if (backend_->server_publishes_atomically()) {
    EXPECT_GT(good_reads.load(), 0);
    EXPECT_EQ(detected_torn.load(), 0);
  } else {
    // s3rver rewrites objects in place: readers racing a writer may see torn bytes, which the
    // checksum must turn into DATA_LOSS (counted) rather than data (checked above).
    std::printf("%s: %d whole reads, %d torn reads caught as DATA_LOSS\n", store_->uri().c_str(),
                good_reads.load(), detected_torn.load());
  }
  // After the writers are done, a whole object from one of them is there.
  auto final_obj = store_->Get("shared");
  if (backend_->server_publishes_atomically()) {
    ASSERT_TRUE(final_obj.ok()) << final_obj.status();
  }
  if (final_obj.ok()) {
    EXPECT_NE(std::find(versions.begin(), versions.end(), *final_obj), versions.end());
  } else {
    EXPECT_EQ(final_obj.status().code(), Code::kDataLoss) << final_obj.status();
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ConformanceTest, ::testing::Values("file", "s3", "az", "gs"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace sl::store
