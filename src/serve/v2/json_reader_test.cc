#include "serve/v2/json_reader.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sl::serve::v2 {
namespace {

using namespace std::string_literals;

// Every document here is also checked against nlohmann::json::accept: the reader is meant to
// accept exactly what it accepts (but for the two documented differences, tested separately).
const std::vector<std::string> kValid = {
    "{}", "[]", " \t\r\n{ } ", "0", "-0", "-0.0", "1.5e-3", "1E+2", "1e-2", "123456789",
    "true", "false", "null", "\"\"", "\"x\"",
    R"({"a":[1,2,{"b":null}],"c":true,"d":false,"e":"s"})",
    R"([ 1 , [ ] , { } , "" , -1.25E-7 ])",
    R"({"a":1,"a":2})",                              // duplicate keys are valid JSON
    "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",         // every short escape
    "\"\\u0000\\u00e9\\uFFFF\\ud83d\\ude00\"",       // \u escapes, a surrogate pair
    "\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf\"",  // UTF-8
    "\"\x7f\"",                                       // DEL needs no escape
    "\xEF\xBB\xBF{}",                                 // a byte order mark
    "1e-400", "-1e-400", "2.4e-324", "4.9e-324",      // underflow reads as 0 (strtod does)
    "1.7976931348623157e308", "-1.7976931348623157e308", "18446744073709551616",
    "0.00000000000000000000000000000000000000000000000000000000000000000000001e370",
    "[" + std::string(300, '1') + "]",                // a 300-digit integer is a finite double
};

const std::vector<std::string> kInvalid = {
    "", " ", "{", "}", "[", "[1,]", "[,1]", "[1 2]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
    "{a:1}", "{'a':1}", "{\"a\" 1}", "{1:2}", "[1]]", "{} x", "{}{}", "01", "-01", "1.", "-",
    "-a", ".5", "+1", "1e", "1e+", "1.e3", "0x10", "NaN", "Infinity", "-Infinity", "tru",
    "truex", "nul", "True", "\"abc", "\"\\x\"", "\"\\\"", "\"\t\"", "\"\n\"", "\"\x01\"",
    "\"\\u12\"", "\"\\u12G4\"", "\"\\uD800\"", "\"\\uDC00\"", "\"\\uD800\\u0041\"",
    "\"\\uD800x\"", "\"\\uDBFF\\uDBFF\"", "\xEF\xBB{}", "\xEF{}", " \xEF\xBB\xBF{}",
    "1e400", "-1e400", "1.7976931348623159e308", "1" + std::string(400, '0'),
    "0.1e310", "[1e309]", "1e99999999999999999999", "[-1E+99999]",
    // invalid UTF-8 in strings: stray continuation, overlong, surrogate, above U+10FFFF,
    // truncated sequences, bytes that never occur
    "\"\x80\"", "\"\xc0\x80\"", "\"\xc1\xbf\"", "\"\xe0\x80\x80\"", "\"\xed\xa0\x80\"",
    "\"\xf0\x80\x80\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"", "\"\xe2\x82\"",
    "\"\xc3\"", "\"\xc3", "\"\xff\"", "\"\xfe\"",
    "\xc3\xa9", "[\x80]",  // non-ASCII outside strings
};

TEST(JsonReader, AcceptsValidDocuments) {
  for (const auto& doc : kValid) {
    Status st = ValidateJson(doc);
    EXPECT_TRUE(st.ok()) << "'" << doc << "': " << st.ToString();
    EXPECT_TRUE(nlohmann::json::accept(doc)) << "test data: nlohmann rejects '" << doc << "'";
  }
}

TEST(JsonReader, RejectsInvalidDocuments) {
  for (const auto& doc : kInvalid) {
    Status st = ValidateJson(doc);
    EXPECT_FALSE(st.ok()) << "accepted '" << doc << "'";
    EXPECT_EQ(st.code(), Code::kInvalidArgument);
    EXPECT_NE(st.message().find(" at byte "), std::string::npos) << st.message();
    EXPECT_FALSE(nlohmann::json::accept(doc)) << "test data: nlohmann accepts '" << doc << "'";
  }
}

TEST(JsonReader, ErrorsNameTheByteOffset) {
  auto message = [](std::string_view doc) { return ValidateJson(doc).message(); };
  EXPECT_EQ(message("[1,]"), "unexpected ']'; expected a value at byte 3");
  EXPECT_EQ(message("{\"a\":1 x"), "unexpected 'x'; expected ',' or '}' at byte 7");
  EXPECT_EQ(message("[1"), "unexpected end of input; expected ',' or ']' at byte 2");
  EXPECT_EQ(message("01"), "unexpected '1'; expected the end of the input at byte 1");
  EXPECT_EQ(message("1."), "invalid number: expected a digit after '.' at byte 2");
  EXPECT_EQ(message("-"), "invalid number: expected a digit at byte 1");
  EXPECT_EQ(message("[1e400]"), "number 1e400 is out of range for a double at byte 1");
  EXPECT_EQ(message("[\"ab\xff\"]"), "invalid UTF-8 in a string at byte 4");
  EXPECT_EQ(message("\"\\uDC00\""),
            "a \\u escape of a low surrogate (DC00..DFFF) must follow a high one at byte 1");
  EXPECT_EQ(message("\"a\tb\""), "control character 0x09 in a string (must be escaped) at byte 2");
  EXPECT_EQ(message("{}\x01"), "unexpected byte 0x01; expected the end of the input at byte 2");
}

// The two deliberate differences from nlohmann (json_reader.h).
TEST(JsonReader, DiffersFromNlohmannOnlyAsDocumented) {
  // nlohmann stops at a NUL byte after the document, as at the end of a C string.
  const std::string nul = "{\"a\":1}\0{garbage"s;
  EXPECT_TRUE(nlohmann::json::accept(nul));
  EXPECT_FALSE(ValidateJson(nul).ok());
  EXPECT_EQ(ValidateJson(nul).message(),
            "unexpected byte 0x00; expected the end of the input at byte 7");
  // Nesting: kMaxJsonDepth containers are fine, one more is an error; nlohmann has no limit.
  auto nested = [](int depth) { return std::string(depth, '[') + std::string(depth, ']'); };
  EXPECT_TRUE(ValidateJson(nested(kMaxJsonDepth)).ok());
  const std::string deep = nested(kMaxJsonDepth + 1);
  EXPECT_TRUE(nlohmann::json::accept(deep));
  EXPECT_EQ(ValidateJson(deep).message(), "nested deeper than 512 levels at byte 512");
  // Deep garbage neither crashes nor recurses (the cursor keeps one bit per level).
  EXPECT_FALSE(ValidateJson(std::string(1 << 20, '[')).ok());
  EXPECT_FALSE(ValidateJson(std::string(1 << 20, '{')).ok());
}

TEST(JsonReader, CursorWalksContainersAndReturnsExactSpans) {
  const std::string doc = R"( { "a" : [1, 2] , "b\u0021":{"c":"d"}, "e": -1.5e3 } )";
  JsonCursor c(doc);
  bool more = false;
  ASSERT_TRUE(c.OpenObject(&more).ok());
  std::vector<std::string> keys, values;
  while (more) {
    std::string_view key, value;
    ASSERT_TRUE(c.Key(&key).ok());
    ASSERT_TRUE(c.Value(&value).ok());
    keys.push_back(DecodeString(key));
    values.emplace_back(value);
    ASSERT_TRUE(c.NextMember(&more).ok());
  }
  ASSERT_TRUE(c.Finish().ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "b!", "e"}));
  EXPECT_EQ(values, (std::vector<std::string>{"[1, 2]", R"({"c":"d"})", "-1.5e3"}));
  EXPECT_EQ(TypeName(values[0]), std::string("array"));
  EXPECT_EQ(TypeName(values[1]), std::string("object"));
  EXPECT_EQ(TypeName(values[2]), std::string("number"));
  EXPECT_EQ(TypeName("\"s\""), std::string("string"));
  EXPECT_EQ(TypeName("false"), std::string("boolean"));
  EXPECT_EQ(TypeName("null"), std::string("null"));

  std::vector<std::string> elements;
  ASSERT_TRUE(ForEachElement("[ 1,\"x\" , [2] ]", [&](size_t i, std::string_view v) {
                EXPECT_EQ(i, elements.size());
                elements.emplace_back(v);
                return Status::Ok();
              }).ok());
  EXPECT_EQ(elements, (std::vector<std::string>{"1", "\"x\"", "[2]"}));
  // A callback's error stops the walk and is returned.
  int calls = 0;
  Status st = ForEachElement("[1,2,3]", [&](size_t, std::string_view) {
    return ++calls == 2 ? InvalidArgument("stop") : Status::Ok();
  });
  EXPECT_EQ(st.message(), "stop");
  EXPECT_EQ(calls, 2);
}

TEST(JsonReader, DecodesStrings) {
  EXPECT_EQ(DecodeString(R"("plain")"), "plain");
  EXPECT_EQ(DecodeString(R"("\"\\\/\b\f\n\r\t")"), "\"\\/\b\f\n\r\t");
  EXPECT_EQ(DecodeString(R"("\u00e9\u20AC")"), "\xc3\xa9\xe2\x82\xac");
  EXPECT_EQ(DecodeString(R"("\ud83d\ude00!")"), "\xf0\x9f\x98\x80!");
  EXPECT_EQ(DecodeString(R"("a\u0000b")"), "a\0b"s);
  EXPECT_EQ(DecodeString("\"\xc3\xa9\""), "\xc3\xa9");
  EXPECT_TRUE(StringIs(R"("name")", "name"));
  EXPECT_TRUE(StringIs(R"("na\u006de")", "name"));
  EXPECT_FALSE(StringIs(R"("names")", "name"));
  EXPECT_FALSE(StringIs(R"("nam")", "name"));
  // Agrees with nlohmann on every valid string above.
  for (const auto& doc : kValid) {
    if (doc.empty() || doc[0] != '"') continue;
    EXPECT_EQ(DecodeString(doc), nlohmann::json::parse(doc).get<std::string>()) << doc;
  }
  // Not validated input: no crash, no read past the end.
  for (const char* junk : {"", "\"", "\"\\", "\"\\u12", "\"\\ud800\\u", "\"\\ud800\\udc"}) {
    (void)DecodeString(junk);
  }
}

TEST(JsonReader, ReadsNumbersAsNlohmannDoes) {
  auto n = ReadNumber("-0");
  EXPECT_EQ(n.kind, JsonNumber::Kind::kSigned);
  EXPECT_FALSE(std::signbit(n.d));  // the integer 0
  EXPECT_FALSE(std::signbit(ReadDouble("-0")));
  EXPECT_TRUE(std::signbit(ReadDouble("-0.0")));
  EXPECT_TRUE(std::signbit(ReadDouble("-1e-400")));
  EXPECT_EQ(ReadDouble("1e-400"), 0.0);
  EXPECT_EQ(ReadDouble("1.5e-3"), 0.0015);
  EXPECT_EQ(ReadDouble("1e400"), HUGE_VAL);  // (invalid JSON: never a validated token)
  n = ReadNumber("18446744073709551615");
  EXPECT_EQ(n.kind, JsonNumber::Kind::kUnsigned);
  EXPECT_EQ(n.u, UINT64_MAX);
  n = ReadNumber("18446744073709551616");
  EXPECT_EQ(n.kind, JsonNumber::Kind::kFloat);
  EXPECT_EQ(n.d, 18446744073709551616.0);
  n = ReadNumber("-9223372036854775808");
  EXPECT_EQ(n.kind, JsonNumber::Kind::kSigned);
  EXPECT_EQ(n.i, INT64_MIN);
  EXPECT_EQ(ReadNumber("-9223372036854775809").kind, JsonNumber::Kind::kFloat);
  EXPECT_EQ(ReadNumber("1.0").kind, JsonNumber::Kind::kFloat);
  EXPECT_EQ(ReadNumber("1e2").kind, JsonNumber::Kind::kFloat);
  EXPECT_EQ(ReadNumber("").d, 0.0);  // not validated: no crash

  // Bit for bit what nlohmann::json gives, integers and floats, normal, denormal, rounding.
  const std::vector<std::string> tokens = {
      "0", "-0", "-0.0", "0.0", "1", "-1", "0.5137", "3.14159265358979323846264338327950288",
      "1e-310", "4.9e-324", "2.4e-324", "2.5e-324", "-1e-330", "1e-400", "9007199254740993",
      "-9007199254740993", "9223372036854775807", "9223372036854775808", "18446744073709551615",
      "18446744073709551616", "-9223372036854775809", "123456789012345678901234567890",
      "1.7976931348623157e308", "2.2250738585072011e-308", "2.2250738585072014e-308",
      "0.1", "0.2", "0.30000000000000004", "1E5", "1e+5", "1.00000000000000011102230246251565",
      "1" + std::string(300, '0'),
      "0." + std::string(400, '0') + "1e390", "0e99999999999999999999999",
      "1e-99999999999999999999", "-0e-5", "-0E+0", "123.456e-2", "5e-1",
  };
  for (const auto& t : tokens) {
    ASSERT_TRUE(ValidateJson(t).ok()) << t;
    const auto j = nlohmann::json::parse(t);
    const double want = j.get<double>(), got = ReadDouble(t), got2 = ReadNumber(t).d;
    EXPECT_EQ(std::memcmp(&want, &got, sizeof got), 0) << t << ": " << got << " vs " << want;
    EXPECT_EQ(std::memcmp(&want, &got2, sizeof got2), 0) << t << ": " << got2 << " vs " << want;
    EXPECT_EQ(ReadNumber(t).integer(), j.is_number_integer()) << t;
    EXPECT_EQ(ReadNumber(t).kind == JsonNumber::Kind::kUnsigned, j.is_number_unsigned()) << t;
  }
}

TEST(JsonReader, ValidatedNumberConvertsAsReadDouble) {
  const std::string doc = "[ -0 ,1.5e-3, -1e-400,18446744073709551616 ,7]";
  ASSERT_TRUE(ValidateJson(doc).ok());
  JsonCursor c(doc);
  bool more = false;
  ASSERT_TRUE(c.OpenArray(&more).ok());
  std::vector<std::string> tokens;
  while (more) {
    std::string_view token;
    double d = -1;
    ASSERT_TRUE(c.ValidatedNumber(&token, &d));
    const double want = ReadDouble(token);
    EXPECT_EQ(std::memcmp(&d, &want, sizeof d), 0) << token;
    tokens.emplace_back(token);
    ASSERT_TRUE(c.NextElement(&more).ok());
  }
  EXPECT_TRUE(c.Finish().ok());
  EXPECT_EQ(tokens, (std::vector<std::string>{"-0", "1.5e-3", "-1e-400", "18446744073709551616",
                                               "7"}));
  // Not a number: false, and the cursor does not move.
  for (const char* text : {"\"1\"", "-", "-x", "inf", "-inf", "nan", "", " ", "[1]", ".5"}) {
    JsonCursor other(text);
    std::string_view token;
    double d = 0;
    EXPECT_FALSE(other.ValidatedNumber(&token, &d)) << text;
    EXPECT_EQ(other.Peek(), text[0] == ' ' ? '\0' : text[0]) << text;
  }
}

TEST(JsonReader, SnippetIsShortAndWholeCharacters) {
  EXPECT_EQ(Snippet("123"), "123");
  const std::string euros = "\"" + std::string(30, 'a') + std::string(25, 'x') +
                            "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\"";
  const std::string s = Snippet(euros);
  EXPECT_LE(s.size(), 64u);
  EXPECT_EQ(s.substr(s.size() - 3), "...");
  EXPECT_TRUE(nlohmann::json::accept("\"" + s.substr(1) + "\""));  // valid UTF-8
}

}  // namespace
}  // namespace sl::serve::v2
