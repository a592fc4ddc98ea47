#include "ml/data/cifar10.h"

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "ml/data/registry.h"
#include "ml/data/test_fixtures.h"

namespace sl::ml::data {
namespace {

using testing::CifarRecord;
using testing::Gzip;
using testing::WriteBytes;

// data_batch_b holds 3 records with labels (b + k) % 10, test_batch 4 records.
void MakeCifarDir(const TempDir& dir, bool gzip_last = false) {
  for (int b = 1; b <= 5; ++b) {
    std::string batch;
    for (int k = 0; k < 3; ++k) batch += CifarRecord(static_cast<uint8_t>((b + k) % 10), b * 10 + k);
    const std::string name = fmt::format("data_batch_{}.bin", b);
    if (gzip_last && b == 5) {
      WriteBytes(dir.Join(name + ".gz"), Gzip(batch));
    } else {
      WriteBytes(dir.Join(name), batch);
    }
  }
  std::string test;
  for (int k = 0; k < 4; ++k) test += CifarRecord(static_cast<uint8_t>(k), 100 + k);
  WriteBytes(dir.Join("test_batch.bin"), test);
}

TEST(Cifar10, LoadsAllBatchesInOrderAsChwInUnitRange) {
  TempDir dir("cifar");
  MakeCifarDir(dir, /*gzip_last=*/true);
  auto r = LoadCifar10(dir.path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->train.size(), 15);
  EXPECT_EQ(r->test.size(), 4);
  EXPECT_EQ(r->train.sample_shape, (std::vector<int64_t>{3, 32, 32}));
  EXPECT_EQ(r->train.class_names[0], "airplane");
  EXPECT_EQ(r->train.class_names[9], "truck");
  EXPECT_EQ(r->train.labels[0], 1);   // batch 1, record 0
  EXPECT_EQ(r->train.labels[14], 7);  // batch 5 (gzipped), record 2
  // Record 4 = batch 2 record 1 (seed 21); pixel k = 1500 lies in the green plane.
  EXPECT_FLOAT_EQ(r->train.features[4 * 3072 + 1500], ((21 * 13 + 1500) % 256) / 255.0f);
  EXPECT_EQ(r->test.labels, (std::vector<int64_t>{0, 1, 2, 3}));
}

TEST(Cifar10, ClassNamesComeFromBatchesMetaWhenPresent) {
  TempDir dir("cifar");
  MakeCifarDir(dir);
  WriteBytes(dir.Join("batches.meta.txt"), "c0\nc1\nc2\nc3\nc4\nc5\nc6\nc7\nc8\nc9\n\n");
  auto r = LoadCifar10(dir.path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->train.class_names[3], "c3");
  WriteBytes(dir.Join("batches.meta.txt"), "only\nthree\nnames\n");
  auto bad = LoadCifar10(dir.path());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("batches.meta.txt: expected 10 class names"),
            std::string::npos) << bad.status().ToString();
}

TEST(Cifar10, MissingBatchIsNotFoundNotASmallerDataset) {
  TempDir dir("cifar");
  MakeCifarDir(dir);
  ASSERT_EQ(std::remove(dir.Join("data_batch_3.bin").c_str()), 0);
  auto r = LoadCifar10(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find("data_batch_3.bin"), std::string::npos) << r.status().ToString();
}

TEST(Cifar10, TruncatedRecordReportsIndexAndByteOffset) {
  TempDir dir("cifar");
  MakeCifarDir(dir);
  std::string batch = CifarRecord(1, 1) + CifarRecord(2, 2) + CifarRecord(3, 3).substr(0, 100);
  WriteBytes(dir.Join("data_batch_2.bin"), batch);
  auto r = LoadCifar10(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_NE(r.status().message().find(dir.Join("data_batch_2.bin") +
                                      ": truncated record 2 at byte offset 6146: has 100 of 3073"),
            std::string::npos) << r.status().ToString();
  WriteBytes(dir.Join("data_batch_2.bin"), "");
  auto r2 = LoadCifar10(dir.path());
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), Code::kDataLoss);
  EXPECT_NE(r2.status().message().find("empty CIFAR-10 batch"), std::string::npos);
}

TEST(Cifar10, LabelOutOfRangeNamesRecordAndOffset) {
  TempDir dir("cifar");
  MakeCifarDir(dir);
  WriteBytes(dir.Join("test_batch.bin"), CifarRecord(0, 0) + CifarRecord(10, 1));
  auto r = LoadCifar10(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find(dir.Join("test_batch.bin") +
                                      ": record 1 at byte offset 3073: label 10 is out of range"),
            std::string::npos) << r.status().ToString();
}

TEST(Cifar10, RegistryNormalizesPerChannel) {
  TempDir dir("cifar");
  MakeCifarDir(dir);
  DatasetOptions o;
  o.name = "cifar10";
  o.path = dir.path();
  o.validation_fraction = 0.0;
  auto r = LoadDataset(o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->train.size(), 15);
  EXPECT_EQ(r->validation.size(), 0);
  ASSERT_TRUE(r->normalization.has_value());
  ASSERT_EQ(r->normalization->mean.size(), 3u);
  // After normalisation each channel of the train split has mean ~0 and std ~1.
  for (int c = 0; c < 3; ++c) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < r->train.size(); ++i) {
      for (int k = 0; k < 1024; ++k) {
        const double v = r->train.features[i * 3072 + c * 1024 + k];
        sum += v;
        sq += v * v;
      }
    }
    const double n = 15.0 * 1024;
    EXPECT_NEAR(sum / n, 0.0, 1e-4) << "channel " << c;
    EXPECT_NEAR(sq / n, 1.0, 1e-3) << "channel " << c;
  }
}

}  // namespace
}  // namespace sl::ml::data
