// straightline logs NAME: prints a function's log stream (instance output with Lambda's
// START / END / REPORT lines) from the platform's state directory.
#include <fmt/format.h>

#include "cli/commands.h"
#include "common/flags.h"
#include "faas/log_stream.h"
#include "faas/platform.h"

namespace sl::cli {

int RunLogs(const Args& args) {
  FlagSet flags("straightline logs", "Print a function's log stream.");
  std::string name, state_dir = faas::PlatformOptions{}.state_dir;
  int64_t tail = 0;
  flags.Positional("name", &name, "function name");
  flags.String("state-dir", &state_dir, "platform state directory (as given to invoke/serve)");
  flags.Int("tail", &tail, "only the last N bytes (cut at a line start); 0 = all");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;
  std::string path = state_dir + "/logs/" + name + ".log";
  auto text = faas::TailFile(path, tail > 0 ? static_cast<size_t>(tail) : SIZE_MAX / 2);
  if (!text.ok()) {
    fmt::print(stderr, "function '{}': no log stream: {}\n", name, text.status().ToString());
    return 1;
  }
  fmt::print("{}", *text);
  return 0;
}

}  // namespace sl::cli
