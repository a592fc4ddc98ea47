#include "ml/data/email_text.h"

#include <cctype>

namespace sl::ml::data {
namespace {

std::string_view StripCr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

bool IsHeaderLine(std::string_view line) {
  if (line.starts_with("From ")) return true;  // mbox separator line
  size_t colon = line.find(':');
  if (colon == 0 || colon == std::string_view::npos) return false;
  for (size_t i = 0; i < colon; ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c <= 32 || c >= 127) return false;
  }
  return true;
}

bool IsSubject(std::string_view line) {
  static constexpr std::string_view kSubject = "subject:";
  if (line.size() < kSubject.size()) return false;
  for (size_t i = 0; i < kSubject.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != kSubject[i]) return false;
  }
  return true;
}

}  // namespace

std::string EmailBodyWithSubject(std::string_view message) {
  size_t first_end = message.find('\n');
  if (!IsHeaderLine(StripCr(message.substr(0, first_end)))) return std::string(message);
  std::string subject;
  bool in_subject = false;
  size_t pos = 0;
  while (pos < message.size()) {
    size_t end = message.find('\n', pos);
    const size_t next = end == std::string_view::npos ? message.size() : end + 1;
    std::string_view line = StripCr(message.substr(pos, next - pos - (end == std::string_view::npos ? 0 : 1)));
    pos = next;
    if (line.empty()) break;  // end of the header block
    if (line[0] == ' ' || line[0] == '\t') {
      if (in_subject) {
        subject += ' ';
        subject.append(line);
      }
      continue;
    }
    in_subject = IsSubject(line);
    if (in_subject) subject.append(line.substr(8));
  }
  std::string out = std::move(subject);
  out += '\n';
  out.append(message.substr(pos));
  return out;
}

}  // namespace sl::ml::data
