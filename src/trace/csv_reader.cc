#include "trace/csv_reader.h"

#include <charconv>
#include <cmath>
#include <set>

#include <fmt/format.h>

namespace sl::trace {
namespace {

// Short, printable rendering of a field for error messages.
std::string Shown(std::string_view v) {
  std::string out;
  for (char c : v.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (v.size() > 40) out += "...";
  return out;
}

}  // namespace

CsvReader::CsvReader(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {
  // A UTF-8 byte order mark (Excel writes one) is not part of the first header name.
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
    pos_ = 3;
    line_start_ = 0;
  }
}

Status CsvReader::Error(int64_t line, int64_t column, std::string_view what) const {
  return InvalidArgument("{}:{}:{}: {}", file_, line, column, what);
}

Status CsvReader::CellError(const CsvRow& row, int i, std::string_view what) const {
  const std::string name = i >= 0 && i < static_cast<int>(header_.size()) ? header_[i] : "?";
  return InvalidArgument("{}:{}:{}: column '{}' value '{}': {}", file_, row.line, row.columns[i],
                         name, Shown(row.fields[i]), what);
}

Status CsvReader::ReadRecord(CsvRow* row, bool* got) {
  *got = false;
  // Skip blank lines (a trailing newline, or an empty line between rows).
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
    }
    ++pos_;
  }
  if (pos_ >= text_.size()) return Status::Ok();
  row->line = line_;
  row->fields.clear();
  row->columns.clear();
  scratch_.clear();
  // (begin, length) in text_, or (index in scratch_, npos) for an unescaped quoted field.
  std::vector<std::pair<size_t, size_t>> spans;
  while (true) {
    const int64_t column = static_cast<int64_t>(pos_ - line_start_) + 1;
    row->columns.push_back(column);
    if (pos_ < text_.size() && text_[pos_] == '"') {
      const int64_t open_line = line_;
      ++pos_;
      std::string value;
      bool closed = false;
      while (pos_ < text_.size()) {
        char c = text_[pos_];
        if (c == '"') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
            value += '"';
            pos_ += 2;
            continue;
          }
          ++pos_;
          closed = true;
          break;
        }
        if (c == '\n') {
          ++line_;
          line_start_ = pos_ + 1;
        }
        value += c;
        ++pos_;
      }
      if (!closed) return Error(open_line, column, "unterminated quoted field");
      if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
        return Error(line_, static_cast<int64_t>(pos_ - line_start_) + 1,
                     fmt::format("unexpected '{}' after a quoted field", Shown(text_.substr(pos_, 1))));
      }
      scratch_.push_back(std::move(value));
      spans.emplace_back(scratch_.size() - 1, std::string_view::npos);
    } else {
      const size_t begin = pos_;
      while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
        if (text_[pos_] == '"') {
          return Error(line_, static_cast<int64_t>(pos_ - line_start_) + 1,
                       "quote inside an unquoted field");
        }
        ++pos_;
      }
      spans.emplace_back(begin, pos_ - begin);
    }
    if (pos_ < text_.size() && text_[pos_] == ',') {
      ++pos_;
      continue;
    }
    // End of record: CRLF, LF, a lone CR, or the end of the text.
    if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    ++line_;
    line_start_ = pos_;
    break;
  }
  for (const auto& [a, n] : spans) {
    row->fields.push_back(n == std::string_view::npos ? std::string_view(scratch_[a])
                                                      : text_.substr(a, n));
  }
  *got = true;
  return Status::Ok();
}

Status CsvReader::ReadHeader() {
  CsvRow row;
  bool got = false;
  SL_RETURN_IF_ERROR(ReadRecord(&row, &got));
  if (!got) return Error(1, 1, "empty file: want a header row");
  header_.clear();
  std::set<std::string_view> seen;
  for (size_t i = 0; i < row.fields.size(); ++i) {
    if (row.fields[i].empty()) return Error(row.line, row.columns[i], "empty header name");
    if (!seen.insert(row.fields[i]).second) {
      return Error(row.line, row.columns[i], fmt::format("duplicate header '{}'", Shown(row.fields[i])));
    }
  }
  for (std::string_view f : row.fields) header_.emplace_back(f);
  return Status::Ok();
}

int CsvReader::FindColumn(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Result<int> CsvReader::RequireColumn(std::string_view name) const {
  int i = FindColumn(name);
  if (i < 0) return InvalidArgument("{}:1: missing column '{}' in the header", file_, name);
  return i;
}

Status CsvReader::ForEachRow(const std::function<Status(const CsvRow&)>& fn) {
  CsvRow row;
  while (true) {
    bool got = false;
    SL_RETURN_IF_ERROR(ReadRecord(&row, &got));
    if (!got) return Status::Ok();
    if (row.fields.size() != header_.size()) {
      const int64_t col = row.fields.size() > header_.size() ? row.columns[header_.size()]
                                                             : row.columns.back();
      return Error(row.line, col, fmt::format("{} fields, the header has {}", row.fields.size(),
                                              header_.size()));
    }
    SL_RETURN_IF_ERROR(fn(row));
  }
}

bool ParseCsvDouble(std::string_view s, double* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && p == end && std::isfinite(*out);
}

bool ParseCsvInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *out);
  if (ec == std::errc() && p == end) return true;
  // Some exports write integer counts as "12.0".
  double d = 0;
  if (!ParseCsvDouble(s, &d) || d != std::floor(d) || std::fabs(d) > 9e15) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

}  // namespace sl::trace
