#include "common/metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

namespace sl {
namespace {

// A minimal parser of the text exposition format 0.0.4, written from the format's rules (not
// from metrics.cc): "# HELP name text", "# TYPE name type", and samples
// "name{l1="v1",...} value". Unescapes label values and HELP text. Fails the test on any line
// it cannot parse.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};
struct Parsed {
  std::map<std::string, std::string> help, type;
  std::vector<Sample> samples;
  const Sample* Find(const std::string& name, const std::map<std::string, std::string>& labels) const {
    for (const auto& s : samples) {
      if (s.name == name && s.labels == labels) return &s;
    }
    return nullptr;
  }
};

std::string UnescapeHelp(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[++i];
      out.push_back(n == 'n' ? '\n' : n);
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

Parsed ParseExposition(const std::string& text) {
  Parsed p;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      std::string rest = line.substr(7);
      size_t sp = rest.find(' ');
      p.help[rest.substr(0, sp)] = UnescapeHelp(rest.substr(sp + 1));
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      size_t sp = rest.find(' ');
      p.type[rest.substr(0, sp)] = rest.substr(sp + 1);
      continue;
    }
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name.push_back(line[i++]);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (line[i] != '}') {
        std::string lname;
        while (line[i] != '=') lname.push_back(line[i++]);
        i += 2;  // ="
        std::string v;
        while (line[i] != '"') {
          if (line[i] == '\\') {
            char n = line[++i];
            v.push_back(n == 'n' ? '\n' : n);
          } else {
            v.push_back(line[i]);
          }
          ++i;
        }
        ++i;  // closing quote
        if (line[i] == ',') ++i;
        s.labels[lname] = v;
      }
      ++i;
    }
    EXPECT_EQ(line[i], ' ') << "bad sample line: " << line;
    s.value = line.substr(i + 1);
    EXPECT_FALSE(s.value.empty()) << line;
    p.samples.push_back(s);
  }
  return p;
}

TEST(MetricsTest, CounterAndGaugeRoundTripThroughExposition) {
  MetricsRegistry reg;
  auto inv = reg.AddCounter("sl_invocations_total", "Invocations by function.", {"function"});
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  auto echo = (*inv)->WithLabels({"echo"});
  ASSERT_TRUE(echo.ok());
  (*echo)->Inc();
  (*echo)->Inc(2);
  (*echo)->Inc(-5);  // ignored: counters never go down
  auto warm = reg.AddGauge("sl_warm_instances", "Warm instances.", {"function"});
  ASSERT_TRUE(warm.ok());
  (*(*warm)->WithLabels({"echo"}))->Set(3);
  (*(*warm)->WithLabels({"echo"}))->Dec();

  Parsed p = ParseExposition(reg.Render());
  EXPECT_EQ(p.type["sl_invocations_total"], "counter");
  EXPECT_EQ(p.type["sl_warm_instances"], "gauge");
  EXPECT_EQ(p.help["sl_invocations_total"], "Invocations by function.");
  const Sample* c = p.Find("sl_invocations_total", {{"function", "echo"}});
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->value, "3");
  const Sample* g = p.Find("sl_warm_instances", {{"function", "echo"}});
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->value, "2");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  MetricsRegistry reg;
  auto h = reg.AddHistogram("sl_duration_seconds", "Duration.", {"function"}, {0.1, 1, 10});
  ASSERT_TRUE(h.ok());
  Histogram* cell = *(*h)->WithLabels({"f"});
  for (double v : {0.05, 0.1, 0.5, 2.0, 20.0}) cell->Observe(v);
  Parsed p = ParseExposition(reg.Render());
  EXPECT_EQ(p.type["sl_duration_seconds"], "histogram");
  // le is inclusive: 0.05 and 0.1 are both <= 0.1.
  EXPECT_EQ(p.Find("sl_duration_seconds_bucket", {{"function", "f"}, {"le", "0.1"}})->value, "2");
  EXPECT_EQ(p.Find("sl_duration_seconds_bucket", {{"function", "f"}, {"le", "1"}})->value, "3");
  EXPECT_EQ(p.Find("sl_duration_seconds_bucket", {{"function", "f"}, {"le", "10"}})->value, "4");
  EXPECT_EQ(p.Find("sl_duration_seconds_bucket", {{"function", "f"}, {"le", "+Inf"}})->value, "5");
  EXPECT_EQ(p.Find("sl_duration_seconds_count", {{"function", "f"}})->value, "5");
  EXPECT_DOUBLE_EQ(std::stod(p.Find("sl_duration_seconds_sum", {{"function", "f"}})->value), 22.65);
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry reg;
  auto c = reg.AddCounter("sl_errors_total", "Errors \\ by type\nsecond line", {"type"});
  ASSERT_TRUE(c.ok());
  const std::string nasty = "a\"b\\c\nd";
  (*(*c)->WithLabels({nasty}))->Inc();
  std::string text = reg.Render();
  EXPECT_NE(text.find("# HELP sl_errors_total Errors \\\\ by type\\nsecond line\n"), std::string::npos);
  EXPECT_NE(text.find("sl_errors_total{type=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
  Parsed p = ParseExposition(text);
  EXPECT_EQ(p.help["sl_errors_total"], "Errors \\ by type\nsecond line");
  ASSERT_NE(p.Find("sl_errors_total", {{"type", nasty}}), nullptr);
}

TEST(MetricsTest, RegistrationErrorsNameTheMetric) {
  MetricsRegistry reg;
  auto bad = reg.AddCounter("9bad", "x");
  EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("9bad"), std::string::npos);
  EXPECT_EQ(reg.AddCounter("ok_total", "x", {"__reserved"}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(reg.AddHistogram("h", "x", {"le"}, {1}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(reg.AddHistogram("h", "x", {}, {2, 1}).status().code(), Code::kInvalidArgument);

  auto a = reg.AddCounter("same_total", "help", {"x"});
  auto again = reg.AddCounter("same_total", "help", {"x"});
  ASSERT_TRUE(a.ok() && again.ok());
  EXPECT_EQ(*a, *again);
  EXPECT_EQ(reg.AddGauge("same_total", "help", {"x"}).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(reg.AddCounter("same_total", "help", {"y"}).status().code(), Code::kAlreadyExists);

  auto wrong = (*a)->WithLabels({"1", "2"});
  EXPECT_EQ(wrong.status().code(), Code::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("same_total"), std::string::npos);
}

TEST(MetricsTest, SampleValueFormatting) {
  EXPECT_EQ(FormatSampleValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatSampleValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatSampleValue(0.0 / 0.0), "NaN");
  EXPECT_EQ(FormatSampleValue(0.25), "0.25");
  EXPECT_EQ(FormatSampleValue(12), "12");
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  MetricsRegistry reg;
  CounterFamily* fam = *reg.AddCounter("c_total", "c", {"t"});
  HistogramFamily* hist = *reg.AddHistogram("h_seconds", "h", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Counter* c = *fam->WithLabels({"x"});
      Histogram* h = *hist->WithLabels({});
      for (int i = 0; i < 10000; ++i) {
        c->Inc();
        h->Observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ((*fam->WithLabels({"x"}))->Value(), 40000);
  Histogram::Snapshot s = (*hist->WithLabels({}))->Read();
  EXPECT_EQ(s.count, 40000u);
  EXPECT_DOUBLE_EQ(s.sum, 20000);
}

TEST(MetricsTest, UnlabelledFamilyRendersBareName) {
  MetricsRegistry reg;
  GaugeFamily* g = *reg.AddGauge("sl_up", "Up.");
  (*g->WithLabels({}))->Set(1);
  EXPECT_EQ(reg.Render(), "# HELP sl_up Up.\n# TYPE sl_up gauge\nsl_up 1\n");
}

// Issue 16: 14k unknown model names grew /metrics to 393 MB. Past max_series label sets, new ones
// share one overflow series, so 10,000 distinct values leave the family and the page small; the
// label sets from before the cap keep their own series.
TEST(MetricsTest, LabelSetsPastTheCapShareOneOverflowSeries) {
  MetricsRegistry reg;
  CounterFamily* fam = *reg.AddCounter("req_total", "Requests.", {"model", "outcome"});
  EXPECT_EQ(fam->max_series(), kDefaultMaxSeries);
  fam->set_max_series(50);
  for (int i = 0; i < 10000; ++i) {
    auto c = fam->WithLabels({"m" + std::to_string(i), "ok"});
    ASSERT_TRUE(c.ok());
    (*c)->Inc();
  }
  EXPECT_EQ(fam->series(), 51u);  // 50 + the overflow series
  std::string page = reg.Render();
  EXPECT_LT(page.size(), 4000u) << page.size();
  Parsed p = ParseExposition(page);
  const Sample* first = p.Find("req_total", {{"model", "m0"}, {"outcome", "ok"}});
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->value, "1");
  const Sample* overflow =
      p.Find("req_total", {{"model", "__overflow__"}, {"outcome", "__overflow__"}});
  ASSERT_NE(overflow, nullptr) << page;
  EXPECT_EQ(overflow->value, "9950");
  // A label set seen before the cap is still its own series.
  (*fam->WithLabels({"m1", "ok"}))->Inc();
  EXPECT_EQ(ParseExposition(reg.Render()).Find("req_total", {{"model", "m1"}, {"outcome", "ok"}})->value, "2");
}

// Issue 16: a scrape blocked inference for 1.7 s. Render formats without holding the family's
// lock: while a scrape is between copying a family's series and formatting them, another thread
// creates and increments a series of that same family (it would wait for the scrape, and this
// test would fail on the 10 s bound, if the lock were held).
TEST(MetricsTest, AScrapeDoesNotHoldTheFamilyLockWhileFormatting) {
  MetricsRegistry reg;
  CounterFamily* fam = *reg.AddCounter("req_total", "Requests.", {"model"});
  for (int i = 0; i < 1000; ++i) (*fam->WithLabels({"m" + std::to_string(i)}))->Inc();
  int hooked = 0;
  bool other_finished = false;
  reg.SetFormatHookForTesting([&](const std::string& family) {
    ++hooked;
    auto other = std::async(std::launch::async, [&] {
      (*fam->WithLabels({"during-scrape"}))->Inc();  // a new series: takes the family lock
      (void)reg.AddGauge("g_added_during_scrape", "g");  // takes the registry lock
    });
    other_finished = other.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
    EXPECT_EQ(family, "req_total");
  });
  std::string page = reg.Render();
  EXPECT_EQ(hooked, 1);
  EXPECT_TRUE(other_finished);
  EXPECT_EQ(ParseExposition(page).samples.size(), 1000u);  // the copy: series made after it come next time
  reg.SetFormatHookForTesting(nullptr);
  EXPECT_NE(ParseExposition(reg.Render()).Find("req_total", {{"model", "during-scrape"}}), nullptr);
}

}  // namespace
}  // namespace sl
