// ScaledClock: a clock that runs `speed` times faster than its base, for a replay at --speed K
// (replay_plan.h): the embedded platform's keep-alive decisions read it, so a policy that keeps an
// instance 10 minutes keeps it 10 trace minutes, 600/K real seconds.
//
// Now() = origin + speed x (base.Now() - origin), origin being the base's time at construction;
// SleepFor(d) sleeps d / speed on the base. WallNow() is the base's (ledger timestamps stay real).
// Thread safety: immutable after construction; safe from any thread if the base is.
#pragma once

#include "common/clock.h"

namespace sl::trace {

class ScaledClock final : public Clock {
 public:
  ScaledClock(double speed, Clock* base) : speed_(speed), base_(base), origin_(base->Now()) {}
  TimePoint Now() const override {
    const Nanos real = base_->Now() - origin_;
    return origin_ + Nanos(static_cast<int64_t>(static_cast<double>(real.count()) * speed_));
  }
  WallTime WallNow() const override { return base_->WallNow(); }
  void SleepFor(Nanos d) override {
    base_->SleepFor(Nanos(static_cast<int64_t>(static_cast<double>(d.count()) / speed_)));
  }
  double speed() const { return speed_; }

 private:
  const double speed_;
  Clock* const base_;
  const TimePoint origin_;
};

}  // namespace sl::trace
