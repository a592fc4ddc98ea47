// StraightLinePlacer: Algorithm 1 of the StraightLine paper (Ching et al., "StraightLine: An
// End-to-End Resource-Aware Scheduler for Machine Learning Application Requests"), exactly:
//
//   f_t = request frequency over the sliding window, r_d = request data size (body bytes)
//   if f_t > F and r_d < D            → function
//   else if r_d > D                   → container
//   else if local has capacity (S_F)  → local
//   else if container has capacity (S_D) → container
//   else                              → function
//
// Comparisons are strict as in the paper: f_t == F is not "high frequency", r_d == D is neither
// small nor large and falls to the capacity branch. The first two branches do not look at
// capacity (the paper does not); the chosen tier refuses with RESOURCE_EXHAUSTED if it is full.
// Deployment is outside the paper: when the rule picks a tier that is not deployed, the capacity
// branch runs over the deployed tiers instead and the reason says so. RESOURCE_EXHAUSTED when the
// last branch is reached and the function tier is full or absent too.
// Decision::reason states the comparisons that decided, with their values, e.g.
// "f_t=812/s>F=500 and r_d=3.1KB<D=64.0KB", "r_d=80.0KB>D=64.0KB",
// "f_t=1/s<=F=500 and r_d=7.8KB<=D=64.0KB; local has capacity".
// Thread safety: safe from any thread (f_t is lock-free, request_rate.h).
#pragma once
#include <string>

#include "common/clock.h"
#include "serve/placement/request_rate.h"
#include "serve/api/placer.h"

namespace sl::serve {

class StraightLinePlacer final : public Placer {
 public:
  StraightLinePlacer(double frequency_threshold, int64_t size_threshold,
                     std::chrono::nanoseconds window, Clock* clock);
  std::string_view name() const override { return "straightline"; }
  void Observe() override { rate_.Record(clock_->Now()); }
  Decision Place(const PlacementInput& input) override;
  void Completed(const Completion&, const InferenceResponse&) override {}

  // The pure rule, for tests and for callers that have their own f_t.
  Decision Decide(double f_t, const PlacementInput& input) const;
  double FrequencyNow() const;

 private:
  double frequency_threshold_;  // F
  int64_t size_threshold_;      // D
  Clock* clock_;
  RequestRate rate_;
};

}  // namespace sl::serve
