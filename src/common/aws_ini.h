// The INI dialect of the AWS CLI's shared files (~/.aws/credentials, ~/.aws/config): sections of
// `key = value` lines, '#'/';' comment lines. Read by the client's credential chain
// (faas/remote/aws_credentials.h) and by the server's accepted keys (common/sigv4_credentials.h).
// Section names are kept as written inside the brackets ("default", "profile dev"); keys are
// lower-cased (the CLI's configparser does the same); values are trimmed.
// Failure contract: INVALID_ARGUMENT "<file>:<line>: ..." for a line that is neither a section,
// a key = value, a comment nor blank, or a key outside any section; a line that may be a pasted
// secret is never quoted. Indented lines continue the previous key's value (nested settings such
// as `s3 =`), as in the CLI, and are ignored here.
// Thread safety: pure function.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sl {

struct AwsIniValue {
  std::string value;
  int line = 0;
};
using AwsIniSection = std::map<std::string, AwsIniValue>;
struct AwsIniFile {
  std::string path;
  std::map<std::string, AwsIniSection> sections;
  std::map<std::string, int> section_lines;  // where each section header is
};

Result<AwsIniFile> ParseAwsIni(std::string_view text, const std::string& path);

}  // namespace sl
