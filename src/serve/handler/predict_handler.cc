#include "serve/handler/predict_handler.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <fmt/format.h>

#include "common/base64.h"
#include "store/function_env.h"
#include "store/object_store.h"
#include "ml/predictor.h"
#include "serve/v2/v2_codec.h"
#include "serve/v2/v2_predict.h"

namespace sl::serve {
namespace {

using runtime::InvocationRequest;
using runtime::InvocationResponse;

struct Loaded {
  std::unique_ptr<ml::Predictor> predictor;
  v2::ModelInput input;
  std::string name;
};

std::mutex g_mu;
std::shared_ptr<const Loaded> g_loaded;  // GUARDED_BY(g_mu); immutable once set

InvocationResponse Fail(const Status& s) {
  return InvocationResponse::Failure(s.message(), std::string(CodeName(s.code())));
}

}  // namespace

// A model named by store URI is copied into this instance's /tmp once, in INIT (the instance may
// run on another host than the caller, which reaches it only through the store).
Result<std::string> FetchModel(const std::string& uri) {
  std::string base = uri, prefix;
  // "s3://bucket/models/m" → the store s3://bucket/models and the prefix "m/" (file:///abs/dir/m
  // the same way).
  const size_t scheme = uri.find("://");
  if (scheme == std::string::npos) return InvalidArgument("predict: ${} = '{}' is not a store URI", kModelUriEnv, uri);
  std::string rest = uri.substr(scheme + 3);
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t slash = rest.rfind('/');
  if (slash == std::string::npos || slash == 0) {
    return InvalidArgument("predict: ${} = '{}' names no model folder (want SCHEME://BUCKET/PREFIX/MODEL)",
                           kModelUriEnv, uri);
  }
  base = uri.substr(0, scheme + 3) + rest.substr(0, slash);
  prefix = rest.substr(slash + 1) + "/";
  SL_ASSIGN_OR_RETURN(auto st, store::OpenObjectStore(base, store::StoreOptionsFromFunctionEnvironment()));
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = fmt::format("{}/sl-model-{}/{}", tmp != nullptr && *tmp ? tmp : "/tmp", ::getpid(),
                                rest.substr(slash + 1));
  SL_RETURN_IF_ERROR(store::DownloadPrefix(st.get(), prefix, dir)
                         .WithContext(fmt::format("predict: fetching the model {}", uri)));
  return dir;
}

Status InitPredict() {
  std::string dir;
  if (const char* uri = std::getenv(kModelUriEnv); uri != nullptr && *uri != '\0') {
    SL_ASSIGN_OR_RETURN(dir, FetchModel(uri));
  } else if (const char* d = std::getenv(kModelDirEnv); d != nullptr && *d != '\0') {
    dir = d;
  } else {
    return FailedPrecondition("predict: neither ${} nor ${} is set (the model to serve)", kModelUriEnv,
                              kModelDirEnv);
  }
  auto loaded = std::make_shared<Loaded>();
  SL_ASSIGN_OR_RETURN(loaded->predictor, ml::Predictor::Load(dir));
  loaded->input = v2::InputOf(*loaded->predictor);
  const char* name = std::getenv(kModelNameEnv);
  loaded->name = name != nullptr && *name != '\0'
                     ? std::string(name)
                     : std::filesystem::path(dir).lexically_normal().filename().string();
  if (loaded->name.empty()) loaded->name = std::filesystem::path(dir).parent_path().filename().string();
  std::lock_guard<std::mutex> lock(g_mu);
  g_loaded = std::move(loaded);
  return Status::Ok();
}

InvocationResponse HandlePredict(const InvocationRequest& request) {
  std::shared_ptr<const Loaded> m;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    m = g_loaded;
  }
  if (!m) return Fail(FailedPrecondition("predict: no model loaded (INIT did not run)"));
  std::string content_type = "application/json";
  std::string body = request.payload;
  int64_t json_header_bytes = -1;
  auto j = nlohmann::json::parse(request.payload, nullptr, false);
  if (j.is_object() && j.contains("body_base64")) {
    if (!j["body_base64"].is_string()) {
      return Fail(InvalidArgument("predict: payload field body_base64 is not a string"));
    }
    auto bytes = Base64Decode(j["body_base64"].get<std::string>());
    if (!bytes.ok()) return Fail(bytes.status().WithContext("predict: payload field body_base64"));
    body = std::move(*bytes);
    content_type = j.contains("content_type") && j["content_type"].is_string()
                       ? j["content_type"].get<std::string>()
                       : "application/octet-stream";
    if (j.contains("inference_header_content_length")) {
      const auto& h = j["inference_header_content_length"];
      if (!h.is_number_unsigned()) {
        return Fail(InvalidArgument("predict: payload field inference_header_content_length is not a byte count"));
      }
      json_header_bytes = h.get<int64_t>();
    }
  }
  auto decoded = v2::DecodeRequest(m->name, content_type, std::move(body), m->input, json_header_bytes);
  if (!decoded.ok()) return Fail(decoded.status());
  auto out = v2::RunPredictions(*m->predictor, *decoded);
  if (!out.ok()) return Fail(out.status());
  return InvocationResponse::Success(std::move(*out));
}

std::string EncodePredictPayload(std::string_view content_type, std::string_view body,
                                 int64_t json_header_bytes) {
  if (json_header_bytes < 0 && v2::ClassifyContentType(content_type) == v2::BodyKind::kJson) {
    return std::string(body);
  }
  nlohmann::json env = {{"content_type", std::string(content_type)},
                        {"body_base64", Base64Encode(body)}};
  if (json_header_bytes >= 0) env["inference_header_content_length"] = json_header_bytes;
  return env.dump();
}

Status ErrorToStatus(std::string_view error_payload, std::string_view context) {
  auto j = nlohmann::json::parse(error_payload, nullptr, false);
  std::string message(error_payload), type;
  if (j.is_object()) {
    if (j.contains("errorMessage") && j["errorMessage"].is_string()) message = j["errorMessage"];
    if (j.contains("errorType") && j["errorType"].is_string()) type = j["errorType"];
  }
  for (Code c : {Code::kInvalidArgument, Code::kNotFound, Code::kFailedPrecondition,
                 Code::kResourceExhausted, Code::kDeadlineExceeded, Code::kUnavailable}) {
    if (type == CodeName(c)) return Status(c, fmt::format("{}: {}", context, message));
  }
  return Internal("{}: {}{}", context, type.empty() ? "" : type + ": ", message);
}

Status RegisterServeHandlers(runtime::HandlerRegistry* registry) {
  return registry->Register(kPredictHandler, HandlePredict, InitPredict);
}

}  // namespace sl::serve
