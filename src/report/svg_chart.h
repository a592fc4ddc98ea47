// SVG charts written by the program, for `straightline report` (report.h): grouped bar charts and
// line charts with axes, labelled ticks, axis titles with units, a legend and an optional subtitle
// line. Each chart is one self-contained <svg> element (no script, no external reference, no
// font or stylesheet outside it), so a report opens offline and its figures can be checked with
// any XML parser.
//
// Deterministic: the same spec gives the same bytes (fixed colour order, coordinates printed with
// two decimals, tick labels from NiceTicks). Every piece of text (titles, labels, series and
// category names, which may come from user files) is XML-escaped.
// Values that are not finite are skipped (a bar or point is left out), never drawn at NaN.
// Thread safety: pure functions.
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sl::report {

// Text and attribute values: & < > " ' escaped; control characters other than tab and newline
// (not allowed in XML 1.0) replaced by U+FFFD.
std::string EscapeXml(std::string_view text);

// A linear map from the domain [d0, d1] to the range [r0, r1] (pixels; r0 > r1 for a y axis).
// A zero-width domain maps everything to the middle of the range.
class LinearScale {
 public:
  LinearScale(double d0, double d1, double r0, double r1) : d0_(d0), d1_(d1), r0_(r0), r1_(r1) {}
  double operator()(double v) const;

 private:
  double d0_, d1_, r0_, r1_;
};

// "Nice" axis ticks covering [lo, hi]: a step of 1, 2 or 5 × 10^k giving about `target` intervals,
// the first tick at or below lo and the last at or above hi. lo == hi is widened around the value
// (0 → [0, 1]); lo > hi is swapped. `min_step` > 0 bounds the step from below (1: whole-number
// ticks, for rounds).
struct Ticks {
  double lo = 0;
  double hi = 1;
  double step = 1;
  std::vector<double> values;
};
Ticks NiceTicks(double lo, double hi, int target = 5, double min_step = 0);
// A tick's label with as many decimals as `step` needs ("0.25", "1.5k"-style suffixes are not
// used: units go in the axis title). "-0" prints as "0".
std::string FormatTick(double value, double step);

struct BarSeries {
  std::string name;
  std::vector<double> values;  // one per category; missing or non-finite: no bar
};

struct BarChartSpec {
  std::string title;
  std::string subtitle;            // optional line under the title
  std::string x_label;             // e.g. "provider"
  std::string y_label;             // with its unit, e.g. "cost (USD)"
  std::vector<std::string> categories;
  std::vector<BarSeries> series;
  int width = 760;
  int height = 380;
};
std::string BarChartSvg(const BarChartSpec& spec);

struct LineSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in the given order
};

struct LineChartSpec {
  std::string title;
  std::string subtitle;
  std::string x_label;
  std::string y_label;
  std::vector<LineSeries> series;
  // Fixed y range when y_min < y_max (e.g. accuracy 0..1); else from the data.
  double y_min = 0;
  double y_max = 0;
  bool y_from_zero = true;         // with a data range: include 0 on the y axis
  bool x_integer = false;          // x is a count (rounds): whole-number ticks, from 0
  // A marker with a tooltip at every point; false: the line alone (a series of one point still
  // gets its marker), for long series such as the live dashboards' 300 seconds.
  bool point_markers = true;
  int width = 760;
  int height = 380;
};
std::string LineChartSvg(const LineChartSpec& spec);

// The five-number summary of a sample (non-finite values dropped): minimum, first quartile,
// median, third quartile, maximum, with quartiles linearly interpolated between order statistics
// (type 7, as numpy's and R's default); n = 0 for an empty sample (all fields 0).
struct FiveNumbers {
  double min = 0, q1 = 0, median = 0, q3 = 0, max = 0;
  size_t n = 0;
};
FiveNumbers Summarize(std::vector<double> values);

// Box plots, one box per category: the box from q1 to q3 with a line at the median, whiskers to
// the minimum and maximum, and the sample size in the box's tooltip. One <g class="series"> holds
// every box (data-points = boxes drawn); an empty sample draws no box.
struct BoxPlotSpec {
  std::string title;
  std::string subtitle;
  std::string x_label;
  std::string y_label;
  std::vector<std::string> categories;
  std::vector<std::vector<double>> samples;  // one per category
  std::string series_name = "distribution";
  int width = 760;
  int height = 380;
};
std::string BoxPlotSvg(const BoxPlotSpec& spec);

// `text` if it has at most `max_bytes` bytes, else its start and end around "…", cut on UTF-8
// character boundaries (about max_bytes long). Category labels longer than 30 bytes are drawn so,
// with the whole name as their tooltip.
std::string ShortLabel(std::string_view text, size_t max_bytes);

// The colour of series i (a fixed palette, cycled).
std::string_view SeriesColor(size_t i);

}  // namespace sl::report
