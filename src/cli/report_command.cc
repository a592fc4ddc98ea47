// `straightline report INPUT... --out report.html [--png DIR]`: the papers' figures as one
// self-contained HTML file from any mix of training runs, provider comparisons, load reports and
// ledgers (src/report). Torch-free.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "report/html_report.h"
#include "report/png_export.h"
#include "report/report_figures.h"
#include "report/report_inputs.h"

namespace sl::cli {

int RunReport(const Args& args) {
  FlagSet flags("straightline report",
                "Write the figures of the framework and StraightLine papers as one self-contained HTML file "
                "(inline SVG, no URL, opens offline) from any mix of inputs, each recognised from its content: "
                "training runs (a job's store URI or folder, its report.json, or `train --workers N --json` "
                "output), provider comparisons (`train --compare-providers ... --json`), load reports (`load "
                "--json-out`) and ledgers (ledger.jsonl). Each caption says what was measured on this machine and "
                "what comes from provider profiles (emulated).");
  std::vector<std::string> inputs;
  std::string out = "report.html", png_dir, title = "straightline report";
  bool json = false;
  flags.Rest("INPUT", &inputs, "training run, provider comparison, load report or ledger (one or more)");
  flags.String("out", &out, "the HTML file to write");
  flags.String("title", &title, "the report's heading");
  flags.String("png", &png_dir,
               "also write every figure as DIR/<figure>.png, rendered by headless Chromium (skipped, with a "
               "message, when Chromium is missing)");
  flags.Bool("json", &json, "print what was written (file, figures, inputs, PNGs) as JSON");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  if (inputs.empty()) {
    fmt::print(stderr, "straightline report: no INPUT (give training runs, comparisons, load reports or ledgers)\n");
    return 2;
  }
  if (out.empty()) {
    fmt::print(stderr, "--out: empty (the HTML file to write)\n");
    return 2;
  }

  std::vector<report::ReportInput> read;
  for (const std::string& source : inputs) {
    auto in = report::ReadReportInput(source);
    if (!in.ok()) {
      fmt::print(stderr, "straightline report: {}\n", in.status().ToString());
      const Code c = in.status().code();
      return c == Code::kInvalidArgument || c == Code::kNotFound ? 2 : 1;
    }
    for (const auto& n : in->notes) fmt::print(stderr, "straightline report: {}: {}\n", source, n);
    read.push_back(std::move(*in));
  }
  report::DisambiguateLabels(&read);
  const std::vector<report::Figure> figures = report::BuildFigures(read);
  const size_t slash = out.rfind('/');
  Status s = slash == std::string::npos || slash == 0 ? Status::Ok() : MakeDirs(out.substr(0, slash));
  if (s.ok()) s = WriteFileAtomic(out, report::ReportHtml(title, read, figures));
  if (!s.ok()) {
    fmt::print(stderr, "straightline report: --out {}: {}\n", out, s.ToString());
    return 1;
  }

  std::vector<std::string> pngs;
  std::string png_skipped;
  int rc = 0;
  if (!png_dir.empty()) {
    auto written = report::WriteFigurePngs(figures, png_dir);
    if (written.ok()) {
      pngs = std::move(*written);
    } else if (written.status().code() == Code::kFailedPrecondition) {
      png_skipped = written.status().message();
      fmt::print(stderr, "straightline report: --png skipped: {}\n", png_skipped);
    } else {
      fmt::print(stderr, "straightline report: --png {}: {}\n", png_dir, written.status().ToString());
      rc = 1;
    }
  }

  if (json) {
    nlohmann::json j = {{"out", out}, {"figures", nlohmann::json::array()}, {"inputs", nlohmann::json::array()},
                        {"pngs", pngs}};
    for (const auto& f : figures) j["figures"].push_back({{"id", f.id}, {"title", f.title}, {"section", f.section}});
    for (const auto& in : read) {
      j["inputs"].push_back({{"source", in.source}, {"kind", report::InputKindName(in.kind)}, {"label", in.label}});
    }
    if (!png_skipped.empty()) j["png_skipped"] = png_skipped;
    fmt::print("{}\n", j.dump(2));
  } else {
    for (const auto& in : read) fmt::print("{}: {}\n", in.source, report::InputKindName(in.kind));
    fmt::print("{} figures\n", figures.size());
    if (!pngs.empty()) fmt::print("{} PNGs in {}\n", pngs.size(), png_dir);
    fmt::print("report: {}\n", out);
  }
  return rc;
}

}  // namespace sl::cli
