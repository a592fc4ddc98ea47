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

std::string ConsoleProgress::Format(const ProgressEvent& e) {
  return fmt::format("{} epoch {}/{} batch {}/{} loss {:.4f} {:.0f} samples/s elapsed {} ETA {}",
                     e.phase, e.epoch, e.epochs, e.batch, e.batches, e.loss, e.samples_per_second,
                     HumanSeconds(e.elapsed_seconds), HumanSeconds(e.eta_seconds));
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
