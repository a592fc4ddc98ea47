// ExecutableDir() and ExecMlProgram(): how the torch-free `straightline` hands the commands that
// need libtorch to `straightline-ml` (see commands.h).
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "cli/commands.h"

namespace sl::cli {

std::string ExecutableDir() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "." : self.parent_path().string();
}

int ExecMlProgram(const std::string& command, char** argv) {
  std::string path;
  if (const char* env = std::getenv("STRAIGHTLINE_ML"); env != nullptr && *env != '\0') {
    path = env;
  } else {
    path = ExecutableDir() + "/straightline-ml";
  }
  std::fflush(stdout);
  std::fflush(stderr);
  ::execv(path.c_str(), argv);  // argv[0] stays "straightline": messages name the command users typed
  const int err = errno;
  fmt::print(stderr,
             "straightline {}: this command needs libtorch and runs in straightline-ml, which could "
             "not be started from {}: {}. It is built next to straightline (make build) and "
             "installed beside it; STRAIGHTLINE_ML=PATH names another.\n",
             command, path, std::strerror(err));
  return err == ENOENT ? 127 : 126;
}

}  // namespace sl::cli
