#include "report/report_inputs.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "serve/load/load_report.h"
#include "store/object_store.h"
#include "report/report_test_fixtures.h"

namespace sl::report {
namespace {

using testing::MakeComparisonJson;
using testing::MakeLedgerText;
using testing::MakeLoadJson;
using testing::MakeManifestJson;
using testing::MakeTimelineLoadJson;
using testing::MakeRecord;

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "sl-report-test-XXXXXX").string();
    path_ = ::mkdtemp(t.data()) ? t : "";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ReportInputTest, StoreReportJsonIsATrainingRunSummarisedUnderItsProfile) {
  const train::RunRecord rec = MakeRecord(4, 2);
  auto in = ParseReportInput("runs/demo-1/report.json", rec.ToJson().dump(2));
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->kind, InputKind::kTrainingRun);
  EXPECT_EQ(in->label, "demo-1");  // report.json is named after its store folder
  EXPECT_EQ(in->record.rounds.size(), 4u);
  ASSERT_EQ(in->comparison.runs.size(), 1u);
  const auto& run = in->comparison.runs[0];
  EXPECT_EQ(run.provider, "aws-lambda");
  EXPECT_NEAR(run.summary.training.cost_usd, 8 * 0.001, 1e-12);
  EXPECT_NEAR(run.summary.preprocessing.cost_usd, 0.002, 1e-12);
  EXPECT_NEAR(run.summary.training.t_total_s, 8 * 8.0, 1e-9);
  // The VM baselines of the economics layer's VM profiles (train::VmBaselines' defaults).
  ASSERT_EQ(in->comparison.vms.size(), 3u);
  EXPECT_EQ(in->comparison.vms[0].vm, "ec2-c5.large");
  EXPECT_GT(in->comparison.vms[0].wall_cost_usd, 0);
  EXPECT_TRUE(in->notes.empty());
}

TEST(ReportInputTest, TrainJsonOutputIsATrainingRun) {
  const train::RunRecord rec = MakeRecord(3, 2);
  nlohmann::json j = train::RunReportJson(rec, train::Summarize(rec, 1));
  j["artifact"] = "models/x";
  auto in = ParseReportInput("train.json", j.dump());
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->kind, InputKind::kTrainingRun);
  EXPECT_EQ(in->label, "train");
  EXPECT_EQ(in->record.rounds.size(), 3u);
  EXPECT_DOUBLE_EQ(in->record.test_accuracy, 0.875);
}

TEST(ReportInputTest, UnknownProviderIsNotedAndKeepsRecordedCosts) {
  const train::RunRecord rec = MakeRecord(2, 1, "no-such-cloud");
  auto in = ParseReportInput("r.json", rec.ToJson().dump());
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  ASSERT_EQ(in->notes.size(), 1u);
  EXPECT_NE(in->notes[0].find("no-such-cloud"), std::string::npos);
  EXPECT_NEAR(in->comparison.runs[0].summary.total.cost_usd, 0.002 + 2 * 0.001, 1e-12);
}

TEST(ReportInputTest, ProviderComparisonIsReadBack) {
  auto in = ParseReportInput("cmp.json", MakeComparisonJson());
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->kind, InputKind::kProviderComparison);
  ASSERT_EQ(in->comparison.runs.size(), 2u);
  EXPECT_EQ(in->comparison.runs[1].provider, "gcp-functions");
  // 2 rounds x 2 workers x 8 s = 32 s of training, written in minutes and read back in seconds.
  EXPECT_NEAR(in->comparison.runs[0].summary.training.t_total_s, 32, 1e-9);
  EXPECT_NEAR(in->comparison.runs[0].summary.training.cost_usd, 0.004, 1e-12);
  ASSERT_EQ(in->comparison.vms.size(), 1u);
  EXPECT_DOUBLE_EQ(in->comparison.vms[0].wall_cost_usd, 0.0014);
  EXPECT_DOUBLE_EQ(in->comparison.vms[0].work_cost_usd, 0.0009);
}

TEST(ReportInputTest, LoadReportIsRead) {
  auto in = ParseReportInput("load.json", MakeLoadJson());
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->kind, InputKind::kLoadReport);
  EXPECT_EQ(in->load.phases, (std::vector<std::string>{"warm", "ramp"}));
  ASSERT_EQ(in->load.groups.size(), 8u);
  EXPECT_EQ(in->load.groups[3].tier, "function");
  EXPECT_DOUBLE_EQ(in->load.groups[3].p99_ms, 900);
  EXPECT_DOUBLE_EQ(in->load.groups[3].failure_rate, 0.05);
  EXPECT_TRUE(in->load.timeline.empty());  // a file from before issue 19 reads as it did
  EXPECT_EQ(PolicyOfLoad(in->load), "");
}

// What the load generator writes (serve/load: LoadRecorder on a FakeClock → ReportJson) is what
// the report reads back: groups as before, and every series of the timeline.
TEST(ReportInputTest, LoadGeneratorTimelineRoundTrips) {
  using namespace serve::load;
  LoadSpec spec;
  spec.model = "m";
  spec.phases = {Phase{"ramp", 3, 1, 3}};
  FakeClock clock;
  const TimePoint t0 = clock.Now();
  auto rec = std::make_shared<LoadRecorder>(1, t0);
  RequestOutcome ok;
  ok.status = 200;
  ok.response_ms = 12;
  ok.tier = "function";
  ok.rule = "frequent_small";
  ok.f_t = 40;
  ok.threshold = 25;
  rec->Request(t0 + std::chrono::milliseconds(200), ok);
  rec->Session(t0 + std::chrono::milliseconds(200), t0 + std::chrono::milliseconds(215), 0, true,
               FailureCause::kServerError);
  RequestOutcome late = ok;
  late.status = 504;
  late.tier = "none";
  late.rule = "timeout";
  rec->Request(t0 + std::chrono::milliseconds(2100), late);
  rec->Session(t0 + std::chrono::milliseconds(2100), t0 + std::chrono::milliseconds(2900), 0, false,
               FailureCause::kTimeout);
  LoadResult result;
  result.recorded = rec;
  result.wall_s = 3;
  const std::string text = ReportJson(spec, result, Summarize(spec, result));
  auto in = ParseReportInput("ramp.json", text);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  const LoadTimeline& t = in->load.timeline;
  EXPECT_EQ(t.t_s, (std::vector<double>{0, 1, 2}));
  EXPECT_EQ(t.sessions_launched, (std::vector<double>{1, 0, 1}));
  EXPECT_EQ(t.sessions_completed, (std::vector<double>{1, 0, 0}));
  EXPECT_EQ(t.sessions_failed, (std::vector<double>{0, 0, 1}));
  EXPECT_DOUBLE_EQ(t.session_mean_ms[0], 15);
  EXPECT_TRUE(std::isnan(t.session_mean_ms[1]));  // null in the file
  EXPECT_EQ(t.requests, (std::vector<double>{1, 0, 1}));
  EXPECT_NEAR(t.p50_ms[0], 12, 12.0 / 64);
  EXPECT_TRUE(std::isnan(t.p99_ms[1]));
  EXPECT_EQ(t.f_t_mean[0], 40);
  EXPECT_EQ(t.F[2], 25);
  ASSERT_EQ(t.failed_by_cause.size(), 6u);
  for (const auto& [cause, v] : t.failed_by_cause) {
    EXPECT_EQ(v, (std::vector<double>{0, 0, cause == "timeout" ? 1.0 : 0.0})) << cause;
  }
  ASSERT_EQ(t.placements.size(), 2u);
  EXPECT_EQ(t.placements[0].tier, "function");
  EXPECT_EQ(t.placements[0].counts, (std::vector<double>{1, 0, 0}));
  EXPECT_EQ(t.placements[0].failed, (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(t.placements[1].failed, (std::vector<double>{0, 0, 1}));  // the 504
  EXPECT_EQ(t.placements[1].rule, "timeout");
  EXPECT_EQ(PolicyOfLoad(in->load), "straightline");
  ASSERT_EQ(in->load.groups.size(), 6u);  // ramp and all: all, function, none
  EXPECT_EQ(in->load.groups[0].requests, 2);
  EXPECT_EQ(in->load.groups[0].sessions, 2);
}

TEST(ReportInputTest, TimelineSeriesOfTheWrongLengthIsNamed) {
  nlohmann::json j = nlohmann::json::parse(MakeTimelineLoadJson("adaptive", 4));
  EXPECT_EQ(PolicyOfLoad(ParseReportInput("a.json", j.dump())->load), "adaptive");
  j["timeline"]["p90_ms"].push_back(1);
  auto bad = ParseReportInput("a.json", j.dump());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("a.json: timeline.p90_ms: want an array of 4 entries"), std::string::npos)
      << bad.status().ToString();
  j["timeline"]["p90_ms"] = nlohmann::json::array({1, 2, "x", 4});
  bad = ParseReportInput("a.json", j.dump());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("timeline.p90_ms[2]"), std::string::npos) << bad.status().ToString();
}

// A model folder (manifest.json, no report.json) or its manifest: the per-epoch series.
TEST(ReportInputTest, ModelFolderGivesItsPerEpochSeries) {
  TempDir dir;
  const std::string model = dir.path() + "/fmnist-cnn";
  std::filesystem::create_directories(model);
  ASSERT_TRUE(WriteFileAtomic(model + "/manifest.json", MakeManifestJson(3)).ok());
  for (const std::string& source : {model, model + "/manifest.json"}) {
    auto in = ReadReportInput(source);
    ASSERT_TRUE(in.ok()) << source << ": " << in.status().ToString();
    EXPECT_EQ(in->kind, InputKind::kModelArtifact) << source;
    EXPECT_EQ(in->label, "fmnist-cnn") << source;
    EXPECT_EQ(in->model.model, "cnn");
    EXPECT_EQ(in->model.dataset, "fashion-mnist");
    EXPECT_DOUBLE_EQ(in->model.test_accuracy, 0.87);
    ASSERT_EQ(in->model.epochs.size(), 3u);
    EXPECT_EQ(in->model.epochs[2].epoch, 3);
    EXPECT_DOUBLE_EQ(in->model.epochs[1].train_loss, 0.5);
    EXPECT_DOUBLE_EQ(in->model.epochs[1].validation_loss, 0.6);
    EXPECT_DOUBLE_EQ(in->model.epochs[0].validation_accuracy, 0.75);
  }
  // A manifest without the series (older, imported, serverless): read, no epochs.
  nlohmann::json old = nlohmann::json::parse(MakeManifestJson(1));
  old["training"].erase("epochs");
  auto in = ParseReportInput("old/manifest.json", old.dump());
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_TRUE(in->model.epochs.empty());
  old["training"]["epochs"] = {{{"epoch", 1}}};
  auto bad = ParseReportInput("bad/manifest.json", old.dump());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("training.epochs[0]"), std::string::npos) << bad.status().ToString();
}

TEST(ReportInputTest, LedgerIsReadAndCostedPerFunction) {
  auto in = ParseReportInput("ledger.jsonl", MakeLedgerText(6));
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(in->kind, InputKind::kLedger);
  EXPECT_EQ(in->label, "ledger");  // no folder to name it after
  EXPECT_EQ(in->invocations.size(), 6u);
  ASSERT_EQ(in->cost.recorded.groups.size(), 2u);
  int64_t total = 0, cold = 0;
  for (const auto& g : in->cost.recorded.groups) total += g.totals.invocations, cold += g.totals.cold_starts;
  EXPECT_EQ(total, 6);
  EXPECT_EQ(cold, 2);
  EXPECT_FALSE(in->cost.vms.empty());
  // A ledger of one line is one JSON object: still a ledger.
  auto one = ParseReportInput("one.jsonl", MakeLedgerText(1));
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->kind, InputKind::kLedger);
}

TEST(ReportInputTest, LabelsComeFromNamesAndAreToldApart) {
  std::vector<ReportInput> ins;
  for (const char* source : {"runs/x-platform/ledger.jsonl", "serve/platform/ledger.jsonl", "b/platform/ledger.jsonl"}) {
    auto in = ParseReportInput(source, MakeLedgerText(2));
    ASSERT_TRUE(in.ok()) << in.status().ToString();
    ins.push_back(*in);
  }
  EXPECT_EQ(ins[0].label, "x-platform");  // a ledger is named after its state folder
  DisambiguateLabels(&ins);
  EXPECT_EQ(ins[1].label, "platform");
  EXPECT_EQ(ins[2].label, "platform (2)");
  auto load = ParseReportInput("out/load-ramp.json", MakeLoadJson());
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(load->label, "load-ramp");
}

TEST(ReportInputTest, ClearErrorsNameTheFileAndWhatWasExpected) {
  auto unknown = ParseReportInput("odd.json", R"({"hello": 1})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("odd.json"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("expected one of: a training run"), std::string::npos);
  EXPECT_NE(unknown.status().message().find("load report"), std::string::npos);

  auto text = ParseReportInput("notes.txt", "just some words\n");
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("notes.txt: not JSON"), std::string::npos);

  auto empty = ParseReportInput("e.json", "  \n");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("e.json: empty"), std::string::npos);

  auto array = ParseReportInput("a.json", "[1, 2]");
  ASSERT_FALSE(array.ok());
  EXPECT_NE(array.status().message().find("a.json: a JSON array"), std::string::npos);

  // A broken ledger line keeps the ledger reader's file:line context.
  std::string ledger = MakeLedgerText(3) + "{\"request_id\": \"x\"}\n";
  auto bad = ParseReportInput("l.jsonl", ledger);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("l.jsonl:4"), std::string::npos) << bad.status().ToString();

  // A run record with a broken field names it.
  nlohmann::json rec = MakeRecord(1, 1).ToJson();
  rec["rounds"][0]["attempts"] = "not a list";
  auto broken = ParseReportInput("r.json", rec.dump());
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("r.json"), std::string::npos) << broken.status().ToString();
}

TEST(ReportInputTest, ReadsFilesStoreFoldersAndStoreUris) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string store = dir.path() + "/run1";
  std::filesystem::create_directories(store);
  auto st = store::OpenObjectStore("file://" + store);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_TRUE((*st)->Put("report.json", MakeRecord(2, 1).ToJson().dump()).ok());
  for (const std::string& source : {store, "file://" + store, store + "/report.json"}) {
    auto in = ReadReportInput(source);
    ASSERT_TRUE(in.ok()) << source << ": " << in.status().ToString();
    EXPECT_EQ(in->kind, InputKind::kTrainingRun) << source;
    EXPECT_EQ(in->label, "run1") << source;
  }
  auto missing = ReadReportInput(dir.path() + "/nope.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_NE(missing.status().message().find("nope.json"), std::string::npos);
  // A folder without report.json: not a finished job's store.
  auto no_report = ReadReportInput(dir.path());
  ASSERT_FALSE(no_report.ok());
  EXPECT_NE(no_report.status().message().find("a folder without report.json"), std::string::npos)
      << no_report.status().ToString();
  auto no_store_report = ReadReportInput("file://" + dir.path());
  ASSERT_FALSE(no_store_report.ok());
  EXPECT_NE(no_store_report.status().message().find("no report.json"), std::string::npos)
      << no_store_report.status().ToString();
}

}  // namespace
}  // namespace sl::report
