// The figures of `straightline report`, built from its inputs (report_inputs.h) as far as they
// carry the data; a figure whose data no input has is left out, never drawn empty.
//
//   training runs and provider comparisons (one row per provider run):
//     train-time       T_total and T_parallel per task and provider   (framework Tables 1–2, Fig. 2)
//     train-cost       billed cost per task and provider (+ transfer)  (framework Table 2, Fig. 2)
//     train-breakdown  where the time went: function phases, coordinator (training runs only)
//     cost-vs-vm       the functions' bill against always-on VMs       (framework Fig. 3)
//   training runs (their records):
//     round-loss       training loss per round                          (StraightLine Fig. 3)
//     round-accuracy   validation accuracy where scored                 (StraightLine Fig. 3)
//     round-time       wall time of each round
//     round-cost       billed cost so far, per round
//   load reports:
//     load-latency-tier, load-latency-phase   response-time percentiles (StraightLine Fig. 8)
//     load-failures    failure rate per phase and tier                   (StraightLine Figs. 4, 6)
//     load-placements  requests placed per tier and phase
//   model folders (their manifests' per-epoch series; report_epoch_figures.cc):
//     epoch-loss, epoch-accuracy   training/validation loss, validation accuracy (StraightLine Fig. 3)
//   load reports' per-second series (report_load_figures.cc; figure_builders.h lists them):
//     load-placements-time (side by side per load), load-sessions-time, load-failure-vs-sessions,
//     load-length-vs-sessions, load-latency-time, load-frequency (f_t against F)
//   ledgers (per function, from faas::BuildCostReport):
//     ledger-invocations, ledger-duration, ledger-cost, ledger-vm   per function, against a VM
//     ledger-timeline, ledger-concurrency, ledger-cost-time          over time
//
// Each caption says what was measured on this machine and what comes from provider profiles
// (emulated). Deterministic: figure order and content follow the inputs' order and content only.
// Thread safety: pure functions.
#pragma once
#include <string>
#include <vector>

#include "report/report_inputs.h"

namespace sl::report {

struct Figure {
  std::string id;       // unique, [a-z0-9-]: the HTML element id and the PNG's file name
  std::string section;  // "Training", "Serving under load", "Function platform"
  std::string title;
  std::string caption;  // what was measured here and what is emulated from profiles
  std::string svg;      // one <svg> element (svg_chart.h)
};

std::vector<Figure> BuildFigures(const std::vector<ReportInput>& inputs);

}  // namespace sl::report
