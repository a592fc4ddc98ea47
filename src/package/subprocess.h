// Runs a helper program (ldd, dpkg, strip, skopeo) and captures its output.
// Thread safety: stateless; each call spawns and reaps its own child.
// Failure contract: an error Status only when the program could not be started or waited for
// (naming argv[0]); a non-zero exit is a normal result the caller judges.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace sl::package {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
};

// Runs argv (looked up in PATH) with stdin from /dev/null.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv);

// The first line of a result's stderr (or stdout), for error messages.
std::string FirstLine(const ProcessResult& r);

}  // namespace sl::package
