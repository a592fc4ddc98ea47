#include "train/server_optimizer.h"

#include <gtest/gtest.h>

namespace sl::train {
namespace {

TEST(ServerOptimizer, PlainAverageReturnsTheAverage) {
  ServerOptimizer opt;
  ASSERT_TRUE(opt.IsPlainAverage());
  std::vector<float> global = {1, 2, 3}, velocity;
  ASSERT_TRUE(ApplyServerStep(opt, std::vector<float>{2, 2, 0}, &global, &velocity).ok());
  EXPECT_EQ(global, (std::vector<float>{2, 2, 0}));
}

TEST(ServerOptimizer, MomentumAccumulatesConsistentChanges) {
  ServerOptimizer opt{.lr = 1.0, .momentum = 0.5};
  std::vector<float> global = {0}, velocity;
  // Every round the workers move the model by +1 from where it is.
  ASSERT_TRUE(ApplyServerStep(opt, std::vector<float>{1}, &global, &velocity).ok());
  EXPECT_FLOAT_EQ(global[0], 1.0f);    // v = 1
  ASSERT_TRUE(ApplyServerStep(opt, std::vector<float>{2}, &global, &velocity).ok());
  EXPECT_FLOAT_EQ(velocity[0], 1.5f);  // v = 0.5 * 1 + 1
  EXPECT_FLOAT_EQ(global[0], 2.5f);
  ServerOptimizer scaled{.lr = 2.0, .momentum = 0.0};
  std::vector<float> g2 = {1}, v2;
  ASSERT_TRUE(ApplyServerStep(scaled, std::vector<float>{1.5f}, &g2, &v2).ok());
  EXPECT_FLOAT_EQ(g2[0], 2.0f);
}

TEST(ServerOptimizer, RejectsBadSettingsAndSizes) {
  std::vector<float> global = {0, 0}, velocity;
  EXPECT_EQ(ApplyServerStep({.lr = 0}, std::vector<float>{1, 1}, &global, &velocity).code(),
            Code::kInvalidArgument);
  EXPECT_EQ(ApplyServerStep({.momentum = 1.0}, std::vector<float>{1, 1}, &global, &velocity).code(),
            Code::kInvalidArgument);
  Status s = ApplyServerStep({}, std::vector<float>{1}, &global, &velocity);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("average has 1 parameters"), std::string::npos) << s.message();
}

TEST(ServerOptimizer, VelocityRoundTripsAndCorruptionIsDetected) {
  std::vector<float> v = {0.5f, -1.25f, 3.0f};
  std::string bytes = EncodeVelocity(v, 7);
  auto back = DecodeVelocity(bytes, 7, 3, "models/v0007.velocity");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, v);
  EXPECT_EQ(DecodeVelocity(bytes, 8, 3, "w").status().code(), Code::kDataLoss);  // other version
  EXPECT_EQ(DecodeVelocity(bytes, 7, 4, "w").status().code(), Code::kDataLoss);  // other size
  std::string torn = bytes.substr(0, bytes.size() - 2);
  auto st = DecodeVelocity(torn, 7, 3, "models/v0007.velocity").status();
  EXPECT_EQ(st.code(), Code::kDataLoss);
  EXPECT_NE(st.message().find("models/v0007.velocity"), std::string::npos) << st.message();
  std::string flipped = bytes;
  flipped[flipped.size() - 1] ^= 0x40;
  EXPECT_EQ(DecodeVelocity(flipped, 7, 3, "w").status().code(), Code::kDataLoss);
}

}  // namespace
}  // namespace sl::train
