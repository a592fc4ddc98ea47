// The figure builders BuildFigures (report_figures.h) calls besides its own, one file per family:
//   report_load_figures.cc   a load report's per-second series (issue 19)
//   report_epoch_figures.cc  a model folder's per-epoch series
// Each appends its figures to `out` in a fixed order, and none for inputs without the data.
// Thread safety: pure functions.
#pragma once
#include <string>
#include <vector>

#include "report/report_figures.h"
#include "report/report_inputs.h"

namespace sl::report {

//   load-placements-time      placements per second per tier and rule, one panel per load side by
//                             side (Algorithm 1 and adaptive when both are given)
//   load-sessions-time        sessions launched, completed and failed (by cause) per second
//   load-failure-vs-sessions  failure rate against sessions launched per second  (StraightLine Fig. 4)
//   load-length-vs-sessions   session length against sessions per second         (StraightLine Fig. 5)
//   load-tier-failures-time   failure rate per tier per second                   (StraightLine Fig. 6)
//   load-latency-time         response-time p50/p90/p99 per second
//   load-frequency            f_t (mean and max per second) against F
void LoadTimelineFigures(const std::vector<ReportInput>& inputs, std::vector<Figure>* out);

//   epoch-loss      training and validation loss per epoch      (StraightLine Fig. 3)
//   epoch-accuracy  validation accuracy per epoch               (StraightLine Fig. 3)
void EpochFigures(const std::vector<ReportInput>& inputs, std::vector<Figure>* out);

// Charts from svg_chart.h placed side by side in one <svg> of their summed width: each chart's
// content in a <g class="panel"> shifted right (no nested <svg>), the tallest setting the height.
// One chart: returned as it is.
std::string SideBySideSvg(const std::vector<std::string>& svgs);

}  // namespace sl::report
