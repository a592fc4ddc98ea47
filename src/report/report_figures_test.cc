#include "report/report_figures.h"

#include <gtest/gtest.h>

#include "report/html_report.h"
#include "report/report_test_fixtures.h"

namespace sl::report {
namespace {

using testing::MakeComparisonJson;
using testing::MakeLedgerText;
using testing::MakeLoadJson;
using testing::MakeManifestJson;
using testing::MakeTimelineLoadJson;
using testing::MakeRecord;

ReportInput Parse(const std::string& source, const std::string& text) {
  auto in = ParseReportInput(source, text);
  EXPECT_TRUE(in.ok()) << in.status().ToString();
  return in.ok() ? *in : ReportInput{};
}

std::vector<std::string> Ids(const std::vector<Figure>& figs) {
  std::vector<std::string> ids;
  for (const auto& f : figs) ids.push_back(f.id);
  return ids;
}

const Figure& Find(const std::vector<Figure>& figs, const std::string& id) {
  for (const auto& f : figs) {
    if (f.id == id) return f;
  }
  static Figure none;
  ADD_FAILURE() << "no figure " << id;
  return none;
}

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

void ExpectCaptionSaysMeasuredAndEmulated(const Figure& f) {
  EXPECT_NE(f.caption.find("easured"), std::string::npos) << f.id;
  EXPECT_NE(f.caption.find("mulated"), std::string::npos) << f.id;
}

TEST(ReportFiguresTest, NoInputsNoFigures) { EXPECT_TRUE(BuildFigures({}).empty()); }

TEST(ReportFiguresTest, TrainingRunGivesTablesVmAndPerRoundFigures) {
  const auto figs = BuildFigures({Parse("runs/a/report.json", MakeRecord(4, 2).ToJson().dump())});
  EXPECT_EQ(Ids(figs), (std::vector<std::string>{"train-time", "train-cost", "train-breakdown", "cost-vs-vm",
                                                 "round-loss", "round-accuracy", "round-time", "round-cost"}));
  for (const auto& f : figs) ExpectCaptionSaysMeasuredAndEmulated(f);
  // Loss: one series of 4 rounds, validation loss and accuracy only where scored (rounds 1 and 3).
  EXPECT_NE(Find(figs, "round-loss").svg.find("data-points=\"4\""), std::string::npos);
  EXPECT_NE(Find(figs, "round-loss").svg.find("data-name=\"a (aws-lambda): validation\" data-points=\"2\""),
            std::string::npos);
  EXPECT_NE(Find(figs, "round-loss").svg.find("(3, 0.25)"), std::string::npos);
  EXPECT_NE(Find(figs, "round-accuracy").svg.find("data-points=\"2\""), std::string::npos);
  EXPECT_NE(Find(figs, "round-accuracy").svg.find("test accuracy of the final model: a (aws-lambda) 0.8750"),
            std::string::npos);
  // Time per task: four series (T_total, T_parallel per task) over one provider.
  const std::string& time = Find(figs, "train-time").svg;
  EXPECT_EQ(Count(time, "<g class=\"series\""), 4);
  EXPECT_NE(time.find(">aws-lambda</text>"), std::string::npos);
  // Cost: preprocess and training only (no transfer on a file:// store).
  EXPECT_EQ(Count(Find(figs, "train-cost").svg, "<g class=\"series\""), 2);
  // VM: the run and the three VM profiles.
  const std::string& vm = Find(figs, "cost-vs-vm").svg;
  EXPECT_NE(vm.find(">ec2-c5.large</text>"), std::string::npos);
  EXPECT_NE(vm.find("data-name=\"functions (billed)\" data-points=\"1\""), std::string::npos);
  EXPECT_NE(vm.find("data-name=\"VM for the job&#39;s wall time\" data-points=\"3\""), std::string::npos);
  // Where the time went: 4 rounds x 2 functions x 7 s of compute; 2 cold starts x 0.2 s of init.
  const std::string& parts = Find(figs, "train-breakdown").svg;
  EXPECT_NE(parts.find("functions: compute: aws-lambda: 56<"), std::string::npos);
  EXPECT_NE(parts.find("functions: init (cold starts): aws-lambda: 0.4<"), std::string::npos);
  EXPECT_EQ(Count(parts, "<g class=\"series\""), 8);
  // Cost so far ends at the whole bill: 0.002 + 4 x 2 x 0.001.
  EXPECT_NE(Find(figs, "round-cost").svg.find("(3, 0.01)"), std::string::npos);
}

TEST(ReportFiguresTest, ComparisonGivesProviderFiguresOnly) {
  const auto figs = BuildFigures({Parse("cmp.json", MakeComparisonJson())});
  EXPECT_EQ(Ids(figs), (std::vector<std::string>{"train-time", "train-cost", "cost-vs-vm"}));
  for (const auto& f : figs) ExpectCaptionSaysMeasuredAndEmulated(f);
  const std::string& time = Find(figs, "train-time").svg;
  EXPECT_NE(time.find(">aws-lambda</text>"), std::string::npos);
  EXPECT_NE(time.find(">gcp-functions</text>"), std::string::npos);
  EXPECT_NE(time.find("data-name=\"training T_total\" data-points=\"2\""), std::string::npos);
}

TEST(ReportFiguresTest, SeveralRunsAreToldApartByLabel) {
  const auto figs = BuildFigures({Parse("runs/a/report.json", MakeRecord(2, 1).ToJson().dump()),
                                  Parse("runs/b/report.json", MakeRecord(3, 1, "gcp-functions").ToJson().dump())});
  EXPECT_NE(Find(figs, "train-time").svg.find(">a: aws-lambda</text>"), std::string::npos);
  EXPECT_NE(Find(figs, "train-time").svg.find(">b: gcp-functions</text>"), std::string::npos);
  const std::string& loss = Find(figs, "round-loss").svg;
  EXPECT_NE(loss.find("data-name=\"a\" data-points=\"2\""), std::string::npos);
  EXPECT_NE(loss.find("data-name=\"b\" data-points=\"3\""), std::string::npos);
  EXPECT_NE(loss.find("data-name=\"b: validation\" data-points=\"1\""), std::string::npos);  // round 1
  EXPECT_NE(Find(figs, "cost-vs-vm").svg.find(">b: ec2-m5.large</text>"), std::string::npos);
}

TEST(ReportFiguresTest, LoadReportGivesLatencyFailuresAndPlacements) {
  const auto figs = BuildFigures({Parse("load.json", MakeLoadJson())});
  EXPECT_EQ(Ids(figs), (std::vector<std::string>{"load-latency-tier", "load-latency-phase", "load-failures",
                                                 "load-placements"}));
  for (const auto& f : figs) ExpectCaptionSaysMeasuredAndEmulated(f);
  const std::string& tier = Find(figs, "load-latency-tier").svg;
  EXPECT_NE(tier.find("p99: function: 900"), std::string::npos);
  EXPECT_NE(tier.find("data-name=\"p50\" data-points=\"2\""), std::string::npos);
  // Placements: the function tier got requests only in the ramp phase.
  const std::string& place = Find(figs, "load-placements").svg;
  EXPECT_NE(place.find("data-name=\"local\" data-points=\"2\""), std::string::npos);
  EXPECT_NE(place.find("data-name=\"function\" data-points=\"1\""), std::string::npos);
  EXPECT_NE(place.find("function: ramp: 200"), std::string::npos);
  // Failure rate in percent: 10 of 200 on the function tier.
  EXPECT_NE(Find(figs, "load-failures").svg.find("function: ramp: 5<"), std::string::npos);
}

// The number of series and of points per series a line chart declares (svg_chart.h's
// data-name / data-points attributes), in order.
std::vector<std::pair<std::string, int>> SeriesOf(const std::string& svg) {
  std::vector<std::pair<std::string, int>> out;
  const std::string name = "data-name=\"", points = "data-points=\"";
  for (size_t at = svg.find(name); at != std::string::npos; at = svg.find(name, at + 1)) {
    const size_t end = svg.find('"', at + name.size());
    const size_t p = svg.find(points, end);
    out.emplace_back(svg.substr(at + name.size(), end - at - name.size()), std::stoi(svg.substr(p + points.size())));
  }
  return out;
}

TEST(ReportFiguresTest, LoadTimelineGivesSeriesOverTime) {
  const auto figs = BuildFigures({Parse("ramp.json", MakeTimelineLoadJson("straightline", 6))});
  EXPECT_EQ(Ids(figs), (std::vector<std::string>{"load-latency-tier", "load-latency-phase", "load-failures",
                                                 "load-placements", "load-placements-time", "load-sessions-time",
                                                 "load-failure-vs-sessions", "load-length-vs-sessions",
                                                 "load-tier-failures-time", "load-tier-failures-box",
                                                 "load-latency-time",
                                                 "load-frequency"}));
  for (const auto& f : figs) ExpectCaptionSaysMeasuredAndEmulated(f);
  using S = std::vector<std::pair<std::string, int>>;
  // One point per second; a second that answered nothing (second 1) has no percentile.
  EXPECT_EQ(SeriesOf(Find(figs, "load-placements-time").svg),
            (S{{"local (local_capacity)", 6}, {"function (frequent_small)", 6}}));
  // Refused sessions drawn, the cause without any (timeout) left out.
  EXPECT_EQ(SeriesOf(Find(figs, "load-sessions-time").svg),
            (S{{"launched", 6}, {"completed", 6}, {"failed: refused", 6}}));
  EXPECT_EQ(SeriesOf(Find(figs, "load-failure-vs-sessions").svg), (S{{"ramp (Algorithm 1)", 6}}));
  EXPECT_EQ(SeriesOf(Find(figs, "load-length-vs-sessions").svg), (S{{"ramp (Algorithm 1)", 5}}));
  EXPECT_EQ(SeriesOf(Find(figs, "load-latency-time").svg), (S{{"p50", 5}, {"p90", 5}, {"p99", 5}}));
  // Local placed only in second 0 (f_t <= F), the function tier from second 1 on: 1 of 40 failed
  // in second 3 = 2.5 %.
  const std::string& tier_failures = Find(figs, "load-tier-failures-time").svg;
  EXPECT_EQ(SeriesOf(tier_failures), (S{{"local", 1}, {"function", 5}}));
  EXPECT_NE(tier_failures.find("function: (3, 2.5)"), std::string::npos);
  // Their distribution (Fig. 7): one box per tier over the seconds the tier got requests.
  const std::string& box = Find(figs, "load-tier-failures-box").svg;
  EXPECT_EQ(SeriesOf(box), (S{{"per-second failure rate", 2}}));
  EXPECT_NE(box.find("function: n=5 min=0 q1=0 median=0 q3=0 max=2.5"), std::string::npos) << box;
  EXPECT_NE(box.find("local: n=1 min=0"), std::string::npos) << box;
  EXPECT_EQ(SeriesOf(Find(figs, "load-frequency").svg), (S{{"f_t (mean)", 6}, {"f_t (max)", 6}, {"F", 6}}));
  // Second 3: 1 of 40 sessions failed = 2.5 %, drawn at x = 40 sessions.
  EXPECT_NE(Find(figs, "load-failure-vs-sessions").svg.find("(40, 2.5)"), std::string::npos);
}

TEST(ReportFiguresTest, AlgorithmOneAndAdaptivePlacementsSideBySide) {
  std::vector<ReportInput> in = {Parse("sl.json", MakeTimelineLoadJson("straightline", 5)),
                                 Parse("ad.json", MakeTimelineLoadJson("adaptive", 5))};
  const auto figs = BuildFigures(in);
  const Figure& place = Find(figs, "load-placements-time");
  EXPECT_EQ(place.title, "Placements over time per tier, side by side");
  // One <svg> holding one panel per load, each with its own series, on one y range.
  EXPECT_EQ(Count(place.svg, "<svg"), 1);
  EXPECT_EQ(Count(place.svg, "</svg>"), 1);
  EXPECT_EQ(Count(place.svg, "<g class=\"panel\" transform=\"translate("), 2);
  EXPECT_NE(place.svg.find("translate(480,0)"), std::string::npos);
  EXPECT_EQ(SvgSize(place.svg).first, 960);  // two 480-pixel panels (the page is 980 wide)
  EXPECT_GE(SvgSize(place.svg).second, 380);
  EXPECT_NE(place.svg.find(">Algorithm 1: sl<"), std::string::npos);
  EXPECT_NE(place.svg.find(">adaptive: ad<"), std::string::npos);
  using S = std::vector<std::pair<std::string, int>>;
  EXPECT_EQ(SeriesOf(place.svg), (S{{"local (local_capacity)", 5}, {"function (frequent_small)", 5},
                                    {"local (fastest)", 5}, {"container (fastest)", 5}}));
  // The other figures overlay both loads, named by input and policy.
  EXPECT_EQ(SeriesOf(Find(figs, "load-failure-vs-sessions").svg),
            (S{{"sl (Algorithm 1)", 5}, {"ad (adaptive)", 5}}));
  EXPECT_EQ(SeriesOf(Find(figs, "load-latency-time").svg).size(), 6u);
  EXPECT_EQ(SeriesOf(Find(figs, "load-frequency").svg).size(), 6u);
  EXPECT_EQ(SeriesOf(Find(figs, "load-frequency").svg)[2].first, "sl (Algorithm 1): F");
}

TEST(ReportFiguresTest, ModelFolderGivesLossAndAccuracyPerEpoch) {
  const auto figs = BuildFigures({Parse("models/fmnist-cnn/manifest.json", MakeManifestJson(4))});
  EXPECT_EQ(Ids(figs), (std::vector<std::string>{"epoch-loss", "epoch-accuracy"}));
  using S = std::vector<std::pair<std::string, int>>;
  EXPECT_EQ(SeriesOf(Find(figs, "epoch-loss").svg), (S{{"training loss", 4}, {"validation loss", 4}}));
  EXPECT_EQ(SeriesOf(Find(figs, "epoch-accuracy").svg), (S{{"validation", 4}}));
  EXPECT_NE(Find(figs, "epoch-accuracy").svg.find("test accuracy of the final model: fmnist-cnn 0.8700"),
            std::string::npos);
  EXPECT_NE(Find(figs, "epoch-loss").caption.find("easured"), std::string::npos);
  // A manifest without the series: no figure rather than an empty one.
  nlohmann::json old = nlohmann::json::parse(MakeManifestJson(1));
  old["training"].erase("epochs");
  EXPECT_TRUE(BuildFigures({Parse("old/manifest.json", old.dump())}).empty());
}

TEST(ReportFiguresTest, LedgerGivesPerFunctionFigures) {
  const auto figs = BuildFigures({Parse("ledger.jsonl", MakeLedgerText(6))});
  EXPECT_EQ(Ids(figs), (std::vector<std::string>{"ledger-invocations", "ledger-duration", "ledger-cost", "ledger-vm",
                                                 "ledger-timeline", "ledger-concurrency", "ledger-cost-time"}));
  for (const auto& f : figs) ExpectCaptionSaysMeasuredAndEmulated(f);
  const std::string& inv = Find(figs, "ledger-invocations").svg;
  EXPECT_NE(inv.find("invocations: predict: 3<"), std::string::npos);
  EXPECT_NE(inv.find("cold starts: train-shard: 1<"), std::string::npos);
  // Six invocations one second apart: every one in the timeline.
  const std::string& tl = Find(figs, "ledger-timeline").svg;
  EXPECT_NE(tl.find("data-name=\"invocations\""), std::string::npos);
  EXPECT_EQ(Count(tl, "<title>invocations: ("), Count(tl, "<title>cold starts: ("));
  // One second apart and shorter than a second: never two in flight. The bill ends at the sum
  // of the six costs, 0.0000017 x (1 + ... + 6).
  const std::string& conc = Find(figs, "ledger-concurrency").svg;
  EXPECT_NE(conc.find(", 1)</title>"), std::string::npos);
  EXPECT_EQ(conc.find(", 2)</title>"), std::string::npos);
  const std::string& bill = Find(figs, "ledger-cost-time").svg;
  EXPECT_NE(bill.find(", 3.57e-05)</title></circle>\n</g>"), std::string::npos);
}

TEST(ReportFiguresTest, InFlightCountsOverlappingInvocations) {
  // Three invocations of 2 s: at 0 s, 0.5 s and 3 s; the first two overlap.
  std::string ledger;
  const auto t0 = WallTime(std::chrono::seconds(1'800'000'000));
  const double starts[] = {0, 0.5, 3};
  for (int i = 0; i < 3; ++i) {
    faas::InvocationRecord r;
    r.request_id = fmt::format("r{}", i);
    r.function = "f";
    r.provider = "aws-lambda";
    r.memory_mb = 128;
    r.duration_ms = 2000;
    r.billed_ms = 2000;
    r.start_time = t0 + std::chrono::milliseconds(static_cast<int64_t>(starts[i] * 1000));
    ledger += faas::RecordToJson(r).dump() + "\n";
  }
  const auto figs = BuildFigures({Parse("l.jsonl", ledger)});
  const std::string& conc = Find(figs, "ledger-concurrency").svg;
  // Intervals of 0.2 s over 5 s: 2 in flight from 0.5 s to 2 s, 1 before and after (the second
  // until 2.5 s), none from 2.5 s to 3 s, the third until 5 s.
  auto at = [&](const char* point) { return conc.find(std::string(point) + "</title>") != std::string::npos; };
  EXPECT_TRUE(at("(0.2, 1)")) << conc.substr(0, 400);
  EXPECT_TRUE(at("(0.4, 2)"));
  EXPECT_TRUE(at("(1.8, 2)"));
  EXPECT_TRUE(at("(2, 1)"));  // the first ended at 2 s exactly
  EXPECT_TRUE(at("(2.4, 1)"));
  EXPECT_TRUE(at("(2.6, 0)"));
  EXPECT_TRUE(at("(3, 1)"));
  EXPECT_TRUE(at("(5, 0)"));
  EXPECT_TRUE(at("(4, 1)"));
}

TEST(ReportHtmlTest, OneDocumentWithEveryFigureNoUrlAndDeterministic) {
  std::vector<ReportInput> inputs = {Parse("runs/a/report.json", MakeRecord(4, 2).ToJson().dump()),
                                     Parse("cmp.json", MakeComparisonJson()), Parse("load.json", MakeLoadJson()),
                                     Parse("ledger.jsonl", MakeLedgerText(6))};
  const auto figs = BuildFigures(inputs);
  const std::string html = ReportHtml("My <report>", inputs, figs);
  EXPECT_EQ(html, ReportHtml("My <report>", inputs, BuildFigures(inputs)));
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("<h1>My &lt;report&gt;</h1>"), std::string::npos);
  EXPECT_EQ(Count(html, "<svg "), static_cast<int>(figs.size()));
  EXPECT_EQ(Count(html, "<figcaption>"), static_cast<int>(figs.size()));
  for (const auto& f : figs) EXPECT_NE(html.find("<figure id=\"" + f.id + "\">"), std::string::npos) << f.id;
  for (const char* section : {"<h2>Training</h2>", "<h2>Serving under load</h2>", "<h2>Function platform</h2>"}) {
    EXPECT_EQ(Count(html, section), 1) << section;
  }
}

TEST(ReportHtmlTest, SvgSizeReadsTheFirstTag) {
  EXPECT_EQ(SvgSize("<svg width=\"760.00\" height=\"401.5\" viewBox=\"0 0 1 1\"><rect width=\"3\"/></svg>"),
            (std::pair<int, int>{760, 402}));
  EXPECT_EQ(SvgSize("<p>no svg</p>"), (std::pair<int, int>{0, 0}));
}

}  // namespace
}  // namespace sl::report
