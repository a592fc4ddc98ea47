// CsvReader: a strict RFC 4180 reader for the trace files (comma-separated, optional "quoted"
// fields with "" for a quote, LF or CRLF line ends, a header row first).
//
// It streams: ForEachRow calls back once per data row with views of that row's fields, so a
// 1,440-column trace of tens of thousands of functions is never held as strings. Fields are
// located by header name (FindColumn), never by position: the published Azure files and the
// invitro samples order their columns differently.
//
// Failure contract: malformed text (a quote inside an unquoted field, an unterminated quote, a
// row with a different number of fields than the header, an empty file) is INVALID_ARGUMENT
// "FILE:LINE:COLUMN: ..." where LINE and COLUMN are 1-based and COLUMN counts bytes of that line.
// CellError builds the same shape for a well-formed field whose value the caller rejects.
// Thread safety: a CsvReader is used by one thread; distinct readers are independent.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace sl::trace {

// One data row: fields[i] belongs to header[i]. The views are valid only during the callback.
struct CsvRow {
  int64_t line = 0;                    // 1-based line where the row starts
  std::vector<std::string_view> fields;
  std::vector<int64_t> columns;        // 1-based byte column where each field starts
};

class CsvReader {
 public:
  // `text` must outlive the reader; `file` names it in errors.
  CsvReader(std::string_view text, std::string file);

  // Reads the header row. Empty header names and duplicate names are errors.
  Status ReadHeader();
  const std::vector<std::string>& header() const { return header_; }
  // Index of the named header column, or -1.
  int FindColumn(std::string_view name) const;
  // Index of the named column or INVALID_ARGUMENT naming the file and the missing column.
  Result<int> RequireColumn(std::string_view name) const;

  // Calls fn for each data row after the header (blank lines are skipped); stops at the first
  // error, from the text or from fn, and returns it.
  Status ForEachRow(const std::function<Status(const CsvRow&)>& fn);

  // "FILE:LINE:COLUMN: column 'NAME' VALUE: WHAT" for field i of row.
  Status CellError(const CsvRow& row, int i, std::string_view what) const;
  const std::string& file() const { return file_; }

 private:
  // Parses one record at pos_ into row (fields views into text_ or into scratch_).
  Status ReadRecord(CsvRow* row, bool* got);
  Status Error(int64_t line, int64_t column, std::string_view what) const;

  std::string_view text_;
  std::string file_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  size_t line_start_ = 0;
  std::vector<std::string> header_;
  std::vector<std::string> scratch_;  // unescaped quoted fields of the current row
};

// Strict numbers for trace cells: the whole field must parse, finite. false otherwise.
bool ParseCsvDouble(std::string_view s, double* out);
bool ParseCsvInt(std::string_view s, int64_t* out);

}  // namespace sl::trace
