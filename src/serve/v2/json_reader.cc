#include "serve/v2/json_reader.h"

#include <bitset>
#include <charconv>
#include <cmath>
#include <system_error>

#include <fmt/format.h>

namespace sl::serve::v2 {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 4 hex digits at s[i..i+4) as a code unit; false if they are not there.
bool Hex4(std::string_view s, size_t i, uint32_t* out) {
  if (i > s.size() || s.size() - i < 4) return false;
  uint32_t v = 0;
  for (size_t k = 0; k < 4; ++k) {
    const int h = HexValue(s[i + k]);
    if (h < 0) return false;
    v = v << 4 | static_cast<uint32_t>(h);
  }
  *out = v;
  return true;
}

bool IsHighSurrogate(uint32_t u) { return u >= 0xD800 && u <= 0xDBFF; }
bool IsLowSurrogate(uint32_t u) { return u >= 0xDC00 && u <= 0xDFFF; }

// Length of the well-formed UTF-8 sequence starting with the non-ASCII byte s[0] (RFC 3629,
// Table 3-7 of Unicode: no overlong forms, no surrogates, nothing above U+10FFFF), 0 if it is
// not one. `avail` bytes may be read.
size_t Utf8Length(const unsigned char* s, size_t avail) {
  const unsigned char c = s[0];
  auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < avail && s[k] >= lo && s[k] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | cp >> 6));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | cp >> 12));
    out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | cp >> 18));
    out->push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Exponents are clamped to this: far beyond any double, far from int64 overflow when added to
// digit counts.
constexpr int64_t kExponentClamp = int64_t{1} << 40;

// The exponent of a number token's "e..." tail (clamped), 0 without one.
int64_t ExponentOf(std::string_view tail) {
  size_t i = 0;
  if (i >= tail.size() || (tail[i] != 'e' && tail[i] != 'E')) return 0;
  ++i;
  bool negative = false;
  if (i < tail.size() && (tail[i] == '+' || tail[i] == '-')) negative = tail[i++] == '-';
  int64_t e = 0;
  for (; i < tail.size() && IsDigit(tail[i]); ++i) {
    if (e < kExponentClamp) e = e * 10 + (tail[i] - '0');
  }
  return negative ? -e : e;
}

// For a number token std::from_chars found outside double's range: whether it is too small
// (strtod, hence nlohmann, reads it as a signed zero) rather than too large (infinite). Decided
// by the decimal weight of its first significant digit, which is < 0 for every underflow and
// >= 308 for every overflow.
bool Underflows(std::string_view t) {
  size_t i = (!t.empty() && t[0] == '-') ? 1 : 0;
  int64_t int_digits = 0, k = 0, first_nonzero = -1;
  for (; i < t.size() && IsDigit(t[i]); ++i, ++k, ++int_digits) {
    if (t[i] != '0' && first_nonzero < 0) first_nonzero = k;
  }
  if (i < t.size() && t[i] == '.') {
    for (++i; i < t.size() && IsDigit(t[i]); ++i, ++k) {
      if (t[i] != '0' && first_nonzero < 0) first_nonzero = k;
    }
  }
  if (first_nonzero < 0) return true;  // zero: never out of range, but zero is "small"
  return int_digits - 1 - first_nonzero + ExponentOf(t.substr(i)) < 0;
}

bool IsIntegerToken(std::string_view t) { return t.find_first_of(".eE") == std::string_view::npos; }

}  // namespace

JsonType TypeOf(std::string_view raw) {
  if (raw.empty()) return JsonType::kNull;
  switch (raw[0]) {
    case '{': return JsonType::kObject;
    case '[': return JsonType::kArray;
    case '"': return JsonType::kString;
    case 't':
    case 'f': return JsonType::kBoolean;
    case 'n': return JsonType::kNull;
    default: return JsonType::kNumber;
  }
}

const char* TypeName(JsonType type) {
  switch (type) {
    case JsonType::kNull: return "null";
    case JsonType::kBoolean: return "boolean";
    case JsonType::kNumber: return "number";
    case JsonType::kString: return "string";
    case JsonType::kArray: return "array";
    case JsonType::kObject: return "object";
  }
  return "unknown";
}

double ReadDouble(std::string_view t) {
  double d = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), d);
  if (r.ec == std::errc::result_out_of_range) {
    // from_chars leaves d alone here; strtod gives a signed zero or infinity.
    const bool negative = !t.empty() && t[0] == '-';
    d = Underflows(t) ? (negative ? -0.0 : 0.0) : (negative ? -HUGE_VAL : HUGE_VAL);
  } else if (d == 0 && std::signbit(d) && IsIntegerToken(t)) {
    d = 0.0;  // nlohmann reads "-0" as the integer 0, whose double is +0
  }
  return d;
}

JsonNumber ReadNumber(std::string_view t) {
  JsonNumber n;
  if (!t.empty() && IsIntegerToken(t)) {
    const char* end = t.data() + t.size();
    if (t[0] == '-') {
      int64_t v = 0;
      const auto r = std::from_chars(t.data(), end, v);
      if (r.ec == std::errc() && r.ptr == end) {
        n.kind = JsonNumber::Kind::kSigned;
        n.i = v;
        n.d = static_cast<double>(v);
        return n;
      }
    } else {
      uint64_t v = 0;
      const auto r = std::from_chars(t.data(), end, v);
      if (r.ec == std::errc() && r.ptr == end) {
        n.kind = JsonNumber::Kind::kUnsigned;
        n.u = v;
        n.d = static_cast<double>(v);
        return n;
      }
    }
  }
  n.d = ReadDouble(t);  // a fraction, an exponent, or an integer beyond 64 bits
  return n;
}

std::string DecodeString(std::string_view raw) {
  std::string out;
  if (raw.size() < 2) return out;
  const std::string_view s = raw.substr(1, raw.size() - 2);
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const size_t j = s.find('\\', i);
    if (j == std::string_view::npos) {
      out.append(s.substr(i));
      break;
    }
    out.append(s.substr(i, j - i));
    if (j + 1 >= s.size()) break;
    const char e = s[j + 1];
    i = j + 2;
    switch (e) {
      case 'b': out.push_back('\b'); break;
      case 'f': out.push_back('\f'); break;
      case 'n': out.push_back('\n'); break;
      case 'r': out.push_back('\r'); break;
      case 't': out.push_back('\t'); break;
      case 'u': {
        uint32_t cp = 0, low = 0;
        if (!Hex4(s, i, &cp)) return out;  // not a validated token
        i += 4;
        if (IsHighSurrogate(cp) && i + 1 < s.size() && s[i] == '\\' && s[i + 1] == 'u' &&
            Hex4(s, i + 2, &low) && IsLowSurrogate(low)) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          i += 6;
        }
        AppendUtf8(cp, &out);
        break;
      }
      default: out.push_back(e); break;  // '"', '\\', '/'
    }
  }
  return out;
}

std::string Snippet(std::string_view raw) {
  constexpr size_t kMax = 64;
  if (raw.size() <= kMax) return std::string(raw);
  size_t cut = kMax - 3;
  while (cut > 0 && (static_cast<unsigned char>(raw[cut]) & 0xC0) == 0x80) --cut;  // mid-character
  return fmt::format("{}...", raw.substr(0, cut));
}

bool StringIs(std::string_view raw, std::string_view text) {
  if (raw.size() < 2) return false;
  const std::string_view inner = raw.substr(1, raw.size() - 2);
  if (inner.find('\\') == std::string_view::npos) return inner == text;
  return DecodeString(raw) == text;
}

Status JsonCursor::ErrorAt(size_t pos, std::string_view what) const {
  return InvalidArgument("{} at byte {}", what, pos);
}

Status JsonCursor::Error(std::string_view what) const { return ErrorAt(pos_, what); }

Status JsonCursor::TooDeep() const {
  return Error(fmt::format("nested deeper than {} levels", kMaxJsonDepth));
}

Status JsonCursor::Unexpected(std::string_view expected) const {
  if (pos_ >= text_.size()) {
    return Error(fmt::format("unexpected end of input; expected {}", expected));
  }
  const auto c = static_cast<unsigned char>(text_[pos_]);
  if (c > 0x20 && c < 0x7F) {
    return Error(fmt::format("unexpected '{}'; expected {}", static_cast<char>(c), expected));
  }
  return Error(fmt::format("unexpected byte 0x{:02X}; expected {}", c, expected));
}

void JsonCursor::SkipBom() {
  if (pos_ == 0 && text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

Status JsonCursor::String() {
  const auto* s = reinterpret_cast<const unsigned char*>(text_.data());
  const size_t n = text_.size();
  size_t i = pos_ + 1;  // past the opening quote
  for (;;) {
    // The common case first: a run of printable ASCII.
    while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\') ++i;
    if (i >= n) return ErrorAt(n, "unexpected end of input in a string");
    const unsigned char c = s[i];
    if (c == '"') {
      pos_ = i + 1;
      return Status::Ok();
    }
    if (c == '\\') {
      if (i + 1 >= n) return ErrorAt(n, "unexpected end of input in a string");
      switch (s[i + 1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          i += 2;
          continue;
        case 'u': {
          uint32_t unit = 0, low = 0;
          if (!Hex4(text_, i + 2, &unit)) return ErrorAt(i, "\\u must be followed by 4 hex digits");
          if (IsLowSurrogate(unit)) {
            return ErrorAt(i,
                           "a \\u escape of a low surrogate (DC00..DFFF) must follow a high one");
          }
          if (IsHighSurrogate(unit)) {
            if (!(i + 7 < n && s[i + 6] == '\\' && s[i + 7] == 'u' && Hex4(text_, i + 8, &low) &&
                  IsLowSurrogate(low))) {
              return ErrorAt(i, "a \\u escape of a high surrogate (D800..DBFF) must be followed "
                                "by one of a low surrogate (DC00..DFFF)");
            }
            i += 6;
          }
          i += 6;
          continue;
        }
        default: return ErrorAt(i, "invalid escape in a string");
      }
    }
    if (c < 0x20) {
      return ErrorAt(i, fmt::format("control character 0x{:02X} in a string (must be escaped)", c));
    }
    const size_t len = Utf8Length(s + i, n - i);
    if (len == 0) return ErrorAt(i, "invalid UTF-8 in a string");
    i += len;
  }
}

Status JsonCursor::Number() {
  const size_t start = pos_;
  const size_t n = text_.size();
  size_t i = pos_;
  if (text_[i] == '-') ++i;
  if (i >= n || !IsDigit(text_[i])) return ErrorAt(i, "invalid number: expected a digit");
  int64_t int_digits = 0;  // of a non-zero integer part: bounds the magnitude below
  if (text_[i] == '0') {
    ++i;  // a leading zero is the whole integer part: "01" is "0" followed by junk
  } else {
    for (; i < n && IsDigit(text_[i]); ++i) ++int_digits;
  }
  if (i < n && text_[i] == '.') {
    ++i;
    if (i >= n || !IsDigit(text_[i])) {
      return ErrorAt(i, "invalid number: expected a digit after '.'");
    }
    while (i < n && IsDigit(text_[i])) ++i;
  }
  int64_t exponent = 0;
  if (i < n && (text_[i] == 'e' || text_[i] == 'E')) {
    const size_t e = i++;
    if (i < n && (text_[i] == '+' || text_[i] == '-')) ++i;
    if (i >= n || !IsDigit(text_[i])) {
      return ErrorAt(i, "invalid number: expected a digit in the exponent");
    }
    while (i < n && IsDigit(text_[i])) ++i;
    exponent = ExponentOf(text_.substr(e, i - e));
  }
  pos_ = i;
  // The value is below 10^(int_digits + exponent): finite for sure up to 10^308 (DBL_MAX is
  // 1.8e308). Only beyond that bound is the number converted here, to reject infinities as
  // nlohmann does ("number overflow"); the rest are converted once, by whoever reads them.
  if (int_digits + exponent > 308) {
    const std::string_view token = text_.substr(start, i - start);
    if (!std::isfinite(ReadDouble(token))) {
      return ErrorAt(start, fmt::format("number {} is out of range for a double", Snippet(token)));
    }
  }
  return Status::Ok();
}

Status JsonCursor::Literal(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) {
    return Error(fmt::format("invalid literal (expected {})", word));
  }
  pos_ += word.size();
  return Status::Ok();
}

Status JsonCursor::Scalar() {
  switch (text_[pos_]) {
    case '"': return String();
    case 't': return Literal("true");
    case 'f': return Literal("false");
    case 'n': return Literal("null");
    case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
    case '8': case '9':
      return Number();
    default: return Unexpected("a value");
  }
}

Status JsonCursor::Value(std::string_view* raw) {
  SkipWhitespace();
  const size_t start = pos_;
  if (pos_ >= text_.size()) return Unexpected("a value");
  if (text_[pos_] != '{' && text_[pos_] != '[') {  // the common case, without the bookkeeping
    SL_RETURN_IF_ERROR(Scalar());
    *raw = text_.substr(start, pos_ - start);
    return Status::Ok();
  }
  // The containers opened inside this value, innermost last: true = object.
  std::bitset<kMaxJsonDepth> is_object;
  int open = 0;
  for (;;) {
    // A value starts here (after whitespace).
    SkipWhitespace();
    if (pos_ >= text_.size()) return Unexpected("a value");
    switch (text_[pos_]) {
      case '{':
      case '[': {
        if (depth_ + open >= kMaxJsonDepth) return TooDeep();
        const bool object = text_[pos_] == '{';
        ++pos_;
        SkipWhitespace();
        if (pos_ < text_.size() && text_[pos_] == (object ? '}' : ']')) {
          ++pos_;  // empty: a complete value
          break;
        }
        is_object[open++] = object;
        if (object) {
          std::string_view key;
          SL_RETURN_IF_ERROR(Key(&key));
        }
        continue;  // to the first element's value
      }
      default: SL_RETURN_IF_ERROR(Scalar()); break;
    }
    // A value is complete: it may complete its containers too, or the next element follows.
    for (;;) {
      if (open == 0) {
        *raw = text_.substr(start, pos_ - start);
        return Status::Ok();
      }
      SkipWhitespace();
      const bool object = is_object[open - 1];
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        if (object) {
          std::string_view key;
          SL_RETURN_IF_ERROR(Key(&key));
        }
        break;
      }
      if (pos_ < text_.size() && text_[pos_] == (object ? '}' : ']')) {
        ++pos_;
        --open;
        continue;
      }
      return Unexpected(object ? "',' or '}'" : "',' or ']'");
    }
  }
}

Status JsonCursor::Open(char open, char close, bool* more) {
  if (Peek() != open) return Unexpected(open == '[' ? "'['" : "'{'");
  if (depth_ >= kMaxJsonDepth) return TooDeep();
  ++pos_;
  ++depth_;
  *more = Peek() != close;
  if (!*more) {
    ++pos_;
    --depth_;
  }
  return Status::Ok();
}

Status JsonCursor::OpenArray(bool* more) { return Open('[', ']', more); }
Status JsonCursor::OpenObject(bool* more) { return Open('{', '}', more); }

Status JsonCursor::Close(char close, bool* more) {
  SkipWhitespace();
  if (pos_ < text_.size() && text_[pos_] == ',') {
    ++pos_;
    *more = true;
    return Status::Ok();
  }
  if (pos_ < text_.size() && text_[pos_] == close) {
    ++pos_;
    --depth_;
    *more = false;
    return Status::Ok();
  }
  return Unexpected(close == ']' ? "',' or ']'" : "',' or '}'");
}

Status JsonCursor::NextElement(bool* more) { return Close(']', more); }
Status JsonCursor::NextMember(bool* more) { return Close('}', more); }

Status JsonCursor::Key(std::string_view* raw_key) {
  if (Peek() != '"') return Unexpected("a string (an object key)");
  const size_t start = pos_;
  SL_RETURN_IF_ERROR(String());
  *raw_key = text_.substr(start, pos_ - start);
  if (Peek() != ':') return Unexpected("':'");
  ++pos_;
  return Status::Ok();
}

Status JsonCursor::Finish() {
  if (depth_ != 0) return Error("unclosed array or object");
  SkipWhitespace();
  if (pos_ != text_.size()) return Unexpected("the end of the input");
  return Status::Ok();
}

bool JsonCursor::ValidatedNumber(std::string_view* token, double* value) {
  SkipWhitespace();
  const char* p = text_.data() + pos_;
  const char* end = text_.data() + text_.size();
  // A digit must come first (after a '-'): from_chars would also read "inf" and "nan".
  const char* digit = p < end && *p == '-' ? p + 1 : p;
  if (digit >= end || !IsDigit(*digit)) return false;
  double d = 0;
  const auto r = std::from_chars(p, end, d);
  *token = std::string_view(p, static_cast<size_t>(r.ptr - p));
  pos_ += token->size();
  if (r.ec != std::errc()) {
    d = ReadDouble(*token);  // out of range: a signed zero (or infinity)
  } else if (d == 0 && std::signbit(d) && IsIntegerToken(*token)) {
    d = 0.0;  // "-0", the integer 0 for nlohmann
  }
  *value = d;
  return true;
}

Status ValidateJson(std::string_view text) {
  JsonCursor c(text);
  c.SkipBom();
  std::string_view raw;
  SL_RETURN_IF_ERROR(c.Value(&raw));
  return c.Finish();
}

}  // namespace sl::serve::v2
