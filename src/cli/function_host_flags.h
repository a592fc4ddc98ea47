// Where the functions of `train --workers`, `serve --tiers function` and `invoke` run: the flags
// that choose a faas::FunctionHost (faas/function_host.h) and the one place that builds it.
//
//   --platform local    the embedded platform (default; `make demo` and the tests)
//   --platform lambda   the AWS Lambda Invoke API with SigV4: real AWS (region and credentials
//                       from the standard AWS_* variables or ~/.aws files), or any
//                       Lambda-compatible endpoint with --endpoint-url (another host's
//                       `straightline platform serve`)
//   --platform http     HTTP-triggered functions (Knative, Cloud Run functions, Azure Functions,
//                       OpenWhisk web actions): URLs per function from --http-functions FILE
//
// Thread safety: plain values; OpenFunctionHost from one thread.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "faas/function_host.h"
#include "faas/platform.h"

namespace sl {
class FlagSet;
}

namespace sl::cli {

struct FunctionHostFlags {
  // "": the provider block of the functions file (--http-functions, or the command's own
  // functions_file) says, else local.
  std::string platform;
  std::string endpoint_url;    // lambda: "" = AWS's regional endpoint
  std::string region;          // lambda: "" = AWS_REGION / ~/.aws/config / us-east-1
  std::string function_image;  // lambda on real AWS: the function image (ECR URI) to create from
  std::string function_role;   // lambda on real AWS: the execution role ARN
  std::string http_functions;  // http: the functions file with a url per function
  std::string function_isolation = "auto";  // local: auto | sandbox | none (faas::FunctionIsolation)
  std::string function_egress;              // local: comma-separated host:port every function may reach
  std::string functions_file;  // not a flag: a command's own functions file (invoke --functions)

  void Define(FlagSet& flags);
  // The flags with the platform decided: --platform as given, else the functions file's
  // `provider: {platform, endpointUrl, region}` (faas/functions_file.h), else local; flags given
  // on the command line win over the file. Errors: the file cannot be read or names no platform
  // we know.
  Result<FunctionHostFlags> Resolved() const;
  bool remote() const { return !platform.empty() && platform != "local"; }
};

// What OpenFunctionHost built. `local` points into `host` when the platform is local (callers
// that need the embedded platform's extras: isolation report, log paths), else null.
struct OpenedFunctionHost {
  std::unique_ptr<faas::FunctionHost> host;
  faas::Platform* local = nullptr;
  std::string ledger_path;  // where this process's invocations are recorded
  std::string description;  // one line for the user: which host, endpoint, credentials source
};

// Sets the embedded platform's isolation and egress from the flags' text: INVALID_ARGUMENT naming
// --function-isolation or --function-egress. Shared with `platform serve`, which has no
// --platform.
Status ApplyIsolationFlags(const std::string& isolation, const std::string& egress, faas::PlatformOptions* options);
// The `--function-isolation` / `--function-egress` flag definitions, for commands without
// FunctionHostFlags.
void DefineIsolationFlags(FlagSet& flags, std::string* isolation, std::string* egress);

// Builds the host the flags name (after Resolved()). `local_options` configure the embedded platform; a remote
// host keeps its caller-side ledger in local_options.state_dir and prices invocations under
// `provider`. INVALID_ARGUMENT naming the flag for a bad --platform or a flag that does not
// belong to it (e.g. --endpoint-url with --platform local); the host's own errors otherwise
// (no credentials: where they were looked for).
Result<OpenedFunctionHost> OpenFunctionHost(const FunctionHostFlags& flags,
                                            const faas::PlatformOptions& local_options,
                                            const std::string& provider);

}  // namespace sl::cli
