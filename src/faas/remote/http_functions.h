// Configuration of HTTP-triggered functions (HttpHost, http_host.h): per function a URL to POST
// the payload to, extra headers and an optional credential, plus what pricing needs (profile,
// memory). Built in C++ or read from the functions file's provider block and per-function keys:
//
//   provider:
//     name: gcp-cloud-run-functions      # pricing profile (as today)
//     platform: http                     # proposed: local | lambda | http (read by the CLI)
//     http:                              # defaults for every function (all optional)
//       timeout: 60                      # client read timeout, seconds
//       headers: {X-Env: prod}
//       auth:
//         bearerTokenFile: /run/secrets/id-token   # Authorization: Bearer <file, trimmed>
//         bearerTokenEnv: CLOUD_RUN_TOKEN          #   ... or from this variable
//         functionKeyEnv: AZURE_FUNCTION_KEY       # x-functions-key: <value> (Azure)
//         functionKeyFile: /run/secrets/fn-key
//         functionKeyIn: header                    # header (default) | query  (?code=<key>)
//   functions:
//     train-shard:
//       handler: train-shard
//       memorySize: 2048
//       url: https://train-shard-abc-uc.a.run.app/ # required for the http platform
//       headers: {...}                             # merged over provider.http.headers
//       auth: {...}                                # replaces provider.http.auth
//
// Secrets are never written in the file itself, only where to read them. This parser reads only
// the keys above (and provider.name, memorySize, timeout, handler, provider per function) and
// ignores the rest, which functions_file.cc validates; functions_file.cc must in turn accept
// `url`, `headers`, `auth` per function and `platform`, `http` in the provider block.
//
// Failure contract: INVALID_ARGUMENT naming the file, the function and the key
//   ("fns.yaml: function 'f': auth.bearerTokenEnv: variable CLOUD_RUN_TOKEN is not set");
// NOT_FOUND for a missing file. Credentials are checked when parsed (a missing token file is an
// error then, not at the first invocation); their values never appear in messages.
// Thread safety: pure functions (they read the files and the environment they are given).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "faas/remote/aws_credentials.h"

namespace sl::faas {

struct HttpAuth {
  std::string bearer_token_file;  // Authorization: Bearer <contents, whitespace trimmed>
  std::string bearer_token_env;
  std::string function_key_file;  // Azure Functions' function key
  std::string function_key_env;
  bool function_key_in_query = false;  // ?code=<key> instead of the x-functions-key header
  bool empty() const {
    return bearer_token_file.empty() && bearer_token_env.empty() && function_key_file.empty() &&
           function_key_env.empty();
  }
};

struct HttpFunctionConfig {
  std::string name;
  std::string url;       // http(s)://...; the payload is POSTed here
  std::string handler;   // informational (Describe)
  std::string provider;  // pricing profile; "": the host's default
  int64_t memory_mb = 0; // for pricing; 0: the profile's default
  double timeout_s = 0;  // client read timeout; 0: the host's default
  std::vector<std::pair<std::string, std::string>> headers;  // sent as they are
  HttpAuth auth;
  std::string source = "c++";  // where it was declared, for error messages
};

// Parses the YAML text of a functions file (see above). Functions without a `url` are kept
// (with url ""), so that HttpHost::Deploy can say which file to add it to.
Result<std::vector<HttpFunctionConfig>> ParseHttpFunctionsYaml(std::string_view text,
                                                               const std::string& file);
Result<std::vector<HttpFunctionConfig>> LoadHttpFunctionsFile(const std::string& path);

// The credential headers (and query) of one function, read now from its files / `env`.
struct HttpCredential {
  std::vector<std::pair<std::string, std::string>> headers;
  std::string query;  // "code=<key>" or ""
};
Result<HttpCredential> ResolveHttpCredential(const HttpFunctionConfig& f, const EnvLookup& env);

}  // namespace sl::faas
