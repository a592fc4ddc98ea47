// The `predict` built-in handler of straightline-worker: serverless inference for the function
// tier (serve/remote/function_tier.h). Worker side: it uses the ML core and the v2 codec, never
// the function platform (sl_faas depends on the worker executable).
//
// One function serves one model. INIT (once per instance, Lambda's INIT phase) loads the model
// from $STRAIGHTLINE_MODEL_URI (a store folder such as s3://bucket/models/fmnist-cnn, copied into
// the instance's /tmp first, opened with the STRAIGHTLINE_STORE_* credentials: how a model reaches
// a function on another host) or else from the directory $STRAIGHTLINE_MODEL_DIR
// (ml::Predictor::Load); the model name used for decoding and in the
// response is $STRAIGHTLINE_MODEL_NAME, else the directory's base name.
// Payload (Lambda payloads are JSON):
//   * a KServe v2 JSON request body, as-is ({"inputs": [...]}), or
//   * an envelope for binary bodies: {"content_type": "application/octet-stream" | "image/png" |
//     "image/jpeg",
//     "body_base64": "...", "inference_header_content_length"?: H} (EncodePredictPayload builds
//     it; H for the binary tensor data extension).
// Response: the KServe v2 response JSON. Errors are handled function errors whose errorType is
// the sl::Code name ("INVALID_ARGUMENT" for bad input, "FAILED_PRECONDITION" when the model is
// not loaded), so the caller maps them back to a Status (ErrorToStatus).
// Thread safety: the loaded model is immutable; invocations may run concurrently.
#pragma once
#include <string>
#include <string_view>

#include "common/status.h"
#include "runtime/handler_registry.h"

namespace sl::serve {

inline constexpr const char* kPredictHandler = "predict";
inline constexpr const char* kModelDirEnv = "STRAIGHTLINE_MODEL_DIR";
inline constexpr const char* kModelUriEnv = "STRAIGHTLINE_MODEL_URI";
inline constexpr const char* kModelNameEnv = "STRAIGHTLINE_MODEL_NAME";

Status RegisterServeHandlers(runtime::HandlerRegistry* registry);

// The INIT hook and the handler (also callable in-process by tests).
Status InitPredict();
runtime::InvocationResponse HandlePredict(const runtime::InvocationRequest& request);

// The invocation payload for a request body: JSON bodies as-is, others (and any body of the binary
// tensor data extension, json_header_bytes >= 0) in the base64 envelope.
std::string EncodePredictPayload(std::string_view content_type, std::string_view body,
                                 int64_t json_header_bytes = -1);
// A Status from a handled error payload {"errorMessage", "errorType"} (errorType = code name).
Status ErrorToStatus(std::string_view error_payload, std::string_view context);

}  // namespace sl::serve
