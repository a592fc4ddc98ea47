#include "report/html_report.h"

#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "report/svg_chart.h"

namespace sl::report {
namespace {

constexpr const char* kStyle =
    "body{font-family:sans-serif;margin:24px auto;max-width:980px;color:#222;line-height:1.4}"
    "h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}"
    "figure{margin:16px 0 28px 0}figcaption{font-size:13px;color:#444;max-width:760px}"
    "figcaption b{color:#222}table{border-collapse:collapse;font-size:13px}"
    "td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}.note{color:#8a5a00}";

std::string Summary(const ReportInput& in) {
  switch (in.kind) {
    case InputKind::kTrainingRun:
      return fmt::format("job {}, provider {}, {} workers, {} MB, {} rounds{}", in.record.job_id, in.record.provider,
                         in.record.workers, in.record.memory_mb, in.record.rounds.size(),
                         in.record.test_accuracy >= 0 ? fmt::format(", test accuracy {:.4f}", in.record.test_accuracy)
                                                      : "");
    case InputKind::kProviderComparison:
      return fmt::format("{} providers, {} VMs", in.comparison.runs.size(), in.comparison.vms.size());
    case InputKind::kLoadReport:
      return fmt::format("model {}, {} phases, {:.1f} s{}", in.load.model, in.load.phases.size(), in.load.wall_s,
                         in.load.timeline.empty() ? "" : fmt::format(", {} s of series", in.load.timeline.t_s.size()));
    case InputKind::kLedger:
      return fmt::format("{} invocations, {} functions", in.invocations.size(), in.cost.recorded.groups.size());
    case InputKind::kModelArtifact:
      return fmt::format("model {} on {}, {} epochs recorded{}", in.model.model, in.model.dataset,
                         in.model.epochs.size(),
                         in.model.test_accuracy >= 0 ? fmt::format(", test accuracy {:.4f}", in.model.test_accuracy)
                                                     : "");
  }
  return "";
}

}  // namespace

std::pair<int, int> SvgSize(const std::string& svg) {
  const size_t open = svg.find("<svg");
  if (open == std::string::npos) return {0, 0};
  const size_t close = svg.find('>', open);
  const std::string tag = svg.substr(open, close == std::string::npos ? std::string::npos : close - open);
  auto attr = [&](const char* name) {
    const std::string key = fmt::format(" {}=\"", name);
    const size_t at = tag.find(key);
    if (at == std::string::npos) return 0;
    return static_cast<int>(std::ceil(std::strtod(tag.c_str() + at + key.size(), nullptr)));
  };
  return {attr("width"), attr("height")};
}

std::string ReportHtml(const std::string& title, const std::vector<ReportInput>& inputs,
                       const std::vector<Figure>& figures) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n", EscapeXml(title), kStyle);
  out += fmt::format("<h1>{}</h1>\n", EscapeXml(title));
  out += "<p>Written by <code>straightline report</code> from the inputs below. Each caption says what was "
         "measured on this machine and what comes from the provider profiles (emulated).</p>\n";
  out += "<table class=\"inputs\">\n<tr><th>input</th><th>kind</th><th>contents</th></tr>\n";
  for (const auto& in : inputs) {
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n", EscapeXml(in.source),
                       InputKindName(in.kind), EscapeXml(Summary(in)));
  }
  out += "</table>\n";
  for (const auto& in : inputs) {
    for (const auto& n : in.notes) out += fmt::format("<p class=\"note\">{}: {}</p>\n", EscapeXml(in.label), EscapeXml(n));
  }
  if (figures.empty()) out += "<p class=\"note\">None of the inputs carries data for a figure.</p>\n";
  out += "<ul class=\"toc\">\n";
  for (const auto& f : figures) out += fmt::format("<li><a href=\"#{}\">{}</a></li>\n", f.id, EscapeXml(f.title));
  out += "</ul>\n";
  std::string section;
  for (const auto& f : figures) {
    if (f.section != section) {
      section = f.section;
      out += fmt::format("<h2>{}</h2>\n", EscapeXml(section));
    }
    out += fmt::format("<figure id=\"{}\">\n{}<figcaption><b>{}.</b> {}</figcaption>\n</figure>\n", f.id, f.svg,
                       EscapeXml(f.title), EscapeXml(f.caption));
  }
  out += "</body>\n</html>\n";
  return out;
}

std::string FigurePageHtml(const Figure& figure) {
  return fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>html,body{{margin:0;padding:0;background:#fff;"
      "overflow:hidden}}svg{{display:block}}</style></head><body>\n{}</body></html>\n",
      figure.svg);
}

}  // namespace sl::report
