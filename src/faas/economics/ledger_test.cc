#include "faas/economics/ledger.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/file_util.h"

namespace sl::faas {
namespace {

InvocationRecord Sample(int i) {
  InvocationRecord r;
  r.request_id = "req-" + std::to_string(i);
  r.function = "train-shard";
  r.provider = "aws-lambda";
  r.stage = "round-1";
  r.instance_id = "i-7";
  r.memory_mb = 1769;
  r.cold_start = i % 2 == 0;
  r.init_ms = 12.5;
  r.duration_ms = 250.25;
  r.billed_ms = 263;
  r.max_memory_used_mb = 164;
  r.cost_usd = 0.0000077;
  r.outcome = Outcome::kTimeout;
  r.error_type = "Sandbox.Timedout";
  r.start_time = WallTime(Nanos(1'795'000'000'123'000'000LL));
  r.queued_ms = 3.5;
  r.cpu_enforced = true;
  return r;
}

TEST(LedgerTest, AppendAndReadRoundTrip) {
  TempDir dir("ledger");
  auto w = LedgerWriter::Open(dir.Join("sub/ledger.jsonl"));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_TRUE((*w)->Append(Sample(0)).ok());
  ASSERT_TRUE((*w)->Append(Sample(1)).ok());
  auto recs = ReadLedger(dir.Join("sub/ledger.jsonl"));
  ASSERT_TRUE(recs.ok()) << recs.status().ToString();
  ASSERT_EQ(recs->size(), 2u);
  const InvocationRecord& r = (*recs)[0];
  InvocationRecord want = Sample(0);
  EXPECT_EQ(r.request_id, want.request_id);
  EXPECT_EQ(r.stage, "round-1");
  EXPECT_EQ(r.instance_id, "i-7");
  EXPECT_EQ(r.memory_mb, 1769);
  EXPECT_TRUE(r.cold_start);
  EXPECT_DOUBLE_EQ(r.duration_ms, 250.25);
  EXPECT_EQ(r.outcome, Outcome::kTimeout);
  EXPECT_EQ(r.error_type, "Sandbox.Timedout");
  EXPECT_EQ(r.start_time, want.start_time);  // millisecond precision survives
  EXPECT_TRUE(r.cpu_enforced);
  EXPECT_FALSE((*recs)[1].cold_start);
  // Each record is exactly one line.
  std::string text = *ReadFileToString(dir.Join("sub/ledger.jsonl"));
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
}

TEST(LedgerTest, ConcurrentAppendsFromThreadsAndWritersNeverInterleave) {
  TempDir dir("ledger");
  const std::string path = dir.Join("ledger.jsonl");
  // Two writers on one file (as two processes would have) and four threads each.
  auto w1 = LedgerWriter::Open(path);
  auto w2 = LedgerWriter::Open(path);
  ASSERT_TRUE(w1.ok() && w2.ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    LedgerWriter* w = (t % 2 ? *w1 : *w2).get();
    threads.emplace_back([w, t] {
      for (int i = 0; i < 250; ++i) {
        InvocationRecord r = Sample(t * 1000 + i);
        r.function = std::string(200 + t * 37, 'f');  // lines of different lengths
        ASSERT_TRUE(w->Append(r).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  auto recs = ReadLedger(path);
  ASSERT_TRUE(recs.ok()) << recs.status().ToString();
  EXPECT_EQ(recs->size(), 2000u);
}

TEST(LedgerTest, MalformedLineIsNamedByFileAndLine) {
  TempDir dir("ledger");
  const std::string path = dir.Join("l.jsonl");
  std::string good = RecordToJson(Sample(1)).dump();
  ASSERT_TRUE(WriteFileAtomic(path, good + "\n\n" + good + "\n{\"request_id\": \"x\", trunc\n").ok());
  auto recs = ReadLedger(path);
  EXPECT_EQ(recs.status().code(), Code::kDataLoss);
  EXPECT_NE(recs.status().message().find(path + ":4: invalid JSON"), std::string::npos)
      << recs.status().message();
}

TEST(LedgerTest, MissingOrMistypedFieldsAreNamed) {
  auto missing = ParseLedger("{\"request_id\":\"a\",\"provider\":\"aws-lambda\",\"memory_mb\":128,"
                             "\"duration_ms\":1}\n", "x.jsonl");
  EXPECT_EQ(missing.status().code(), Code::kDataLoss);
  EXPECT_NE(missing.status().message().find("x.jsonl:1: missing field 'function'"), std::string::npos)
      << missing.status().message();
  auto typed = ParseLedger("{\"request_id\":\"a\",\"function\":\"f\",\"provider\":\"p\","
                           "\"memory_mb\":\"lots\",\"duration_ms\":1}\n", "x.jsonl");
  EXPECT_NE(typed.status().message().find("x.jsonl:1: field 'memory_mb' must be a number"),
            std::string::npos) << typed.status().message();
  auto outcome = ParseLedger("{\"request_id\":\"a\",\"function\":\"f\",\"provider\":\"p\","
                             "\"memory_mb\":1,\"duration_ms\":1,\"outcome\":\"meh\"}", "x.jsonl");
  EXPECT_NE(outcome.status().message().find("unknown outcome 'meh'"), std::string::npos);
  auto negative = ParseLedger("{\"request_id\":\"a\",\"function\":\"f\",\"provider\":\"p\","
                              "\"memory_mb\":1,\"duration_ms\":-4}", "x.jsonl");
  EXPECT_NE(negative.status().message().find("'duration_ms' = -4"), std::string::npos);
}

TEST(LedgerTest, Rfc3339Parsing) {
  auto a = ParseRfc3339("2026-01-01T00:00:01.000Z");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->time_since_epoch().count(), 1767225601LL * 1'000'000'000);
  auto b = ParseRfc3339("2026-01-01T01:00:01+01:00");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(ParseRfc3339("yesterday").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseRfc3339("2026-01-01T00:00:01").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sl::faas
