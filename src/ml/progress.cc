#include "ml/progress.h"

#include <unistd.h>

#include <fmt/format.h>

#include "common/file_util.h"

namespace sl::ml {

namespace {
constexpr double kPlainLineSeconds = 10.0;  // non-TTY: one line per 10 s and per epoch
}

ConsoleProgress::ConsoleProgress(std::FILE* out, std::optional<bool> tty, Clock* clock)
    : out_(out), tty_(tty.has_value() ? *tty : isatty(fileno(out)) != 0), clock_(clock) {}

std::string EtaText(double eta_seconds, bool done) {
  if (done) return "done";
  if (!(eta_seconds > 0)) return "-";
  if (eta_seconds < 1) return "<1 s";
  return HumanSeconds(eta_seconds);
}

std::string ConsoleProgress::Format(const ProgressEvent& e) {
  const bool done = e.total_steps > 0 && e.step >= e.total_steps;
  std::string out = fmt::format("{} epoch {}/{} batch {}/{} loss {:.4f} {:.0f} samples/s elapsed {} ETA {}",
                                e.phase, e.epoch, e.epochs, e.batch, e.batches, e.loss, e.samples_per_second,
                                HumanSeconds(e.elapsed_seconds), EtaText(e.eta_seconds, done));
  if (e.overall_eta_seconds >= 0) {
    out += fmt::format(", overall ETA {}", EtaText(e.overall_eta_seconds, done && e.overall_eta_seconds <= 0));
  }
  return out;
}

void ConsoleProgress::Update(const ProgressEvent& e) {
  if (tty_) {
    fmt::print(out_, "\r\033[K{}", Format(e));
    std::fflush(out_);
    line_open_ = true;
    return;
  }
  TimePoint now = clock_->Now();
  if (last_plain_line_ && SecondsBetween(*last_plain_line_, now) < kPlainLineSeconds) return;
  last_plain_line_ = now;
  fmt::print(out_, "{}\n", Format(e));
  std::fflush(out_);
}

void ConsoleProgress::EpochDone(const ProgressEvent& e) {
  if (tty_) fmt::print(out_, "\r\033[K");
  fmt::print(out_, "{}\n", Format(e));
  std::fflush(out_);
  line_open_ = false;
  last_plain_line_ = clock_->Now();
}

void ConsoleProgress::Finish() {
  if (line_open_) fmt::print(out_, "\n");
  line_open_ = false;
  std::fflush(out_);
}

}  // namespace sl::ml
