// The dashboard's two HTML pages (dashboard_http.h). Everything is inline; the script only fetches
// /dashboard/state from the page's own origin and puts the SVG the server drew into the page.
#include <string>
#include <string_view>

#include "dashboard/dashboard_http.h"
#include "report/svg_chart.h"

namespace sl::dashboard {
namespace {

constexpr std::string_view kStyle = R"(<style>
body{font-family:system-ui,sans-serif;margin:1.2em;color:#222;background:#fafafa}
h1{font-size:1.4em;margin:0 0 .2em}
#status{color:#555;margin:0 0 1em}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(660px,1fr));gap:1em}
figure{margin:0;background:#fff;border:1px solid #ddd;padding:.5em}
figure svg{width:100%;height:auto}
.latest{font-family:ui-monospace,monospace;font-size:.85em;margin:.3em 0}
figcaption{color:#555;font-size:.85em}
form{margin-top:1em}
</style>)";

// Polls the state once a second; a chart's figure is made on its first appearance and its SVG
// replaced on every answer. Numbers under each chart: every series' newest value.
constexpr std::string_view kScript = R"(<script>
"use strict";
(function () {
  const main = document.getElementById("charts");
  const status = document.getElementById("status");
  const figures = new Map();
  const fmt = (v) => v === null ? "-" : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
  function figure(c) {
    let f = figures.get(c.id);
    if (f) return f;
    const el = document.createElement("figure");
    el.id = "chart-" + c.id;
    const chart = document.createElement("div");
    chart.className = "chart";
    const latest = document.createElement("p");
    latest.className = "latest";
    const caption = document.createElement("figcaption");
    caption.textContent = c.note;
    el.append(chart, latest, caption);
    main.append(el);
    f = { chart, latest };
    figures.set(c.id, f);
    return f;
  }
  async function poll() {
    try {
      const r = await fetch("/dashboard/state", { cache: "no-store", credentials: "same-origin" });
      if (r.status === 401) {
        status.textContent = "Signed out (the server restarted?): open /dashboard again with the token.";
        return;
      }
      if (!r.ok) throw new Error("HTTP " + r.status);
      const s = await r.json();
      for (const c of s.charts) {
        const f = figure(c);
        f.chart.innerHTML = c.svg;
        f.latest.textContent = c.series.map((x) => x.name + ": " + fmt(x.last)).join("  \u00b7  ");
      }
      status.textContent = s.samples + " samples, " + s.uptime_s.toFixed(0) + " s since the server started; updated every second";
      status.dataset.samples = s.samples;
    } catch (e) {
      status.textContent = "No answer from the server (" + e.message + "); retrying.";
    }
    setTimeout(poll, 1000);
  }
  poll();
})();
</script>)";

}  // namespace

std::string DashboardPageHtml(std::string_view title) {
  const std::string t = report::EscapeXml(title);
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + t +
                    " - live dashboard</title>\n";
  out += kStyle;
  out += "\n</head><body>\n<h1>" + t + "</h1>\n<p id=\"status\">Connecting...</p>\n<main id=\"charts\"></main>\n";
  out += kScript;
  out += "\n</body></html>\n";
  return out;
}

std::string DashboardLoginHtml(std::string_view title, std::string_view message) {
  const std::string t = report::EscapeXml(title);
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + t +
                    " - sign in</title>\n";
  out += kStyle;
  out += "\n</head><body>\n<h1>" + t + " - live dashboard</h1>\n<p id=\"message\">" + report::EscapeXml(message) +
         "</p>\n<form method=\"post\" action=\"/dashboard/login\"><label>Token <input type=\"password\" "
         "name=\"token\" autocomplete=\"off\" required></label> <button type=\"submit\">Open</button></form>\n"
         "<p>The token is the server's bearer token (serve: the file its \"token-file:\" line names; platform "
         "serve: its \"dashboard-token-file:\" line). It is exchanged for a session cookie that opens only "
         "this dashboard.</p>\n</body></html>\n";
  return out;
}

}  // namespace sl::dashboard
