#include "serve/v2/v2_codec.h"

#include <png.h>

#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

namespace sl::serve {

std::string_view TierName(TierKind kind) {
  switch (kind) {
    case TierKind::kLocal: return "local";
    case TierKind::kContainer: return "container";
    case TierKind::kFunction: return "function";
  }
  return "unknown";
}

}  // namespace sl::serve

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

std::string TypeName(const json& j) { return j.type_name(); }

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

// Appends the leaves of (possibly nested) `data` to out as floats, checking each against dt.
Status FlattenNumbers(const json& data, Dt dt, std::string_view dt_name, const std::string& where,
                      int depth, int64_t limit, std::vector<float>* out) {
  if (depth > kMaxNesting) {
    return InvalidArgument("{}: nested deeper than {} levels", where, kMaxNesting);
  }
  const bool integer = dt != Dt::kFp32 && dt != Dt::kFp64;
  double lo = 0, hi = 0;
  if (integer) IntRange(dt, &lo, &hi);
  for (size_t i = 0; i < data.size(); ++i) {
    const json& v = data[i];
    if (v.is_array()) {
      SL_RETURN_IF_ERROR(FlattenNumbers(v, dt, dt_name, fmt::format("{}[{}]", where, i),
                                        depth + 1, limit, out));
      continue;
    }
    if (static_cast<int64_t>(out->size()) >= limit) {
      return InvalidArgument("{}: more than {} values", where, limit);
    }
    if (!v.is_number()) {
      return InvalidArgument("{}[{}]: expected a number for datatype {}, got {}", where, i,
                             dt_name, TypeName(v));
    }
    double d = v.get<double>();
    if (integer) {
      // Values above INT64_MAX arrive as unsigned and round to 2^63 == hi as doubles.
      const bool above_int64 = v.is_number_unsigned() &&
                               v.get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()};
      if (!v.is_number_integer() || d < lo || d > hi || (dt == Dt::kInt64 && above_int64)) {
        return InvalidArgument("{}[{}]: {} is not a {} value", where, i, v.dump(), dt_name);
      }
    } else if (!std::isfinite(d)) {
      return InvalidArgument("{}[{}]: not a finite number", where, i);
    }
    float f = dt == Dt::kUint8 ? static_cast<float>(d / 255.0) : static_cast<float>(d);
    if (!std::isfinite(f)) {
      return InvalidArgument("{}[{}]: {} does not fit in FP32", where, i, v.dump());
    }
    out->push_back(f);
  }
  return Status::Ok();
}

Status FlattenStrings(const json& data, const std::string& where, int depth, int64_t limit,
                      std::vector<std::string>* out) {
  if (depth > kMaxNesting) {
    return InvalidArgument("{}: nested deeper than {} levels", where, kMaxNesting);
  }
  for (size_t i = 0; i < data.size(); ++i) {
    const json& v = data[i];
    if (v.is_array()) {
      SL_RETURN_IF_ERROR(
          FlattenStrings(v, fmt::format("{}[{}]", where, i), depth + 1, limit, out));
      continue;
    }
    if (static_cast<int64_t>(out->size()) >= limit) {
      return InvalidArgument("{}: more than {} values", where, limit);
    }
    if (!v.is_string()) {
      return InvalidArgument("{}[{}]: expected a string for datatype BYTES, got {}", where, i,
                             TypeName(v));
    }
    out->push_back(v.get<std::string>());
  }
  return Status::Ok();
}

Status CheckOutputs(const json& j, std::vector<std::string>* out) {
  if (!j.is_array()) return InvalidArgument("outputs: expected an array, got {}", TypeName(j));
  for (size_t i = 0; i < j.size(); ++i) {
    const json& o = j[i];
    if (!o.is_object()) {
      return InvalidArgument("outputs[{}]: expected an object, got {}", i, TypeName(o));
    }
    auto name = o.find("name");
    if (name == o.end() || !name->is_string()) {
      return InvalidArgument("outputs[{}].name: missing or not a string", i);
    }
    std::string n = name->get<std::string>();
    if (n != kOutputProbabilities && n != kOutputLabel && n != kOutputClassName) {
      return InvalidArgument("outputs[{}].name: unknown output '{}' (outputs: {}, {}, {})", i, n,
                             kOutputProbabilities, kOutputLabel, kOutputClassName);
    }
    auto params = o.find("parameters");
    if (params != o.end() && !params->is_object()) {
      return InvalidArgument("outputs[{}].parameters: expected an object, got {}", i,
                             TypeName(*params));
    }
    out->push_back(std::move(n));
  }
  return Status::Ok();
}

Result<std::vector<int64_t>> ParseShape(const json& j, const std::string& where) {
  if (!j.is_array()) return InvalidArgument("{}: expected an array, got {}", where, TypeName(j));
  if (j.empty() || j.size() > 8) {
    return InvalidArgument("{}: expected 1 to 8 dimensions, got {}", where, j.size());
  }
  std::vector<int64_t> shape;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_number_integer() || j[i].get<int64_t>() < 0 ||
        j[i].get<int64_t>() > (int64_t{1} << 31)) {
      return InvalidArgument("{}[{}]: expected a dimension (integer >= 0), got {}", where, i,
                             j[i].dump());
    }
    shape.push_back(j[i].get<int64_t>());
  }
  return shape;
}

Status DecodeJson(const ModelInput& input, InferenceRequest* req) {
  json doc;
  try {
    doc = json::parse(req->body);
  } catch (const json::exception& e) {
    return InvalidArgument("request body is not valid JSON: {}", e.what());
  }
  if (!doc.is_object()) {
    return InvalidArgument("request body: expected a JSON object, got {}", TypeName(doc));
  }
  if (auto id = doc.find("id"); id != doc.end()) {
    if (!id->is_string()) return InvalidArgument("id: expected a string, got {}", TypeName(*id));
    req->id = id->get<std::string>();
  }
  if (auto p = doc.find("parameters"); p != doc.end() && !p->is_object()) {
    return InvalidArgument("parameters: expected an object, got {}", TypeName(*p));
  }
  if (auto o = doc.find("outputs"); o != doc.end()) SL_RETURN_IF_ERROR(CheckOutputs(*o, &req->outputs));
  auto inputs = doc.find("inputs");
  if (inputs == doc.end()) return InvalidArgument("inputs: missing");
  if (!inputs->is_array()) {
    return InvalidArgument("inputs: expected an array, got {}", TypeName(*inputs));
  }
  if (inputs->size() != 1) {
    return InvalidArgument("inputs: model '{}' takes exactly 1 input ({}), got {}", req->model,
                           input.name, inputs->size());
  }
  const json& in = (*inputs)[0];
  if (!in.is_object()) return InvalidArgument("inputs[0]: expected an object, got {}", TypeName(in));
  auto name = in.find("name");
  if (name == in.end() || !name->is_string()) {
    return InvalidArgument("inputs[0].name: missing or not a string");
  }
  req->input_name = name->get<std::string>();
  auto dtj = in.find("datatype");
  if (dtj == in.end() || !dtj->is_string()) {
    return InvalidArgument("inputs[0].datatype: missing or not a string");
  }
  const std::string dt_name = dtj->get<std::string>();
  Dt dt = ParseDt(dt_name);
  if (dt == Dt::kBad) {
    return InvalidArgument(
        "inputs[0].datatype: unsupported '{}' (FP32, FP64, INT8..INT64, UINT8..UINT64, BYTES)",
        dt_name);
  }
  auto shj = in.find("shape");
  if (shj == in.end()) return InvalidArgument("inputs[0].shape: missing");
  SL_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ParseShape(*shj, "inputs[0].shape"));
  if (auto p = in.find("parameters"); p != in.end() && !p->is_object()) {
    return InvalidArgument("inputs[0].parameters: expected an object, got {}", TypeName(*p));
  }
  auto data = in.find("data");
  if (data == in.end()) return InvalidArgument("inputs[0].data: missing");
  if (!data->is_array()) {
    return InvalidArgument("inputs[0].data: expected an array, got {}", TypeName(*data));
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
    SL_RETURN_IF_ERROR(FlattenStrings(*data, "inputs[0].data", 0, n, &req->texts));
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
  int64_t rest = 1;
  for (size_t i = 1; i < shape.size(); ++i) rest *= shape[i];
  bool full = shape.size() == input.shape.size() + 1 &&
              std::equal(input.shape.begin(), input.shape.end(), shape.begin() + 1);
  bool flat = shape.size() == 2 && shape[1] == numel;
  if (!full && !flat) {
    return InvalidArgument("inputs[0].shape: expected [n,{}] or [n,{}], got {}",
                           fmt::join(input.shape, ","), numel, ShapeText(shape));
  }
  (void)rest;
  const int64_t want = n * numel;
  req->dense.reserve(static_cast<size_t>(want));
  SL_RETURN_IF_ERROR(FlattenNumbers(*data, dt, dt_name, "inputs[0].data", 0, want, &req->dense));
  if (static_cast<int64_t>(req->dense.size()) != want) {
    return InvalidArgument("inputs[0].data: shape {} needs {} values, got {}", ShapeText(shape),
                           want, req->dense.size());
  }
  req->batch = n;
  return Status::Ok();
}

Status DecodeImage(const ModelInput& input, InferenceRequest* req) {
  if (input.shape.size() != 3) {
    return InvalidArgument("PNG body: model '{}' does not take images (input shape {})",
                           req->model, ShapeText(input.shape));
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
  if (IsPng(req->body)) return DecodeImage(input, req);
  if (input.text) {
    req->texts.push_back(req->body);
    req->batch = 1;
    return Status::Ok();
  }
  const int64_t numel = input.Numel();
  const int64_t size = static_cast<int64_t>(req->body.size());
  if (size == numel) {
    req->dense.resize(static_cast<size_t>(numel));
    const auto* p = reinterpret_cast<const unsigned char*>(req->body.data());
    for (int64_t i = 0; i < numel; ++i) req->dense[i] = static_cast<float>(p[i]) / 255.0f;
  } else if (size == 4 * numel) {
    req->dense.resize(static_cast<size_t>(numel));
    std::memcpy(req->dense.data(), req->body.data(), static_cast<size_t>(size));
    for (int64_t i = 0; i < numel; ++i) {
      if (!std::isfinite(req->dense[i])) {
        return InvalidArgument("binary body: FP32 value {} is not finite", i);
      }
    }
  } else {
    return InvalidArgument(
        "binary body: {} bytes is neither a PNG image, {} UINT8 pixels nor {} bytes of FP32 "
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
  return BodyKind::kUnsupported;
}

Result<InferenceRequest> DecodeRequest(std::string_view model, std::string_view content_type,
                                       std::string body, const ModelInput& input) {
  InferenceRequest req;
  req.model = std::string(model);
  req.input_name = input.name;
  req.content_type = std::string(content_type);
  req.wire_bytes = static_cast<int64_t>(body.size());
  req.body = std::move(body);
  Status st;
  switch (ClassifyContentType(content_type)) {
    case BodyKind::kJson: st = DecodeJson(input, &req); break;
    case BodyKind::kBinary: st = DecodeBinary(input, &req); break;
    case BodyKind::kPng:
      if (!IsPng(req.body)) return InvalidArgument("image/png body: not a PNG (bad signature)");
      st = DecodeImage(input, &req);
      break;
    case BodyKind::kUnsupported:
      return InvalidArgument("Content-Type '{}' is not supported (application/json, "
                             "application/octet-stream, image/png)",
                             content_type);
  }
  if (!st.ok()) return st;
  return req;
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
