#include "serve/sim/cpu_pool.h"

#include <algorithm>

namespace sl::serve::sim {

CpuPool::CpuPool(EventLoop* loop, double cores)
    : loop_(loop), cores_(std::max(1e-6, cores)), last_(loop->Now()) {}

double CpuPool::Rate() const {
  const double n = static_cast<double>(jobs_.size());
  return n <= cores_ ? 1.0 : cores_ / n;
}

double CpuPool::busy_cpu_ms() const {
  const double dt = std::chrono::duration<double, std::milli>(loop_->Now() - last_).count();
  return busy_ms_ + dt * std::min(static_cast<double>(jobs_.size()), cores_);
}

void CpuPool::Advance() {
  const TimePoint now = loop_->Now();
  const double dt = std::chrono::duration<double, std::milli>(now - last_).count();
  if (dt > 0 && !jobs_.empty()) {
    v_ += dt * Rate();
    busy_ms_ += dt * std::min(static_cast<double>(jobs_.size()), cores_);
  }
  last_ = now;
}

void CpuPool::Run(double cpu_ms, std::function<void()> done) {
  Advance();
  jobs_.push(Job{v_ + std::max(0.0, cpu_ms), seq_++, std::move(done)});
  Aim();
}

void CpuPool::Aim() {
  const uint64_t gen = ++generation_;
  if (jobs_.empty()) return;
  const double left = std::max(0.0, jobs_.top().finish_v - v_);
  loop_->AfterMs(left / Rate(), [this, gen] { Complete(gen); });
}

void CpuPool::Complete(uint64_t generation) {
  if (generation != generation_) return;  // re-aimed since
  Advance();
  std::vector<std::function<void()>> finished;
  // Rounding: whatever is within a nanosecond of done is done.
  while (!jobs_.empty() && jobs_.top().finish_v <= v_ + 1e-6) {
    finished.push_back(std::move(const_cast<Job&>(jobs_.top()).done));
    jobs_.pop();
  }
  Aim();
  for (auto& f : finished) f();
}

}  // namespace sl::serve::sim
