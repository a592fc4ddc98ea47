// A strict RFC 8259 JSON reader for the request path of the KServe v2 codec (v2_codec.cc).
//
// One concept: a JsonCursor over a string_view. It validates as it moves and hands out the exact
// byte span ("raw value") of each value, so a decoder can walk a document once, keep the spans it
// cares about, and convert only those — numbers straight from the text with std::from_chars,
// strings into a std::string only when kept. Nothing is allocated for values it skips.
//
// What it accepts is what nlohmann::json::accept accepts (checked on thousands of mutated
// requests by v2_decode_diff_test.cc, and on every fuzz input by v2_fuzz.cc), with two deliberate
// differences:
//   * nesting deeper than kMaxJsonDepth is an error (nlohmann has no limit);
//   * a NUL byte after the document is an error (nlohmann stops reading at a NUL, as at the end
//     of a C string, and ignores whatever follows; RFC 8259 has no such rule).
// Like nlohmann: a UTF-8 byte order mark may start the document; strings must be valid UTF-8
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF), \u escapes must pair their
// surrogates; a number must be finite as a double (1e400 is an error; 1e-400 reads as 0).
//
// Ownership: a cursor borrows its text, and every span it returns points into that text: the
// text must outlive them. Thread safety: a cursor is a small value owned by one thread; the free
// functions are stateless. Failure contract: never throws, never reads outside the text on any
// byte sequence; syntax errors are INVALID_ARGUMENT "<what> at byte <offset>", the offset counted
// from the start of the cursor's text. After an error the cursor's position is unspecified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sl::serve::v2 {

// Containers open at once. Bounds the cursor's bookkeeping (one bit per level, no recursion).
inline constexpr int kMaxJsonDepth = 512;

enum class JsonType { kNull, kBoolean, kNumber, kString, kArray, kObject };

// The type of a validated raw value (from its first byte).
JsonType TypeOf(std::string_view raw);
// nlohmann's type names ("object", "array", "string", "number", "boolean", "null"), which the
// codec's error messages have always used.
const char* TypeName(JsonType type);
inline const char* TypeName(std::string_view raw) { return TypeName(TypeOf(raw)); }

// A validated number token read the way nlohmann reads it: a token without fraction or exponent
// that fits int64 (when negative) or uint64 (otherwise) is an integer; every other token is a
// double. `d` is always set, equal to nlohmann's get<double>() (std::from_chars rounds correctly,
// like glibc's strtod; integers convert exactly as static_cast<double> does).
struct JsonNumber {
  enum class Kind { kSigned, kUnsigned, kFloat };
  Kind kind = Kind::kFloat;
  int64_t i = 0;   // kSigned
  uint64_t u = 0;  // kUnsigned
  double d = 0;
  bool integer() const { return kind != Kind::kFloat; }
};
JsonNumber ReadNumber(std::string_view token);
// Just the double of a validated number token: ReadNumber(token).d, faster.
double ReadDouble(std::string_view token);

// The text a validated string token (quotes included) stands for, escapes decoded.
std::string DecodeString(std::string_view raw);
// Whether a validated string token stands for `text`; allocates only if it has escapes.
bool StringIs(std::string_view raw, std::string_view text);

// A raw value for an error message: itself when short, else its first bytes (whole UTF-8
// characters) and "...".
std::string Snippet(std::string_view raw);

class JsonCursor {
 public:
  explicit JsonCursor(std::string_view text) : text_(text) {}

  size_t pos() const { return pos_; }
  std::string_view text() const { return text_; }

  // Skips a UTF-8 byte order mark at the start of the text (nlohmann does).
  void SkipBom();
  // Skips whitespace; returns the next byte without consuming it, '\0' at the end of the text.
  char Peek() {
    SkipWhitespace();
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }

  // Validates the value at the cursor (after whitespace), moves past it and returns its bytes.
  Status Value(std::string_view* raw);

  // Walking a container, validating as it goes:
  //   bool more;
  //   SL_RETURN_IF_ERROR(c.OpenArray(&more));
  //   while (more) {
  //     ...c.Value(&v), or a nested Open...
  //     SL_RETURN_IF_ERROR(c.NextElement(&more));
  //   }
  // and for objects OpenObject / Key (the raw key token, then the ':') / a value / NextMember.
  Status OpenArray(bool* more);
  Status NextElement(bool* more);
  Status OpenObject(bool* more);
  Status Key(std::string_view* raw_key);
  Status NextMember(bool* more);

  // Whitespace, then the end of the text.
  Status Finish();

  // Only for a cursor over text validated before (inside a raw value from Value): the number at
  // the cursor, its token and ReadDouble(token), moving past it; false (not moving) if no number
  // starts there. A second validation of the bulk of a request's bytes would cost about as much
  // as converting them, so this one trusts the grammar: std::from_chars, which reads a superset
  // of JSON's numbers, finds the token's end while it converts. Still never reads outside the
  // text.
  bool ValidatedNumber(std::string_view* token, double* value);

 private:
  void SkipWhitespace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') break;
      ++pos_;
    }
  }
  Status Error(std::string_view what) const;
  Status ErrorAt(size_t pos, std::string_view what) const;
  Status Unexpected(std::string_view expected) const;
  Status TooDeep() const;
  Status Scalar();  // a string, number or literal
  Status String();
  Status Number();
  Status Literal(std::string_view word);
  Status Open(char open, char close, bool* more);
  Status Close(char close, bool* more);

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;  // containers opened with OpenArray/OpenObject and not yet closed
};

// A whole document: optional byte order mark, one value, whitespace, end of text.
Status ValidateJson(std::string_view text);

// Calls f(index, raw_element) -> Status for each element of a validated array, in order, and
// stops at the first error. (On a span that is not a validated array: its syntax error.)
template <typename F>
Status ForEachElement(std::string_view array, F&& f) {
  JsonCursor c(array);
  bool more = false;
  SL_RETURN_IF_ERROR(c.OpenArray(&more));
  for (size_t i = 0; more; ++i) {
    std::string_view element;
    SL_RETURN_IF_ERROR(c.Value(&element));
    SL_RETURN_IF_ERROR(f(i, element));
    SL_RETURN_IF_ERROR(c.NextElement(&more));
  }
  return Status::Ok();
}

// Walks the object at the cursor, validating it: for each member calls f(raw_key) -> Status with
// the cursor on the member's value, which f must consume (Value, or a nested walk).
template <typename F>
Status ForEachMemberAt(JsonCursor& c, F&& f) {
  bool more = false;
  SL_RETURN_IF_ERROR(c.OpenObject(&more));
  while (more) {
    std::string_view key;
    SL_RETURN_IF_ERROR(c.Key(&key));
    SL_RETURN_IF_ERROR(f(key));
    SL_RETURN_IF_ERROR(c.NextMember(&more));
  }
  return Status::Ok();
}

// Calls f(raw_key, raw_value) -> Status for each member of a validated object, in order.
template <typename F>
Status ForEachMember(std::string_view object, F&& f) {
  JsonCursor c(object);
  return ForEachMemberAt(c, [&](std::string_view key) -> Status {
    std::string_view value;
    SL_RETURN_IF_ERROR(c.Value(&value));
    return f(key, value);
  });
}

}  // namespace sl::serve::v2
