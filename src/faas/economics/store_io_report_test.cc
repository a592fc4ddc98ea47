// The store-I/O report (store_io_report.h): a function's "store_io" response field becomes ledger
// fields, priced under its profile; anything else leaves the record untouched; the fields
// round-trip through a ledger line and are absent from lines without them.
#include "faas/economics/store_io_report.h"

#include <gtest/gtest.h>

#include "faas/economics/ledger.h"

namespace sl::faas {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

TEST(StoreIoReportTest, AFunctionsReportIsCountedAndPricedInItsLedgerRecord) {
  auto aws = LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(aws.ok());
  InvocationRecord rec;
  RecordStoreIo(*aws,
                R"({"samples": 10, "store_io": {"store": "gs://b/run", "bytes_read": 2147483648,
                    "bytes_written": 1073741824, "read_requests": 2000, "write_requests": 1000,
                    "list_requests": 0}})",
                &rec);
  EXPECT_EQ(rec.store, "gs://b/run");
  EXPECT_EQ(rec.store_bytes_read, 2LL << 30);
  EXPECT_EQ(rec.store_write_requests, 1000);
  // 2 GiB out of Google Cloud at $0.12, 1 GiB out of AWS at $0.09; Class A/B fees.
  EXPECT_NEAR(rec.transfer_usd, 2 * 0.12 + 1 * 0.09, 1e-12);
  EXPECT_NEAR(rec.store_request_usd, 1 * 0.005 + 2 * 0.0004, 1e-12);

  auto gcp = LoadProviderProfile("gcp-functions");
  ASSERT_TRUE(gcp.ok());
  InvocationRecord same;
  RecordStoreIo(*gcp, R"({"store_io": {"store": "gs://b/run", "bytes_read": 1073741824, "read_requests": 1}})", &same);
  EXPECT_EQ(same.transfer_usd, 0);
  EXPECT_NEAR(same.store_request_usd, 0.0004 / 1000, 1e-15);
  EXPECT_NEAR(static_cast<double>(same.store_bytes_read) / kGiB, 1.0, 1e-12);
}

TEST(StoreIoReportTest, ResponsesWithoutAValidReportLeaveTheRecordAlone) {
  auto aws = LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(aws.ok());
  for (const char* payload : {"", "not json \"store_io\"", "[1,2]", R"({"store_io": 5})", R"({"store_io": {}})",
                              R"({"store_io": {"store": ""}})", R"({"store_io": {"store": 7}})", R"({"x": 1})",
                              R"({"store_io": {"store": "file:///tmp/s", "bytes_read": 10}})"}) {
    InvocationRecord rec;
    RecordStoreIo(*aws, payload, &rec);
    EXPECT_EQ(rec.store, "") << payload;
    EXPECT_EQ(rec.transfer_usd, 0) << payload;
  }
  InvocationRecord negative;
  RecordStoreIo(*aws, R"({"store_io": {"store": "s3://b", "bytes_read": -5, "bytes_written": "x"}})", &negative);
  EXPECT_EQ(negative.store_bytes_read, 0);
  EXPECT_EQ(negative.store_bytes_written, 0);
}

TEST(StoreIoReportTest, LedgerLinesCarryTheFieldsOnlyWhenReported) {
  InvocationRecord rec;
  rec.request_id = "r1";
  rec.function = "f";
  rec.provider = "aws-lambda";
  rec.memory_mb = 128;
  EXPECT_FALSE(RecordToJson(rec).contains("store"));
  rec.store = "az://a/c";
  rec.store_bytes_read = 42;
  rec.store_list_requests = 3;
  rec.transfer_usd = 0.5;
  rec.store_request_usd = 0.25;
  auto back = RecordFromJson(RecordToJson(rec), "line 1");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->store, "az://a/c");
  EXPECT_EQ(back->store_bytes_read, 42);
  EXPECT_EQ(back->store_list_requests, 3);
  EXPECT_DOUBLE_EQ(back->transfer_usd, 0.5);
  EXPECT_DOUBLE_EQ(back->store_request_usd, 0.25);
}

}  // namespace
}  // namespace sl::faas
