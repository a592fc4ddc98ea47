// AWS Signature Version 4 (S3, Lambda and any AWS-style API), computed here rather than by libcurl's
// CURLOPT_AWS_SIGV4 because libcurl 7.88 does not sort or re-encode query parameters, and
// ListObjectsV2 / multipart requests depend on both. Checked against AWS's published examples.
//
// Signing (SignV4): callers pass the path already URI-encoded the way it is sent and query
// parameters raw; the signer encodes and sorts them for the canonical request. S3 uses the sent
// path as the canonical URI; every other service encodes it once more (uri_escape_path below).
//
// Verifying (common/sigv4_verifier.h) recomputes a received request's signature with the same
// pieces: SigV4CanonicalUri / SigV4CanonicalQuery from the request as sent, SigV4CanonicalRequest,
// SigV4StringToSign and SigV4Signature.
// Thread safety: stateless.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace sl {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // optional (STS); sent as x-amz-security-token
};

struct SigV4Request {
  std::string method;                                       // "GET", "PUT", ...
  std::string encoded_path;                                 // "/bucket/a%20b/c", as sent
  std::vector<std::pair<std::string, std::string>> query;   // raw name/value pairs
  std::map<std::string, std::string> headers;               // lowercase names; must include "host"
  std::string payload_sha256 = "UNSIGNED-PAYLOAD";          // hex sha256 of the body, or UNSIGNED-PAYLOAD
  // false (S3): the canonical URI is encoded_path as it is. true (Lambda and every other
  // service): it is encoded_path normalised and URI-encoded once more, so "fn%3A%24LATEST" is
  // signed as "fn%253A%2524LATEST" — what botocore and the AWS SDKs do.
  bool uri_escape_path = false;
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

// --- The pieces of a signature, shared by SignV4 and the verifier. ---

// The canonical URI of a path as it was sent (still percent-encoded, without the query).
// uri_escape_path: remove empty, "." and ".." segments (keeping a leading and trailing '/') and
// URI-encode the result once more, as botocore and the JS SDK do for every service but S3;
// otherwise the path is used as it is. An empty path is "/".
std::string SigV4CanonicalUri(std::string_view path_as_sent, bool uri_escape_path);

// The canonical query string of a raw query as it was sent ("b=x%20y&a=1"): each name and value
// percent-decoded, encoded again the SigV4 way and sorted, so any valid encoding of the same
// parameters gives the same string. A parameter without '=' has an empty value.
std::string SigV4CanonicalQuery(std::string_view raw_query);

// A header value as it is signed: leading/trailing blanks removed, inner runs of blanks collapsed
// to one space.
std::string SigV4CanonicalHeaderValue(std::string_view value);

// One signed header: lowercase name and its canonical value (several values of one name are
// joined with ',' by the caller, in the order received).
using SigV4Header = std::pair<std::string, std::string>;

// METHOD\nURI\nQUERY\nname:value\n...\n\nsigned;headers\nPAYLOAD_HASH. `headers` must be sorted by
// name, names lowercase, values canonical.
std::string SigV4CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                                  std::string_view canonical_query,
                                  const std::vector<SigV4Header>& headers,
                                  std::string_view payload_sha256);

// "host;x-amz-date": the names of `headers` joined with ';'.
std::string SigV4SignedHeaders(const std::vector<SigV4Header>& headers);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of canonical_request>".
// amz_date: "20130524T000000Z"; scope: "20130524/us-east-1/s3/aws4_request".
std::string SigV4StringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request);

// Lowercase hex HMAC-SHA256 of string_to_sign under the key derived from the secret, the scope
// date ("20130524"), region and service.
std::string SigV4Signature(std::string_view secret_access_key, std::string_view date,
                           std::string_view region, std::string_view service,
                           std::string_view string_to_sign);

}  // namespace sl
