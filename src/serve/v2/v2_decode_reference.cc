// The nlohmann-based JSON request decoder that json_reader.h replaced (DecodeJson and its helpers
// from v2_codec.cc as of commit 4f4cd42, unchanged but for the names, plus issue 17's strict
// input name and datatype and the binary-output flags' type checks): the oracle of the
// differential test v2_decode_diff_test.cc and the peer of bench/v2_decode_bench.cc. Test and
// benchmark code only; not part of sl_serve_v2.
#include "serve/v2/v2_decode_reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

namespace sl::serve::v2 {
namespace {

using nlohmann::json;

constexpr int kMaxNesting = 16;

std::string TypeName(const json& j) { return j.type_name(); }

std::string ShapeText(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ","));
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
    if (params != o.end()) {
      if (auto b = params->find("binary_data"); b != params->end() && !b->is_boolean()) {
        return InvalidArgument("outputs[{}].parameters.binary_data: expected true or false, got {}",
                               i, b->dump());
      }
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
  } else if (p != doc.end()) {
    if (auto b = p->find("binary_data_output"); b != p->end() && !b->is_boolean()) {
      return InvalidArgument("parameters.binary_data_output: expected true or false, got {}",
                             b->dump());
    }
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
  if (req->input_name != input.name) {
    return InvalidArgument("unexpected inference input '{}' for model '{}' (its input is '{}')",
                           req->input_name, req->model, input.name);
  }
  auto dtj = in.find("datatype");
  if (dtj == in.end() || !dtj->is_string()) {
    return InvalidArgument("inputs[0].datatype: missing or not a string");
  }
  const std::string dt_name = dtj->get<std::string>();
  if (dt_name != input.DatatypeName()) {
    return InvalidArgument("inference input '{}' data-type is '{}', but model '{}' expects '{}'",
                           req->input_name, dt_name, req->model, input.DatatypeName());
  }
  Dt dt = ParseDt(dt_name);
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

}  // namespace

Result<InferenceRequest> ReferenceDecodeJson(std::string_view model, std::string body,
                                             const ModelInput& input) {
  InferenceRequest req;
  req.model = std::string(model);
  req.input_name = input.name;
  req.content_type = "application/json";
  req.wire_bytes = static_cast<int64_t>(body.size());
  req.body = std::move(body);
  Status st = DecodeJson(input, &req);
  if (!st.ok()) return st;
  return req;
}

}  // namespace sl::serve::v2
