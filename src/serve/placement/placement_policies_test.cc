#include "serve/placement/placement_policies.h"

#include <gtest/gtest.h>

#include <vector>

namespace sl::serve {
namespace {

TierState Tier(TierKind kind, int64_t inflight, int64_t capacity, bool available = true) {
  TierState s;
  s.kind = kind;
  s.available = available;
  s.inflight = inflight;
  s.capacity = capacity;
  s.replicas = 1;
  return s;
}

TEST(PlacementPoliciesTest, MakesEveryNamedPolicy) {
  for (const std::string& name : PlacementPolicyNames()) {
    PlacerOptions o;
    o.policy = name;
    auto p = MakePlacer(o);
    ASSERT_TRUE(p.ok()) << name << ": " << p.status().ToString();
    EXPECT_EQ((*p)->name(), name);
  }
}

TEST(PlacementPoliciesTest, RejectsBadOptionsNamingThem) {
  PlacerOptions o;
  o.policy = "random";
  auto p = MakePlacer(o);
  EXPECT_EQ(p.status().code(), Code::kInvalidArgument);
  EXPECT_NE(p.status().message().find("'random'"), std::string::npos);
  o = {};
  o.frequency_threshold = -1;
  EXPECT_EQ(MakePlacer(o).status().code(), Code::kInvalidArgument);
  o = {};
  o.size_threshold = -1;
  EXPECT_EQ(MakePlacer(o).status().code(), Code::kInvalidArgument);
  o = {};
  o.window = std::chrono::milliseconds(0);
  EXPECT_EQ(MakePlacer(o).status().code(), Code::kInvalidArgument);
  o = {};
  o.cost_budget_usd = -1;
  EXPECT_EQ(MakePlacer(o).status().code(), Code::kInvalidArgument);
}

TEST(PlacementPoliciesTest, FixedPolicyUsesItsTierOrRefuses) {
  PlacerOptions o;
  o.policy = "container";
  auto p = MakePlacer(o);
  ASSERT_TRUE(p.ok());
  std::vector<TierState> tiers = {Tier(TierKind::kLocal, 0, 8), Tier(TierKind::kContainer, 3, 4)};
  PlacementInput in;
  in.tiers = tiers;
  Decision d = (*p)->Place(in);
  ASSERT_TRUE(d.status.ok());
  EXPECT_EQ(d.tier, TierKind::kContainer);
  tiers[1].inflight = 4;  // full
  d = (*p)->Place(in);
  EXPECT_EQ(d.status.code(), Code::kResourceExhausted);
  EXPECT_NE(d.status.message().find("container tier is full"), std::string::npos) << d.status.message();
  o.policy = "function";  // not deployed
  auto f = MakePlacer(o);
  EXPECT_EQ((*f)->Place(in).status.code(), Code::kUnavailable);
}

TEST(PlacementPoliciesTest, FormatsSizes) {
  EXPECT_EQ(FormatBytes(812), "812B");
  EXPECT_EQ(FormatBytes(3174), "3.1KB");
  EXPECT_EQ(FormatBytes(2 * 1024 * 1024), "2.0MB");
}

}  // namespace
}  // namespace sl::serve
