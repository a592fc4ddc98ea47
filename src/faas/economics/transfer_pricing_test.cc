// Transfer pricing (transfer_pricing.h) with the shipped profiles: the cloud of a store URI,
// cross-cloud egress as bytes × the sending cloud's price (computed here from the documented
// prices, not from the code's), nothing within one cloud or for a local store, request fees, and
// parts without a price reported as unpriced rather than free.
#include "faas/economics/transfer_pricing.h"

#include <gtest/gtest.h>

namespace sl::faas {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

ProviderProfile Load(const std::string& name) {
  auto p = LoadProviderProfile(name);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return *p;
}

TEST(TransferPricingTest, StoreUriSchemeNamesTheCloud) {
  EXPECT_EQ(CloudOfStoreUri("s3://b/p"), "aws");
  EXPECT_EQ(CloudOfStoreUri("gs://b/p"), "gcp");
  EXPECT_EQ(CloudOfStoreUri("az://acct/c/p"), "azure");
  EXPECT_EQ(CloudOfStoreUri("file:///tmp/x"), "");
  EXPECT_EQ(CloudOfStoreUri("/tmp/x"), "");
}

TEST(TransferPricingTest, ProfilesStateTheirCloudsPricesWithSources) {
  ProviderProfile aws = Load("aws-lambda"), gcp = Load("gcp-cloud-run-functions"), az = Load("azure-functions");
  EXPECT_EQ(aws.network.cloud, "aws");
  EXPECT_EQ(gcp.network.cloud, "gcp");
  EXPECT_EQ(az.network.cloud, "azure");
  EXPECT_DOUBLE_EQ(*aws.network.egress_per_gb, 0.09);
  EXPECT_DOUBLE_EQ(*gcp.network.egress_per_gb, 0.12);
  EXPECT_DOUBLE_EQ(*az.network.egress_per_gb, 0.087);
  EXPECT_EQ(aws.TagOf("network.egress_per_gb"), "DOC-3P");
  EXPECT_EQ(gcp.TagOf("network.store_write_per_1k"), "DOC");
  EXPECT_FALSE(Load("oracle").network.egress_per_gb.has_value());
  auto gs = LoadStoreCloudProfile("gcp");
  ASSERT_TRUE(gs.ok()) << gs.status().ToString();
  ASSERT_TRUE(gs->has_value());
  EXPECT_EQ((*gs)->network.cloud, "gcp");
  EXPECT_FALSE(LoadStoreCloudProfile("").value().has_value());
  EXPECT_EQ(LoadStoreCloudProfile("oracle").status().code(), Code::kNotFound);
}

TEST(TransferPricingTest, CrossCloudEgressIsBytesTimesTheSendingCloudsPrice) {
  ProviderProfile aws = Load("aws-lambda");
  ProviderProfile gcs = *LoadStoreCloudProfile("gcp").value();
  StoreTransfer t{.bytes_read = 3 * (1LL << 30), .bytes_written = 1LL << 29, .read_requests = 20'000,
                  .write_requests = 3'000, .list_requests = 1'000};
  TransferPrice p = PriceTransfer(aws, &gcs, "gs://bucket/run", t);
  EXPECT_TRUE(p.cross_cloud);
  EXPECT_EQ(p.function_cloud, "aws");
  EXPECT_EQ(p.store_cloud, "gcp");
  // Reads leave Google Cloud ($0.12/GiB), writes leave AWS ($0.09/GiB).
  EXPECT_NEAR(p.transfer_usd, 3 * 0.12 + 0.5 * 0.09, 1e-12);
  EXPECT_NEAR(p.egress_gib, 3.5, 1e-12);
  // Cloud Storage Class A $0.005 / 1,000 (writes and listings), Class B $0.0004 / 1,000.
  EXPECT_NEAR(p.request_usd, 4 * 0.005 + 20 * 0.0004, 1e-12);
  EXPECT_TRUE(p.unpriced.empty());
}

TEST(TransferPricingTest, NoEgressWithinOneCloudOrForALocalStore) {
  ProviderProfile gcp = Load("gcp-functions");
  StoreTransfer t{.bytes_read = 1LL << 30, .bytes_written = 1LL << 30, .read_requests = 1000, .write_requests = 1000};
  TransferPrice same = PriceTransfer(gcp, nullptr, "gs://bucket", t);
  EXPECT_FALSE(same.cross_cloud);
  EXPECT_EQ(same.transfer_usd, 0);
  EXPECT_NEAR(same.request_usd, 0.005 + 0.0004, 1e-12);  // the store's fees stay
  TransferPrice local = PriceTransfer(gcp, nullptr, "file:///tmp/store", t);
  EXPECT_EQ(local.transfer_usd, 0);
  EXPECT_EQ(local.request_usd, 0);
  EXPECT_TRUE(local.unpriced.empty());
}

TEST(TransferPricingTest, MissingPricesAreReportedUnpricedNotFree) {
  ProviderProfile oracle = Load("oracle");
  ProviderProfile s3 = *LoadStoreCloudProfile("aws").value();
  StoreTransfer t{.bytes_read = 1LL << 30, .bytes_written = 1LL << 30, .read_requests = 10, .write_requests = 10};
  TransferPrice p = PriceTransfer(oracle, &s3, "s3://b", t);
  EXPECT_TRUE(p.cross_cloud);
  EXPECT_NEAR(p.transfer_usd, 0.09, 1e-12);  // the reads out of AWS are priced ...
  ASSERT_EQ(p.unpriced.size(), 1u);           // ... the writes out of Oracle's cloud are not
  EXPECT_NE(p.unpriced[0].find("oracle"), std::string::npos) << p.unpriced[0];
  TransferPrice no_store_prices = PriceTransfer(Load("aws-lambda"), nullptr, "az://a/c", t);
  EXPECT_EQ(no_store_prices.unpriced.size(), 2u);  // azure requests and reads out of azure
}

}  // namespace
}  // namespace sl::faas
