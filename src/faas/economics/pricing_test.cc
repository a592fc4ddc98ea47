// Pricing checked against hand calculations. Prices are the shipped profiles' (see
// profiles/*.yaml); each expected value is worked out in the comment above it.
#include "faas/economics/pricing.h"

#include <gtest/gtest.h>

namespace sl::faas {
namespace {

ProviderProfile Load(const std::string& name) {
  auto p = LoadProviderProfile(name);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : ProviderProfile{};
}

constexpr double kEps = 1e-15;  // costs are ~1e-6 USD; compare to 1e-15

TEST(PricingTest, AwsLambdaRoundsUpTo1msAndBillsInit) {
  ProviderProfile aws = Load("aws-lambda");
  // Warm, 1024 MB, 250.3 ms: billed ceil(250.3) = 251 ms.
  // GB-s = 0.251 s x 1024/1024 GB = 0.251. Compute = 0.251 x $0.0000166667 = $0.00000418334170.
  // Request $0.0000002. Total $0.00000438334170.
  auto warm = PriceInvocation(aws, 250.3, 1024);
  ASSERT_TRUE(warm.ok());
  EXPECT_DOUBLE_EQ(warm->billed_ms, 251);
  EXPECT_NEAR(warm->gb_s, 0.251, kEps);
  EXPECT_NEAR(warm->compute_usd, 0.00000418334170, kEps);
  EXPECT_NEAR(warm->cost_usd, 0.00000438334170, kEps);
  // Cold: INIT billed since 2025-08-01. init 180.4 + 250.3 = 430.7 -> 431 ms.
  // GB-s 0.431; compute 0.431 x 0.0000166667 = $0.0000071833477; total $0.0000073833477.
  auto cold = PriceInvocation(aws, 250.3, 1024, 0, 180.4);
  ASSERT_TRUE(cold.ok());
  EXPECT_DOUBLE_EQ(cold->billed_ms, 431);
  EXPECT_DOUBLE_EQ(cold->billed_init_ms, 180.4);
  EXPECT_NEAR(cold->cost_usd, 0.0000073833477, kEps);
  // The AWS pricing page's example: 128 MB for 1 ms = $0.0000000021 (x86) compute.
  // 0.001 s x 0.125 GB x 0.0000166667 = 2.0833375e-9 ≈ $0.0000000021.
  EXPECT_NEAR(PriceInvocation(aws, 1, 128)->compute_usd, 2.0833375e-9, 1e-18);
}

TEST(PricingTest, GcfFirstGenChargesGbSecondsAndGhzSecondsPer100ms) {
  ProviderProfile gcf = Load("gcp-functions");
  // 256 MB tier = 400 MHz. 260 ms -> 300 ms ("260 ms billed as 300 ms").
  // GB-s = 0.3 x 0.25 = 0.075 -> x $0.0000025 = $0.0000001875
  // GHz-s = 0.3 x 0.4 = 0.12   -> x $0.0000100 = $0.0000012
  // compute $0.0000013875 (= 3 x the DER table's $0.000000463 per 100 ms, unrounded 0.0000004625)
  // + request $0.0000004 = $0.0000017875.
  auto b = PriceInvocation(gcf, 260, 256);
  ASSERT_TRUE(b.ok());
  EXPECT_DOUBLE_EQ(b->billed_ms, 300);
  EXPECT_NEAR(b->gb_s, 0.075, kEps);
  EXPECT_NEAR(b->ghz_s, 0.12, kEps);
  EXPECT_NEAR(b->compute_usd, 0.0000013875, kEps);
  EXPECT_NEAR(b->cost_usd, 0.0000017875, kEps);
  // Exact multiples are not rounded up again; 1 ms bills 100 ms; init is not billed (UNV).
  EXPECT_DOUBLE_EQ(PriceInvocation(gcf, 300.0, 256)->billed_ms, 300);
  EXPECT_DOUBLE_EQ(PriceInvocation(gcf, 0.1 + 0.2 + 299.7, 256)->billed_ms, 300);
  EXPECT_DOUBLE_EQ(PriceInvocation(gcf, 1, 256)->billed_ms, 100);
  EXPECT_DOUBLE_EQ(PriceInvocation(gcf, 260, 256, 0, 500)->billed_ms, 300);
  // 128 MB / 200 MHz for 100 ms = $0.000000231 on the archived pricing page:
  // 0.1 x 0.125 x 0.0000025 + 0.1 x 0.2 x 0.00001 = 3.125e-8 + 2e-7 = 2.3125e-7.
  EXPECT_NEAR(PriceInvocation(gcf, 100, 128)->compute_usd, 2.3125e-7, kEps);
  // A size that is not a 1st gen tier is refused, naming the sizes.
  auto bad = PriceInvocation(gcf, 100, 300);
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("allowed sizes"), std::string::npos);
}

TEST(PricingTest, AzureConsumptionBillsObservedMemoryIn128MbBucketsWith100msMinimum) {
  ProviderProfile az = Load("azure-functions");
  // 40 ms with 160 MB observed: time -> 100 ms minimum; memory 160 -> 256 MB bucket.
  // GB-s = 0.1 x 256/1024 = 0.025 -> x $0.000016 = $0.0000004; + $0.0000002 = $0.0000006.
  auto small = PriceInvocation(az, 40, 1536, 160);
  ASSERT_TRUE(small.ok());
  EXPECT_DOUBLE_EQ(small->billed_ms, 100);
  EXPECT_EQ(small->billed_memory_mb, 256);
  EXPECT_NEAR(small->cost_usd, 0.0000006, kEps);
  // 1234.5 ms with 1600 MB observed: 1 ms rounding -> 1235 ms; memory capped at 1536 MB.
  // GB-s = 1.235 x 1.5 = 1.8525 -> x 0.000016 = $0.00002964; + 0.0000002 = $0.00002984.
  auto big = PriceInvocation(az, 1234.5, 1536, 1600);
  ASSERT_TRUE(big.ok());
  EXPECT_DOUBLE_EQ(big->billed_ms, 1235);
  EXPECT_EQ(big->billed_memory_mb, 1536);
  EXPECT_NEAR(big->cost_usd, 0.00002984, kEps);
  // Unknown observed memory bills the 128 MB minimum; 128 MB exactly stays 128.
  EXPECT_EQ(PriceInvocation(az, 500, 1536, 0)->billed_memory_mb, 128);
  EXPECT_EQ(PriceInvocation(az, 500, 1536, 128)->billed_memory_mb, 128);
  EXPECT_EQ(PriceInvocation(az, 500, 1536, 129)->billed_memory_mb, 256);
}

TEST(PricingTest, AzureFlexMinimumOneSecondThen100ms) {
  ProviderProfile flex = Load("azure-flex");
  // 2048 MB instance, 350 ms -> 1000 ms minimum. GB-s = 1 x 2 = 2 -> x 0.000026 = 0.000052;
  // + request $0.0000004 (UNV) = $0.0000524.
  EXPECT_NEAR(PriceInvocation(flex, 350, 2048)->cost_usd, 0.0000524, kEps);
  // 1234 ms -> 1300 ms. GB-s 2.6 -> 0.0000676 + 0.0000004 = $0.000068.
  auto b = PriceInvocation(flex, 1234, 2048);
  EXPECT_DOUBLE_EQ(b->billed_ms, 1300);
  EXPECT_NEAR(b->cost_usd, 0.000068, kEps);
}

TEST(PricingTest, OracleGbSecondsOfConfiguredMemory) {
  ProviderProfile oci = Load("oracle");
  // 512 MB, 1500.2 ms -> 1501 ms (1 ms rounding assumed, UNV).
  // GB-s = 1.501 x 0.5 = 0.7505 -> x $0.00001417 = $0.000010634585; + $0.0000002 = $0.000010834585.
  auto b = PriceInvocation(oci, 1500.2, 512);
  ASSERT_TRUE(b.ok());
  EXPECT_DOUBLE_EQ(b->billed_ms, 1501);
  EXPECT_NEAR(b->gb_s, 0.7505, kEps);
  EXPECT_NEAR(b->cost_usd, 0.000010834585, kEps);
}

TEST(PricingTest, VcpuPricedProviders) {
  // Cloud Run functions, 1024 MB = 0.583 vCPU by default, 260 ms -> 300 ms.
  // GiB-s 0.3 x 1 = 0.3 -> x 0.0000025 = 0.00000075; vCPU-s 0.3 x 0.583 = 0.1749 -> x 0.000024 =
  // 0.0000041976; + request 0.0000004 = $0.0000053476.
  ProviderProfile run = Load("gcp-cloud-run-functions");
  auto b = PriceInvocation(run, 260, 1024);
  ASSERT_TRUE(b.ok());
  EXPECT_NEAR(b->vcpu_s, 0.1749, kEps);
  EXPECT_NEAR(b->cost_usd, 0.0000053476, kEps);
  // IBM Code Engine, 2 GB = 0.5 vCPU, 1000 ms: GB-s 2 x 0.00000356 = 0.00000712;
  // vCPU-s 0.5 x 0.00003431 = 0.000017155; + request 0.000000538 = $0.000024813.
  ProviderProfile ce = Load("ibm-code-engine");
  EXPECT_NEAR(PriceInvocation(ce, 1000, 2048)->cost_usd, 0.000024813, kEps);
}

TEST(PricingTest, InvalidInputs) {
  ProviderProfile aws = Load("aws-lambda");
  EXPECT_EQ(PriceInvocation(aws, -1, 128).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(PriceInvocation(aws, 0.0 / 0.0, 128).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(PriceInvocation(aws, 10, 128, 0, -3).status().code(), Code::kInvalidArgument);
  ProviderProfile vm = Load("ec2-c5.large");
  EXPECT_EQ(PriceInvocation(vm, 10, 128).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(VmCost(aws, 10).status().code(), Code::kFailedPrecondition);
}

TEST(PricingTest, FillBillingPricesARecordFromItsMeasurements) {
  ProviderProfile aws = Load("aws-lambda");
  InvocationRecord r;
  r.request_id = "abc";
  r.memory_mb = 1024;
  r.duration_ms = 250.3;
  r.init_ms = 180.4;
  r.cold_start = true;  // same as the cold case above: 431 ms, $0.0000073833477
  ASSERT_TRUE(FillBilling(aws, &r).ok());
  EXPECT_DOUBLE_EQ(r.billed_ms, 431);
  EXPECT_NEAR(r.cost_usd, 0.0000073833477, kEps);
  r.cold_start = false;  // init_ms is ignored for a warm record
  ASSERT_TRUE(FillBilling(aws, &r).ok());
  EXPECT_DOUBLE_EQ(r.billed_ms, 251);
  r.outcome = Outcome::kThrottled;
  ASSERT_TRUE(FillBilling(aws, &r).ok());
  EXPECT_EQ(r.cost_usd, 0);
  r.outcome = Outcome::kSuccess;
  r.memory_mb = 64;
  Status s = FillBilling(aws, &r);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("request abc"), std::string::npos);
}

TEST(PricingTest, VmPerSecondWithSixtySecondMinimum) {
  ProviderProfile c5 = Load("ec2-c5.large");
  // 30 s -> 60 s minimum: 60 x 0.085 / 3600 = $0.00141666...
  EXPECT_NEAR(*VmCost(c5, 30), 60 * 0.085 / 3600, 1e-15);
  // 3600.4 s -> 3601 s: 3601 x 0.085 / 3600 = $0.08502361...
  EXPECT_NEAR(*VmCost(c5, 3600.4), 3601 * 0.085 / 3600, 1e-15);
  ProviderProfile e2 = Load("gce-e2-standard-2");
  // One hour = the hourly price.
  EXPECT_NEAR(*VmCost(e2, 3600), 0.067006, 1e-15);
}

}  // namespace
}  // namespace sl::faas
