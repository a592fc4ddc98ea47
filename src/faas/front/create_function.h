// CreateFunction (POST /2015-03-31/functions) as this front supports it: a function that runs one
// of straightline-worker's built-in handlers, named by Handler. No code travels: a ZipFile, an
// S3 object or a container image could not run here, so a request carrying one is refused rather
// than registered as something else. This is how a remote coordinator (`train --platform lambda
// --endpoint-url http://HOST`) deploys its per-job functions on `straightline platform serve`.
//
//   {"FunctionName": "job-7-train-shard", "Handler": "train-shard",
//    "Runtime": "straightline-builtin", "MemorySize": 1769, "Timeout": 120,
//    "Environment": {"Variables": {"SL_STORE": "s3://bucket/job-7"}},
//    "Role": "arn:aws:iam::000000000000:role/any", "Code": {}}
//
// Accepted: FunctionName (a name, or an ARN / partial ARN naming $LATEST), Handler (required),
// Runtime (absent, "straightline-builtin" or a `provided*` custom runtime name), MemorySize and
// Timeout (positive integers; absent: the server's defaults), Environment.Variables (strings),
// Description, Role (kept for the caller, not used), PackageType (absent or "Zip"), Code (absent
// or without ZipFile/S3Bucket/S3Key/S3ObjectVersion/ImageUri). Other members (Publish, Layers,
// VpcConfig, Tags, ...) are ignored.
// Failure contract: INVALID_ARGUMENT naming the member and, for unsupported code or runtime,
// saying that only straightline built-in handlers can be created here (the front answers it as
// 400 InvalidParameterValueException); body that is not a JSON object: INVALID_ARGUMENT too.
// Thread safety: pure function.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sl::faas {

struct CreateFunctionRequest {
  std::string name;         // the plain function name
  std::string handler;      // a built-in handler name (checked by whoever registers it)
  std::string runtime;      // as given; "" when absent
  std::string description;
  std::string role;
  int64_t memory_mb = 0;    // 0: absent
  int64_t timeout_s = 0;    // 0: absent
  std::map<std::string, std::string> environment;
};

Result<CreateFunctionRequest> ParseCreateFunctionRequest(std::string_view body);

}  // namespace sl::faas
