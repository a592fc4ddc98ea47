// straightline logs NAME: prints a function's log stream (instance output with Lambda's
// START / END / REPORT lines) from the platform's state directory; --json gives the lines and
// every REPORT line's fields as numbers.
#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/flags.h"
#include "faas/log_stream.h"
#include "faas/platform.h"

namespace sl::cli {
namespace {

// "Max Memory Used" -> "max_memory_used".
std::string SnakeCase(std::string_view s) {
  std::string out;
  for (char c : s) out += c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "REPORT RequestId: id\tDuration: 1.23 ms\tMemory Size: 128 MB\tStatus: timeout" ->
// {"request_id": "id", "duration_ms": 1.23, "memory_size_mb": 128, "status": "timeout"}:
// a number with a unit gets the unit as a suffix of its key.
nlohmann::json ParseReport(const std::string& line) {
  nlohmann::json r = nlohmann::json::object();
  std::stringstream in(line.substr(7));  // after "REPORT "
  std::string field;
  while (std::getline(in, field, '\t')) {
    size_t colon = field.find(": ");
    if (colon == std::string::npos) continue;
    std::string key = SnakeCase(field.substr(0, colon));
    std::string value = field.substr(colon + 2);
    if (key == "requestid") key = "request_id";
    const char* begin = value.c_str();
    char* end = nullptr;
    double number = std::strtod(begin, &end);
    if (end != begin && (*end == ' ' || *end == '\0')) {
      std::string unit = *end == ' ' ? SnakeCase(end + 1) : "";
      r[unit.empty() ? key : key + "_" + unit] = number;
    } else {
      r[key] = value;
    }
  }
  return r;
}

}  // namespace

int RunLogs(const Args& args) {
  FlagSet flags("straightline logs", "Print a function's log stream.");
  std::string name, state_dir = faas::PlatformOptions{}.state_dir;
  int64_t tail = 0;
  bool json = false;
  flags.Positional("name", &name, "function name");
  flags.String("state-dir", &state_dir, "platform state directory (as given to invoke/serve)");
  flags.Int("tail", &tail, "only the last N bytes (cut at a line start); 0 = all");
  flags.Bool("json", &json, "print {function, log_file, lines, reports} (REPORT fields as numbers)");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  std::string path = state_dir + "/logs/" + name + ".log";
  auto text = faas::TailFile(path, tail > 0 ? static_cast<size_t>(tail) : SIZE_MAX / 2);
  if (!text.ok()) {
    fmt::print(stderr, "function '{}': no log stream: {}\n", name, text.status().ToString());
    return 1;
  }
  if (!json) {
    fmt::print("{}", *text);
    return 0;
  }
  nlohmann::json lines = nlohmann::json::array(), reports = nlohmann::json::array();
  std::stringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("REPORT RequestId: ", 0) == 0) reports.push_back(ParseReport(line));
    lines.push_back(line);
  }
  nlohmann::json out = {{"function", name}, {"log_file", path}, {"lines", std::move(lines)},
                        {"reports", std::move(reports)}};
  // Instance output need not be UTF-8: replace what is not rather than fail.
  fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  return 0;
}

}  // namespace sl::cli
