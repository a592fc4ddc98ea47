// The AWS credential and region chain, as the AWS CLI and SDKs resolve them (the subset that
// needs no network: no IMDS, no SSO, no credential_process):
//
//   credentials  1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
//                2. the shared credentials file, AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials,
//                   section [<AWS_PROFILE or "default">]: aws_access_key_id,
//                   aws_secret_access_key, aws_session_token
//                3. the shared config file, AWS_CONFIG_FILE or ~/.aws/config, section
//                   [profile <name>] (or [default]) with the same keys (the CLI reads both)
//   region       AWS_REGION, else AWS_DEFAULT_REGION, else `region =` in the config file's
//                [profile <name>] / [default] section; "" when none says.
//
// The environment is injected (EnvLookup) so that tests never read the real HOME.
// Failure contract:
//   INVALID_ARGUMENT  a file that exists but is malformed, or a profile with only one of the
//                     two keys: the message names the file, the line and the key
//                     ("/h/.aws/credentials:7: aws_secret_access_key: ...")
//   NOT_FOUND         no credentials anywhere: the message lists every place looked at
//   PERMISSION_DENIED / INTERNAL  a file that exists but cannot be read
// Secrets never appear in messages (only the access key id does).
// Thread safety: pure functions of their arguments (and the files they read).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/aws_ini.h"
#include "common/sigv4.h"
#include "common/status.h"

namespace sl::faas {

// Looks up one environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// The real process environment (getenv).
EnvLookup ProcessEnv();
// A fixed map, for tests.
EnvLookup MapEnv(std::map<std::string, std::string> vars);

struct ResolvedCredentials {
  AwsCredentials credentials;
  std::string source;  // "environment" or "/home/u/.aws/credentials [profile default]"
};

Result<ResolvedCredentials> ResolveAwsCredentials(const EnvLookup& env);

// "" when nothing configures a region (callers then pick their default, e.g. us-east-1).
Result<std::string> ResolveAwsRegion(const EnvLookup& env);

// The files are parsed by common/aws_ini.h (ParseAwsIni), shared with the server side.

}  // namespace sl::faas
