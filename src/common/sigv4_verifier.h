// SigV4Verifier: checks the AWS Signature Version 4 of a received HTTP request, the server side
// of common/sigv4.h. It recomputes the signature from the request as it arrived — method, path as
// sent, query, the headers named in SignedHeaders, the SHA-256 of the body, the date of
// x-amz-date (or Date) — with the secret of the access key named in the Credential, and compares
// in constant time.
//
//   Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/lambda/aws4_request,
//                  SignedHeaders=host;x-amz-date, Signature=<64 hex>
//
// Accepted: header-based auth only (no presigned query strings); any region in the scope (the
// region is still part of what is signed, but a server answering for one endpoint has no reason
// to reject a client configured for another); the scope's service must be options.service; the
// request date within options.max_skew of options.clock (either way, as AWS allows); `host` must
// be signed; the payload hash is always the body's own SHA-256 (an x-amz-content-sha256 header
// that differs, or UNSIGNED-PAYLOAD, is rejected), so a signature also covers the body.
// x-amz-security-token is signed like any header but not checked: there is no STS here, the
// secret alone authenticates.
//
// Failures come back as a SigV4Verdict whose `failure` says which of AWS's authentication errors
// applies and whose `message` uses AWS's wording, for the caller to map to its protocol's error
// response (faas/front/lambda_errors.h for the Lambda API). Messages never contain a secret.
//
// Ownership: owns a copy of the credentials; the clock is not owned and must outlive it.
// Thread safety: immutable after Create; Verify may be called from any thread at once.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/http_message.h"
#include "common/sigv4.h"
#include "common/status.h"

namespace sl {

enum class SigV4Failure {
  kNone,
  kMissingAuthentication,  // no Authorization header
  kIncompleteSignature,    // Authorization malformed, unsupported algorithm, no date, host unsigned
  kUnknownAccessKey,       // the Credential's access key id is not configured
  kSignatureMismatch,      // wrong secret, tampered request, wrong service or scope date
  kExpired,                // request date outside the allowed skew (too old or too far ahead)
};

// "missing-authentication", "incomplete-signature", "unknown-access-key", "signature-mismatch",
// "expired" ("none" for kNone): stable names for logs and metric labels.
std::string_view SigV4FailureName(SigV4Failure f);

struct SigV4Verdict {
  SigV4Failure failure = SigV4Failure::kNone;
  std::string access_key_id;  // from the Credential when it could be parsed (also on failure)
  std::string message;        // for the client, AWS's wording; empty when ok
  bool ok() const { return failure == SigV4Failure::kNone; }
};

struct SigV4VerifierOptions {
  std::string service = "lambda";           // the Credential scope's service must be this
  std::chrono::seconds max_skew{300};       // AWS: 5 minutes
  bool uri_escape_path = true;              // false only for S3 (see SigV4CanonicalUri)
  Clock* clock = Clock::Real();             // not owned
};

class SigV4Verifier {
 public:
  // INVALID_ARGUMENT for an empty access key id or secret, or one key id given two different
  // secrets (naming the key id, never the secret); an identical duplicate is accepted once.
  static Result<std::unique_ptr<SigV4Verifier>> Create(const std::vector<AwsCredentials>& credentials,
                                                       SigV4VerifierOptions options = {});

  SigV4Verdict Verify(const HttpRequest& request) const;

  // The accepted access key ids, sorted (for the start-up log line).
  std::vector<std::string> access_key_ids() const;
  const SigV4VerifierOptions& options() const { return options_; }

 private:
  SigV4Verifier(std::map<std::string, std::string> secrets, SigV4VerifierOptions options)
      : secrets_(std::move(secrets)), options_(std::move(options)) {}

  std::map<std::string, std::string> secrets_;  // access key id → secret
  SigV4VerifierOptions options_;
};

}  // namespace sl
