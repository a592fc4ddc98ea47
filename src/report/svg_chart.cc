#include "report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace sl::report {
namespace {

// Tableau 10: distinguishable, and readable when printed in grey.
constexpr std::string_view kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                         "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

constexpr double kCharWidth = 6.6;  // px per character at font-size 12 (sans-serif), for layout
constexpr double kLeft = 78, kRight = 24, kPlotHeightShare = 0.72;
constexpr size_t kMaxCategoryLabel = 30;  // bytes; longer category names are shortened in the middle

std::string Num(double v) {
  std::string s = fmt::format("{:.2f}", v);
  if (s == "-0.00") s = "0.00";
  return s;
}

// A <title> with the whole name when the label shows a shortened one.
std::string Tooltip(const std::string& full, const std::string& shown) {
  return full == shown ? "" : "<title>" + EscapeXml(full) + "</title>";
}

double TextWidth(std::string_view s) { return kCharWidth * static_cast<double>(s.size()); }

struct Frame {
  double width = 0, height = 0;           // the whole svg
  double plot_x0 = 0, plot_x1 = 0;        // plot area, pixels
  double plot_y0 = 0, plot_y1 = 0;        // y0 top, y1 bottom
  double x_labels_h = 0;                  // room under the axis for the category/tick labels
  bool rotate_labels = false;
};

// Legend rows (items wrapped to the width) under the x-axis title.
struct LegendLayout {
  std::vector<std::pair<double, double>> item_xy;  // per series, top-left of the swatch
  double height = 0;
};

LegendLayout LayoutLegend(const std::vector<std::string>& names, double x0, double x1, double y0) {
  LegendLayout l;
  double x = x0, y = y0;
  for (const auto& n : names) {
    const double w = 18 + TextWidth(n) + 18;
    if (x > x0 && x + w > x1) {
      x = x0;
      y += 18;
    }
    l.item_xy.emplace_back(x, y);
    x += w;
  }
  l.height = names.empty() ? 0 : (y - y0) + 18;
  return l;
}

// No xmlns: an <svg> inside HTML is in the SVG namespace by the HTML parser's rules, and the report
// carries no URL at all (not even a namespace name), so that "no external URL" is checkable by grep.
std::string Header(const Frame& f, std::string_view title, std::string_view subtitle, std::string_view kind) {
  std::string out = fmt::format(
      "<svg width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"12\" class=\"chart\" data-kind=\"{}\">\n",
      Num(f.width), Num(f.height), Num(f.width), Num(f.height), kind);
  out += fmt::format("<rect x=\"0\" y=\"0\" width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", Num(f.width),
                     Num(f.height));
  out += fmt::format("<text x=\"{}\" y=\"20\" font-size=\"15\" font-weight=\"bold\">{}</text>\n", Num(kLeft - 60),
                     EscapeXml(title));
  if (!subtitle.empty()) {
    out += fmt::format("<text x=\"{}\" y=\"38\" fill=\"#555555\">{}</text>\n", Num(kLeft - 60), EscapeXml(subtitle));
  }
  return out;
}

// Horizontal grid lines, y tick labels and the rotated y-axis title.
std::string YAxis(const Frame& f, const Ticks& t, const LinearScale& y, std::string_view label) {
  std::string out = "<g class=\"y-axis\">\n";
  for (double v : t.values) {
    const double py = y(v);
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e0e0e0\"/>\n", Num(f.plot_x0), Num(py),
                       Num(f.plot_x1), Num(py));
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"tick\">{}</text>\n", Num(f.plot_x0 - 6),
                       Num(py + 4), FormatTick(v, t.step));
  }
  out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333333\"/>\n", Num(f.plot_x0),
                     Num(f.plot_y0), Num(f.plot_x0), Num(f.plot_y1));
  const double cy = (f.plot_y0 + f.plot_y1) / 2;
  out += fmt::format("<text x=\"16\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {})\" "
                     "class=\"axis-title\">{}</text>\n",
                     Num(cy), Num(cy), EscapeXml(label));
  out += "</g>\n";
  return out;
}

std::string XAxisLineAndTitle(const Frame& f, double baseline_y, std::string_view label) {
  std::string out = fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333333\"/>\n",
                                Num(f.plot_x0), Num(baseline_y), Num(f.plot_x1), Num(baseline_y));
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"axis-title\">{}</text>\n",
                     Num((f.plot_x0 + f.plot_x1) / 2), Num(f.plot_y1 + f.x_labels_h + 16), EscapeXml(label));
  return out;
}

std::string Legend(const Frame& f, const std::vector<std::string>& names) {
  if (names.empty()) return "";
  LegendLayout l = LayoutLegend(names, f.plot_x0, f.plot_x1, f.plot_y1 + f.x_labels_h + 28);
  std::string out = "<g class=\"legend\">\n";
  for (size_t i = 0; i < names.size(); ++i) {
    const auto [x, y] = l.item_xy[i];
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>"
                       "<text x=\"{}\" y=\"{}\">{}</text>\n",
                       Num(x), Num(y), SeriesColor(i), Num(x + 16), Num(y + 10), EscapeXml(names[i]));
  }
  out += "</g>\n";
  return out;
}

// The frame for `spec`-sized charts: the plot takes a fixed share of the requested height; the
// svg grows downwards for rotated labels and legend rows.
Frame MakeFrame(int width, int height, bool subtitle, double x_labels_h, bool rotate,
                const std::vector<std::string>& legend_names, double left = kLeft) {
  Frame f;
  f.width = std::max(width, 320);
  f.plot_x0 = left;
  f.plot_x1 = f.width - kRight;
  f.plot_y0 = subtitle ? 56 : 40;
  f.plot_y1 = f.plot_y0 + std::max(120.0, kPlotHeightShare * std::max(height, 200));
  f.x_labels_h = x_labels_h;
  f.rotate_labels = rotate;
  const LegendLayout l = LayoutLegend(legend_names, f.plot_x0, f.plot_x1, 0);
  f.height = f.plot_y1 + x_labels_h + 28 + l.height + 8;
  return f;
}

bool Finite(double v) { return std::isfinite(v); }

bool Continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

}  // namespace

std::string ShortLabel(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes || max_bytes < 8) return std::string(text);
  // Keep both ends (a run's label and a VM's name both tell categories apart), cut on UTF-8
  // character boundaries so the result stays valid text.
  size_t head = (max_bytes - 1) / 2;
  while (head > 0 && Continuation(text[head])) --head;
  size_t tail = text.size() - (max_bytes - 1 - (max_bytes - 1) / 2);
  while (tail < text.size() && Continuation(text[tail])) ++tail;
  return std::string(text.substr(0, head)) + "\u2026" + std::string(text.substr(tail));
}

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if (u < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          out += "\xEF\xBF\xBD";  // U+FFFD: XML 1.0 has no escape for these
        } else {
          out += c;
        }
    }
  }
  return out;
}

double LinearScale::operator()(double v) const {
  if (d1_ == d0_) return (r0_ + r1_) / 2;
  return r0_ + (v - d0_) / (d1_ - d0_) * (r1_ - r0_);
}

Ticks NiceTicks(double lo, double hi, int target, double min_step) {
  if (!Finite(lo) || !Finite(hi)) lo = 0, hi = 1;
  if (lo > hi) std::swap(lo, hi);
  if (lo == hi) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.5;
    lo -= lo == 0 ? 0 : pad;
    hi += pad;
  }
  target = std::max(target, 1);
  const double raw = (hi - lo) / target;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  const double norm = raw / mag;
  const double step = std::max(min_step, (norm <= 1.0 ? 1 : norm <= 2.0 ? 2 : norm <= 5.0 ? 5 : 10) * mag);
  Ticks t;
  t.step = step;
  // Snap to whole steps; the small tolerance keeps 0.3 / 0.1 from becoming 2.9999 steps.
  t.lo = std::floor(lo / step + 1e-9) * step;
  t.hi = std::ceil(hi / step - 1e-9) * step;
  const int n = static_cast<int>(std::llround((t.hi - t.lo) / step));
  for (int i = 0; i <= n; ++i) {
    double v = t.lo + i * step;
    if (std::abs(v) < step * 1e-9) v = 0;
    t.values.push_back(v);
  }
  return t;
}

std::string FormatTick(double value, double step) {
  int decimals = 0;
  if (step > 0 && step < 1) decimals = static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  std::string s = fmt::format("{:.{}f}", value, std::min(decimals, 12));
  if (s.find_first_not_of("-0.") == std::string::npos && s[0] == '-') s.erase(0, 1);  // "-0" → "0"
  return s;
}

std::string_view SeriesColor(size_t i) { return kPalette[i % std::size(kPalette)]; }

std::string BarChartSvg(const BarChartSpec& spec) {
  std::vector<std::string> names;
  for (const auto& s : spec.series) names.push_back(s.name);
  double lo = 0, hi = 0;
  for (const auto& s : spec.series) {
    for (size_t i = 0; i < s.values.size() && i < spec.categories.size(); ++i) {
      if (!Finite(s.values[i])) continue;
      lo = std::min(lo, s.values[i]);
      hi = std::max(hi, s.values[i]);
    }
  }
  const size_t n = std::max<size_t>(spec.categories.size(), 1);
  double left = kLeft;
  double band = (std::max(spec.width, 320) - left - kRight) / static_cast<double>(n);
  // Axis labels are shortened (the whole name stays in each label's and bar's tooltip).
  std::vector<std::string> shown;
  for (const auto& c : spec.categories) shown.push_back(ShortLabel(c, kMaxCategoryLabel));
  size_t longest = 0;
  for (const auto& c : shown) longest = std::max(longest, c.size());
  const bool rotate = TextWidth(std::string(longest, 'x')) > band - 4;
  if (rotate && !spec.categories.empty()) {
    // Rotated by -35° and anchored at its end, a label reaches left by its width × cos 35° from its
    // category's centre: widen the left margin so the first one stays inside the image.
    const double reach = TextWidth(shown[0]) * 0.82 - band / 2 + 8;
    if (reach > left) {
      left = std::min(reach, std::max(spec.width, 320) / 3.0);
      band = (std::max(spec.width, 320) - left - kRight) / static_cast<double>(n);
    }
  }
  // Rotated by 35°: the label's vertical extent is about its length × sin 35°.
  const double labels_h = rotate ? std::min(140.0, TextWidth(std::string(longest, 'x')) * 0.58 + 14) : 18;
  Frame f = MakeFrame(spec.width, spec.height, !spec.subtitle.empty(), labels_h, rotate, names, left);

  const Ticks t = NiceTicks(lo, hi);
  const LinearScale y(t.lo, t.hi, f.plot_y1, f.plot_y0);
  std::string out = Header(f, spec.title, spec.subtitle, "bar");
  out += YAxis(f, t, y, spec.y_label);

  const double group_w = band * 0.8;
  const double bar_w = group_w / static_cast<double>(std::max<size_t>(spec.series.size(), 1));
  const double zero = y(0);
  for (size_t si = 0; si < spec.series.size(); ++si) {
    const BarSeries& s = spec.series[si];
    int drawn = 0;
    std::string bars;
    for (size_t ci = 0; ci < spec.categories.size() && ci < s.values.size(); ++ci) {
      const double v = s.values[ci];
      if (!Finite(v)) continue;
      const double x = f.plot_x0 + band * static_cast<double>(ci) + band * 0.1 + bar_w * static_cast<double>(si);
      // At least a hairline: a measured 0 (no failures) must not look like a missing value.
      const double h = std::max(std::abs(y(v) - zero), 1.0);
      const double top = v >= 0 ? zero - h : zero;
      bars += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"><title>{}: {}: {:.6g}</title></rect>\n",
                          Num(x), Num(top), Num(std::max(bar_w - 1, 1.0)), Num(h), SeriesColor(si),
                          EscapeXml(s.name), EscapeXml(spec.categories[ci]), v);
      ++drawn;
    }
    out += fmt::format("<g class=\"series\" data-name=\"{}\" data-points=\"{}\">\n{}</g>\n", EscapeXml(s.name), drawn,
                       bars);
  }
  out += XAxisLineAndTitle(f, zero, spec.x_label);
  out += "<g class=\"x-axis\">\n";
  for (size_t ci = 0; ci < spec.categories.size(); ++ci) {
    const double cx = f.plot_x0 + band * (static_cast<double>(ci) + 0.5);
    const double ly = f.plot_y1 + 14;
    if (rotate) {
      out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\" transform=\"rotate(-35 {} {})\">{}{}</text>\n",
                         Num(cx), Num(ly), Num(cx), Num(ly), Tooltip(spec.categories[ci], shown[ci]),
                         EscapeXml(shown[ci]));
    } else {
      out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}{}</text>\n", Num(cx), Num(ly),
                         Tooltip(spec.categories[ci], shown[ci]), EscapeXml(shown[ci]));
    }
  }
  out += "</g>\n";
  out += Legend(f, names);
  out += "</svg>\n";
  return out;
}

FiveNumbers Summarize(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !Finite(v); }),
               values.end());
  FiveNumbers f;
  f.n = values.size();
  if (values.empty()) return f;
  std::sort(values.begin(), values.end());
  auto quantile = [&](double q) {
    const double pos = q * static_cast<double>(values.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
  };
  f.min = values.front();
  f.q1 = quantile(0.25);
  f.median = quantile(0.5);
  f.q3 = quantile(0.75);
  f.max = values.back();
  return f;
}

std::string BoxPlotSvg(const BoxPlotSpec& spec) {
  std::vector<FiveNumbers> boxes;
  double lo = 0, hi = 0;
  for (size_t i = 0; i < spec.categories.size(); ++i) {
    boxes.push_back(i < spec.samples.size() ? Summarize(spec.samples[i]) : FiveNumbers{});
    if (boxes.back().n == 0) continue;
    lo = std::min(lo, boxes.back().min);
    hi = std::max(hi, boxes.back().max);
  }
  const size_t n = std::max<size_t>(spec.categories.size(), 1);
  const double band = (std::max(spec.width, 320) - kLeft - kRight) / static_cast<double>(n);
  std::vector<std::string> shown;
  for (const auto& c : spec.categories) shown.push_back(ShortLabel(c, kMaxCategoryLabel));
  const std::vector<std::string> legend = {spec.series_name};
  Frame f = MakeFrame(spec.width, spec.height, !spec.subtitle.empty(), 18, false, legend);
  const Ticks t = NiceTicks(lo, hi);
  const LinearScale y(t.lo, t.hi, f.plot_y1, f.plot_y0);
  std::string out = Header(f, spec.title, spec.subtitle, "box");
  out += YAxis(f, t, y, spec.y_label);
  std::string drawn_boxes;
  int drawn = 0;
  for (size_t ci = 0; ci < boxes.size(); ++ci) {
    const FiveNumbers& b = boxes[ci];
    if (b.n == 0) continue;
    const double cx = f.plot_x0 + band * (static_cast<double>(ci) + 0.5);
    const double w = std::min(band * 0.5, 60.0);
    const std::string colour(SeriesColor(ci));
    // At least a hairline box: a sample of equal values (all 0 % failures) must still show.
    const double top = y(b.q3), bottom = std::max(y(b.q1), top + 1);
    drawn_boxes += fmt::format(
        "<g class=\"box\"><title>{}: n={} min={:.6g} q1={:.6g} median={:.6g} q3={:.6g} max={:.6g}</title>\n"
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n"
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>\n"
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" fill-opacity=\"0.35\" stroke=\"{}\"/>\n"
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" stroke-width=\"2\"/>\n</g>\n",
        EscapeXml(spec.categories[ci]), b.n, b.min, b.q1, b.median, b.q3, b.max,
        Num(cx), Num(y(b.max)), Num(cx), Num(top), colour,             // upper whisker
        Num(cx), Num(bottom), Num(cx), Num(y(b.min)), colour,          // lower whisker
        Num(cx - w / 2), Num(top), Num(w), Num(bottom - top), colour, colour,
        Num(cx - w / 2), Num(y(b.median)), Num(cx + w / 2), Num(y(b.median)), colour);
    ++drawn;
  }
  out += fmt::format("<g class=\"series\" data-name=\"{}\" data-points=\"{}\">\n{}</g>\n",
                     EscapeXml(spec.series_name), drawn, drawn_boxes);
  out += XAxisLineAndTitle(f, f.plot_y1, spec.x_label);
  out += "<g class=\"x-axis\">\n";
  for (size_t ci = 0; ci < spec.categories.size(); ++ci) {
    const double cx = f.plot_x0 + band * (static_cast<double>(ci) + 0.5);
    out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}{}</text>\n", Num(cx),
                       Num(f.plot_y1 + 14), Tooltip(spec.categories[ci], shown[ci]), EscapeXml(shown[ci]));
  }
  out += "</g>\n";
  out += Legend(f, legend);
  out += "</svg>\n";
  return out;
}

std::string LineChartSvg(const LineChartSpec& spec) {
  std::vector<std::string> names;
  double xlo = std::numeric_limits<double>::infinity(), xhi = -xlo;
  double ylo = xlo, yhi = -xlo;
  for (const auto& s : spec.series) {
    names.push_back(s.name);
    for (const auto& [px, py] : s.points) {
      if (!Finite(px) || !Finite(py)) continue;
      xlo = std::min(xlo, px), xhi = std::max(xhi, px);
      ylo = std::min(ylo, py), yhi = std::max(yhi, py);
    }
  }
  if (!Finite(xlo)) xlo = 0, xhi = 1, ylo = 0, yhi = 1;  // no data: empty axes
  if (spec.y_min < spec.y_max) {
    ylo = spec.y_min, yhi = spec.y_max;
  } else if (spec.y_from_zero) {
    ylo = std::min(ylo, 0.0), yhi = std::max(yhi, 0.0);
  }
  Frame f = MakeFrame(spec.width, spec.height, !spec.subtitle.empty(), 18, false, names);
  if (spec.x_integer && xlo == xhi) {  // one round: show its neighbours, not 0.4 .. 1.6
    const double v = xlo;
    xlo = v >= 1 || v < 0 ? v - 1 : 0;
    xhi = v + 1;
  }
  if (spec.x_integer && xlo > 0) xlo = 0;  // counts (rounds) start at 0, even when scored from round 15
  const Ticks tx = NiceTicks(xlo, xhi, 8, spec.x_integer ? 1 : 0);
  const Ticks ty = NiceTicks(ylo, yhi);
  const LinearScale x(tx.lo, tx.hi, f.plot_x0, f.plot_x1);
  const LinearScale y(ty.lo, ty.hi, f.plot_y1, f.plot_y0);
  std::string out = Header(f, spec.title, spec.subtitle, "line");
  out += YAxis(f, ty, y, spec.y_label);
  out += XAxisLineAndTitle(f, f.plot_y1, spec.x_label);
  out += "<g class=\"x-axis\">\n";
  for (double v : tx.values) {
    out += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333333\"/>"
                       "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"tick\">{}</text>\n",
                       Num(x(v)), Num(f.plot_y1), Num(x(v)), Num(f.plot_y1 + 4), Num(x(v)), Num(f.plot_y1 + 16),
                       FormatTick(v, tx.step));
  }
  out += "</g>\n";
  for (size_t si = 0; si < spec.series.size(); ++si) {
    const LineSeries& s = spec.series[si];
    std::string path, dots;
    int drawn = 0;
    for (const auto& [px, py] : s.points) {
      if (!Finite(px) || !Finite(py)) continue;
      path += fmt::format("{}{},{}", path.empty() ? "" : " ", Num(x(px)), Num(y(py)));
      if (spec.point_markers || drawn == 0) {  // without markers the first one stays if it is alone
        dots += fmt::format(
            "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\"><title>{}: ({:.6g}, {:.6g})</title></circle>\n",
            Num(x(px)), Num(y(py)), SeriesColor(si), EscapeXml(s.name), px, py);
      }
      ++drawn;
    }
    if (!spec.point_markers && drawn > 1) dots.clear();
    out += fmt::format("<g class=\"series\" data-name=\"{}\" data-points=\"{}\">\n", EscapeXml(s.name), drawn);
    if (drawn > 1) {
      out += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>\n", path,
                         SeriesColor(si));
    }
    out += dots + "</g>\n";
  }
  out += Legend(f, names);
  out += "</svg>\n";
  return out;
}

}  // namespace sl::report
