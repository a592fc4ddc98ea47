// The cost report over a small ledger, checked against hand calculations.
#include "faas/economics/cost_report.h"

#include <gtest/gtest.h>

namespace sl::faas {
namespace {

constexpr double kEps = 1e-12;
const WallTime kT0 = WallTime(Nanos(1'795'000'000LL * 1'000'000'000));

InvocationRecord Rec(const std::string& fn, const std::string& provider, int64_t mb, double dur_ms,
                     const std::string& stage = "", double init_ms = 0, double start_s = 0) {
  static int n = 0;
  InvocationRecord r;
  r.request_id = "r" + std::to_string(++n);
  r.function = fn;
  r.provider = provider;
  r.memory_mb = mb;
  r.duration_ms = dur_ms;
  r.stage = stage;
  r.cold_start = init_ms > 0;
  r.init_ms = init_ms;
  r.start_time = kT0 + Nanos(static_cast<int64_t>(start_s * 1e9));
  return r;
}

// "train" on aws-lambda at 1,769 MB (1 vCPU) in two stages, "serve" on GCF gen1 at 256 MB.
std::vector<InvocationRecord> Ledger() {
  return {
      Rec("train", "aws-lambda", 1769, 1000, "round-1", 0, 0),
      Rec("train", "aws-lambda", 1769, 1200, "round-1", 300, 0),  // cold, init 300 ms
      Rec("train", "aws-lambda", 1769, 800, "round-1", 0, 0),
      Rec("train", "aws-lambda", 1769, 900, "round-2", 0, 2),
      Rec("train", "aws-lambda", 1769, 1100, "round-2", 0, 2),
      Rec("serve", "gcp-functions", 256, 260, "", 0, 4),
      Rec("serve", "gcp-functions", 256, 40, "", 0, 5),
  };
}

const GroupReport& Group(const PricingView& v, const std::string& key) {
  for (const auto& g : v.groups) {
    if (g.key == key) return g;
  }
  ADD_FAILURE() << "no group " << key;
  return v.groups.front();
}

TEST(CostReportTest, AsRecordedPerFunctionMatchesHandCalculation) {
  auto recs = Ledger();
  auto rep = BuildCostReport(recs, {}, "test.jsonl");
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  const GroupReport& train = Group(rep->recorded, "train");
  EXPECT_EQ(train.provider, "aws-lambda");
  EXPECT_EQ(train.totals.invocations, 5);
  EXPECT_EQ(train.totals.cold_starts, 1);
  // T_total = 1.0 + 1.2 + 0.8 + 0.9 + 1.1 = 5.0 s
  EXPECT_NEAR(train.totals.t_total_s, 5.0, kEps);
  // T_parallel = max(1.0, 1.2 + 0.3 init, 0.8) + max(0.9, 1.1) = 1.5 + 1.1 = 2.6 s
  EXPECT_NEAR(train.totals.t_parallel_s, 2.6, kEps);
  // + aws-lambda's platform cold-start mean 265 ms on the cold one: 1.765 + 1.1 = 2.865 s
  EXPECT_NEAR(train.totals.t_parallel_cold_s, 2.865, kEps);
  // Billed (AWS bills INIT): 1000 + 1500 + 800 + 900 + 1100 = 5300 ms.
  // GB-s = 5.3 x 1769/1024 = 9.15595703125; compute = 9.15595703125 x 0.0000166667
  //      = $0.000152599589...; requests 5 x $0.0000002 = $0.000001.
  EXPECT_NEAR(train.totals.billed_s, 5.3, kEps);
  EXPECT_NEAR(train.totals.gb_s, 9.15595703125, kEps);
  EXPECT_NEAR(train.totals.compute_usd, 9.15595703125 * 0.0000166667, 1e-15);
  EXPECT_NEAR(train.totals.request_usd, 0.000001, 1e-15);
  ASSERT_EQ(train.stages.size(), 2u);
  EXPECT_EQ(train.stages[0].stage, "round-1");
  EXPECT_NEAR(train.stages[0].totals.t_parallel_s, 1.5, kEps);
  EXPECT_NEAR(train.stages[1].totals.t_parallel_s, 1.1, kEps);

  const GroupReport& serve = Group(rep->recorded, "serve");
  // GCF gen1 256 MB / 0.4 GHz: 260 -> 300 ms, 40 -> 100 ms: 400 ms billed.
  // GB-s 0.4 x 0.25 = 0.1 ($0.00000025), GHz-s 0.4 x 0.4 = 0.16 ($0.0000016),
  // requests 2 x $0.0000004 = $0.0000008: total $0.00000265.
  EXPECT_TRUE(serve.stages.empty());
  EXPECT_NEAR(serve.totals.t_total_s, 0.3, kEps);
  EXPECT_NEAR(serve.totals.t_parallel_s, 0.26, kEps);
  EXPECT_NEAR(serve.totals.gb_s, 0.1, kEps);
  EXPECT_NEAR(serve.totals.ghz_s, 0.16, kEps);
  EXPECT_NEAR(serve.totals.cost_usd, 0.00000265, 1e-15);

  EXPECT_NEAR(rep->recorded.total.cost_usd,
              9.15595703125 * 0.0000166667 + 0.000001 + 0.00000265, 1e-15);
  // The records carry cost_usd = 0, so the report says the ledger and the profiles disagree.
  ASSERT_FALSE(rep->recorded.notes.empty());
  EXPECT_NE(rep->recorded.notes[0].find("cost_usd"), std::string::npos);
}

TEST(CostReportTest, ByProviderGroupsAcrossFunctions) {
  CostOptions o;
  o.group_by = CostOptions::GroupBy::kProvider;
  auto rep = BuildCostReport(Ledger(), o);
  ASSERT_TRUE(rep.ok());
  ASSERT_EQ(rep->recorded.groups.size(), 2u);
  EXPECT_EQ(Group(rep->recorded, "aws-lambda").totals.invocations, 5);
  EXPECT_EQ(Group(rep->recorded, "gcp-functions").totals.invocations, 2);
}

TEST(CostReportTest, RepriceKeepsMeasuredWorkAndUsesTargetRules) {
  CostOptions o;
  o.reprice = {"oracle"};
  auto rep = BuildCostReport(Ledger(), o);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_EQ(rep->repriced.size(), 1u);
  const PricingView& v = rep->repriced[0];
  // train: 1769 MB -> 2048 MB (OCI sizes); OCI does not bill INIT (UNV), 1 ms rounding:
  // 5000 ms x 2 GB = 10 GB-s x $0.00001417 = $0.0001417; + 5 x $0.0000002 = $0.0001427.
  const GroupReport& train = Group(v, "train");
  EXPECT_EQ(train.provider, "oracle");
  EXPECT_NEAR(train.totals.gb_s, 10, kEps);
  EXPECT_NEAR(train.totals.cost_usd, 0.0001427, 1e-15);
  EXPECT_NEAR(train.totals.t_total_s, 5.0, kEps);  // measured durations unchanged
  // OCI's platform cold start (2,000 ms, UNV) replaces Lambda's in T_par+cold: 1.5 + 2.0 + 1.1.
  EXPECT_NEAR(train.totals.t_parallel_cold_s, 4.6, kEps);
  // serve: 256 MB stays; 300 ms x 0.25 GB = 0.075 GB-s x 0.00001417 = $0.00000106275;
  // + 2 x $0.0000002 = $0.00000146275.
  EXPECT_NEAR(Group(v, "serve").totals.cost_usd, 0.00000146275, 1e-15);
  bool remap_noted = false;
  for (const auto& n : v.notes) remap_noted |= n.find("1769 MB -> 2048 MB") != std::string::npos;
  EXPECT_TRUE(remap_noted);
}

TEST(CostReportTest, RepriceWithCpuScaling) {
  CostOptions o;
  o.reprice = {"aws-lambda"};
  o.scale_cpu = true;
  auto rep = BuildCostReport(Ledger(), o);
  ASSERT_TRUE(rep.ok());
  // serve ran on GCF 256 MB = 0.167 vCPU; on Lambda 256 MB = 256/1769 vCPU. CPU-bound estimate:
  // T' = T x 0.167 / (256/1769) = T x 1.15399...; 0.3 s -> 0.346198... s.
  const double ratio = 0.167 / (256.0 / 1769.0);
  EXPECT_NEAR(Group(rep->repriced[0], "serve").totals.t_total_s, 0.3 * ratio, 1e-9);
  // train at 1 vCPU on both: unchanged.
  EXPECT_NEAR(Group(rep->repriced[0], "train").totals.t_total_s, 5.0, 1e-9);
}

TEST(CostReportTest, FreeTierCoversSmallUsage) {
  CostOptions o;
  o.free_tier = true;
  auto rep = BuildCostReport(Ledger(), o);
  ASSERT_TRUE(rep.ok());
  ASSERT_EQ(rep->recorded.free_tier.size(), 2u);
  // Both providers' usage is far below one month's free tier: everything is free.
  EXPECT_NEAR(rep->recorded.total_after_free_tier_usd, 0, 1e-15);
  double credits = 0;
  for (const auto& f : rep->recorded.free_tier) credits += f.usd;
  EXPECT_NEAR(credits, rep->recorded.total.cost_usd, 1e-15);
}

TEST(CostReportTest, VmComparisonUsesWallSpanAndCpuWork) {
  auto rep = BuildCostReport(Ledger(), {});
  ASSERT_TRUE(rep.ok());
  // Span: first start t0, last end = 5 s + 40 ms -> 5.04 s.
  EXPECT_NEAR(rep->wall_span_s, 5.04, 1e-9);
  ASSERT_EQ(rep->vms.size(), 3u);
  const VmComparison& c5 = rep->vms[0];
  EXPECT_EQ(c5.profile, "ec2-c5.large");
  // 60 s minimum: 60 x $0.085 / 3600.
  EXPECT_NEAR(c5.span_cost_usd, 60 * 0.085 / 3600, 1e-15);
  // CPU work: train 5.0 s x 1 vCPU + serve 0.3 s x 0.167 vCPU = 5.0501 s over 2 vCPUs.
  EXPECT_NEAR(c5.work_s, 5.0501 / 2, 1e-9);
  EXPECT_NEAR(c5.month_usd, 0.085 * 730, 1e-9);
}

TEST(CostReportTest, ThrottledRecordsAreCountedNotBilled) {
  auto recs = Ledger();
  InvocationRecord t = Rec("serve", "gcp-functions", 256, 0);
  t.outcome = Outcome::kThrottled;
  recs.push_back(t);
  auto rep = BuildCostReport(recs, {});
  ASSERT_TRUE(rep.ok());
  const GroupReport& serve = Group(rep->recorded, "serve");
  EXPECT_EQ(serve.totals.invocations, 3);
  EXPECT_EQ(serve.totals.throttled, 1);
  EXPECT_NEAR(serve.totals.cost_usd, 0.00000265, 1e-15);
}

TEST(CostReportTest, UnknownProviderNamesTheRequest) {
  auto recs = Ledger();
  recs[3].provider = "cloudflare";
  auto rep = BuildCostReport(recs, {});
  EXPECT_EQ(rep.status().code(), Code::kNotFound);
  EXPECT_NE(rep.status().message().find(recs[3].request_id), std::string::npos);
  EXPECT_NE(rep.status().message().find("cloudflare"), std::string::npos);
  CostOptions o;
  o.reprice = {"ec2-c5.large"};
  EXPECT_EQ(BuildCostReport(Ledger(), o).status().code(), Code::kInvalidArgument);
}

TEST(CostReportTest, TextAndJsonSayWhatIsMeasured) {
  CostOptions o;
  o.reprice = {"azure-functions"};
  auto rep = BuildCostReport(Ledger(), o, "run/ledger.jsonl");
  ASSERT_TRUE(rep.ok());
  std::string text = FormatCostReport(*rep);
  EXPECT_NE(text.find("measured here:"), std::string::npos);
  EXPECT_NE(text.find("taken from provider profiles"), std::string::npos);
  EXPECT_NE(text.find("repriced under azure-functions"), std::string::npos);
  EXPECT_NE(text.find("stage round-1"), std::string::npos);
  EXPECT_NE(text.find("ec2-c5.large"), std::string::npos);
  nlohmann::json j = CostReportToJson(*rep);
  EXPECT_EQ(j["group_by"], "function");
  EXPECT_EQ(j["repriced"][0]["target"], "azure-functions");
  EXPECT_DOUBLE_EQ(j["recorded"]["total"]["cost_usd"].get<double>(), rep->recorded.total.cost_usd);
  EXPECT_EQ(text.find("REPORT lines"), std::string::npos);  // an all-local ledger needs no note
}

// A ledger of a remote platform says where its durations come from.
TEST(CostReportTest, RemoteRowsSayWhereTheirDurationsComeFrom) {
  auto records = Ledger();
  records[0].billing = BillingSource::kPlatformReport;
  records[1].billing = BillingSource::kPlatformReport;
  records[5].billing = BillingSource::kMeasuredByCaller;
  auto rep = BuildCostReport(records, CostOptions{}, "remote/ledger.jsonl");
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  std::string text = FormatCostReport(*rep);
  EXPECT_NE(text.find("2 invocation(s): durations from the platform's own REPORT lines (platform_report)"),
            std::string::npos) << text;
  EXPECT_NE(text.find("1 invocation(s): durations the caller's round trip"), std::string::npos) << text;
  EXPECT_NE(text.find("measured on this machine's instances (profile)"), std::string::npos) << text;
}

// The ledger's store traffic (issue 20): records of functions reading and writing an s3:// store,
// priced as recorded (aws-lambda: same cloud, no egress) and repriced under gcp-functions (the
// functions move to Google Cloud: reads leave AWS at $0.09/GiB, writes leave GCP at $0.12/GiB).
TEST(CostReportTest, StoreTrafficIsCountedAndItsTransferPricedPerView) {
  std::vector<InvocationRecord> ledger = {Rec("train", "aws-lambda", 1769, 1000), Rec("train", "aws-lambda", 1769, 1000)};
  for (auto& r : ledger) {
    r.store = "s3://bucket/run";
    r.store_bytes_read = 1LL << 30;
    r.store_bytes_written = 1LL << 29;
    r.store_read_requests = 500;
    r.store_write_requests = 250;
  }
  CostOptions o;
  o.reprice = {"gcp-functions"};
  o.vms = {};
  auto rep = BuildCostReport(ledger, o);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  const UsageTotals& rec = rep->recorded.total;
  EXPECT_EQ(rec.store_bytes_read, 2LL << 30);
  EXPECT_EQ(rec.store_requests, 1500);
  EXPECT_EQ(rec.transfer_usd, 0);                                   // Lambda and S3: one cloud
  EXPECT_NEAR(rec.store_request_usd, 0.5 * 0.005 + 1 * 0.0004, kEps);  // S3's request fees
  const UsageTotals& gcp = rep->repriced[0].total;
  EXPECT_NEAR(gcp.transfer_usd, 2 * 0.09 + 1 * 0.12, kEps);
  EXPECT_NEAR(gcp.store_request_usd, rec.store_request_usd, kEps);  // still S3's fees
  EXPECT_NEAR(rec.cost_usd, rep->recorded.total.compute_usd + rep->recorded.total.request_usd, kEps);
  const std::string text = FormatCostReport(*rep);
  EXPECT_NE(text.find("transfer between clouds $0.30000000"), std::string::npos) << text;
  EXPECT_NEAR(CostReportToJson(*rep)["repriced"][0]["total"]["transfer_usd"].get<double>(), 0.3, kEps);
}

}  // namespace
}  // namespace sl::faas
