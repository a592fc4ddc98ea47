#include "serve/placement/straightline_placer.h"

#include <fmt/format.h>

#include "serve/placement/placement_policies.h"

namespace sl::serve {

StraightLinePlacer::StraightLinePlacer(double frequency_threshold, int64_t size_threshold,
                                       std::chrono::nanoseconds window, Clock* clock)
    : frequency_threshold_(frequency_threshold), size_threshold_(size_threshold),
      clock_(clock != nullptr ? clock : Clock::Real()), rate_(window) {}

double StraightLinePlacer::FrequencyNow() const { return rate_.PerSecond(clock_->Now()); }

Decision StraightLinePlacer::Place(const PlacementInput& input) {
  return Decide(FrequencyNow(), input);
}

Decision StraightLinePlacer::Decide(double f_t, const PlacementInput& input) const {
  const double F = frequency_threshold_;
  const int64_t D = size_threshold_;
  const int64_t r_d = input.wire_bytes;
  const std::string f_txt = fmt::format("f_t={:.0f}/s", f_t);
  const std::string r_txt = "r_d=" + FormatBytes(r_d);
  const std::string F_txt = fmt::format("F={:.0f}", F);
  const std::string D_txt = "D=" + FormatBytes(D);
  auto deployed = [&](TierKind k) {
    const TierState* s = FindTier(input.tiers, k);
    return s != nullptr && s->available;
  };
  auto has_capacity = [&](TierKind k) {
    const TierState* s = FindTier(input.tiers, k);
    return s != nullptr && s->HasCapacity();
  };

  Decision d;
  std::string why;
  // Lines 1-4 of Algorithm 1.
  if (f_t > F && r_d < D) {
    d.tier = TierKind::kFunction;
    d.reason = fmt::format("{}>{} and {}<{}", f_txt, F_txt, r_txt, D_txt);
    d.rule = "frequent_small";
    if (deployed(d.tier)) return d;
    why = "; function not deployed";
  } else if (r_d > D) {
    d.tier = TierKind::kContainer;
    d.reason = fmt::format("{}>{}", r_txt, D_txt);
    d.rule = "large";
    if (deployed(d.tier)) return d;
    why = "; container not deployed";
  }
  // Lines 5-11: the capacity branch (S_F, then S_D, then function). The reason names the
  // clauses that held, not the negated rule: not frequent-and-small because f_t<=F (or, when
  // f_t>F, because r_d>=D), and not large because r_d<=D.
  std::string prefix;
  if (!why.empty()) {
    prefix = d.reason + why + "; ";
  } else if (f_t <= F) {
    prefix = fmt::format("{}<={} and {}<={}; ", f_txt, F_txt, r_txt, D_txt);
  } else {
    prefix = fmt::format("{}>{} but {}={}; ", f_txt, F_txt, r_txt, D_txt);  // r_d == D
  }
  if (has_capacity(TierKind::kLocal)) {
    d.tier = TierKind::kLocal;
    d.reason = prefix + "local has capacity";
    d.rule = "local_capacity";
    return d;
  }
  if (has_capacity(TierKind::kContainer)) {
    d.tier = TierKind::kContainer;
    d.reason = prefix + "local full, container has capacity";
    d.rule = "container_capacity";
    return d;
  }
  d.tier = TierKind::kFunction;
  d.reason = prefix + "local and container full";
  d.rule = "overflow";
  if (!has_capacity(TierKind::kFunction)) {
    d.status = ResourceExhausted("placement 'straightline': every tier is full ({}, {})", f_txt,
                                 r_txt);
    d.reason += ", function full";
  }
  return d;
}

}  // namespace sl::serve
