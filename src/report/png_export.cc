#include "report/png_export.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "common/file_util.h"
#include "package/subprocess.h"
#include "report/html_report.h"

namespace sl::report {
namespace {

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

std::string OnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find(':', start);
    if (end == std::string::npos) end = p.size();
    const std::string dir = p.substr(start, end - start);
    if (!dir.empty() && Executable(dir + "/" + name)) return dir + "/" + name;
    start = end + 1;
  }
  return "";
}

// Removes the scratch folder whatever happens.
struct ScratchDir {
  std::filesystem::path path;
  ~ScratchDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

std::string FindChromium() {
  if (const char* env = std::getenv("STRAIGHTLINE_CHROMIUM"); env && *env) return Executable(env) ? env : "";
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    if (std::string p = OnPath(name); !p.empty()) return p;
  }
  return "";
}

Result<std::vector<std::string>> WriteFigurePngs(const std::vector<Figure>& figures, const std::string& dir,
                                                 const PngOptions& options) {
  const std::string chromium = options.chromium.empty() ? FindChromium() : options.chromium;
  if (chromium.empty() || !Executable(chromium)) {
    return FailedPrecondition("no Chromium found ({}; install Debian's chromium, e.g. scripts/install-deps.sh, or "
                              "set STRAIGHTLINE_CHROMIUM)",
                              options.chromium.empty() ? "chromium, chromium-browser, google-chrome on PATH"
                                                       : options.chromium);
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return ErrnoError(ec.value(), fmt::format("--png {}: cannot create the folder", dir));
  std::string tmpl = (std::filesystem::path(dir) / ".sl-report-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return ErrnoError(errno, fmt::format("--png {}: mkdtemp", dir));
  ScratchDir scratch{std::filesystem::absolute(tmpl)};

  std::vector<std::string> written;
  for (const Figure& f : figures) {
    const auto [w, h] = SvgSize(f.svg);
    if (w <= 0 || h <= 0) return Internal("figure {}: its <svg> declares no width and height", f.id);
    const std::string page = (scratch.path / (f.id + ".html")).string();
    SL_RETURN_IF_ERROR(WriteFileAtomic(page, FigurePageHtml(f)));
    const std::string tmp_png = (scratch.path / (f.id + ".png")).string();
    std::vector<std::string> argv = {"timeout", "-k", "5", std::to_string(options.timeout_s), chromium,
                                     "--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                                     "--no-default-browser-check", "--disable-background-networking",
                                     "--disable-component-update", "--disable-sync", "--disable-default-apps",
                                     "--disable-extensions", "--no-proxy-server",
                                     "--host-resolver-rules=MAP * ~NOTFOUND",
                                     "--user-data-dir=" + (scratch.path / "profile").string(),
                                     fmt::format("--window-size={},{}", w, h), "--screenshot=" + tmp_png,
                                     "file://" + page};
    // Chromium's own sandbox refuses to start as root.
    if (::geteuid() == 0) argv.insert(argv.begin() + 5, "--no-sandbox");
    SL_ASSIGN_OR_RETURN(package::ProcessResult r, package::RunProcess(argv));
    struct stat st {};
    if (r.exit_code != 0 || ::stat(tmp_png.c_str(), &st) != 0 || st.st_size == 0) {
      return Internal("figure {}: {} did not write the PNG (exit {}{}): {}", f.id, chromium, r.exit_code,
                      r.exit_code == 124 ? ", timed out" : "", package::FirstLine(r));
    }
    const std::string out = (std::filesystem::path(dir) / (f.id + ".png")).string();
    std::filesystem::rename(tmp_png, out, ec);
    if (ec) return ErrnoError(ec.value(), fmt::format("--png: rename to {}", out));
    written.push_back(out);
  }
  return written;
}

}  // namespace sl::report
