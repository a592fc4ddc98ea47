#include "trace/csv_reader.h"

#include <gtest/gtest.h>

namespace sl::trace {
namespace {

std::vector<std::vector<std::string>> ReadAll(std::string_view text, Status* st) {
  CsvReader r(text, "t.csv");
  std::vector<std::vector<std::string>> rows;
  *st = r.ReadHeader();
  if (!st->ok()) return rows;
  *st = r.ForEachRow([&](const CsvRow& row) {
    rows.emplace_back(row.fields.begin(), row.fields.end());
    return Status::Ok();
  });
  return rows;
}

TEST(CsvReader, QuotedFieldsCrlfBomAndBlankLines) {
  Status st;
  auto rows = ReadAll("\xEF\xBB\xBF" "a,b,c\r\n1,\"x,\"\"y\"\"\",\r\n\r\n\"multi\nline\",2,3\n", &st);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "x,\"y\"", ""}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"multi\nline", "2", "3"}));
}

TEST(CsvReader, FindsColumnsByName) {
  CsvReader r("x,HashApp,y\n", "t.csv");
  ASSERT_TRUE(r.ReadHeader().ok());
  EXPECT_EQ(r.FindColumn("HashApp"), 1);
  EXPECT_EQ(r.FindColumn("nope"), -1);
  auto missing = r.RequireColumn("Count");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(missing.status().message(), "t.csv:1: missing column 'Count' in the header");
}

TEST(CsvReader, ErrorsNameFileLineAndColumn) {
  struct Case {
    std::string text, want;
  } cases[] = {
      {"", "t.csv:1:1: empty file: want a header row"},
      {"a,,c\n", "t.csv:1:3: empty header name"},
      {"a,b,a\n", "t.csv:1:5: duplicate header 'a'"},
      {"a,b\n1,2\n1,2,3\n", "t.csv:3:5: 3 fields, the header has 2"},
      {"a,b\n1,2\n\n1\n", "t.csv:4:1: 1 fields, the header has 2"},
      {"a,b\n1,x\"y\n", "t.csv:2:4: quote inside an unquoted field"},
      {"a,b\n1,\"xy\n", "t.csv:2:3: unterminated quoted field"},
      {"a,b\n1,\"xy\"z\n", "t.csv:2:7: unexpected 'z' after a quoted field"},
  };
  for (const auto& c : cases) {
    Status st;
    ReadAll(c.text, &st);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << c.text;
    EXPECT_EQ(st.message(), c.want) << c.text;
  }
}

TEST(CsvReader, CellErrorQuotesTheValueAndItsColumn) {
  CsvReader r("a,count\nfoo,-3\n", "t.csv");
  ASSERT_TRUE(r.ReadHeader().ok());
  Status st = r.ForEachRow([&](const CsvRow& row) { return r.CellError(row, 1, "negative"); });
  EXPECT_EQ(st.message(), "t.csv:2:5: column 'count' value '-3': negative");
}

TEST(CsvReader, StrictNumbers) {
  double d = 0;
  int64_t i = 0;
  EXPECT_TRUE(ParseCsvDouble("1.5e3", &d));
  EXPECT_EQ(d, 1500);
  EXPECT_FALSE(ParseCsvDouble("1.5x", &d));
  EXPECT_FALSE(ParseCsvDouble("", &d));
  EXPECT_FALSE(ParseCsvDouble("inf", &d));
  EXPECT_FALSE(ParseCsvDouble("nan", &d));
  EXPECT_TRUE(ParseCsvInt("42", &i));
  EXPECT_EQ(i, 42);
  EXPECT_TRUE(ParseCsvInt("12.0", &i));
  EXPECT_EQ(i, 12);
  EXPECT_FALSE(ParseCsvInt("12.5", &i));
  EXPECT_FALSE(ParseCsvInt(" 1", &i));
}

}  // namespace
}  // namespace sl::trace
