#include "train/report/provider_comparison.h"

#include <gtest/gtest.h>

#include "faas/economics/pricing.h"

namespace sl::train {
namespace {

ShardAttempt Attempt(bool cold, double duration_ms, double cost, int64_t memory_mb) {
  ShardAttempt a;
  a.outcome = AttemptOutcome::kOk;
  a.cold_start = cold;
  a.init_ms = cold ? 100 : 0;
  a.duration_ms = duration_ms;
  a.billed_ms = duration_ms;
  a.memory_mb = memory_mb;
  a.compute_ms = duration_ms / 2;
  a.cost_usd = cost;
  return a;
}

// A fake job: preprocessing 2 cold invocations of 1 s; 2 rounds of 2 invocations (cold in round
// 0) of 2 s and 3 s; the wall times scale with `slow`.
RunRecord FakeRun(const faas::ProviderProfile& p, double slow) {
  RunRecord r;
  r.provider = p.name;
  r.memory_mb = faas::NearestAllowedMemory(p, 2048);
  r.workers = 2;
  r.preprocessing = {Attempt(true, 1000 * slow, 1e-5, r.memory_mb), Attempt(true, 1000 * slow, 1e-5, r.memory_mb)};
  r.preprocessing_wall_ms = 1500 * slow;
  for (int i = 0; i < 2; ++i) {
    RoundRecord rr;
    rr.round = i;
    rr.wall_ms = 3500 * slow;
    rr.attempts = {Attempt(i == 0, 2000 * slow, 2e-5, r.memory_mb), Attempt(i == 0, 3000 * slow, 3e-5, r.memory_mb)};
    r.rounds.push_back(rr);
  }
  r.test_accuracy = 0.9;
  return r;
}

TEST(ProviderComparison, TablesOneAndTwoFromEachRunsRecord) {
  std::vector<std::string> called;
  auto run = [&](const faas::ProviderProfile& p) -> Result<RunRecord> {
    called.push_back(p.name);
    return FakeRun(p, p.name == "aws-lambda" ? 1.0 : 2.0);
  };
  auto c = CompareProviders({"aws", "gcp-functions"}, run, 2, {"ec2-c5.large"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(called, (std::vector<std::string>{"aws-lambda", "gcp-functions"}));
  ASSERT_EQ(c->runs.size(), 2u);

  const ProviderRun& aws = c->runs[0];
  EXPECT_EQ(aws.provider, "aws-lambda");
  EXPECT_EQ(aws.memory_mb, 2048);
  EXPECT_NEAR(aws.vcpu, 2048.0 / 1769.0, 1e-12);  // proportional rule
  EXPECT_DOUBLE_EQ(aws.summary.preprocessing.t_total_s, 2.0);
  EXPECT_DOUBLE_EQ(aws.summary.preprocessing.t_parallel_s, 1.1);  // init 0.1 + 1 s
  EXPECT_DOUBLE_EQ(aws.summary.preprocessing.cost_usd, 2e-5);
  EXPECT_DOUBLE_EQ(aws.summary.training.t_total_s, 10.0);  // 2 × (2 + 3)
  EXPECT_DOUBLE_EQ(aws.summary.training.t_parallel_s, 3.1 + 3.0);  // eq. 5: Σ over rounds of the max
  EXPECT_NEAR(aws.summary.training.cost_usd, 1e-4, 1e-15);
  // 4 cold starts × the profile's 265 ms platform cold start (emulated).
  EXPECT_EQ(aws.summary.total.cold_starts, 4);
  EXPECT_NEAR(aws.provider_cold_start_s, 4 * 0.265, 1e-12);

  const ProviderRun& gcp = c->runs[1];
  EXPECT_EQ(gcp.memory_mb, 2048);
  EXPECT_DOUBLE_EQ(gcp.vcpu, 1.0);  // GCF gen1 table: 2,048 MB = 2.4 GHz = 1 vCPU
  EXPECT_DOUBLE_EQ(gcp.summary.training.t_total_s, 20.0);
  EXPECT_NEAR(gcp.provider_cold_start_s, 4 * 0.493, 1e-12);

  // The VM baseline uses the faster run (aws: 1.5 + 2 × 3.5 = 8.5 s wall; Σ T_i = 12 s over 2 vCPU
  // = 6 s); both below EC2's 60 s minimum: 60 s × $0.085/h.
  ASSERT_EQ(c->vms.size(), 1u);
  const VmBaseline& vm = c->vms[0];
  EXPECT_EQ(vm.vm, "ec2-c5.large");
  EXPECT_EQ(vm.from_provider, "aws-lambda");
  EXPECT_DOUBLE_EQ(vm.wall_s, 8.5);
  EXPECT_DOUBLE_EQ(vm.work_s, 6.0);
  EXPECT_NEAR(vm.wall_cost_usd, 60 * 0.085 / 3600, 1e-12);
  EXPECT_NEAR(vm.work_cost_usd, 60 * 0.085 / 3600, 1e-12);

  std::string text = ProviderComparisonText(*c);
  EXPECT_NE(text.find("aws-lambda"), std::string::npos);
  EXPECT_NE(text.find("gcp-functions"), std::string::npos);
  EXPECT_NE(text.find("ec2-c5.large"), std::string::npos);
  EXPECT_NE(text.find("Emulated"), std::string::npos);
  nlohmann::json j = ProviderComparisonJson(*c);
  ASSERT_EQ(j["providers"].size(), 2u);
  EXPECT_DOUBLE_EQ(j["providers"][0]["training"]["t_total_min"].get<double>(), 10.0 / 60);
  EXPECT_DOUBLE_EQ(j["providers"][1]["preprocess"]["t_total_min"].get<double>(), 4.0 / 60);
  EXPECT_EQ(j["vms"][0]["from_provider"], "aws-lambda");
  EXPECT_FALSE(j["emulated"].empty());
}

TEST(ProviderComparison, LongerRunsCostTheVmMoreThanItsMinimum) {
  auto run = [](const faas::ProviderProfile& p) -> Result<RunRecord> { return FakeRun(p, 20.0); };
  auto c = CompareProviders({"aws-lambda"}, run, 2, {"ec2-c5.large"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  // wall 170 s, work 240 / 2 = 120 s, per-second billing above the minimum.
  EXPECT_DOUBLE_EQ(c->vms[0].wall_s, 170.0);
  EXPECT_NEAR(c->vms[0].wall_cost_usd, 170 * 0.085 / 3600, 1e-12);
  EXPECT_NEAR(c->vms[0].work_cost_usd, 120 * 0.085 / 3600, 1e-12);
}

TEST(ProviderComparison, IssueShortNamesAreProfiles) {
  for (const char* name : {"aws-lambda", "gcp-functions", "azure-functions", "ibm", "oracle"}) {
    auto p = faas::LoadProviderProfile(CanonicalProviderName(name));
    EXPECT_TRUE(p.ok()) << name << ": " << p.status().ToString();
  }
  EXPECT_EQ(CanonicalProviderName("oci"), "oracle");
  EXPECT_EQ(CanonicalProviderName("azure"), "azure-functions");
  EXPECT_EQ(CanonicalProviderName("something-else"), "something-else");
}

TEST(ProviderComparison, BadListsAndFailedRunsAreReported) {
  int calls = 0;
  auto ok_run = [&](const faas::ProviderProfile& p) -> Result<RunRecord> {
    ++calls;
    return FakeRun(p, 1);
  };
  EXPECT_EQ(CompareProviders({}, ok_run, 2).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(CompareProviders({"nope-cloud"}, ok_run, 2).status().code(), Code::kNotFound);
  EXPECT_EQ(CompareProviders({"ec2-c5.large"}, ok_run, 2).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(CompareProviders({"aws", "aws-lambda"}, ok_run, 2).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(calls, 0);  // names are checked before any job runs

  auto failing = [&](const faas::ProviderProfile& p) -> Result<RunRecord> {
    ++calls;
    if (p.name == "oracle") return Status(Code::kDeadlineExceeded, "retries exhausted in round 2");
    return FakeRun(p, 1);
  };
  auto c = CompareProviders({"ibm", "oracle", "aws-lambda"}, failing, 2);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kDeadlineExceeded);
  EXPECT_NE(c.status().message().find("provider oracle: retries exhausted"), std::string::npos);
  EXPECT_EQ(calls, 2);  // stops at the first failure
}

// The transfer column (issue 20): the same job on an az:// store, its functions under AWS, GCP and
// Azure profiles. Each attempt read 10 MiB and wrote 2 MiB: across clouds that is 10 MiB out of
// Azure ($0.087/GiB) + 2 MiB out of the functions' cloud; within Azure it is nothing. The store's
// request fees (Azure's) apply to all three.
TEST(ProviderComparison, TransferBetweenCloudsIsASeparateColumn) {
  auto run = [&](const faas::ProviderProfile& p) -> Result<RunRecord> {
    RunRecord r = FakeRun(p, 1.0);
    r.store = "az://acct/runs/job";
    auto io = [](ShardAttempt& a) {
      a.store_bytes_read = 10 << 20;
      a.store_bytes_written = 2 << 20;
      a.store_read_requests = 3;
      a.store_write_requests = 1;
    };
    for (auto& a : r.preprocessing) io(a);
    for (auto& rr : r.rounds) for (auto& a : rr.attempts) io(a);
    return r;
  };
  auto c = CompareProviders({"aws-lambda", "gcp-functions", "azure-functions"}, run, 2, {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  const double read_gib = 6 * (10 << 20) / kGiB, written_gib = 6 * (2 << 20) / kGiB;  // 6 attempts
  EXPECT_NEAR(c->runs[0].summary.total.transfer_usd, read_gib * 0.087 + written_gib * 0.09, 1e-12);
  EXPECT_NEAR(c->runs[1].summary.total.transfer_usd, read_gib * 0.087 + written_gib * 0.12, 1e-12);
  EXPECT_EQ(c->runs[2].summary.total.transfer_usd, 0);
  for (const auto& r : c->runs) {
    EXPECT_NEAR(r.summary.total.store_request_usd, 6 * (1 * 0.0055 + 3 * 0.00044) / 1000, 1e-15) << r.provider;
    // Not part of the functions' own bill.
    EXPECT_NEAR(r.summary.total.cost_usd, 2e-5 + 1e-4, 1e-15) << r.provider;
  }
  const std::string text = ProviderComparisonText(*c);
  EXPECT_NE(text.find("transfer $"), std::string::npos) << text;
  EXPECT_NEAR(ProviderComparisonJson(*c)["providers"][0]["total"]["transfer_usd"].get<double>(),
              read_gib * 0.087 + written_gib * 0.09, 1e-12);
}

}  // namespace
}  // namespace sl::train
