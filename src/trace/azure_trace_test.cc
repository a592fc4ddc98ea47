#include "trace/azure_trace.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <numeric>

#include "common/file_util.h"

namespace sl::trace {
namespace {

const std::string kSamples = SL_TRACE_SAMPLES_DIR;

TEST(AzureTrace, Reads2019SampleWithItsDurationsAndMemory) {
  auto t = ReadTrace(kSamples + "/sample104_inv.csv");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->format, Trace::Format::k2019);
  EXPECT_EQ(t->minutes, 1440);
  ASSERT_EQ(t->functions.size(), 104u);
  EXPECT_EQ(t->app_memory.size(), 104u);
  EXPECT_EQ(t->files.size(), 3u);
  int64_t total = 0;
  for (const auto& f : t->functions) {
    EXPECT_TRUE(f.has_durations) << f.function;
    ASSERT_EQ(f.per_minute.size(), 1440u);
    total += std::accumulate(f.per_minute.begin(), f.per_minute.end(), int64_t{0});
  }
  EXPECT_EQ(total, 452556);  // python3 csv: the sum of columns 4.. (minute_1..minute_1440) of sample104_inv.csv
  // The first row of sample104_run.csv.
  const TraceFunction* f = nullptr;
  for (const auto& x : t->functions) {
    if (x.function.rfind("1779fd33", 0) == 0) f = &x;
  }
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->durations.count, 2009604);
  EXPECT_EQ(f->durations.average_ms, 3678);
  ASSERT_EQ(f->durations.percentiles.points.size(), 7u);
  EXPECT_EQ(f->durations.percentiles.points[0], (std::pair<double, double>{0.0, 237}));
  EXPECT_EQ(f->durations.percentiles.points[3], (std::pair<double, double>{0.5, 1035}));
  EXPECT_EQ(f->durations.percentiles.points[6], (std::pair<double, double>{1.0, 341495}));
  const auto& m = t->app_memory.at(f->app);
  EXPECT_EQ(m.average_mb, 373);
  EXPECT_EQ(m.percentiles.points.front(), (std::pair<double, double>{0.01, 325}));
  EXPECT_EQ(m.percentiles.points.back(), (std::pair<double, double>{1.0, 388}));
}

TEST(AzureTrace, Reads2021Sample) {
  auto t = ReadTrace(kSamples + "/azure2021_sample200.csv");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->format, Trace::Format::k2021);
  EXPECT_EQ(t->invocations.size(), 199u);  // 200 lines with the header
  EXPECT_EQ(t->functions.size(), 31u);
  // Second row: end 57.15786004066467 s, duration 57.154 s.
  EXPECT_NEAR(t->invocations[1].start_s, 57.15786004066467 - 57.154, 1e-9);
  EXPECT_DOUBLE_EQ(t->invocations[1].duration_s, 57.154);
}

TEST(AzureTrace, AzureColumnOrderAndNamesAlsoParse) {
  // The published 2019 files: HashOwner,HashApp,HashFunction,Trigger,1..N.
  Trace t;
  ASSERT_TRUE(ParseInvocations2019("HashOwner,HashApp,HashFunction,Trigger,1,2,3\no,a,f,http,0,2,1\n",
                                   "d01.csv", &t).ok());
  ASSERT_EQ(t.functions.size(), 1u);
  EXPECT_EQ(t.functions[0].trigger, "http");
  EXPECT_EQ(t.functions[0].per_minute, (std::vector<int32_t>{0, 2, 1}));
  EXPECT_EQ(t.minutes, 3);
}

TEST(AzureTrace, BadCellsNameFileLineAndColumn) {
  const std::string head = "HashFunction,HashApp,HashOwner,minute_1,minute_2\n";
  Trace t;
  Status st = ParseInvocations2019(head + "f,a,o,1,2\ng,a,o,3,x1\n", "inv.csv", &t);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.message(), "inv.csv:3:9: column 'minute_2' value 'x1': want an invocation count in [0, 1e8]");
  Trace t2;
  st = ParseInvocations2019(head + "f,a,o,1,-2\n", "inv.csv", &t2);
  EXPECT_EQ(st.message(), "inv.csv:2:9: column 'minute_2' value '-2': want an invocation count in [0, 1e8]");
  Trace t3;
  st = ParseInvocations2019(head + "f,a,o,1,2\nf,a,o,0,0\n", "inv.csv", &t3);
  EXPECT_EQ(st.message(), "inv.csv:3:1: column 'HashFunction' value 'f': function listed twice for this app");
  Trace t4;
  st = ParseInvocations2019("HashFunction,HashApp,HashOwner,minute_1,minute_3\n", "inv.csv", &t4);
  EXPECT_EQ(st.message(), "inv.csv:1: minute column 2 is missing");
}

TEST(AzureTrace, DecreasingPercentilesAreAnError) {
  Trace t;
  ASSERT_TRUE(ParseInvocations2019("HashFunction,HashApp,HashOwner,1\nf,a,o,1\n", "inv.csv", &t).ok());
  const std::string run =
      "HashFunction,HashApp,HashOwner,Count,Average,Minimum,Maximum,percentile_Average_0,"
      "percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,"
      "percentile_Average_99,percentile_Average_100\n"
      "f,a,o,10,5,1,9,1,2,3,7,6,8,9\n";
  Status st = ParseDurations2019(run, "run.csv", &t);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_EQ(st.message(), "run.csv:2:24: column 'percentile_Average_75' value '6': smaller than the "
                          "previous percentile (7)");
  EXPECT_FALSE(t.functions[0].has_durations);
}

TEST(AzureTrace, MissingColumnsAndFiles) {
  Trace t;
  Status st = ParseMemory2019("HashApp,SampleCount\na,1\n", "mem.csv", &t);
  EXPECT_EQ(st.message(), "mem.csv:1: missing column 'AverageAllocatedMb' in the header");
  st = ParseInvocations2021("app,func,end_timestamp,duration\na,f,10,-1\n", "x.csv", &t);
  EXPECT_EQ(st.message(), "x.csv:2:8: column 'duration' value '-1': want a duration in seconds in [0, 1e7]");

  // A 2019 invocations file whose durations file is not there: NOT_FOUND naming both.
  const std::string dir = ::testing::TempDir() + "/trace_missing_run";
  ASSERT_TRUE(MakeDirs(dir).ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/x_inv.csv", "HashFunction,HashApp,HashOwner,1\nf,a,o,1\n").ok());
  auto r = ReadTrace(dir + "/x_inv.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_NE(r.status().message().find(dir + "/x_run.csv (the 2019 trace " + dir + "/x_inv.csv needs it)"),
            std::string::npos) << r.status().message();

  ASSERT_TRUE(WriteFileAtomic(dir + "/other.csv", "a,b\n1,2\n").ok());
  r = ReadTrace(dir + "/other.csv");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("neither an Azure 2021 trace"), std::string::npos);
}

}  // namespace
}  // namespace sl::trace
