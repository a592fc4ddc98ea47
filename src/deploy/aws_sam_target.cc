// aws-sam: a SAM template, one AWS::Serverless::Function per function from the function image,
// and an AWS::Serverless::HttpApi with a POST route to each predict function (the StraightLine
// paper's `img_classify` API: API Gateway → Lambda).
//   PackageType Image, ImageUri         --image (the function image of `straightline package`)
//   ImageConfig.Command [handler]       the image's CMD is the handler (Lambda container contract);
//                                       [name] for a custom runtime (runtime: provided.*), which
//                                       the image carries when built with `straightline package
//                                       function --functions FILE` from the same file
//   MemorySize                          memorySize of the functions file (resolved against its
//                                       provider profile), checked against AWS Lambda's sizes
//   Timeout                             timeout, rounded up to whole seconds, <= Lambda's 900 s
//   ReservedConcurrentExecutions        reservedConcurrency (omitted when 0: account pool)
//   ProvisionedConcurrencyConfig        provisionedConcurrency, on an alias "live" (SAM needs
//                                       AutoPublishAlias for it)
//   Architectures                       arm64 for the aws-lambda-arm64 profile, else x86_64
//   Environment.Variables               environment (+ --env)
//   Events HttpApi POST                 --http-path, default /<function name>, predict only;
//                                       training functions are invoked by the coordinator
//                                       through the Invoke API, not over HTTP.
//                                       PayloadFormatVersion "2.0", pinned: straightline-worker's
//                                       Lambda mode unwraps that event (the v2 body in "body",
//                                       base64 when isBase64Encoded) and answers in its response
//                                       format (runtime/run_handler_http_api.h): 200 with the v2
//                                       response, 400 with {"error"} for bad input
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "deploy/targets.h"
#include "faas/economics/provider_profile.h"

namespace sl::deploy {
namespace {

using nlohmann::json;

// CloudFormation logical ids are alphanumeric: "train-shard" → "TrainShardFunction".
std::string LogicalId(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out + "Function";
}

}  // namespace

Result<json> SamTemplate(const FunctionsSpec& f) {
  auto lambda = faas::LoadProviderProfile("aws-lambda");
  if (!lambda.ok()) return lambda.status();
  json resources = json::object();
  bool any_route = false;
  for (const auto& fn : f.functions) {
    if (Status st = faas::CheckMemorySize(*lambda, fn.memory_mb); !st.ok()) {
      return InvalidArgument("{}: memorySize: {} MB does not fit AWS Lambda: {}", fn.source,
                             fn.memory_mb, st.message());
    }
    const auto timeout = static_cast<int64_t>(std::ceil(fn.timeout_s));
    if (timeout < 1 || static_cast<double>(timeout) > lambda->max_timeout_s) {
      return InvalidArgument("{}: timeout: {} s is outside AWS Lambda's 1..{} s", fn.source,
                             fn.timeout_s, lambda->max_timeout_s);
    }
    json env = json::object();
    for (const auto& [k, v] : fn.environment) {
      if (k.rfind("AWS_", 0) == 0 || k == "_HANDLER" || k.rfind("LAMBDA_", 0) == 0) {
        return InvalidArgument("{}: environment: {} is reserved by AWS Lambda", fn.source, k);
      }
      env[k] = v;
    }
    json props = {
        {"PackageType", "Image"},
        {"ImageUri", f.image},
        // A custom runtime runs from an image built with `package function --functions FILE`,
        // whose index maps the function's name to its bootstrap.
        {"ImageConfig", {{"Command", json::array({fn.custom_runtime ? fn.name : fn.handler})}}},
        {"MemorySize", fn.memory_mb},
        {"Timeout", timeout},
        {"Architectures", json::array({fn.provider == "aws-lambda-arm64" ? "arm64" : "x86_64"})},
        {"Description", fmt::format("straightline function '{}' (handler {})", fn.name, fn.handler)},
    };
    if (!env.empty()) props["Environment"] = {{"Variables", env}};
    if (fn.reserved_concurrency > 0) props["ReservedConcurrentExecutions"] = fn.reserved_concurrency;
    if (fn.provisioned_concurrency > 0) {
      props["AutoPublishAlias"] = "live";
      props["ProvisionedConcurrencyConfig"] = {
          {"ProvisionedConcurrentExecutions", fn.provisioned_concurrency}};
    }
    if (IsPredictHandler(fn.handler)) {
      any_route = true;
      props["Events"] = {
          {"Infer",
           {{"Type", "HttpApi"},
            {"Properties",
             {{"ApiId", {{"Ref", "InferenceApi"}}},
              {"Path", f.http_path.empty() ? "/" + fn.name : f.http_path},
              {"Method", "POST"},
              {"PayloadFormatVersion", "2.0"}}}}}};
    }
    const std::string id = LogicalId(fn.name);
    if (resources.contains(id)) {
      return InvalidArgument("{}: name gives the logical id {} of another function", fn.source, id);
    }
    resources[id] = {{"Type", "AWS::Serverless::Function"}, {"Properties", props}};
  }
  json tmpl = {
      {"AWSTemplateFormatVersion", "2010-09-09"},
      {"Transform", "AWS::Serverless-2016-10-31"},
      {"Description", "straightline functions from a function image (straightline deploy)"},
  };
  if (any_route) {
    resources["InferenceApi"] = {
        {"Type", "AWS::Serverless::HttpApi"},
        {"Properties", {{"Description", "POST routes to the predict functions (KServe v2 bodies)"}}}};
    tmpl["Outputs"] = {
        {"InferenceApiUrl",
         {{"Description", "base URL of the HTTP API"},
          {"Value", {{"Fn::Sub", "https://${InferenceApi}.execute-api.${AWS::Region}.amazonaws.com"}}}}}};
  }
  tmpl["Resources"] = resources;
  return tmpl;
}

}  // namespace sl::deploy
