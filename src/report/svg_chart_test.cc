#include "report/svg_chart.h"

#include <cmath>
#include <limits>
#include <regex>

#include <gtest/gtest.h>

namespace sl::report {
namespace {

int Count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

// The height attributes of the bars of one series (the rects carrying a <title>).
std::vector<double> BarHeights(const std::string& svg, const std::string& series) {
  std::vector<double> out;
  std::regex re("<rect x=\"[0-9.]+\" y=\"[0-9.]+\" width=\"[0-9.]+\" height=\"([0-9.]+)\" fill=\"#[0-9a-f]+\"><title>" +
                series + ": ");
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator(); ++it) {
    out.push_back(std::stod((*it)[1]));
  }
  return out;
}

TEST(NiceTicksTest, CoversTheRangeWithRoundSteps) {
  Ticks t = NiceTicks(0, 9.3);
  EXPECT_EQ(t.step, 2);
  EXPECT_EQ(t.lo, 0);
  EXPECT_EQ(t.hi, 10);
  EXPECT_EQ(t.values, (std::vector<double>{0, 2, 4, 6, 8, 10}));

  t = NiceTicks(0.0012, 0.0047);
  EXPECT_DOUBLE_EQ(t.step, 0.001);
  EXPECT_DOUBLE_EQ(t.lo, 0.001);
  EXPECT_DOUBLE_EQ(t.hi, 0.005);
  EXPECT_EQ(t.values.size(), 5u);

  t = NiceTicks(-3, 7);  // spans zero: 0 is a tick, exactly
  EXPECT_EQ(t.step, 2);
  EXPECT_EQ(t.lo, -4);
  EXPECT_EQ(t.hi, 8);
  EXPECT_NE(std::find(t.values.begin(), t.values.end(), 0.0), t.values.end());

  t = NiceTicks(0.1, 0.3, 2);  // 0.3 / 0.1 must not become 2.9999 steps
  EXPECT_DOUBLE_EQ(t.step, 0.1);
  EXPECT_EQ(t.values.size(), 3u);
}

TEST(NiceTicksTest, MinStepKeepsWholeNumbers) {
  Ticks t = NiceTicks(0, 3, 8, 1);
  EXPECT_EQ(t.step, 1);
  EXPECT_EQ(t.values, (std::vector<double>{0, 1, 2, 3}));
  t = NiceTicks(0, 300, 8, 1);  // no effect once the step is larger anyway
  EXPECT_EQ(t.step, 50);
}

TEST(NiceTicksTest, DegenerateRangesAreWidened) {
  Ticks t = NiceTicks(0, 0);
  EXPECT_EQ(t.lo, 0);
  EXPECT_EQ(t.hi, 1);
  t = NiceTicks(5, 5);
  EXPECT_LE(t.lo, 5);
  EXPECT_GT(t.hi, 5);
  t = NiceTicks(10, 2);  // swapped
  EXPECT_LE(t.lo, 2);
  EXPECT_GE(t.hi, 10);
  t = NiceTicks(std::nan(""), 1);
  EXPECT_EQ(t.lo, 0);
  EXPECT_EQ(t.hi, 1);
}

TEST(SummarizeTest, QuartilesInterpolateBetweenOrderStatistics) {
  FiveNumbers odd = Summarize({5, 1, 4, 2, 3});
  EXPECT_EQ(odd.n, 5u);
  EXPECT_DOUBLE_EQ(odd.min, 1);
  EXPECT_DOUBLE_EQ(odd.q1, 2);
  EXPECT_DOUBLE_EQ(odd.median, 3);
  EXPECT_DOUBLE_EQ(odd.q3, 4);
  EXPECT_DOUBLE_EQ(odd.max, 5);
  FiveNumbers even = Summarize({4, 3, 2, 1, std::nan(""), INFINITY});  // non-finite dropped
  EXPECT_EQ(even.n, 4u);
  EXPECT_DOUBLE_EQ(even.q1, 1.75);  // numpy.percentile([1,2,3,4], 25)
  EXPECT_DOUBLE_EQ(even.median, 2.5);
  EXPECT_DOUBLE_EQ(even.q3, 3.25);
  EXPECT_EQ(Summarize({}).n, 0u);
}

TEST(BoxPlotSvgTest, OneBoxPerNonEmptySampleWithItsFiveNumbers) {
  BoxPlotSpec spec;
  spec.title = "t";
  spec.y_label = "failed (%)";
  spec.categories = {"local <1>", "container", "function"};
  spec.samples = {{0, 0, 10}, {}, {5}};
  const std::string svg = BoxPlotSvg(spec);
  EXPECT_NE(svg.find("data-points=\"2\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("local &lt;1&gt;: n=3 min=0 q1=0 median=0 q3=5 max=10"), std::string::npos) << svg;
  EXPECT_NE(svg.find("function: n=1 min=5 q1=5 median=5 q3=5 max=5"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("container: n="), std::string::npos);
  EXPECT_EQ(svg.rfind("</svg>"), svg.size() - 7);
  EXPECT_EQ(svg.find("NaN"), std::string::npos);
}

TEST(FormatTickTest, DecimalsFollowTheStep) {
  EXPECT_EQ(FormatTick(0.25, 0.05), "0.25");
  EXPECT_EQ(FormatTick(1000, 200), "1000");
  EXPECT_EQ(FormatTick(1.5, 0.5), "1.5");
  EXPECT_EQ(FormatTick(0.0003, 0.0001), "0.0003");
  EXPECT_EQ(FormatTick(-0.0, 0.1), "0.0");
  EXPECT_EQ(FormatTick(-1e-17, 0.1), "0.0");
}

TEST(LinearScaleTest, MapsDomainOntoRange) {
  LinearScale x(0, 10, 100, 200);
  EXPECT_DOUBLE_EQ(x(0), 100);
  EXPECT_DOUBLE_EQ(x(10), 200);
  EXPECT_DOUBLE_EQ(x(2.5), 125);
  LinearScale y(0, 1, 300, 50);  // y grows upwards on screen
  EXPECT_DOUBLE_EQ(y(0), 300);
  EXPECT_DOUBLE_EQ(y(1), 50);
  EXPECT_DOUBLE_EQ(y(0.5), 175);
  LinearScale flat(3, 3, 0, 10);
  EXPECT_DOUBLE_EQ(flat(3), 5);
}

TEST(EscapeXmlTest, EscapesMarkupAndControlCharacters) {
  EXPECT_EQ(EscapeXml("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
  EXPECT_EQ(EscapeXml("tab\tok"), "tab\tok");
  EXPECT_EQ(EscapeXml(std::string("x\x01y", 3)), "x\xEF\xBF\xBDy");
  EXPECT_EQ(EscapeXml("µs ünïcode"), "µs ünïcode");
}

BarChartSpec TwoSeriesBars() {
  BarChartSpec spec;
  spec.title = "Cost <per> provider";
  spec.x_label = "provider";
  spec.y_label = "cost (USD)";
  spec.categories = {"aws", "gcp & co", "azure"};
  spec.series = {{"preprocess", {5, 10, std::numeric_limits<double>::quiet_NaN()}}, {"training", {1, 2, 4}}};
  return spec;
}

TEST(BarChartTest, OneBarPerFiniteValueWithHeightsProportionalToValues) {
  const std::string svg = BarChartSvg(TwoSeriesBars());
  const std::vector<double> pre = BarHeights(svg, "preprocess");
  ASSERT_EQ(pre.size(), 2u);  // the NaN is left out
  EXPECT_NEAR(pre[1], 2 * pre[0], 0.02);
  const std::vector<double> tr = BarHeights(svg, "training");
  ASSERT_EQ(tr.size(), 3u);
  EXPECT_NEAR(tr[2], 4 * tr[0], 0.02);
  EXPECT_NEAR(pre[0], 5 * tr[0], 0.02);
  EXPECT_NE(svg.find("data-name=\"preprocess\" data-points=\"2\""), std::string::npos);
  EXPECT_NE(svg.find("data-name=\"training\" data-points=\"3\""), std::string::npos);
}

TEST(BarChartTest, HasAxesTitlesTicksAndLegendEscaped) {
  const std::string svg = BarChartSvg(TwoSeriesBars());
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find(">Cost &lt;per&gt; provider</text>"), std::string::npos);
  EXPECT_NE(svg.find(">gcp &amp; co</text>"), std::string::npos);
  EXPECT_EQ(svg.find("gcp & co"), std::string::npos);
  EXPECT_NE(svg.find(">cost (USD)</text>"), std::string::npos);
  EXPECT_NE(svg.find(">provider</text>"), std::string::npos);
  // Ticks 0..10 by 2; legend swatch + name per series.
  for (const char* tick : {">0<", ">2<", ">10<"}) EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  EXPECT_EQ(Count(svg, "<g class=\"legend\">"), 1);
  EXPECT_NE(svg.find(">preprocess</text>"), std::string::npos);
  EXPECT_NE(svg.find(">training</text>"), std::string::npos);
  EXPECT_EQ(svg.find("http"), std::string::npos);  // not even a namespace URI
}

TEST(BarChartTest, NegativeValuesHangBelowZero) {
  BarChartSpec spec;
  spec.categories = {"a", "b"};
  spec.series = {{"s", {-2, 4}}};
  const std::string svg = BarChartSvg(spec);
  const std::vector<double> h = BarHeights(svg, "s");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_NEAR(h[1], 2 * h[0], 0.02);
  EXPECT_NE(svg.find(">-2<"), std::string::npos);
}

TEST(BarChartTest, LongCategoryNamesAreRotatedAndTheChartGrows) {
  BarChartSpec spec = TwoSeriesBars();
  const std::string flat = BarChartSvg(spec);
  spec.categories = {"a-very-long-function-name-1", "a-very-long-function-name-2", "c", "d", "e", "f"};
  const std::string rotated = BarChartSvg(spec);
  EXPECT_EQ(flat.find("rotate(-35"), std::string::npos);
  EXPECT_NE(rotated.find("rotate(-35"), std::string::npos);
  std::smatch m1, m2;
  std::regex height("height=\"([0-9.]+)\" viewBox");
  ASSERT_TRUE(std::regex_search(flat, m1, height));
  ASSERT_TRUE(std::regex_search(rotated, m2, height));
  EXPECT_GT(std::stod(m2[1]), std::stod(m1[1]));
  // The first label, anchored at its end and rotated, still starts inside the image.
  std::smatch first;
  ASSERT_TRUE(std::regex_search(rotated, first, std::regex("rotate\\(-35 ([0-9.]+) ")));
  EXPECT_GE(std::stod(first[1]) - 0.82 * 6.6 * static_cast<double>(spec.categories[0].size()), 0);
}

TEST(LineChartTest, IntegerXHasWholeTicksEvenForOnePoint) {
  LineChartSpec spec;
  spec.x_integer = true;
  spec.series = {{"acc", {{1, 0.7}}}};
  const std::string svg = LineChartSvg(spec);
  const size_t at = svg.find("<g class=\"x-axis\">");
  const std::string x_axis = svg.substr(at, svg.find("</g>", at) - at);
  EXPECT_NE(x_axis.find(">0<"), std::string::npos);
  EXPECT_NE(x_axis.find(">2<"), std::string::npos);
  EXPECT_EQ(x_axis.find("0.5"), std::string::npos);
}

TEST(BarChartTest, ZeroIsAHairlineNotAGap) {
  BarChartSpec spec;
  spec.categories = {"a", "b", "c"};
  spec.series = {{"s", {0, 3, std::numeric_limits<double>::quiet_NaN()}}};
  const std::vector<double> h = BarHeights(BarChartSvg(spec), "s");
  ASSERT_EQ(h.size(), 2u);  // the NaN has no bar; the 0 has one
  EXPECT_DOUBLE_EQ(h[0], 1);
  EXPECT_GT(h[1], 100);
}

TEST(ShortLabelTest, KeepsBothEndsOnCharacterBoundaries) {
  EXPECT_EQ(ShortLabel("short", 30), "short");
  const std::string s = ShortLabel("demo-20261207-161753-platform: gce-e2-standard-2", 30);
  EXPECT_EQ(s, "demo-20261207-\u2026e-e2-standard-2");
  // Multi-byte characters are never cut in half.
  const std::string u = ShortLabel("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", 9);
  for (size_t i = 0; i + 1 < u.size(); ++i) {
    if (static_cast<unsigned char>(u[i]) == 0xC3) {
      EXPECT_EQ(static_cast<unsigned char>(u[i + 1]) & 0xC0, 0x80);
    }
  }
  EXPECT_NE(u.find("\u2026"), std::string::npos);
  EXPECT_EQ(u.find("\u2026") % 2, 0u);  // whole é before it
}

TEST(BarChartTest, LongCategoriesShortenedWithTheWholeNameAsTooltip) {
  BarChartSpec spec;
  spec.categories = {"demo-20261207-161753-platform: gce-e2-standard-2", "b"};
  spec.series = {{"s", {1, 2}}};
  const std::string svg = BarChartSvg(spec);
  EXPECT_NE(svg.find("<title>demo-20261207-161753-platform: gce-e2-standard-2</title>demo-20261207-\u2026e-e2-standard-2</text>"),
            std::string::npos);
}

TEST(BarChartTest, SameSpecSameBytes) { EXPECT_EQ(BarChartSvg(TwoSeriesBars()), BarChartSvg(TwoSeriesBars())); }

TEST(LineChartTest, PointsPolylinesAndFixedRange) {
  LineChartSpec spec;
  spec.title = "accuracy";
  spec.x_label = "round";
  spec.y_label = "accuracy (fraction)";
  spec.y_min = 0, spec.y_max = 1;
  spec.series = {{"run <a>", {{0, 0.5}, {1, 0.7}, {2, std::nan("")}, {3, 0.9}}}, {"single", {{1, 0.6}}}};
  const std::string svg = LineChartSvg(spec);
  EXPECT_NE(svg.find("data-name=\"run &lt;a&gt;\" data-points=\"3\""), std::string::npos);
  EXPECT_NE(svg.find("data-name=\"single\" data-points=\"1\""), std::string::npos);
  EXPECT_EQ(Count(svg, "<circle "), 4);
  EXPECT_EQ(Count(svg, "<polyline "), 1);  // a single point draws no line
  EXPECT_NE(svg.find(">0.0<"), std::string::npos);
  EXPECT_NE(svg.find(">1.0<"), std::string::npos);
  EXPECT_EQ(svg.find(">1.2<"), std::string::npos);  // the fixed range, not the data's
  EXPECT_EQ(LineChartSvg(spec), svg);
}

TEST(LineChartTest, WithoutPointMarkersOnlyALoneInitialPointKeepsItsMarker) {
  LineChartSpec spec;
  spec.point_markers = false;
  spec.series = {{"rate", {{0, 1}, {1, 2}, {2, 3}}}, {"one", {{std::nan(""), 1}, {1, 5}}}};
  const std::string svg = LineChartSvg(spec);
  EXPECT_NE(svg.find("data-name=\"rate\" data-points=\"3\""), std::string::npos);
  EXPECT_NE(svg.find("data-name=\"one\" data-points=\"1\""), std::string::npos);
  EXPECT_EQ(Count(svg, "<polyline "), 1);
  EXPECT_EQ(Count(svg, "<circle "), 1);  // the lone point of "one"; "rate" is a line alone
}

std::string YAxis(const std::string& svg) {
  const size_t at = svg.find("<g class=\"y-axis\">");
  return at == std::string::npos ? "" : svg.substr(at, svg.find("</g>", at) - at);
}

TEST(LineChartTest, IntegerXStartsAtZero) {
  LineChartSpec spec;
  spec.x_integer = true;
  spec.series = {{"acc", {{15, 0.8}, {31, 0.85}, {47, 0.86}}}};
  const std::string svg = LineChartSvg(spec);
  const size_t at = svg.find("<g class=\"x-axis\">");
  EXPECT_NE(svg.substr(at, svg.find("</g>", at) - at).find(">0<"), std::string::npos);
}

TEST(LineChartTest, YFromZeroIncludesZero) {
  LineChartSpec spec;
  spec.series = {{"loss", {{0, 2.0}, {1, 1.5}}}};
  std::string svg = LineChartSvg(spec);
  EXPECT_NE(YAxis(svg).find(">0.0<"), std::string::npos);
  spec.y_from_zero = false;
  svg = LineChartSvg(spec);
  EXPECT_EQ(YAxis(svg).find(">0.0<"), std::string::npos);
  EXPECT_NE(YAxis(svg).find(">1.5<"), std::string::npos);
}

TEST(LineChartTest, NoDataDrawsEmptyAxes) {
  LineChartSpec spec;
  spec.title = "empty";
  const std::string svg = LineChartSvg(spec);
  EXPECT_EQ(Count(svg, "<circle "), 0);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

}  // namespace
}  // namespace sl::report
