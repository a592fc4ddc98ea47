// Short replays of the shared trace samples on the embedded platform, with real instances of the
// `trace` handler (straightline-worker-base): a few trace minutes at high speed, bounded to
// seconds of wall time.
#include "trace/replay/host_replay.h"

#include <map>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "faas/economics/ledger.h"
#include "faas/economics/provider_profile.h"
#include "faas/platform.h"
#include "trace/replay/replay_report.h"
#include "trace/replay/replay_sim.h"
#include "trace/replay/scaled_clock.h"

namespace sl::trace {
namespace {

const std::string kSamples = SL_TRACE_SAMPLES_DIR;

struct Replayed {
  ReplayPlan plan;
  ReplayResult result;
  std::vector<faas::InvocationRecord> ledger;
  nlohmann::json report;
};

// Replays `options` of the trace at `path` on a fresh embedded platform whose keep-alive runs on
// a clock `speed` times faster.
Replayed Replay(const std::string& path, const ReplayOptions& options, const std::string& keep_alive,
                double touch_scale = 1) {
  Replayed out;
  auto trace = ReadTrace(path);
  EXPECT_TRUE(trace.ok()) << trace.status().ToString();
  auto plan = BuildReplayPlan(*trace, options);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  if (!plan.ok()) return out;
  out.plan = std::move(*plan);
  TempDir dir("trace-replay-test");
  ScaledClock clock(options.speed, Clock::Real());
  faas::PlatformOptions po;
  po.state_dir = dir.path();
  po.clock = &clock;
  po.maintenance_interval = std::chrono::milliseconds(5);
  po.local_cpus = 64;  // the handlers wait; they do not compete for the 2 cores
  po.isolation = faas::FunctionIsolation::kNone;
  auto platform = faas::Platform::Create(po);
  EXPECT_TRUE(platform.ok()) << platform.status().ToString();
  if (!platform.ok()) return out;
  HostReplayOptions ho;
  ho.keep_alive = keep_alive;
  ho.touch_scale = touch_scale;
  // A test must never take the machine's memory: 4 GB at most, whatever the sample holds.
  EXPECT_LT(PeakMemoryMb(out.plan, touch_scale), 4096);

  auto result = RunHostReplay(out.plan, platform->get(), ho);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  if (!result.ok()) return out;
  out.result = std::move(*result);
  const std::string ledger = (*platform)->LedgerPath();
  platform->reset();  // flushes the ledger
  auto records = faas::ReadLedger(ledger);
  EXPECT_TRUE(records.ok()) << records.status().ToString();
  if (records.ok()) out.ledger = std::move(*records);
  auto profile = faas::LoadProviderProfile("aws-lambda");
  EXPECT_TRUE(profile.ok());
  auto sim = SimulateReplay(out.plan, out.result.memory_mb, keep_alive, *profile,
                            MeasuredColdStarts(out.plan, out.result));
  EXPECT_TRUE(sim.ok()) << sim.status().ToString();
  out.report = ReplayReportJson(out.plan, out.result, sim.ok() ? &*sim : nullptr);
  return out;
}

void ExpectEveryArrivalRanAndIsInTheLedger(const Replayed& r) {
  ASSERT_EQ(r.result.calls.size(), r.plan.calls.size());
  std::map<int32_t, bool> seen;
  int64_t failures = 0;
  for (size_t i = 0; i < r.plan.calls.size(); ++i) {
    const CallResult& c = r.result.calls[i];
    EXPECT_TRUE(c.done) << i;
    if (!c.ok && ++failures <= 3) {
      ADD_FAILURE() << "call " << i << " of " << r.plan.functions[r.plan.calls[i].function].name
                    << " (" << r.plan.calls[i].ms << " ms): " << c.error;
    }
    const int32_t f = r.plan.calls[i].function;
    if (!seen[f]) {
      EXPECT_TRUE(c.cold) << "first arrival of " << r.plan.functions[f].name << " was warm";
      seen[f] = true;
    }
    EXPECT_GE(c.duration_ms, r.plan.calls[i].ms * 0.95) << i;
  }
  // One ledger line per invocation, each with its function's deployed memory.
  std::map<std::string, int64_t> memory_of, lines_of;
  for (size_t f = 0; f < r.plan.functions.size(); ++f) memory_of[r.plan.functions[f].name] = r.result.memory_mb[f];
  int64_t lines = 0;
  for (const auto& rec : r.ledger) {
    if (rec.stage != "trace-replay") continue;
    ++lines;
    ++lines_of[rec.function];
    ASSERT_TRUE(memory_of.count(rec.function)) << rec.function;
    EXPECT_EQ(rec.memory_mb, memory_of[rec.function]) << rec.function;
    EXPECT_GE(rec.memory_mb, 128);
  }
  EXPECT_EQ(lines, static_cast<int64_t>(r.plan.calls.size()));
  for (const auto& f : r.plan.functions) EXPECT_EQ(lines_of[f.name], f.calls) << f.name;
  const auto& total = r.report["total"];
  EXPECT_EQ(total["sent"].get<int64_t>(), static_cast<int64_t>(r.plan.calls.size()));
  EXPECT_EQ(total["failed"].get<int64_t>(), 0) << ReplayReportTable(r.report);
  EXPECT_GE(total["cold_starts"].get<int64_t>(), static_cast<int64_t>(r.plan.functions.size()));
  EXPECT_GT(total["billed_gb_s"].get<double>(), 0);
  EXPECT_TRUE(r.result.idle_measured);
  EXPECT_GE(total["wasted_gb_s"].get<double>(), 0);
}

TEST(HostReplayTest, Trace2019MinutesAtHighSpeedOnTheEmbeddedPlatform) {
  ReplayOptions o;
  o.minute_begin = 0;
  o.minute_end = 4;
  o.functions = 4;
  o.speed = 40;  // 4 trace minutes in 6 s
  o.seed = 24;
  // The sample's apps hold 1-3 GB each: their functions touch 1 % of it (~20 MB apiece), so that
  // cold starts stay well inside the 10 s INIT limit on a busy machine.
  Replayed r = Replay(kSamples + "/sample104_inv.csv", o, "fixed:1m", 0.01);
  ASSERT_FALSE(r.plan.calls.empty());
  ASSERT_LT(r.plan.calls.size(), 2000u) << "pick a quieter window: the test must stay short";
  ExpectEveryArrivalRanAndIsInTheLedger(r);
  EXPECT_LT(r.result.wall_s, 30);
  EXPECT_EQ(r.report["changes"]["functions_sampled"], 4);
  EXPECT_EQ(r.report["keep_alive"], "fixed:1m");
  ASSERT_TRUE(r.report.contains("simulator"));
  const std::string table = ReplayReportTable(r.report);
  EXPECT_NE(table.find("sampled 4 of the"), std::string::npos) << table;
  EXPECT_NE(table.find("total"), std::string::npos) << table;
}

TEST(HostReplayTest, Trace2021MinutesOnTheEmbeddedPlatform) {
  ReplayOptions o;
  o.minute_begin = 0;
  o.minute_end = 2;
  o.functions = 5;
  o.speed = 20;  // 2 trace minutes in 6 s
  Replayed r = Replay(kSamples + "/azure2021_sample200.csv", o, "");
  ASSERT_FALSE(r.plan.calls.empty());
  ASSERT_LT(r.plan.calls.size(), 2000u);
  ExpectEveryArrivalRanAndIsInTheLedger(r);
  EXPECT_EQ(r.report["keep_alive"], "fixed");
}

}  // namespace
}  // namespace sl::trace
