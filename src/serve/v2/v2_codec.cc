#include "serve/v2/v2_codec.h"

#include <png.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <optional>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "ml/image/decode_image.h"
#include "serve/v2/json_reader.h"

namespace sl::serve::v2 {
namespace {

using nlohmann::json;

constexpr int kMaxNesting = 16;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A JSON string literal for any bytes: invalid UTF-8 becomes U+FFFD instead of throwing
// (nlohmann's default dump throws type_error 316 on it).
std::string JsonString(std::string_view s) {
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
}

bool IsPng(std::string_view b) {
  static const unsigned char kSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  return b.size() >= 8 && std::memcmp(b.data(), kSig, 8) == 0;
}

enum class Dt { kFp32, kFp64, kInt8, kInt16, kInt32, kInt64, kUint8, kUint16, kUint32, kUint64,
                kBytes, kBad };

Dt ParseDt(std::string_view s) {
  if (s == "FP32") return Dt::kFp32;
  if (s == "FP64") return Dt::kFp64;
  if (s == "INT8") return Dt::kInt8;
  if (s == "INT16") return Dt::kInt16;
  if (s == "INT32") return Dt::kInt32;
  if (s == "INT64") return Dt::kInt64;
  if (s == "UINT8") return Dt::kUint8;
  if (s == "UINT16") return Dt::kUint16;
  if (s == "UINT32") return Dt::kUint32;
  if (s == "UINT64") return Dt::kUint64;
  if (s == "BYTES") return Dt::kBytes;
  return Dt::kBad;
}

// Range of an integer datatype.
void IntRange(Dt dt, double* lo, double* hi) {
  switch (dt) {
    case Dt::kInt8: *lo = -128; *hi = 127; return;
    case Dt::kInt16: *lo = -32768; *hi = 32767; return;
    case Dt::kInt32: *lo = -2147483648.0; *hi = 2147483647.0; return;
    case Dt::kUint8: *lo = 0; *hi = 255; return;
    case Dt::kUint16: *lo = 0; *hi = 65535; return;
    case Dt::kUint32: *lo = 0; *hi = 4294967295.0; return;
    case Dt::kUint64: *lo = 0; *hi = 18446744073709551615.0; return;
    default: *lo = -9223372036854775808.0; *hi = 9223372036854775807.0; return;
  }
}

// The walk both data readers share, over the validated span of (possibly nested, row-major)
// data: the nesting limit when an array is entered, then the value limit before each leaf, whose
// reading Derived::Element(depth) does (its path is Where(depth)). The checks, their order and
// their messages are those of the nlohmann-based reader this replaced (v2_decode_diff_test.cc
// keeps that reader as the oracle).
template <typename Derived>
class DataWalk {
 public:
  Status Read() { return Array(0); }

 protected:
  DataWalk(std::string_view data, int64_t limit) : c_(data), limit_(limit) {}

  // "inputs[0].data" and the indices of the first `depth` levels: the path is only built for
  // an error message, never per value.
  std::string Where(int depth) const {
    std::string w = "inputs[0].data";
    for (int l = 0; l < depth; ++l) fmt::format_to(std::back_inserter(w), "[{}]", index_[l]);
    return w;
  }

  JsonCursor c_;

 private:
  Status Array(int depth) {
    if (depth > kMaxNesting) {
      return InvalidArgument("{}: nested deeper than {} levels", Where(depth), kMaxNesting);
    }
    Derived& self = static_cast<Derived&>(*this);
    bool more = false;
    SL_RETURN_IF_ERROR(c_.OpenArray(&more));
    for (int64_t i = 0; more; ++i) {
      index_[depth] = i;
      if (c_.Peek() == '[') {
        SL_RETURN_IF_ERROR(Array(depth + 1));
      } else {
        if (self.Count() >= limit_) {
          return InvalidArgument("{}: more than {} values", Where(depth), limit_);
        }
        SL_RETURN_IF_ERROR(self.Element(depth + 1));
      }
      SL_RETURN_IF_ERROR(c_.NextElement(&more));
    }
    return Status::Ok();
  }

  const int64_t limit_;
  int64_t index_[kMaxNesting + 1] = {};  // Array(depth) runs for depth <= kMaxNesting only
};

// Numeric data into floats, each number converted once, straight from the text: per leaf the
// type, integer-ness and range for integer datatypes, finiteness, the FP32 range.
class NumberReader : public DataWalk<NumberReader> {
 public:
  NumberReader(std::string_view data, Dt dt, std::string_view dt_name, int64_t limit,
               std::vector<float>* out)
      : DataWalk(data, limit), dt_(dt), dt_name_(dt_name), out_(out),
        integer_(dt != Dt::kFp32 && dt != Dt::kFp64) {
    if (integer_) IntRange(dt, &lo_, &hi_);
  }

 private:
  friend class DataWalk<NumberReader>;
  int64_t Count() const { return static_cast<int64_t>(out_->size()); }

  Status Element(int depth) {
    std::string_view v;
    double d = 0;
    // The data were validated by ScanRequest: converting is all that is left to do.
    if (!c_.ValidatedNumber(&v, &d)) {
      SL_RETURN_IF_ERROR(c_.Value(&v));
      return InvalidArgument("{}: expected a number for datatype {}, got {}", Where(depth),
                             dt_name_, TypeName(v));
    }
    if (integer_) {
      const JsonNumber num = ReadNumber(v);
      d = num.d;
      // Values above INT64_MAX are unsigned integers that round to 2^63 == hi as doubles.
      const bool above_int64 = num.kind == JsonNumber::Kind::kUnsigned &&
                               num.u > uint64_t{std::numeric_limits<int64_t>::max()};
      if (!num.integer() || d < lo_ || d > hi_ || (dt_ == Dt::kInt64 && above_int64)) {
        return InvalidArgument("{}: {} is not a {} value", Where(depth), Snippet(v), dt_name_);
      }
    } else {
      // The reader rejects infinite numbers as invalid JSON; kept as the last line of defence.
      if (!std::isfinite(d)) return InvalidArgument("{}: not a finite number", Where(depth));
    }
    const float f = dt_ == Dt::kUint8 ? static_cast<float>(d / 255.0) : static_cast<float>(d);
    if (!std::isfinite(f)) {
      return InvalidArgument("{}: {} does not fit in FP32", Where(depth), Snippet(v));
    }
    out_->push_back(f);
    return Status::Ok();
  }

  const Dt dt_;
  const std::string_view dt_name_;
  std::vector<float>* const out_;
  const bool integer_;
  double lo_ = 0, hi_ = 0;
};

// The strings of BYTES data.
class StringReader : public DataWalk<StringReader> {
 public:
  StringReader(std::string_view data, int64_t limit, std::vector<std::string>* out)
      : DataWalk(data, limit), out_(out) {}

 private:
  friend class DataWalk<StringReader>;
  int64_t Count() const { return static_cast<int64_t>(out_->size()); }

  Status Element(int depth) {
    std::string_view v;
    SL_RETURN_IF_ERROR(c_.Value(&v));
    if (TypeOf(v) != JsonType::kString) {
      return InvalidArgument("{}: expected a string for datatype BYTES, got {}", Where(depth),
                             TypeName(v));
    }
    out_->push_back(DecodeString(v));
    return Status::Ok();
  }

  std::vector<std::string>* const out_;
};

// A boolean member `key` of a parameters object (validated JSON): unset when absent.
Status BoolParameter(std::string_view params, std::string_view key, const std::string& where,
                     std::optional<bool>* out) {
  if (params.empty() || TypeOf(params) != JsonType::kObject) return Status::Ok();
  return ForEachMember(params, [&](std::string_view k, std::string_view v) -> Status {
    if (!StringIs(k, key)) return Status::Ok();
    if (TypeOf(v) != JsonType::kBoolean) {
      return InvalidArgument("{}.{}: expected true or false, got {}", where, key, Snippet(v));
    }
    *out = v == "true";
    return Status::Ok();
  });
}

// `binary`: per requested output, its parameters.binary_data when given.
Status CheckOutputs(std::string_view outputs, std::vector<std::string>* out,
                    std::vector<std::optional<bool>>* binary) {
  if (TypeOf(outputs) != JsonType::kArray) {
    return InvalidArgument("outputs: expected an array, got {}", TypeName(outputs));
  }
  return ForEachElement(outputs, [&](size_t i, std::string_view o) -> Status {
    if (TypeOf(o) != JsonType::kObject) {
      return InvalidArgument("outputs[{}]: expected an object, got {}", i, TypeName(o));
    }
    std::string_view name, params;  // the last of duplicate keys, as nlohmann
    SL_RETURN_IF_ERROR(ForEachMember(o, [&](std::string_view key, std::string_view value) {
      if (StringIs(key, "name")) name = value;
      if (StringIs(key, "parameters")) params = value;
      return Status::Ok();
    }));
    if (name.empty() || TypeOf(name) != JsonType::kString) {
      return InvalidArgument("outputs[{}].name: missing or not a string", i);
    }
    std::string n = DecodeString(name);
    if (n != kOutputProbabilities && n != kOutputLabel && n != kOutputClassName) {
      return InvalidArgument("outputs[{}].name: unknown output '{}' (outputs: {}, {}, {})", i, n,
                             kOutputProbabilities, kOutputLabel, kOutputClassName);
    }
    if (!params.empty() && TypeOf(params) != JsonType::kObject) {
      return InvalidArgument("outputs[{}].parameters: expected an object, got {}", i,
                             TypeName(params));
    }
    std::optional<bool> b;
    SL_RETURN_IF_ERROR(BoolParameter(params, "binary_data", fmt::format("outputs[{}].parameters", i), &b));
    binary->push_back(b);
    out->push_back(std::move(n));
    return Status::Ok();
  });
}

Result<std::vector<int64_t>> ParseShape(std::string_view raw, const std::string& where) {
  if (TypeOf(raw) != JsonType::kArray) {
    return InvalidArgument("{}: expected an array, got {}", where, TypeName(raw));
  }
  size_t size = 0;
  SL_RETURN_IF_ERROR(ForEachElement(raw, [&](size_t, std::string_view) {
    ++size;
    return Status::Ok();
  }));
  if (size == 0 || size > 8) {
    return InvalidArgument("{}: expected 1 to 8 dimensions, got {}", where, size);
  }
  std::vector<int64_t> shape;
  SL_RETURN_IF_ERROR(ForEachElement(raw, [&](size_t i, std::string_view v) -> Status {
    JsonNumber num;
    if (TypeOf(v) == JsonType::kNumber) num = ReadNumber(v);
    // As nlohmann's get<int64_t>(): an unsigned integer above INT64_MAX wraps to a negative.
    const int64_t dim = num.kind == JsonNumber::Kind::kUnsigned ? static_cast<int64_t>(num.u)
                                                                : num.i;
    if (!num.integer() || dim < 0 || dim > (int64_t{1} << 31)) {
      return InvalidArgument("{}[{}]: expected a dimension (integer >= 0), got {}", where, i,
                             Snippet(v));
    }
    shape.push_back(dim);
    return Status::Ok();
  }));
  return shape;
}

// The raw values of a request that the decoder looks at, as spans of the body; empty when
// absent. A key given twice counts the last time, as with nlohmann.
struct RequestSpans {
  std::string_view not_object;  // the body's value when it is not an object
  std::string_view id, parameters, outputs, inputs;
  size_t inputs_size = 0;  // elements of `inputs` when it is an array
  std::string_view input;  // inputs[0]
  std::string_view name, datatype, shape, input_parameters, data;  // members of inputs[0]
};

// The members of inputs[0], which hold the big "data" array: read in the same validating pass.
Status ScanInput(JsonCursor& c, RequestSpans* s) {
  const size_t start = c.pos();
  SL_RETURN_IF_ERROR(ForEachMemberAt(c, [&](std::string_view key) -> Status {
    std::string_view value;
    SL_RETURN_IF_ERROR(c.Value(&value));
    if (StringIs(key, "data")) {
      s->data = value;
    } else if (StringIs(key, "name")) {
      s->name = value;
    } else if (StringIs(key, "datatype")) {
      s->datatype = value;
    } else if (StringIs(key, "shape")) {
      s->shape = value;
    } else if (StringIs(key, "parameters")) {
      s->input_parameters = value;
    }
    return Status::Ok();
  }));
  s->input = c.text().substr(start, c.pos() - start);
  return Status::Ok();
}

Status ScanInputs(JsonCursor& c, RequestSpans* s) {
  // A later "inputs" replaces an earlier one entirely.
  s->inputs_size = 0;
  s->input = s->name = s->datatype = s->shape = s->input_parameters = s->data = {};
  if (c.Peek() != '[') return c.Value(&s->inputs);
  const size_t start = c.pos();
  bool more = false;
  SL_RETURN_IF_ERROR(c.OpenArray(&more));
  for (; more; ++s->inputs_size) {
    if (s->inputs_size == 0 && c.Peek() == '{') {
      SL_RETURN_IF_ERROR(ScanInput(c, s));
    } else {
      std::string_view v;
      SL_RETURN_IF_ERROR(c.Value(&v));
      if (s->inputs_size == 0) s->input = v;
    }
    SL_RETURN_IF_ERROR(c.NextElement(&more));
  }
  s->inputs = c.text().substr(start, c.pos() - start);
  return Status::Ok();
}

// One validating pass over the whole body (so a syntax error anywhere is reported before any
// other error, as when nlohmann parsed it all first), keeping the spans of the request's fields.
Status ScanRequest(std::string_view body, RequestSpans* s) {
  JsonCursor c(body);
  c.SkipBom();
  if (c.Peek() != '{') {
    SL_RETURN_IF_ERROR(c.Value(&s->not_object));
    return c.Finish();
  }
  SL_RETURN_IF_ERROR(ForEachMemberAt(c, [&](std::string_view key) -> Status {
    if (StringIs(key, "inputs")) return ScanInputs(c, s);
    std::string_view value;
    SL_RETURN_IF_ERROR(c.Value(&value));
    if (StringIs(key, "id")) {
      s->id = value;
    } else if (StringIs(key, "parameters")) {
      s->parameters = value;
    } else if (StringIs(key, "outputs")) {
      s->outputs = value;
    }
    return Status::Ok();
  }));
  return c.Finish();
}

// Triton's binary tensor data extension: inputs[0].parameters.binary_data_size, or -1 when the
// parameters do not have it. The parameters span was validated as JSON by ScanRequest.
Result<int64_t> BinaryDataSize(std::string_view parameters) {
  if (parameters.empty() || TypeOf(parameters) != JsonType::kObject) return int64_t{-1};
  JsonCursor c(parameters);
  int64_t size = -1;
  SL_RETURN_IF_ERROR(ForEachMemberAt(c, [&](std::string_view key) -> Status {
    std::string_view v;
    SL_RETURN_IF_ERROR(c.Value(&v));
    if (!StringIs(key, "binary_data_size")) return Status::Ok();
    const JsonNumber n = TypeOf(v) == JsonType::kNumber ? ReadNumber(v) : JsonNumber{};
    if (TypeOf(v) != JsonType::kNumber || n.kind != JsonNumber::Kind::kUnsigned ||
        n.u > uint64_t{std::numeric_limits<int64_t>::max()}) {
      return InvalidArgument("inputs[0].parameters.binary_data_size: expected a byte count, got {}",
                             Snippet(v));
    }
    size = static_cast<int64_t>(n.u);
    return Status::Ok();
  }));
  return size;
}

size_t ElementBytes(Dt dt) {
  switch (dt) {
    case Dt::kInt8: case Dt::kUint8: return 1;
    case Dt::kInt16: case Dt::kUint16: return 2;
    case Dt::kFp32: case Dt::kInt32: case Dt::kUint32: return 4;
    default: return 8;  // FP64, INT64, UINT64
  }
}

template <typename T>
T LoadLittleEndian(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // x86-64 and aarch64 Linux are little-endian, as the extension
  return v;
}

// `count` values of `T` (little-endian, packed) widened to float.
template <typename T>
void Widen(const char* p, int64_t count, float* dst) {
  for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<float>(LoadLittleEndian<T>(p + i * sizeof(T)));
}

// `count` values of datatype `dt` from raw bytes (a binary octet-stream body, or the binary
// section of the binary tensor data extension), converted as the JSON path converts numbers:
// UINT8 pixels scaled by 1/255, everything else taken as the value; every result a finite FP32.
// Errors start with `where`. The caller has checked that `bytes` holds count × ElementBytes(dt).
Status ConvertBinary(std::string_view bytes, Dt dt, std::string_view dt_name, int64_t count,
                     std::string_view where, std::vector<float>* out) {
  static_assert(std::endian::native == std::endian::little);
  out->resize(static_cast<size_t>(count));
  float* dst = out->data();
  const char* p = bytes.data();
  switch (dt) {
    case Dt::kFp32: std::memcpy(dst, p, static_cast<size_t>(count) * sizeof(float)); break;
    case Dt::kUint8:
      for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<float>(static_cast<unsigned char>(p[i])) / 255.0f;
      break;
    case Dt::kFp64: Widen<double>(p, count, dst); break;
    case Dt::kInt8: Widen<int8_t>(p, count, dst); break;
    case Dt::kInt16: Widen<int16_t>(p, count, dst); break;
    case Dt::kUint16: Widen<uint16_t>(p, count, dst); break;
    case Dt::kInt32: Widen<int32_t>(p, count, dst); break;
    case Dt::kUint32: Widen<uint32_t>(p, count, dst); break;
    case Dt::kInt64: Widen<int64_t>(p, count, dst); break;
    default: Widen<uint64_t>(p, count, dst); break;
  }
  for (int64_t i = 0; i < count; ++i) {
    if (!std::isfinite(dst[i])) return InvalidArgument("{}: {} value {} is not finite", where, dt_name, i);
  }
  return Status::Ok();
}

// BYTES elements of the binary section: each a 4-byte little-endian length, then the bytes.
Status ConvertBinaryStrings(std::string_view bytes, int64_t count, std::vector<std::string>* out) {
  size_t at = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (bytes.size() - at < 4) {
      return InvalidArgument("inputs[0] binary data: byte {}: BYTES element {} has no 4-byte length", at, i);
    }
    const uint32_t n = LoadLittleEndian<uint32_t>(bytes.data() + at);
    at += 4;
    if (n > bytes.size() - at) {
      return InvalidArgument("inputs[0] binary data: byte {}: BYTES element {} of {} bytes runs past the end",
                             at - 4, i, n);
    }
    out->emplace_back(bytes.substr(at, n));
    at += n;
  }
  if (at != bytes.size()) {
    return InvalidArgument("inputs[0] binary data: {} bytes after the {} BYTES elements of the shape",
                           bytes.size() - at, count);
  }
  return Status::Ok();
}

Status DecodeJson(const ModelInput& input, InferenceRequest* req) {
  RequestSpans s;  // spans of req->body, which is not modified below
  // With the binary tensor data extension the JSON is the first json_header_bytes of the body
  // and the input's data follow it.
  const bool extension = req->json_header_bytes >= 0;
  const std::string_view body(req->body);
  const std::string_view json_text = extension ? body.substr(0, static_cast<size_t>(req->json_header_bytes)) : body;
  const std::string_view binary = extension ? body.substr(static_cast<size_t>(req->json_header_bytes)) : std::string_view();
  if (Status st = ScanRequest(json_text, &s); !st.ok()) {
    return InvalidArgument("request body is not valid JSON: {}", st.message());
  }
  if (!s.not_object.empty()) {
    return InvalidArgument("request body: expected a JSON object, got {}",
                           TypeName(s.not_object));
  }
  if (!s.id.empty()) {
    if (TypeOf(s.id) != JsonType::kString) {
      return InvalidArgument("id: expected a string, got {}", TypeName(s.id));
    }
    req->id = DecodeString(s.id);
  }
  if (!s.parameters.empty() && TypeOf(s.parameters) != JsonType::kObject) {
    return InvalidArgument("parameters: expected an object, got {}", TypeName(s.parameters));
  }
  std::optional<bool> binary_all;
  SL_RETURN_IF_ERROR(BoolParameter(s.parameters, "binary_data_output", "parameters", &binary_all));
  std::vector<std::optional<bool>> binary_each;
  if (!s.outputs.empty()) SL_RETURN_IF_ERROR(CheckOutputs(s.outputs, &req->outputs, &binary_each));
  // As Triton: an output's own binary_data wins over the request's binary_data_output.
  if (req->outputs.empty()) {
    if (binary_all.value_or(false)) {
      req->binary_outputs = {kOutputProbabilities, kOutputLabel, kOutputClassName};
    }
  } else {
    for (size_t i = 0; i < req->outputs.size(); ++i) {
      if (binary_each[i].value_or(binary_all.value_or(false))) {
        req->binary_outputs.push_back(req->outputs[i]);
      }
    }
  }
  if (s.inputs.empty()) return InvalidArgument("inputs: missing");
  if (TypeOf(s.inputs) != JsonType::kArray) {
    return InvalidArgument("inputs: expected an array, got {}", TypeName(s.inputs));
  }
  if (s.inputs_size != 1) {
    return InvalidArgument("inputs: model '{}' takes exactly 1 input ({}), got {}", req->model,
                           input.name, s.inputs_size);
  }
  if (TypeOf(s.input) != JsonType::kObject) {
    return InvalidArgument("inputs[0]: expected an object, got {}", TypeName(s.input));
  }
  if (s.name.empty() || TypeOf(s.name) != JsonType::kString) {
    return InvalidArgument("inputs[0].name: missing or not a string");
  }
  req->input_name = DecodeString(s.name);
  // Strict as Triton, in Triton's words: the input must be the model's, of the model's datatype
  // (an FP64 or UINT8 tensor for an FP32 model is an error, not a silent conversion).
  if (req->input_name != input.name) {
    return InvalidArgument("unexpected inference input '{}' for model '{}' (its input is '{}')",
                           req->input_name, req->model, input.name);
  }
  if (s.datatype.empty() || TypeOf(s.datatype) != JsonType::kString) {
    return InvalidArgument("inputs[0].datatype: missing or not a string");
  }
  const std::string dt_name = DecodeString(s.datatype);
  if (dt_name != input.DatatypeName()) {
    return InvalidArgument("inference input '{}' data-type is '{}', but model '{}' expects '{}'",
                           req->input_name, dt_name, req->model, input.DatatypeName());
  }
  Dt dt = ParseDt(dt_name);
  if (s.shape.empty()) return InvalidArgument("inputs[0].shape: missing");
  SL_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ParseShape(s.shape, "inputs[0].shape"));
  if (!s.input_parameters.empty() && TypeOf(s.input_parameters) != JsonType::kObject) {
    return InvalidArgument("inputs[0].parameters: expected an object, got {}",
                           TypeName(s.input_parameters));
  }
  SL_ASSIGN_OR_RETURN(const int64_t binary_size, BinaryDataSize(s.input_parameters));
  if (binary_size >= 0) {
    if (!extension) {
      return InvalidArgument("inputs[0].parameters.binary_data_size given without an "
                             "Inference-Header-Content-Length header (binary tensor data extension)");
    }
    if (!s.data.empty()) {
      return InvalidArgument("inputs[0]: both data and parameters.binary_data_size given");
    }
    if (binary_size != static_cast<int64_t>(binary.size())) {
      return InvalidArgument("inputs[0].parameters.binary_data_size: {} bytes, but {} bytes follow the "
                             "{}-byte JSON header", binary_size, binary.size(), json_text.size());
    }
  } else {
    if (extension && !binary.empty()) {
      return InvalidArgument("{} bytes follow the {}-byte JSON header (Inference-Header-Content-Length) "
                             "but no input has parameters.binary_data_size", binary.size(), json_text.size());
    }
    if (s.data.empty()) return InvalidArgument("inputs[0].data: missing");
    if (TypeOf(s.data) != JsonType::kArray) {
      return InvalidArgument("inputs[0].data: expected an array, got {}", TypeName(s.data));
    }
  }
  const int64_t n = shape[0];
  if (n < 1 || n > kMaxBatch) {
    return InvalidArgument("inputs[0].shape[0]: batch size {} is not in [1, {}]", n, kMaxBatch);
  }
  if (input.text) {
    if (dt != Dt::kBytes) {
      return InvalidArgument("inputs[0].datatype: expected BYTES for text model '{}', got {}",
                             req->model, dt_name);
    }
    if (!(shape.size() == 1 || (shape.size() == 2 && shape[1] == 1))) {
      return InvalidArgument("inputs[0].shape: expected [n] or [n,1] for BYTES, got {}",
                             ShapeText(shape));
    }
    if (binary_size >= 0) {
      SL_RETURN_IF_ERROR(ConvertBinaryStrings(binary, n, &req->texts));
    } else {
      SL_RETURN_IF_ERROR(StringReader(s.data, n, &req->texts).Read());
    }
    if (static_cast<int64_t>(req->texts.size()) != n) {
      return InvalidArgument("inputs[0].data: shape {} needs {} strings, got {}",
                             ShapeText(shape), n, req->texts.size());
    }
    req->batch = n;
    return Status::Ok();
  }
  if (dt == Dt::kBytes) {
    return InvalidArgument("inputs[0].datatype: BYTES given, model '{}' expects a numeric tensor "
                           "(e.g. FP32 or UINT8) of shape [n,{}]",
                           req->model, fmt::join(input.shape, ","));
  }
  const int64_t numel = input.Numel();
  bool full = shape.size() == input.shape.size() + 1 &&
              std::equal(input.shape.begin(), input.shape.end(), shape.begin() + 1);
  bool flat = shape.size() == 2 && shape[1] == numel;
  if (!full && !flat) {
    return InvalidArgument("inputs[0].shape: expected [n,{}] or [n,{}], got {}",
                           fmt::join(input.shape, ","), numel, ShapeText(shape));
  }
  const int64_t want = n * numel;
  if (binary_size >= 0) {
    const int64_t need = want * static_cast<int64_t>(ElementBytes(dt));
    if (binary_size != need) {
      return InvalidArgument("inputs[0].parameters.binary_data_size: shape {} of {} needs {} bytes, got {}",
                             ShapeText(shape), dt_name, need, binary_size);
    }
    SL_RETURN_IF_ERROR(ConvertBinary(binary, dt, dt_name, want, "inputs[0] binary data", &req->dense));
    req->batch = n;
    return Status::Ok();
  }
  // Every value takes at least 2 bytes ("0,"): a small body claiming a big batch reserves no
  // more than its data could hold.
  req->dense.reserve(static_cast<size_t>(std::min<int64_t>(want, s.data.size() / 2 + 1)));
  SL_RETURN_IF_ERROR(NumberReader(s.data, dt, dt_name, want, &req->dense).Read());
  if (static_cast<int64_t>(req->dense.size()) != want) {
    return InvalidArgument("inputs[0].data: shape {} needs {} values, got {}", ShapeText(shape),
                           want, req->dense.size());
  }
  req->batch = n;
  return Status::Ok();
}

// JPEG bodies are resized to the model's height x width (photos come in any size); PNG bodies
// keep the stricter contract they had before JPEG support: exactly the model's size.
Status DecodeImage(const ModelInput& input, InferenceRequest* req) {
  const bool jpeg = sl::image::IsJpeg(req->body);
  if (input.shape.size() != 3) {
    return InvalidArgument("{} body: model '{}' does not take images (input shape {})",
                           jpeg ? "JPEG" : "PNG", req->model, ShapeText(input.shape));
  }
  if (jpeg) {
    sl::image::DecodeForModelOptions o;
    o.channels = input.shape[0];
    o.height = input.shape[1];
    o.width = input.shape[2];
    o.max_pixels = kMaxImagePixels;
    auto img = sl::image::DecodeForModel(req->body, o);
    if (!img.ok()) {
      return Status(img.status().code(),
                    fmt::format("{} (model '{}')", img.status().message(), req->model));
    }
    req->dense = std::move(img->pixels);
    req->batch = 1;
    return Status::Ok();
  }
  auto img_or = DecodePng(req->body, input.shape[0], input.shape[1], input.shape[2]);
  if (!img_or.ok()) {
    const Status& st = img_or.status();
    return Status(st.code(), fmt::format("{} (model '{}')", st.message(), req->model));
  }
  DecodedImage img = std::move(img_or.value());
  req->dense = std::move(img.pixels);
  req->batch = 1;
  return Status::Ok();
}

Status DecodeBinary(const ModelInput& input, InferenceRequest* req) {
  if (IsPng(req->body) || sl::image::IsJpeg(req->body)) return DecodeImage(input, req);
  if (input.text) {
    req->texts.push_back(req->body);
    req->batch = 1;
    return Status::Ok();
  }
  const int64_t numel = input.Numel();
  const int64_t size = static_cast<int64_t>(req->body.size());
  if (size == numel) {
    SL_RETURN_IF_ERROR(ConvertBinary(req->body, Dt::kUint8, "UINT8", numel, "binary body", &req->dense));
  } else if (size == 4 * numel) {
    SL_RETURN_IF_ERROR(ConvertBinary(req->body, Dt::kFp32, "FP32", numel, "binary body", &req->dense));
  } else {
    return InvalidArgument(
        "binary body: {} bytes is neither a PNG or JPEG image, {} UINT8 pixels nor {} bytes of FP32 "
        "values for input shape {}",
        size, numel, 4 * numel, ShapeText(input.shape));
  }
  req->batch = 1;
  return Status::Ok();
}

}  // namespace

int64_t ModelInput::Numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

BodyKind ClassifyContentType(std::string_view content_type) {
  std::string_view ct = content_type.substr(0, content_type.find(';'));
  std::string t = Lower(Trim(ct));
  if (t.empty() || t == "application/json") return BodyKind::kJson;
  if (t == "application/octet-stream") return BodyKind::kBinary;
  if (t == "image/png") return BodyKind::kPng;
  if (t == "image/jpeg" || t == "image/jpg") return BodyKind::kJpeg;
  return BodyKind::kUnsupported;
}

Result<InferenceRequest> DecodeRequest(std::string_view model, std::string_view content_type,
                                       std::string body, const ModelInput& input,
                                       int64_t json_header_bytes) {
  InferenceRequest req;
  req.model = std::string(model);
  req.input_name = input.name;
  req.content_type = std::string(content_type);
  req.wire_bytes = static_cast<int64_t>(body.size());
  req.body = std::move(body);
  const BodyKind kind = ClassifyContentType(content_type);
  if (kind == BodyKind::kUnsupported) {
    return InvalidArgument("Content-Type '{}' is not supported (application/json, "
                           "application/octet-stream, image/png, image/jpeg)",
                           content_type);
  }
  if (json_header_bytes >= 0) {
    // Binary tensor data extension: JSON header, then the tensor bytes, whatever the content type.
    if (json_header_bytes > req.wire_bytes) {
      return InvalidArgument("Inference-Header-Content-Length: {} bytes, longer than the {}-byte body",
                             json_header_bytes, req.wire_bytes);
    }
    req.json_header_bytes = json_header_bytes;
    SL_RETURN_IF_ERROR(DecodeJson(input, &req));
    return req;
  }
  Status st;
  switch (kind) {
    case BodyKind::kJson: st = DecodeJson(input, &req); break;
    case BodyKind::kBinary: st = DecodeBinary(input, &req); break;
    case BodyKind::kPng:
      if (!IsPng(req.body)) return InvalidArgument("image/png body: not a PNG (bad signature)");
      st = DecodeImage(input, &req);
      break;
    case BodyKind::kJpeg:
      if (!sl::image::IsJpeg(req.body)) {
        return InvalidArgument("image/jpeg body: not a JPEG (it does not start with the marker FF D8 FF)");
      }
      st = DecodeImage(input, &req);
      break;
    case BodyKind::kUnsupported: break;  // refused above
  }
  if (!st.ok()) return st;
  return req;
}

Result<int64_t> ParseInferenceHeaderLength(std::string_view value) {
  int64_t n = -1;
  const auto r = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || r.ec != std::errc() || r.ptr != value.data() + value.size() || n < 0) {
    return InvalidArgument("Inference-Header-Content-Length: '{}' is not a byte count", value);
  }
  return n;
}

Result<DecodedImage> DecodePng(std::string_view bytes, int64_t channels, int64_t want_height,
                               int64_t want_width) {
  if (channels != 1 && channels != 3) {
    return InvalidArgument("PNG: the model takes {} channels (1 or 3 supported)", channels);
  }
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    std::string msg = image.message;
    png_image_free(&image);
    return InvalidArgument("PNG: cannot read header: {}", msg);
  }
  if (image.width == 0 || image.height == 0 || image.width > 4096 || image.height > 4096) {
    png_image_free(&image);
    return InvalidArgument("PNG: {}x{} image is outside 1..4096 pixels a side", image.width,
                           image.height);
  }
  // Before the pixel buffer is allocated: a 100-byte PNG may claim 4096x4096 (48 MB of RGB).
  if ((want_height > 0 && image.height != want_height) ||
      (want_width > 0 && image.width != want_width)) {
    const auto h = image.height, w = image.width;
    png_image_free(&image);
    return InvalidArgument("PNG: image is {}x{} (HxW), the model expects {}x{}", h, w,
                           want_height, want_width);
  }
  image.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  std::vector<unsigned char> buf(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, buf.data(), 0, nullptr)) {
    std::string msg = image.message;
    png_image_free(&image);
    return InvalidArgument("PNG: cannot decode: {}", msg);
  }
  DecodedImage out;
  out.channels = channels;
  out.height = image.height;
  out.width = image.width;
  const int64_t hw = out.height * out.width;
  out.pixels.resize(static_cast<size_t>(channels * hw));
  for (int64_t i = 0; i < hw; ++i) {  // HWC → CHW
    for (int64_t c = 0; c < channels; ++c) {
      out.pixels[c * hw + i] = static_cast<float>(buf[i * channels + c]) / 255.0f;
    }
  }
  png_image_free(&image);
  return out;
}

std::string EncodeResponse(std::string_view model, std::string_view version, std::string_view id,
                           std::span<const OutputRow> rows,
                           const std::vector<std::string>& outputs) {
  auto wanted = [&](std::string_view name) {
    if (outputs.empty()) return true;
    for (const auto& o : outputs) {
      if (o == name) return true;
    }
    return false;
  };
  const size_t n = rows.size();
  const size_t classes = n ? rows[0].probabilities.size() : 0;
  std::string out;
  out.reserve(160 + n * (classes * 14 + 40));
  out += "{\"model_name\":";
  out += JsonString(model);
  out += ",\"model_version\":";
  out += JsonString(version);
  if (!id.empty()) {
    out += ",\"id\":";
    out += JsonString(id);
  }
  out += ",\"outputs\":[";
  bool first = true;
  auto sep = [&] {
    if (!first) out += ',';
    first = false;
  };
  if (wanted(kOutputProbabilities)) {
    sep();
    fmt::format_to(std::back_inserter(out),
                   "{{\"name\":\"{}\",\"datatype\":\"FP32\",\"shape\":[{},{}],\"data\":[",
                   kOutputProbabilities, n, classes);
    bool f = true;
    for (const auto& r : rows) {
      for (float p : r.probabilities) {
        if (!f) out += ',';
        f = false;
        fmt::format_to(std::back_inserter(out), "{}", p);
      }
    }
    out += "]}";
  }
  if (wanted(kOutputLabel)) {
    sep();
    fmt::format_to(std::back_inserter(out),
                   "{{\"name\":\"{}\",\"datatype\":\"INT64\",\"shape\":[{}],\"data\":[",
                   kOutputLabel, n);
    for (size_t i = 0; i < n; ++i) {
      if (i) out += ',';
      fmt::format_to(std::back_inserter(out), "{}", rows[i].label);
    }
    out += "]}";
  }
  if (wanted(kOutputClassName)) {
    sep();
    fmt::format_to(std::back_inserter(out),
                   "{{\"name\":\"{}\",\"datatype\":\"BYTES\",\"shape\":[{}],\"data\":[",
                   kOutputClassName, n);
    for (size_t i = 0; i < n; ++i) {
      if (i) out += ',';
      out += JsonString(rows[i].class_name);
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

Result<BinaryResponse> ToBinaryResponse(std::string body, std::string_view content_type,
                                        const std::vector<std::string>& binary_outputs) {
  if (ClassifyContentType(content_type) == BodyKind::kBinary) {
    // Already converted (a container replica is itself a gateway): find where its JSON ends.
    JsonCursor c(body);
    std::string_view raw;
    if (Status st = c.Value(&raw); !st.ok() || TypeOf(raw) != JsonType::kObject) {
      return Internal("v2 response: a binary response does not start with a JSON object");
    }
    const auto header = static_cast<int64_t>(c.pos());
    return BinaryResponse{std::move(body), header};
  }
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("outputs") ||
      !doc["outputs"].is_array()) {
    return Internal("v2 response: not a JSON object with outputs, cannot send binary outputs");
  }
  std::string tail;
  for (json& o : doc["outputs"]) {
    const std::string name = o.value("name", "");
    if (std::find(binary_outputs.begin(), binary_outputs.end(), name) == binary_outputs.end()) continue;
    const std::string datatype = o.value("datatype", "");
    const json& data = o["data"];
    if (!data.is_array()) return Internal("v2 response: output '{}' has no data array", name);
    const size_t before = tail.size();
    auto append = [&](const void* p, size_t n) { tail.append(static_cast<const char*>(p), n); };
    try {
      for (const json& v : data) {
        if (datatype == "FP32") {
          const float f = v.get<float>();
          append(&f, 4);  // little-endian host (checked in v2_codec_test)
        } else if (datatype == "INT64") {
          const int64_t i = v.get<int64_t>();
          append(&i, 8);
        } else if (datatype == "BYTES") {
          const std::string& str = v.get_ref<const std::string&>();
          const auto len = static_cast<uint32_t>(str.size());
          append(&len, 4);
          tail += str;
        } else {
          return Internal("v2 response: output '{}' has datatype '{}', not FP32, INT64 or BYTES",
                          name, datatype);
        }
      }
    } catch (const json::exception& e) {
      return Internal("v2 response: output '{}': {}", name, e.what());
    }
    o.erase("data");
    o["parameters"]["binary_data_size"] = tail.size() - before;
  }
  std::string out = doc.dump(-1, ' ', false, json::error_handler_t::replace);
  const auto header = static_cast<int64_t>(out.size());
  out += tail;
  return BinaryResponse{std::move(out), header};
}

std::string ErrorBody(std::string_view message) {
  return json{{"error", std::string(message)}}.dump(-1, ' ', false,
                                                   json::error_handler_t::replace);
}

namespace {

// A JSON integer >= 0.
bool Dimension(const json& v, uint64_t* out) {
  if (v.is_number_unsigned()) {
    *out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    *out = static_cast<uint64_t>(v.get<int64_t>());
    return true;
  }
  return false;
}

}  // namespace

Result<ParsedResponse> ParseResponse(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgument("v2 response: not a JSON object");
  }
  ParsedResponse r;
  if (auto e = doc.find("error"); e != doc.end()) {
    return InvalidArgument("v2 response: error: {}", e->is_string() ? e->get<std::string>() : e->dump());
  }
  if (auto m = doc.find("model_name"); m != doc.end() && m->is_string()) r.model_name = *m;
  if (auto m = doc.find("model_version"); m != doc.end() && m->is_string()) r.model_version = *m;
  if (auto m = doc.find("id"); m != doc.end() && m->is_string()) r.id = *m;
  auto outs = doc.find("outputs");
  if (outs == doc.end() || !outs->is_array()) return InvalidArgument("v2 response: outputs: missing");
  for (const auto& o : *outs) {
    if (!o.is_object() || !o.contains("name") || !o.contains("data") || !o["data"].is_array()) {
      return InvalidArgument("v2 response: outputs: an entry lacks name or data");
    }
    const std::string name = o["name"].is_string() ? o["name"].get<std::string>() : "";
    try {
      const json& data = o["data"];
      if (name == kOutputLabel) {
        r.labels.clear();
        for (size_t i = 0; i < data.size(); ++i) {
          // get<int64_t> of a float is a C++ cast: undefined behaviour outside int64's range.
          if (!data[i].is_number_integer()) {
            return InvalidArgument("v2 response: label[{}]: expected an integer, got {}", i,
                                   data[i].dump());
          }
          r.labels.push_back(data[i].get<int64_t>());
        }
      } else if (name == kOutputClassName) {
        r.class_names = data.get<std::vector<std::string>>();
      } else if (name == kOutputProbabilities) {
        std::vector<float> flat;
        flat.reserve(data.size());
        for (size_t i = 0; i < data.size(); ++i) {
          double d = data[i].is_number() ? data[i].get<double>() : HUGE_VAL;
          if (!(std::fabs(d) <= std::numeric_limits<float>::max())) {
            return InvalidArgument("v2 response: probabilities[{}]: {} is not a FP32 value", i,
                                   data[i].dump());
          }
          flat.push_back(static_cast<float>(d));
        }
        auto shape = o.find("shape");
        // [rows, classes] with rows * classes == data size, checked without multiplying (the
        // numbers are the sender's) and without rows of zero classes (unbounded rows).
        uint64_t rows = 0, cols = 0;
        const bool dims = shape != o.end() && shape->is_array() && shape->size() == 2 &&
                          Dimension((*shape)[0], &rows) && Dimension((*shape)[1], &cols);
        const uint64_t size = flat.size();
        const bool match = dims && (cols == 0 ? rows == 0 && size == 0
                                              : size % cols == 0 && rows == size / cols);
        if (!match) {
          return InvalidArgument(
              "v2 response: probabilities: shape {} does not match {} values (expected [rows, "
              "classes] with rows * classes values)",
              shape == o.end() ? std::string("(missing)") : shape->dump(), size);
        }
        r.probabilities.clear();
        for (uint64_t i = 0; i < rows; ++i) {
          r.probabilities.emplace_back(flat.begin() + static_cast<int64_t>(i * cols),
                                       flat.begin() + static_cast<int64_t>((i + 1) * cols));
        }
      }
    } catch (const json::exception& e) {
      return InvalidArgument("v2 response: output '{}': {}", name, e.what());
    }
  }
  return r;
}

}  // namespace sl::serve::v2
