#include "ml/progress.h"

#include <gtest/gtest.h>

namespace sl::ml {
namespace {

ProgressEvent Event(int64_t step, int64_t total, double eta) {
  ProgressEvent e;
  e.phase = "train";
  e.epoch = 1;
  e.epochs = 1;
  e.batch = step;
  e.batches = total;
  e.step = step;
  e.total_steps = total;
  e.elapsed_seconds = 12;
  e.eta_seconds = eta;
  return e;
}

TEST(Progress, TheLastStepSaysDoneNeverZeroMicroseconds) {
  const std::string line = ConsoleProgress::Format(Event(10, 10, 0));
  EXPECT_NE(line.find("ETA done"), std::string::npos) << line;
  EXPECT_EQ(line.find("µs"), std::string::npos) << line;
}

TEST(Progress, AnUnknownOrSubSecondEtaIsSaidSo) {
  EXPECT_EQ(EtaText(0, false), "-");
  EXPECT_EQ(EtaText(0.004, false), "<1 s");
  EXPECT_NE(ConsoleProgress::Format(Event(3, 10, 2.5)).find("ETA 2.50 s"), std::string::npos);
}

TEST(Progress, AnOverallEtaIsShownWhenThePhaseIsPartOfALongerJob) {
  ProgressEvent e = Event(3, 10, 30);
  EXPECT_EQ(ConsoleProgress::Format(e).find("overall"), std::string::npos);
  e.phase = "fold 2/20";
  e.overall_eta_seconds = 30 + 18 * 42;
  const std::string line = ConsoleProgress::Format(e);
  EXPECT_NE(line.find("overall ETA 13m06s"), std::string::npos) << line;
}

}  // namespace
}  // namespace sl::ml
