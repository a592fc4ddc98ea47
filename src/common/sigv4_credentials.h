// The AWS shared-credentials file (~/.aws/credentials), read the way the AWS CLI and SDKs read it:
//
//   [default]
//   aws_access_key_id = AKIDEXAMPLE
//   aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
//   # aws_session_token = ...   (optional)
//   [ci]
//   aws_access_key_id = ...
//
// Section names are profiles ("[profile x]" is accepted too, as in the config file); keys are
// case-insensitive; '#' and ';' start comment lines; other keys (region, ...) are ignored.
// A server (`straightline platform serve --credentials-file`) accepts every section's key; a
// client picks one profile.
// Failure contract: NOT_FOUND if the file is missing; INVALID_ARGUMENT naming the file and line
// for a line that is neither a section, a key = value pair nor a comment, and naming the profile
// for a section with only one of the id and the secret. Errors never contain a secret.
// Thread safety: stateless.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/sigv4.h"
#include "common/status.h"

namespace sl {

struct AwsProfileCredentials {
  std::string profile;        // section name
  AwsCredentials credentials;
};

// Every section holding a key pair, in file order (sections without any key are skipped).
Result<std::vector<AwsProfileCredentials>> ParseAwsCredentials(std::string_view text,
                                                               std::string_view source);
Result<std::vector<AwsProfileCredentials>> ReadAwsCredentialsFile(const std::string& path);

}  // namespace sl
