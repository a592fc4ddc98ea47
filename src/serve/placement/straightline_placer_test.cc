#include "serve/placement/straightline_placer.h"

#include <gtest/gtest.h>

#include <vector>

namespace sl::serve {
namespace {

constexpr double kF = 500;
constexpr int64_t kD = 64 * 1024;

TierState State(TierKind kind, bool has_capacity) {
  TierState s;
  s.kind = kind;
  s.available = true;
  s.capacity = 4;
  s.inflight = has_capacity ? 1 : 4;
  s.replicas = 1;
  s.max_replicas = 4;
  return s;
}

struct Fixture {
  FakeClock clock;
  StraightLinePlacer placer{kF, kD, std::chrono::seconds(1), &clock};
  std::vector<TierState> tiers = {State(TierKind::kLocal, true), State(TierKind::kContainer, true),
                                  State(TierKind::kFunction, true)};
  Decision Run(double f_t, int64_t r_d) {
    PlacementInput in;
    in.wire_bytes = r_d;
    in.tiers = tiers;
    return placer.Decide(f_t, in);
  }
};

TEST(StraightLinePolicyTest, HighFrequencySmallRequestGoesToFunction) {
  Fixture f;
  Decision d = f.Run(812, 3174);
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.tier, TierKind::kFunction);
  EXPECT_EQ(d.reason, "f_t=812/s>F=500 and r_d=3.1KB<D=64.0KB");
}

TEST(StraightLinePolicyTest, LargeRequestGoesToContainerAtAnyFrequency) {
  Fixture f;
  EXPECT_EQ(f.Run(812, kD + 1).tier, TierKind::kContainer);
  Decision d = f.Run(10, kD + 1);
  EXPECT_EQ(d.tier, TierKind::kContainer);
  EXPECT_EQ(d.reason, "r_d=64.0KB>D=64.0KB");
}

TEST(StraightLinePolicyTest, LargeRequestGoesToContainerEvenWhenItIsFull) {
  Fixture f;
  f.tiers[1] = State(TierKind::kContainer, false);
  Decision d = f.Run(10, kD * 2);
  EXPECT_TRUE(d.status.ok());
  EXPECT_EQ(d.tier, TierKind::kContainer);  // Algorithm 1 does not check S_D on this branch
}

TEST(StraightLinePolicyTest, LowFrequencySmallRequestGoesLocal) {
  Fixture f;
  Decision d = f.Run(100, 1000);
  EXPECT_EQ(d.tier, TierKind::kLocal);
  EXPECT_NE(d.reason.find("local has capacity"), std::string::npos) << d.reason;
}

TEST(StraightLinePolicyTest, CapacityBranchReasonNamesTheClausesThatHeld) {
  Fixture f;
  // Infrequent: f_t<=F decided against the function tier, r_d<=D against the container.
  EXPECT_EQ(f.Run(1, 8000).reason, "f_t=1/s<=F=500 and r_d=7.8KB<=D=64.0KB; local has capacity");
  // Frequent but exactly D: neither small nor large.
  EXPECT_EQ(f.Run(812, kD).reason, "f_t=812/s>F=500 but r_d=64.0KB=D=64.0KB; local has capacity");
  f.tiers[0] = State(TierKind::kLocal, false);
  EXPECT_EQ(f.Run(1, 8000).reason,
            "f_t=1/s<=F=500 and r_d=7.8KB<=D=64.0KB; local full, container has capacity");
  // The rule itself ("f_t<=F or r_d>=D") is never printed.
  EXPECT_EQ(f.Run(1, 8000).reason.find(" or "), std::string::npos);
}

TEST(StraightLinePolicyTest, FrequencyEqualToFIsNotHigh) {
  Fixture f;
  EXPECT_EQ(f.Run(kF, 1000).tier, TierKind::kLocal);
  EXPECT_EQ(f.Run(kF + 0.5, 1000).tier, TierKind::kFunction);
}

TEST(StraightLinePolicyTest, SizeEqualToDFallsToTheCapacityBranch) {
  Fixture f;
  EXPECT_EQ(f.Run(812, kD).tier, TierKind::kLocal);   // not < D: not function
  EXPECT_EQ(f.Run(10, kD).tier, TierKind::kLocal);    // not > D: not container
  EXPECT_EQ(f.Run(812, kD - 1).tier, TierKind::kFunction);
}

TEST(StraightLinePolicyTest, LocalFullGoesToContainerWithCapacity) {
  Fixture f;
  f.tiers[0] = State(TierKind::kLocal, false);
  Decision d = f.Run(100, 1000);
  EXPECT_EQ(d.tier, TierKind::kContainer);
  EXPECT_NE(d.reason.find("local full, container has capacity"), std::string::npos) << d.reason;
}

TEST(StraightLinePolicyTest, LocalAndContainerFullGoesToFunction) {
  Fixture f;
  f.tiers[0] = State(TierKind::kLocal, false);
  f.tiers[1] = State(TierKind::kContainer, false);
  Decision d = f.Run(100, kD);
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.tier, TierKind::kFunction);
}

TEST(StraightLinePolicyTest, EveryTierFullIsResourceExhausted) {
  Fixture f;
  for (auto& s : f.tiers) s = State(s.kind, false);
  Decision d = f.Run(100, 1000);
  EXPECT_EQ(d.status.code(), Code::kResourceExhausted);
}

TEST(StraightLinePolicyTest, UndeployedFunctionFallsToCapacityBranch) {
  Fixture f;
  f.tiers.pop_back();
  Decision d = f.Run(812, 1000);
  EXPECT_EQ(d.tier, TierKind::kLocal);
  EXPECT_NE(d.reason.find("function not deployed"), std::string::npos) << d.reason;
  f.tiers[0] = State(TierKind::kLocal, false);
  f.tiers[1] = State(TierKind::kContainer, false);
  EXPECT_EQ(f.Run(100, 1000).status.code(), Code::kResourceExhausted);
}

TEST(StraightLinePolicyTest, ObserveFeedsTheFrequency) {
  Fixture f;
  for (int i = 0; i < 501; ++i) f.placer.Observe();
  PlacementInput in;
  in.wire_bytes = 1000;
  in.tiers = f.tiers;
  EXPECT_DOUBLE_EQ(f.placer.FrequencyNow(), 501.0);
  EXPECT_EQ(f.placer.Place(in).tier, TierKind::kFunction);
  f.clock.Advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(f.placer.Place(in).tier, TierKind::kLocal);
}

}  // namespace
}  // namespace sl::serve
