#include "common/host_cpu.h"

#include <charconv>

#include "common/file_util.h"

namespace sl {

Result<CpuTimes> ParseProcStatCpu(std::string_view text) {
  if (text.substr(0, 4) != "cpu ") return InvalidArgument("/proc/stat: the first line is not the aggregate 'cpu ' line");
  std::string_view line = text.substr(4, text.find('\n') == std::string_view::npos ? text.size() - 4 : text.find('\n') - 4);
  // user nice system idle iowait irq softirq steal [guest guest_nice]
  static constexpr const char* kFields[] = {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};
  uint64_t v[8] = {};
  size_t pos = 0;
  for (int i = 0; i < 8; ++i) {
    while (pos < line.size() && line[pos] == ' ') ++pos;
    const char* begin = line.data() + pos;
    const char* end = line.data() + line.size();
    auto [ptr, ec] = std::from_chars(begin, end, v[i]);
    if (ec != std::errc() || ptr == begin) {
      // Kernels before 2.6.11 have no steal field; anything shorter than 'irq softirq' is not /proc/stat.
      if (i >= 7) break;
      return InvalidArgument("/proc/stat: field '{}' of the 'cpu' line is missing or not a number", kFields[i]);
    }
    pos = static_cast<size_t>(ptr - line.data());
  }
  CpuTimes t;
  for (uint64_t x : v) t.total += x;
  t.busy = t.total - v[3] - v[4];
  return t;
}

HostCpuMeter::HostCpuMeter(Clock* clock, Nanos period, Reader read)
    : clock_(clock != nullptr ? clock : Clock::Real()), period_(period), read_(std::move(read)) {
  if (!read_) read_ = [] { return ReadFileToString("/proc/stat"); };
}

double HostCpuMeter::BusyFraction() {
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return busy_.load();
  const TimePoint now = clock_->Now();
  if (have_sample_ && now - last_at_ < period_) return busy_.load();
  Result<std::string> text = read_();
  Result<CpuTimes> t = text.ok() ? ParseProcStatCpu(*text) : Result<CpuTimes>(text.status());
  if (!t.ok()) {
    have_sample_ = false;
    busy_.store(-1);
    return -1;
  }
  if (have_sample_ && t->total > last_.total && t->busy >= last_.busy) {
    busy_.store(static_cast<double>(t->busy - last_.busy) / static_cast<double>(t->total - last_.total));
  }
  last_ = *t;
  last_at_ = now;
  have_sample_ = true;
  return busy_.load();
}

}  // namespace sl
