// The report document: one self-contained HTML file (inline style, inline SVG figures, no script,
// no URL of any kind), so it opens offline and can be mailed or attached as it is.
// Deterministic: the same inputs and figures give the same bytes (no date, no host name).
// Thread safety: pure functions.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "report/report_figures.h"
#include "report/report_inputs.h"

namespace sl::report {

// `title`: the page's heading (escaped; user text).
std::string ReportHtml(const std::string& title, const std::vector<ReportInput>& inputs,
                       const std::vector<Figure>& figures);

// One figure alone on a page of exactly its size, for the PNG renderer (png_export.h).
std::string FigurePageHtml(const Figure& figure);

// The width and height in pixels an <svg> from svg_chart.h declares on its first tag; {0, 0}
// when it declares none.
std::pair<int, int> SvgSize(const std::string& svg);

}  // namespace sl::report
