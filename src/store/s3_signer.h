// AWS Signature Version 4 for S3 requests, computed here rather than by libcurl's
// CURLOPT_AWS_SIGV4 because libcurl 7.88 does not sort or re-encode query parameters, and
// ListObjectsV2 / multipart requests depend on both. Checked against AWS's published examples.
//
// Callers pass the path already URI-encoded the way it is sent (S3 does not double-encode) and
// query parameters raw; the signer encodes and sorts them for the canonical request.
// Thread safety: stateless.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace sl::store {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional (STS); sent as x-amz-security-token
};

struct SigV4Request {
  std::string method;                                       // "GET", "PUT", ...
  std::string encoded_path;                                 // "/bucket/a%20b/c"
  std::vector<std::pair<std::string, std::string>> query;   // raw name/value pairs
  std::map<std::string, std::string> headers;               // lowercase names; must include "host"
  std::string payload_sha256 = "UNSIGNED-PAYLOAD";          // hex sha256 of the body, or UNSIGNED-PAYLOAD
};

// Adds x-amz-date, x-amz-content-sha256 (and x-amz-security-token) to request.headers and
// returns the Authorization header value.
std::string SignV4(SigV4Request& request, const AwsCredentials& creds, const std::string& region,
                   const std::string& service, WallTime now);

// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters kept, everything else %XX
// (uppercase). `keep_slash` leaves '/' alone (for paths).
std::string AwsUriEncode(std::string_view s, bool keep_slash);

// "a=1&b=&c%2Fd=x": encoded, sorted query string (the canonical form; also fine to send).
std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query);

}  // namespace sl::store
