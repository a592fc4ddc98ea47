// FunctionConfiguration: what ListFunctions, GetFunction and CreateFunction answer about one
// function, in the shape of AWS's FunctionConfiguration (botocore's lambda service model).
//
// Environment variables are shown as AWS shows them (Environment.Variables), except that values
// whose names look secret (LooksLikeSecretName: ..SECRET.., ..PASSWORD.., ..TOKEN.., ..PRIVATE..,
// ..CREDENTIAL.., ..API_KEY..; not AWS_ACCESS_KEY_ID) are replaced by
// "redacted:sha256:<hex of the value>". AWS returns them in clear text to any caller allowed
// GetFunction; here the caller holds the same keys that may invoke, but a deploying coordinator
// typically passes its object store's secret to the workers, and this endpoint may be shared or
// run with --auth none: the hash still lets a caller check that an existing function has the
// value it would set, without reading it.
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace sl::faas {

// What ListFunctions / GetFunction report about one function.
struct FunctionSummary {
  std::string name;
  std::string runtime;      // e.g. "provided.al2023" (bootstrap) or "straightline-builtin"
  std::string handler;
  std::string description;  // e.g. the provider profile
  int64_t memory_mb = 0;
  double timeout_s = 0;
  std::map<std::string, std::string> environment = {};  // = {}: may be left out of {...} inits
};

bool LooksLikeSecretName(std::string_view env_name);
// "redacted:sha256:<64 hex>".
std::string RedactedEnvValue(std::string_view value);

// FunctionName, FunctionArn (arn:aws:lambda:REGION:ACCOUNT:function:NAME), Runtime, Handler,
// Description, MemorySize, Timeout (whole seconds, rounded up), Version "$LATEST",
// PackageType "Zip", State "Active", LastUpdateStatus "Successful", Architectures, and
// Environment.Variables when there are any.
nlohmann::json FunctionConfigurationJson(const FunctionSummary& f, std::string_view region,
                                         std::string_view account_id);

}  // namespace sl::faas
