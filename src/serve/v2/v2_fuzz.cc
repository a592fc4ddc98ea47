// libFuzzer target for the KServe v2 codec (v2_codec.h): every input is decoded as a request
// body under each content type against three model inputs (a {1,28,28} image, a {3,32,32}
// image, a BYTES text input), as a PNG, and as a v2 response; decoded requests are re-encoded as
// responses and parsed back. The codec's contract is checked, not just exercised: any violation
// abort()s with a message on stderr, which libFuzzer reports as a crash. The JSON reader
// (json_reader.h) is also checked against nlohmann::json::accept on every input.
//
// Built with clang++ -fsanitize=fuzzer,address,undefined by scripts/fuzz-v2.sh (not part of the
// g++ build). Seed corpus: src/serve/v2/fuzz_corpus/, dictionary: src/serve/v2/v2_fuzz.dict.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "serve/v2/json_reader.h"
#include "serve/v2/v2_codec.h"

namespace {

using sl::Code;
using sl::serve::InferenceRequest;
using namespace sl::serve::v2;

[[noreturn]] void Fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "v2_fuzz: invariant violated: %s: %.*s\n", what,
               static_cast<int>(detail.size() > 400 ? 400 : detail.size()), detail.data());
  std::abort();
}

void Check(bool ok, const char* what, std::string_view detail = {}) {
  if (!ok) Fail(what, detail);
}

// Every error of the codec is INVALID_ARGUMENT with a message, and its ErrorBody is a JSON
// object {"error": string} whatever bytes the message quotes.
void CheckError(const sl::Status& st, const char* where) {
  Check(st.code() == Code::kInvalidArgument, where, st.ToString());
  Check(!st.message().empty(), where, "empty error message");
  auto j = nlohmann::json::parse(ErrorBody(st.message()), nullptr, false);
  Check(!j.is_discarded() && j.is_object() && j.size() == 1 && j.contains("error") &&
            j["error"].is_string(),
        "ErrorBody is not {\"error\": string}", st.message());
}

bool Ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

bool Wanted(const std::vector<std::string>& outputs, std::string_view name) {
  if (outputs.empty()) return true;
  for (const auto& o : outputs) {
    if (o == name) return true;
  }
  return false;
}

// Encodes a response for a decoded request and parses it back: the counts must survive.
void CheckRoundTrip(const InferenceRequest& req, const ModelInput& input) {
  const int64_t n = req.batch;
  const int64_t classes = input.text ? 2 : std::min<int64_t>(10, input.Numel());
  std::vector<float> probs(static_cast<size_t>(n * classes));
  std::vector<OutputRow> rows(static_cast<size_t>(n));
  std::vector<std::string> names(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c < classes; ++c) {
      probs[i * classes + c] = input.text ? 0.5f : req.dense[i * input.Numel() + c];
    }
    rows[i].label = i - 1;
    rows[i].class_name = input.text ? req.texts[i] : "class";
    rows[i].probabilities = std::span<const float>(probs.data() + i * classes, classes);
  }
  // The model name and id may be any bytes (the id comes from the request).
  std::string body = EncodeResponse(req.model, "1", req.id, rows, req.outputs);
  auto parsed = ParseResponse(body);
  Check(parsed.ok(), "ParseResponse(EncodeResponse(...)) failed", parsed.status().ToString());
  const auto& p = parsed.value();
  const auto want = [&](const char* name) { return Wanted(req.outputs, name); };
  Check(p.labels.size() == (want(kOutputLabel) ? static_cast<size_t>(n) : 0), "labels count");
  Check(p.class_names.size() == (want(kOutputClassName) ? static_cast<size_t>(n) : 0),
        "class_names count");
  Check(p.probabilities.size() == (want(kOutputProbabilities) ? static_cast<size_t>(n) : 0),
        "probabilities count");
  for (int64_t i = 0; i < n; ++i) {
    if (want(kOutputLabel)) Check(p.labels[i] == i - 1, "label value");
    if (want(kOutputClassName) && Ascii(rows[i].class_name)) {
      Check(p.class_names[i] == rows[i].class_name, "class_name value", rows[i].class_name);
    }
    if (want(kOutputProbabilities)) {
      Check(static_cast<int64_t>(p.probabilities[i].size()) == classes, "probabilities width");
      for (int64_t c = 0; c < classes; ++c) {
        float a = p.probabilities[i][c], b = probs[i * classes + c];
        Check(std::fabs(a - b) <= 1e-6f * std::max(1.0f, std::fabs(b)), "probability value");
      }
    }
  }
  if (Ascii(req.id)) Check(p.id == req.id, "id echo", req.id);
}

// json_header_bytes >= 0: the binary tensor data extension's Inference-Header-Content-Length.
void CheckDecode(std::string_view content_type, std::string_view body, const ModelInput& input,
                 std::string_view model = "fuzz-model", int64_t json_header_bytes = -1) {
  const BodyKind kind = ClassifyContentType(content_type);
  auto r = DecodeRequest(model, content_type, std::string(body), input, json_header_bytes);
  if (!r.ok()) {
    CheckError(r.status(), "DecodeRequest error");
    return;
  }
  Check(kind != BodyKind::kUnsupported, "unsupported content type accepted",
        std::string(content_type));
  const InferenceRequest& req = r.value();
  Check(req.batch > 0 && req.batch <= kMaxBatch, "batch out of [1, kMaxBatch]");
  Check(req.wire_bytes == static_cast<int64_t>(body.size()), "wire_bytes != body size");
  Check(req.body == body, "body not kept");
  Check(req.model == model, "model name not kept");
  Check(req.content_type == content_type, "content_type not kept");
  Check(req.json_header_bytes == json_header_bytes, "json_header_bytes not kept");
  if (json_header_bytes >= 0) {
    Check(json_header_bytes <= req.wire_bytes, "header length beyond the body accepted");
  } else if (kind != BodyKind::kJson) {
    Check(req.batch == 1, "binary/PNG body decoded to batch != 1");
  }
  for (const auto& o : req.outputs) {
    Check(o == kOutputProbabilities || o == kOutputLabel || o == kOutputClassName,
          "unknown output accepted", o);
  }
  if (input.text) {
    Check(req.dense.empty(), "text model got dense values");
    Check(static_cast<int64_t>(req.texts.size()) == req.batch, "texts.size() != batch");
  } else {
    Check(req.texts.empty(), "dense model got texts");
    Check(static_cast<int64_t>(req.dense.size()) == req.batch * input.Numel(),
          "dense.size() != batch * numel");
    for (float v : req.dense) Check(std::isfinite(v), "non-finite dense value");
    if (kind == BodyKind::kPng || kind == BodyKind::kJpeg) {
      for (float v : req.dense) Check(v >= 0.0f && v <= 1.0f, "PNG pixel outside [0, 1]");
    }
  }
  CheckRoundTrip(req, input);
}

// want_height/want_width 0: any size.
void CheckPng(std::string_view bytes, int64_t channels, int64_t want_height, int64_t want_width) {
  auto r = DecodePng(bytes, channels, want_height, want_width);
  if (!r.ok()) {
    CheckError(r.status(), "DecodePng error");
    return;
  }
  Check(channels == 1 || channels == 3, "DecodePng accepted channels other than 1 or 3");
  const auto& img = r.value();
  Check(img.channels == channels, "DecodePng channels");
  Check(img.height >= 1 && img.height <= 4096 && img.width >= 1 && img.width <= 4096,
        "DecodePng size outside 1..4096");
  Check(want_height == 0 || img.height == want_height, "DecodePng height != want_height");
  Check(want_width == 0 || img.width == want_width, "DecodePng width != want_width");
  Check(static_cast<int64_t>(img.pixels.size()) == channels * img.height * img.width,
        "DecodePng pixels.size()");
  for (float v : img.pixels) Check(v >= 0.0f && v <= 1.0f, "DecodePng pixel outside [0, 1]");
}

void CheckParseResponse(std::string_view body) {
  auto r = ParseResponse(body);
  if (!r.ok()) {
    CheckError(r.status(), "ParseResponse error");
    return;
  }
  const auto& p = r.value();
  for (size_t i = 1; i < p.probabilities.size(); ++i) {
    Check(p.probabilities[i].size() == p.probabilities[0].size(), "ragged probabilities");
  }
}

// The JSON reader accepts exactly what nlohmann::json::accept accepts, but for the two documented
// differences (json_reader.h): nesting deeper than kMaxJsonDepth, and a NUL byte after the
// document (nlohmann stops there; the reader then accepts the part before the NUL).
void CheckJsonReader(std::string_view bytes) {
  const sl::Status st = ValidateJson(bytes);
  const bool nlohmann_ok = nlohmann::json::accept(bytes);
  if (st.ok()) {
    Check(nlohmann_ok, "json reader accepts what nlohmann rejects", bytes);
    return;
  }
  CheckError(st, "ValidateJson error");
  if (!nlohmann_ok) return;
  const size_t nul = bytes.find('\0');
  const bool deep = st.message().starts_with("nested deeper than");
  const bool nul_terminated =
      nul != std::string_view::npos && ValidateJson(bytes.substr(0, nul)).ok();
  Check(deep || nul_terminated, "json reader rejects what nlohmann accepts", st.message());
}

const char* const kContentTypes[] = {
    "",
    "application/json",
    "Application/JSON; charset=utf-8",
    "application/octet-stream",
    " APPLICATION/OCTET-STREAM ;q=1",
    "image/png",
    "IMAGE/PNG",
    "image/jpeg",
    "text/plain",
    ";",
    "application/json\t",
    "multipart/form-data; boundary=x",
};

ModelInput Image(std::vector<int64_t> shape) {
  ModelInput in;
  in.shape = std::move(shape);
  return in;
}

ModelInput TextInput() {
  ModelInput in;
  in.name = "text";
  in.text = true;
  in.shape = {1};
  return in;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ModelInput kInputs[] = {Image({1, 28, 28}), Image({3, 32, 32}), TextInput()};
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  for (const auto& input : kInputs) {
    CheckDecode("application/json", bytes, input);
    CheckDecode("application/octet-stream", bytes, input);
    CheckDecode("image/png", bytes, input);
    CheckDecode("image/jpeg", bytes, input);
    if (size > 0) {
      constexpr size_t kN = sizeof kContentTypes / sizeof kContentTypes[0];
      CheckDecode(kContentTypes[data[0] % kN], bytes.substr(1), input);
    }
    if (size > 2) {
      // The binary tensor data extension: the first two bytes give the JSON header's length
      // (sometimes past the end, which must be refused).
      const int64_t header = (data[0] | (data[1] << 8)) % static_cast<int64_t>(size + 8);
      CheckDecode("application/octet-stream", bytes.substr(2), input, "fuzz-model", header);
    }
  }
  // A content type (and model name) made of the input's first line, any bytes.
  const std::string_view first_line = bytes.substr(0, std::min(bytes.find('\n'), size_t{64}));
  const BodyKind kind = ClassifyContentType(first_line);
  Check(kind == BodyKind::kJson || kind == BodyKind::kBinary || kind == BodyKind::kPng ||
            kind == BodyKind::kJpeg || kind == BodyKind::kUnsupported,
        "ClassifyContentType value");
  if (first_line.size() < bytes.size()) {
    CheckDecode(first_line, bytes.substr(first_line.size() + 1), kInputs[size % 3], first_line);
  }

  CheckPng(bytes, 1, 28, 28);
  CheckPng(bytes, 3, 32, 32);
  CheckPng(bytes, size > 0 ? data[0] % 5 : 0, 0, 0);  // also 0, 2, 4 channels: rejected
  CheckParseResponse(bytes);
  CheckJsonReader(bytes);
  return 0;
}
