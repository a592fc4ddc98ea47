// Training progress: the trainer reports to a ProgressSink; ConsoleProgress draws it on stderr
// (one line rewritten in place on a TTY, a periodic plain line otherwise).
// Thread safety: a sink is called from the training thread only.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "common/clock.h"

namespace sl::ml {

struct ProgressEvent {
  std::string phase;          // "train", "fold 3/5", ...
  int64_t epoch = 0;          // 1-based
  int64_t epochs = 0;
  int64_t batch = 0;          // 1-based within the epoch
  int64_t batches = 0;        // per epoch
  int64_t step = 0;           // optimizer steps so far in this Train() call
  int64_t total_steps = 0;
  double loss = 0;            // mean training loss over the epoch so far
  double samples_per_second = 0;
  double elapsed_seconds = 0;
  double eta_seconds = 0;
  // The whole job's remaining time when this Train() call is one part of it (k-fold: every fold
  // left); < 0: none.
  double overall_eta_seconds = -1;
};

// "ETA" text: "done" once the last step is reported, "-" while unknown (no step measured yet),
// "<1 s" below a second, else HumanSeconds (never "0 µs").
std::string EtaText(double eta_seconds, bool done);

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // Called at most every interval_seconds() and on the last batch of every epoch.
  virtual void Update(const ProgressEvent& e) = 0;
  virtual void EpochDone(const ProgressEvent& e) { (void)e; }
  // Called once when the Train() call ends.
  virtual void Finish() {}
  virtual double interval_seconds() const { return 0.25; }
};

class ConsoleProgress : public ProgressSink {
 public:
  // tty: force the TTY / non-TTY style; default detects isatty(fileno(out)).
  explicit ConsoleProgress(std::FILE* out = stderr, std::optional<bool> tty = std::nullopt,
                           Clock* clock = Clock::Real());
  void Update(const ProgressEvent& e) override;
  void EpochDone(const ProgressEvent& e) override;
  void Finish() override;
  double interval_seconds() const override { return tty_ ? 0.25 : 0.0; }

  static std::string Format(const ProgressEvent& e);

 private:
  std::FILE* out_;
  bool tty_;
  Clock* clock_;
  bool line_open_ = false;
  std::optional<TimePoint> last_plain_line_;
};

}  // namespace sl::ml
