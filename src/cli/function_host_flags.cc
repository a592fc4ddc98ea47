#include "cli/function_host_flags.h"

#include <fmt/format.h>

#include "common/flags.h"
#include "faas/sandbox/instance_network.h"
#include "faas/functions_file.h"
#include "faas/remote/http_functions.h"
#include "faas/remote/http_host.h"
#include "faas/remote/lambda_host.h"

namespace sl::cli {

void FunctionHostFlags::Define(FlagSet& flags) {
  flags.String("platform", &platform,
               "where functions run: local (embedded) | lambda (AWS Lambda Invoke API) | http (HTTP-triggered "
               "functions); default: the functions file's provider.platform, else local");
  flags.String("endpoint-url", &endpoint_url,
               "--platform lambda: a Lambda-compatible endpoint, e.g. another host's `straightline platform "
               "serve` (default: AWS's regional endpoint)");
  flags.String("region", &region, "--platform lambda: AWS region (default: AWS_REGION, ~/.aws/config, us-east-1)");
  flags.String("function-image", &function_image,
               "the function image the functions run from: --platform lambda on AWS, an image URI (ECR) that "
               "missing functions are created from; --platform local, an oci-archive:PATH or oci:DIR from "
               "`straightline package function`, run under runc");
  flags.String("function-role", &function_role,
               "--platform lambda on AWS: execution role ARN for functions created from --function-image");
  flags.String("http-functions", &http_functions, "--platform http: functions file with each function's url");
  DefineIsolationFlags(flags, &function_isolation, &function_egress);
}

Result<FunctionHostFlags> FunctionHostFlags::Resolved() const {
  FunctionHostFlags r = *this;
  const std::string& file = !http_functions.empty() ? http_functions : functions_file;
  if (!file.empty()) {
    SL_ASSIGN_OR_RETURN(faas::FunctionsFilePlatform where, faas::ReadFunctionsFilePlatform(file));
    if (r.platform.empty()) r.platform = !where.platform.empty() ? where.platform : !http_functions.empty() ? "http" : "";
    if (r.platform == "lambda") {
      if (r.endpoint_url.empty()) r.endpoint_url = where.endpoint_url;
      if (r.region.empty()) r.region = where.region;
    }
    if (r.platform == "http" && r.http_functions.empty()) r.http_functions = file;
  }
  if (r.platform.empty()) r.platform = "local";
  return r;
}

void DefineIsolationFlags(FlagSet& flags, std::string* isolation, std::string* egress) {
  flags.String("function-isolation", isolation,
               "embedded platform: sandbox (each instance in its own namespaces as an unprivileged user, "
               "reaching only its Runtime API, its store and --function-egress), none (trusted code: "
               "instances run as this user on this host), or auto (sandbox where possible; default)");
  flags.String("function-egress", egress,
               "embedded platform: comma-separated host:port endpoints every sandboxed function may connect to "
               "(its store's endpoint is always allowed)");
}

Status ApplyIsolationFlags(const std::string& isolation, const std::string& egress, faas::PlatformOptions* options) {
  auto iso = faas::ParseFunctionIsolation(isolation.empty() ? "auto" : isolation);
  if (!iso.ok()) return InvalidArgument("--function-isolation: {}", iso.status().message());
  options->isolation = *iso;
  size_t start = 0;
  while (start < egress.size()) {
    size_t comma = egress.find(',', start);
    std::string item = egress.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) {
      auto parsed = faas::ParseEgressEndpoint(item);
      if (!parsed.ok()) return InvalidArgument("--function-egress: {}", parsed.status().message());
      options->function_egress.push_back(item);
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return Status::Ok();
}

Result<OpenedFunctionHost> OpenFunctionHost(const FunctionHostFlags& given, const faas::PlatformOptions& local_options,
                                            const std::string& provider) {
  SL_ASSIGN_OR_RETURN(const FunctionHostFlags f, given.Resolved());
  OpenedFunctionHost out;
  auto only_for = [&](const std::string& value, const char* flag, const char* platform) -> Status {
    if (!value.empty() && f.platform != platform) {
      return InvalidArgument("--{} is for --platform {}, not --platform {}", flag, platform, f.platform);
    }
    return Status::Ok();
  };
  SL_RETURN_IF_ERROR(only_for(f.endpoint_url, "endpoint-url", "lambda"));
  SL_RETURN_IF_ERROR(only_for(f.region, "region", "lambda"));
  SL_RETURN_IF_ERROR(only_for(f.function_role, "function-role", "lambda"));
  SL_RETURN_IF_ERROR(only_for(f.http_functions, "http-functions", "http"));
  if (f.platform == "http" && !f.function_image.empty()) {
    return InvalidArgument("--function-image is for --platform local or lambda, not --platform http");
  }
  const std::string remote_ledger = local_options.state_dir + "/ledger.jsonl";

  if (f.platform != "local") {
    if (f.function_isolation != "auto") {
      return InvalidArgument("--function-isolation is for --platform local, not --platform {}", f.platform);
    }
    SL_RETURN_IF_ERROR(only_for(f.function_egress, "function-egress", "local"));
  }
  if (f.platform == "local") {
    faas::PlatformOptions options = local_options;
    SL_RETURN_IF_ERROR(ApplyIsolationFlags(f.function_isolation, f.function_egress, &options));
    options.function_image = f.function_image;  // a function image (oci-archive:/oci:) run under runc
    SL_ASSIGN_OR_RETURN(auto platform, faas::Platform::Create(options));
    out.local = platform.get();
    out.ledger_path = platform->LedgerPath();
    const auto& iso = platform->isolation();
    out.description = fmt::format(
        "function platform: embedded, state in {}; memory limit {}, cpu limit {}{}; functions {}",
        local_options.state_dir, iso.memory_method, iso.cpu_method, iso.detail.empty() ? "" : " (" + iso.detail + ")",
        iso.sandbox ? "sandboxed (own namespaces, unprivileged user)"
                    : "NOT sandboxed (" + iso.sandbox_detail + ")");
    out.host = std::move(platform);
    return out;
  }
  if (f.platform == "lambda") {
    faas::LambdaHostOptions o;
    o.region = f.region;
    o.endpoint_url = f.endpoint_url;
    o.provider = provider;
    o.ledger_path = remote_ledger;
    o.image_uri = f.function_image;
    o.role_arn = f.function_role;
    SL_ASSIGN_OR_RETURN(auto lambda, faas::LambdaHost::Create(std::move(o)));
    out.ledger_path = remote_ledger;
    out.description = fmt::format("function platform: AWS Lambda Invoke API at {} (region {}, credentials from {}); "
                                  "caller-side ledger {}",
                                  lambda->endpoint(), lambda->region(), lambda->credentials_source(),
                                  remote_ledger);
    out.host = std::move(lambda);
    return out;
  }
  if (f.platform == "http") {
    if (f.http_functions.empty()) {
      return InvalidArgument("--platform http: give --http-functions FILE, the functions file with each function's url");
    }
    faas::HttpHostOptions o;
    SL_ASSIGN_OR_RETURN(o.functions, faas::LoadHttpFunctionsFile(f.http_functions));
    o.provider = provider;
    o.ledger_path = remote_ledger;
    o.config_source = f.http_functions;
    SL_ASSIGN_OR_RETURN(auto http, faas::HttpHost::Create(std::move(o)));
    out.ledger_path = remote_ledger;
    out.description = fmt::format("function platform: HTTP-triggered functions from {}; caller-side ledger {}",
                                  f.http_functions, remote_ledger);
    out.host = std::move(http);
    return out;
  }
  return InvalidArgument("--platform: '{}' is not local, lambda or http", f.platform);
}

}  // namespace sl::cli
