#include "common/aws_ini.h"

#include <cctype>

#include <fmt/format.h>

namespace sl {
namespace {

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<AwsIniFile> ParseAwsIni(std::string_view text, const std::string& path) {
  AwsIniFile ini;
  ini.path = path;
  std::string section;
  bool have_section = false;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view raw = text.substr(pos, nl == std::string_view::npos ? text.npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    std::string line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    // Indented lines continue a nested setting (e.g. "s3 =\n  max_concurrent_requests = 4").
    if (raw[0] == ' ' || raw[0] == '\t') {
      if (!have_section) return InvalidArgument("{}:{}: indented line outside any section", path, line_no);
      continue;
    }
    if (line[0] == '[') {
      if (line.back() != ']') {
        return InvalidArgument("{}:{}: section header '{}' has no closing ']'", path, line_no, line);
      }
      section = Trim(std::string_view(line).substr(1, line.size() - 2));
      if (section.empty()) return InvalidArgument("{}:{}: empty section name '[]'", path, line_no);
      have_section = true;
      ini.sections[section];
      ini.section_lines[section] = line_no;
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string::npos) {
      // Never quoted: a secret pasted on its own line must not reach a log.
      return InvalidArgument("{}:{}: expected 'key = value', got a line of {} characters without '='", path,
                             line_no, line.size());
    }
    std::string key = Lower(Trim(std::string_view(line).substr(0, eq)));
    std::string value = Trim(std::string_view(line).substr(eq + 1));
    if (key.empty()) return InvalidArgument("{}:{}: a line with '=' but no key", path, line_no);
    if (!have_section) {
      return InvalidArgument("{}:{}: key '{}' outside any [section]", path, line_no, key);
    }
    ini.sections[section][key] = AwsIniValue{value, line_no};
  }
  return ini;
}

}  // namespace sl
