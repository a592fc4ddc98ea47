// Functions files: functions declared in YAML, in the spirit of serverless.yml / SAM templates.
//
//   provider:                      # defaults for every function (all optional)
//     name: aws-lambda             # provider profile (profiles/<name>.yaml)
//     memorySize: 256              # MB
//     timeout: 10                  # seconds
//     keepAlive: fixed             # fixed | fixed:90s | hybrid   (keep_alive_policy.h)
//     environment: {STAGE: dev}
//     platform: lambda             # where `invoke --functions` sends calls: local | lambda | http
//     endpointUrl: http://h:9000   # lambda: a Lambda-compatible endpoint (default: AWS's)
//     region: us-east-1            # lambda
//     http: {...}                  # http: defaults for HTTP-triggered functions
//   functions:
//     echo:
//       handler: echo              # built-in handler of straightline-worker
//     hello:
//       runtime: provided.al2023   # custom runtime: an executable `bootstrap` in codeUri
//       codeUri: ./hello           # relative to this file
//       handler: function.handler  # passed to the bootstrap as _HANDLER
//       memorySize: 128
//       reservedConcurrency: 10    # per-function concurrency limit
//       provisionedConcurrency: 1  # instances kept initialised
//       instanceConcurrency: 1     # requests per instance (Cloud Run style when > 1)
//       provider: gcp-cloud-run-functions
//       environment: {GREETING: hi}
//       url: https://...           # http: the function's HTTP trigger; also headers:, auth:
//     trainer:
//       image: oci-archive:./fn.tar  # a function image (`straightline package function`), run
//       handler: train-shard         #   under runc; handler replaces the image's Cmd
//       ephemeralStorage: 1024     # MB of private /tmp (512..10240; SAM's {Size: N} too)
//       mounts: [./data, {path: ./out, writable: true}]  # host dirs a sandboxed instance sees
//       egress: [127.0.0.1:9000]   # endpoints a sandboxed instance may connect to
// `platform`, `endpointUrl`, `region`, `http`, `url`, `headers` and `auth` are read by the remote
// hosts (faas/remote/http_functions.h for the http ones), not by the embedded platform.
// `runtime` is `builtin` (default) or `provided`, `provided.al2`, `provided.al2023`.
// Unknown keys are errors (a typo must not silently fall back to a default).
//
// Failure contract: INVALID_ARGUMENT naming the file, the function and the field, e.g.
//   "fns.yaml: function 'echo': memorySize: 'big' is not an integer";
// NOT_FOUND for a missing file. Profiles are only resolved by Platform::RegisterFunction.
// codeUri is made absolute when the file is parsed (relative to the file's directory, which is
// itself taken relative to the current directory), so a spec keeps working wherever the platform
// later runs it from. LoadFunctionsFile also checks at load time that every custom runtime's
// code directory and executable `bootstrap` exist: INVALID_ARGUMENT naming the file, the function
// and the missing path, e.g. "fns.yaml: function 'hello': codeUri: /abs/hello/bootstrap does not
// exist ...". ParseFunctionsYaml looks at no file.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "faas/function_spec.h"

namespace sl::faas {

Result<std::vector<FunctionSpec>> LoadFunctionsFile(const std::string& path);

// The provider block's choice of platform ("" when the file names none).
struct FunctionsFilePlatform {
  std::string platform;      // "" | "local" | "lambda" | "http"
  std::string endpoint_url;  // lambda
  std::string region;        // lambda
};
Result<FunctionsFilePlatform> ReadFunctionsFilePlatform(const std::string& path);
// `file` names the text in errors; relative codeUri paths resolve against `base_dir` (made
// absolute against the current directory if it is relative).
Result<std::vector<FunctionSpec>> ParseFunctionsYaml(const std::string& text,
                                                     const std::string& file,
                                                     const std::string& base_dir);

}  // namespace sl::faas
