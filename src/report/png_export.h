// `straightline report --png DIR`: every figure as DIR/<figure id>.png, rendered by headless
// Chromium (Debian's `chromium`) from a page of the figure alone, at the figure's own size.
//
// Chromium only ever loads file:// pages written here, and it is started so that it reaches
// nothing else: every host name resolves to nothing (--host-resolver-rules), no proxy, no
// background networking, component updates, sync or first-run work, a throw-away profile
// directory. Each render is bounded by `timeout` (coreutils) so a stuck browser cannot hang the
// command. Each PNG is written under a temporary name and renamed when complete.
//
// Failure contract: FAILED_PRECONDITION naming the program when no Chromium is found (the caller
// skips the PNGs and says so); INTERNAL naming the figure and Chromium's first error line when a
// render fails; errno errors naming DIR when it cannot be created.
// Thread safety: none needed (one call at a time; it spawns and reaps its own children).
#pragma once
#include <string>
#include <vector>

#include "common/status.h"
#include "report/report_figures.h"

namespace sl::report {

// The Chromium to use: $STRAIGHTLINE_CHROMIUM if set, else the first of chromium,
// chromium-browser, google-chrome found on PATH; "" when none.
std::string FindChromium();

struct PngOptions {
  std::string chromium;      // "" = FindChromium()
  int timeout_s = 60;        // per figure
};

// Writes one PNG per figure; returns their paths, in figure order.
Result<std::vector<std::string>> WriteFigurePngs(const std::vector<Figure>& figures, const std::string& dir,
                                                 const PngOptions& options = {});

}  // namespace sl::report
