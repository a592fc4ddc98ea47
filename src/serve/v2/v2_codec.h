// The KServe v2 inference protocol codec (REST, as Triton and KServe speak it), shared by the
// gateway, the container replica and the worker-side predict handler. Torch-free: depends only
// on sl_common, nlohmann-json (responses), libpng and sl_image (JPEG image bodies); JSON requests are read with
// the codec's own strict reader, json_reader.h, one validating pass then one converting pass.
//
// Requests:
//   application/json (or no content type): {"id"?, "parameters"?, "inputs": [{"name", "shape",
//     "datatype", "data", "parameters"?}], "outputs"?: [{"name", "parameters"?}]}. Exactly one
//     input tensor, strictly the model's (as Triton): its name (ModelInput::name, "input__0"),
//     else "unexpected inference input 'x' for model 'm' ..."; its datatype, else "inference
//     input 'input__0' data-type is 'FP64', but model 'm' expects 'FP32'".
//     Dense models: datatype FP32, values on the model's raw scale, pixels in [0, 1] (see
//     ml/predictor.h; 0..255 values are not rescaled); shape [n, <model shape>] or [n, numel];
//     data flat or nested (row-major).
//     Text models: datatype BYTES, shape [n] or [n, 1], data: n strings.
//     Binary outputs: "parameters": {"binary_data_output": true} on the request, or
//     {"binary_data": true|false} on an output (which wins), fill InferenceRequest::binary_outputs
//     (see ToBinaryResponse).
//   application/octet-stream: one sample — a PNG or JPEG image (by its signature), numel bytes of UINT8
//     pixels (scaled by 1/255), or 4*numel bytes of little-endian FP32 values.
//   Binary tensor data extension (Triton's and KServe's, any content type): with an
//     Inference-Header-Content-Length: H header, the first H bytes are the JSON request, whose
//     inputs[0] has "parameters": {"binary_data_size": B} instead of "data", and the B bytes
//     after it are the tensor, little-endian, row-major, no padding (BYTES: 4-byte length + bytes
//     per element). Converted as JSON data are; the same name and datatype rules apply.
//   image/png: one PNG image. PNGs must have the model's height and width; gray/RGB is converted
//     to the model's channels.
//   image/jpeg (or image/jpg): one JPEG image (libjpeg-turbo, ml/image/jpeg_codec.h), any size up
//     to kMaxImagePixels (checked from its header before decoding), converted to the model's
//     channels and resized to its height x width (bilinear, antialiased when shrinking:
//     ml/image/resize.h). Corrupt or truncated JPEGs are refused ("JPEG: Premature end of JPEG
//     file (model 'm')"), never decoded into grey blocks.
// Responses: {"model_name", "model_version", "id", "outputs": [probabilities FP32 [n, classes],
//   label INT64 [n], class_name BYTES [n]]} (only the requested outputs when "outputs" was given).
// Errors: INVALID_ARGUMENT naming the field ("inputs[0].shape"), the index and expected vs got;
//   never throws, never crashes on any byte sequence (fuzzed, see v2_fuzz.cc).
// Thread safety: stateless functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "serve/api/tier.h"

namespace sl::serve::v2 {

// The model's single input, as the codec needs it (built from ml::InputSpec by v2_predict.h).
struct ModelInput {
  std::string name = "input__0";
  bool text = false;             // BYTES input (text model with a featurizer)
  std::vector<int64_t> shape;    // dense: per-sample shape, e.g. {1, 28, 28}
  // What the values mean, for the model metadata ("input_scale"): e.g. images take pixel/255 in
  // [0, 1], not 0..255. Informational; the codec does not check values against it.
  std::string scale;
  int64_t Numel() const;
  std::string DatatypeName() const { return text ? "BYTES" : "FP32"; }
};

inline constexpr int64_t kMaxBatch = 4096;  // samples per request

enum class BodyKind { kJson, kBinary, kPng, kJpeg, kUnsupported };
// The largest JPEG body, in header pixels (width x height): 4096 x 4096, as PNG's 4096 a side.
inline constexpr int64_t kMaxImagePixels = int64_t{4096} * 4096;
// From a Content-Type header value (parameters and case ignored). "" → kJson.
BodyKind ClassifyContentType(std::string_view content_type);

// Decodes a request body for `model`. Fills model, id, batch, dense|texts, input_name, outputs,
// content_type, body (moved in), wire_bytes and json_header_bytes; arrival/deadline are the
// caller's. json_header_bytes: the Inference-Header-Content-Length header's value, -1 without it.
Result<InferenceRequest> DecodeRequest(std::string_view model, std::string_view content_type,
                                       std::string body, const ModelInput& input,
                                       int64_t json_header_bytes = -1);
// The Inference-Header-Content-Length header's value; INVALID_ARGUMENT naming the header when it
// is not a non-negative decimal byte count.
Result<int64_t> ParseInferenceHeaderLength(std::string_view value);

// Decodes a PNG image into CHW floats in [0, 1] with `channels` channels (1 or 3). Images are
// 1..4096 pixels a side; want_height/want_width > 0 also require that size, checked from the
// header before any pixel is decoded or allocated.
struct DecodedImage {
  int64_t channels = 0, height = 0, width = 0;
  std::vector<float> pixels;
};
Result<DecodedImage> DecodePng(std::string_view bytes, int64_t channels, int64_t want_height = 0,
                               int64_t want_width = 0);

// One sample's result.
struct OutputRow {
  int64_t label = 0;
  std::string class_name;
  std::span<const float> probabilities;
};

inline constexpr const char* kOutputProbabilities = "probabilities";
inline constexpr const char* kOutputLabel = "label";
inline constexpr const char* kOutputClassName = "class_name";

// The v2 response JSON. `outputs` as in InferenceRequest::outputs (empty: all).
std::string EncodeResponse(std::string_view model, std::string_view version, std::string_view id,
                           std::span<const OutputRow> rows,
                           const std::vector<std::string>& outputs);

// Binary outputs (the binary tensor data extension, as Triton answers it): the JSON response with
// every output named in `binary_outputs` losing its "data" for "parameters": {"binary_data_size":
// B}, followed by those outputs' bytes in the order of "outputs" (FP32: 4 bytes, INT64: 8 bytes,
// little-endian; BYTES: 4-byte little-endian length + the bytes, per element). The HTTP response
// carries Inference-Header-Content-Length: json_header_bytes and Content-Type
// application/octet-stream. A body whose content type is already application/octet-stream (a
// container replica converted it) is returned as is, with the length of its JSON part.
// INTERNAL when `body` is not a v2 response this codec wrote.
struct BinaryResponse {
  std::string body;
  int64_t json_header_bytes = 0;
};
Result<BinaryResponse> ToBinaryResponse(std::string body, std::string_view content_type,
                                        const std::vector<std::string>& binary_outputs);

// {"error": "<message>"}
std::string ErrorBody(std::string_view message);

// Parses a v2 response (for clients, tests, the remote tiers' checks): the class_name and
// label outputs and the probabilities. Errors name the missing/ill-typed field.
struct ParsedResponse {
  std::string model_name, model_version, id;
  std::vector<int64_t> labels;
  std::vector<std::string> class_names;
  std::vector<std::vector<float>> probabilities;
};
Result<ParsedResponse> ParseResponse(std::string_view body);

}  // namespace sl::serve::v2
