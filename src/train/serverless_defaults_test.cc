#include "train/serverless_defaults.h"

#include <cmath>

#include <gtest/gtest.h>

namespace sl::train {
namespace {

TEST(ServerlessDefaults, TwoAndEightWorkersOnFashionMnistGetTheMeasuredSettings) {
  // 54,000 train samples (60,000 less the 10 % validation share), batch 64, --lr 1e-3.
  ServerlessDefaults two = ChooseServerlessDefaults(2, 54000, 64, 1e-3);
  EXPECT_NEAR(two.lr, 1e-3 * std::sqrt(2.0), 1e-12);
  EXPECT_EQ(two.server_momentum, 0.5);
  EXPECT_EQ(two.rounds_per_epoch, 4);
  EXPECT_EQ(two.lr_schedule, "tail");
  ServerlessDefaults eight = ChooseServerlessDefaults(8, 54000, 64, 1e-3);
  EXPECT_NEAR(eight.lr, 1e-3 * std::sqrt(8.0), 1e-12);
  EXPECT_EQ(eight.server_momentum, 0.5);
  EXPECT_EQ(eight.rounds_per_epoch, 16);  // 105 local steps per epoch / 16 = 6.6 per round
  EXPECT_EQ(eight.rounds_note, "--rounds-per-epoch 16 (2 x workers)");
  EXPECT_EQ(eight.lr_note, "--lr 0.00283 (x sqrt(8))");
  EXPECT_EQ(eight.momentum_note, "--server-momentum 0.5");
  EXPECT_EQ(eight.schedule_note, "--lr-schedule tail");
}

TEST(ServerlessDefaults, OneWorkerIsTheSingleProcessRecipe) {
  ServerlessDefaults one = ChooseServerlessDefaults(1, 54000, 64, 1e-3);
  EXPECT_EQ(one.lr, 1e-3);
  EXPECT_EQ(one.server_momentum, 0.0);
  EXPECT_EQ(one.rounds_per_epoch, 4);
  EXPECT_EQ(one.rounds_note, "--rounds-per-epoch 4 (at least 4)");
  EXPECT_EQ(one.lr_note, "--lr 0.001");
}

TEST(ServerlessDefaults, SmallDataGetsFewerRoundsSoEveryRoundHasLocalSteps) {
  // 2,000 samples over 8 workers at batch 64: 3 local steps per epoch; one round per epoch.
  ServerlessDefaults d = ChooseServerlessDefaults(8, 2000, 64, 1e-3);
  EXPECT_EQ(d.rounds_per_epoch, 1);
  EXPECT_NE(d.rounds_note.find("at least 6 local steps per round"), std::string::npos) << d.rounds_note;
  // 16 workers on 54,000: 52 steps per epoch, so 8 rounds, not 32.
  EXPECT_EQ(ChooseServerlessDefaults(16, 54000, 64, 1e-3).rounds_per_epoch, 8);
  // Unknown size: the workers alone decide.
  EXPECT_EQ(ChooseServerlessDefaults(8, 0, 64, 1e-3).rounds_per_epoch, 16);
}

}  // namespace
}  // namespace sl::train
