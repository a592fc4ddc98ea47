#include "common/sigv4_credentials.h"

#include <cctype>

#include "common/file_util.h"

namespace sl {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

Result<std::vector<AwsProfileCredentials>> ParseAwsCredentials(std::string_view text,
                                                               std::string_view source) {
  std::vector<AwsProfileCredentials> out;
  std::vector<int> section_lines;
  bool in_section = false;
  int line_no = 0;
  auto check_last = [&]() -> Status {
    if (!in_section) return Status::Ok();
    const AwsProfileCredentials& p = out.back();
    const AwsCredentials& c = p.credentials;
    if (c.access_key_id.empty() && c.secret_access_key.empty()) {
      out.pop_back();  // e.g. a section holding only region = ...
      return Status::Ok();
    }
    if (c.access_key_id.empty() || c.secret_access_key.empty()) {
      return InvalidArgument("{}:{}: profile '{}' has {} but no {}", source, section_lines.back(),
                             p.profile,
                             c.access_key_id.empty() ? "aws_secret_access_key" : "aws_access_key_id",
                             c.access_key_id.empty() ? "aws_access_key_id" : "aws_secret_access_key");
    }
    return Status::Ok();
  };
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return InvalidArgument("{}:{}: unterminated section header", source, line_no);
      SL_RETURN_IF_ERROR(check_last());
      std::string_view name = Trim(line.substr(1, line.size() - 2));
      if (name.substr(0, 8) == "profile ") name = Trim(name.substr(8));
      if (name.empty()) return InvalidArgument("{}:{}: empty profile name", source, line_no);
      out.push_back({std::string(name), {}});
      section_lines.push_back(line_no);
      in_section = true;
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      // Do not quote the line: it may be a secret pasted on its own.
      return InvalidArgument("{}:{}: expected [profile] or key = value", source, line_no);
    }
    if (!in_section) {
      return InvalidArgument("{}:{}: key outside of a [profile] section", source, line_no);
    }
    std::string key = Lower(Trim(line.substr(0, eq)));
    std::string value(Trim(line.substr(eq + 1)));
    AwsCredentials& c = out.back().credentials;
    if (key == "aws_access_key_id") {
      c.access_key_id = value;
    } else if (key == "aws_secret_access_key") {
      c.secret_access_key = value;
    } else if (key == "aws_session_token") {
      c.session_token = value;
    }
  }
  SL_RETURN_IF_ERROR(check_last());
  return out;
}

Result<std::vector<AwsProfileCredentials>> ReadAwsCredentialsFile(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseAwsCredentials(text, path);
}

}  // namespace sl
