#include "common/sigv4_verifier.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "common/sha256.h"

namespace sl {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

// AWS's own texts, so that clients and users recognise them.
constexpr std::string_view kMissingToken = "Missing Authentication Token";
constexpr std::string_view kUnknownKey = "The security token included in the request is invalid.";
constexpr std::string_view kMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

SigV4Verdict Fail(SigV4Failure f, std::string message, std::string access_key_id = {}) {
  SigV4Verdict v;
  v.failure = f;
  v.message = std::move(message);
  v.access_key_id = std::move(access_key_id);
  return v;
}

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

std::string FormatAmzDate(WallTime t) {
  std::time_t secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// "20130524T000000Z" (x-amz-date) or "Fri, 24 May 2013 00:00:00 GMT" (Date, RFC 7231).
bool ParseRequestDate(std::string_view text, bool amz_format, WallTime* out) {
  std::tm tm{};
  std::string s(text);
  const char* end = nullptr;
  if (amz_format) {
    if (s.size() != 16) return false;
    end = ::strptime(s.c_str(), "%Y%m%dT%H%M%SZ", &tm);
  } else {
    end = ::strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  }
  if (end == nullptr || *end != '\0') return false;
  *out = WallTime(std::chrono::seconds(::timegm(&tm)));
  return true;
}

bool IsHexSha256(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

struct ParsedAuthorization {
  std::string access_key_id, date, region, service;
  std::vector<std::string> signed_headers;
  std::string signature;
};

// Parses "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..." or says what is wrong
// the way AWS does ("Authorization header requires 'Signature' parameter.").
std::string ParseAuthorization(std::string_view header, ParsedAuthorization* out) {
  header = TrimBlanks(header);
  size_t space = header.find(' ');
  std::string_view algorithm = header.substr(0, space);
  if (algorithm != kAlgorithm) {
    return fmt::format("Authorization header: algorithm '{}' is not supported; only {} is",
                       algorithm, kAlgorithm);
  }
  std::string_view rest = space == std::string_view::npos ? "" : header.substr(space + 1);
  std::string credential, signed_headers, signature;
  bool has_credential = false, has_signed = false, has_signature = false;
  for (std::string_view item : Split(rest, ',')) {
    item = TrimBlanks(item);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return fmt::format("'{}' not a valid key=value pair (missing equal-sign) in Authorization "
                         "header",
                         item);
    }
    std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "Credential") {
      credential = value, has_credential = true;
    } else if (key == "SignedHeaders") {
      signed_headers = value, has_signed = true;
    } else if (key == "Signature") {
      signature = value, has_signature = true;
    }
  }
  std::string missing;
  if (!has_credential) missing += "Authorization header requires 'Credential' parameter. ";
  if (!has_signature) missing += "Authorization header requires 'Signature' parameter. ";
  if (!has_signed) missing += "Authorization header requires 'SignedHeaders' parameter. ";
  if (!missing.empty()) {
    missing.pop_back();
    return missing;
  }
  std::vector<std::string_view> scope = Split(credential, '/');
  if (scope.size() != 5 || scope[0].empty() || scope[1].size() != 8 || scope[2].empty() ||
      scope[3].empty() || scope[4] != "aws4_request") {
    return fmt::format("Credential '{}' is malformed: expected "
                       "ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request",
                       credential);
  }
  out->access_key_id = std::string(scope[0]);
  out->date = std::string(scope[1]);
  out->region = std::string(scope[2]);
  out->service = std::string(scope[3]);
  for (std::string_view h : Split(signed_headers, ';')) {
    if (h.empty()) return fmt::format("SignedHeaders '{}' has an empty header name", signed_headers);
    out->signed_headers.push_back(Lower(h));
  }
  if (signature.empty()) return "Authorization header: 'Signature' is empty";
  out->signature = signature;
  return {};
}

}  // namespace

std::string_view SigV4FailureName(SigV4Failure f) {
  switch (f) {
    case SigV4Failure::kNone: return "none";
    case SigV4Failure::kMissingAuthentication: return "missing-authentication";
    case SigV4Failure::kIncompleteSignature: return "incomplete-signature";
    case SigV4Failure::kUnknownAccessKey: return "unknown-access-key";
    case SigV4Failure::kSignatureMismatch: return "signature-mismatch";
    case SigV4Failure::kExpired: return "expired";
  }
  return "?";
}

Result<std::unique_ptr<SigV4Verifier>> SigV4Verifier::Create(
    const std::vector<AwsCredentials>& credentials, SigV4VerifierOptions options) {
  if (options.clock == nullptr) return InvalidArgument("sigv4 verifier: no clock");
  if (options.service.empty()) return InvalidArgument("sigv4 verifier: no service name");
  std::map<std::string, std::string> secrets;
  for (const auto& c : credentials) {
    if (c.access_key_id.empty()) return InvalidArgument("sigv4 verifier: an empty access key id");
    if (c.secret_access_key.empty()) {
      return InvalidArgument("sigv4 verifier: access key id '{}' has an empty secret",
                             c.access_key_id);
    }
    auto [it, inserted] = secrets.emplace(c.access_key_id, c.secret_access_key);
    if (!inserted && it->second != c.secret_access_key) {
      return InvalidArgument("sigv4 verifier: access key id '{}' is configured twice with "
                             "different secrets",
                             c.access_key_id);
    }
  }
  return std::unique_ptr<SigV4Verifier>(new SigV4Verifier(std::move(secrets), std::move(options)));
}

std::vector<std::string> SigV4Verifier::access_key_ids() const {
  std::vector<std::string> ids;
  for (const auto& [id, secret] : secrets_) ids.push_back(id);
  return ids;
}

SigV4Verdict SigV4Verifier::Verify(const HttpRequest& request) const {
  std::string_view authorization = request.headers.Get("Authorization");
  if (authorization.empty()) {
    if (!QueryParam(request.query, "X-Amz-Signature").empty()) {
      return Fail(SigV4Failure::kIncompleteSignature,
                  "Presigned (query string) requests are not supported here: sign with the "
                  "Authorization header");
    }
    return Fail(SigV4Failure::kMissingAuthentication, std::string(kMissingToken));
  }
  ParsedAuthorization auth;
  if (std::string why = ParseAuthorization(authorization, &auth); !why.empty()) {
    return Fail(SigV4Failure::kIncompleteSignature, why + ". Authorization=" +
                                                        std::string(authorization.substr(
                                                            0, authorization.find("Signature="))));
  }
  const std::string& akid = auth.access_key_id;

  std::string_view amz_date_header = request.headers.Get("x-amz-date");
  std::string_view date_header = request.headers.Get("date");
  WallTime request_time;
  if (!amz_date_header.empty()) {
    if (!ParseRequestDate(amz_date_header, true, &request_time)) {
      return Fail(SigV4Failure::kIncompleteSignature,
                  fmt::format("X-Amz-Date '{}' is not a date in the form YYYYMMDDTHHMMSSZ",
                              amz_date_header),
                  akid);
    }
  } else if (!date_header.empty()) {
    if (!ParseRequestDate(date_header, false, &request_time)) {
      return Fail(SigV4Failure::kIncompleteSignature,
                  fmt::format("Date '{}' is not an HTTP date (e.g. Fri, 24 May 2013 00:00:00 GMT)",
                              date_header),
                  akid);
    }
  } else {
    return Fail(SigV4Failure::kIncompleteSignature,
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                "header.",
                akid);
  }
  // The timestamp in the string to sign is the basic ISO 8601 form of the request date.
  std::string amz_date = FormatAmzDate(request_time);

  if (std::find(auth.signed_headers.begin(), auth.signed_headers.end(), "host") ==
      auth.signed_headers.end()) {
    return Fail(SigV4Failure::kIncompleteSignature,
                "'Host' must be a 'SignedHeader' in the AWS Authorization.", akid);
  }

  auto secret = secrets_.find(akid);
  if (secret == secrets_.end()) {
    return Fail(SigV4Failure::kUnknownAccessKey, std::string(kUnknownKey), akid);
  }

  if (auth.service != options_.service) {
    return Fail(SigV4Failure::kSignatureMismatch,
                fmt::format("Credential should be scoped to correct service: '{}'. ",
                            options_.service),
                akid);
  }
  if (auth.date != amz_date.substr(0, 8)) {
    return Fail(SigV4Failure::kSignatureMismatch,
                fmt::format("Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                            "version of date from HTTP: '{}' != '{}', from '{}'.",
                            auth.date, amz_date.substr(0, 8), amz_date),
                akid);
  }

  WallTime now = options_.clock->WallNow();
  auto skew = std::chrono::duration_cast<Nanos>(options_.max_skew);
  std::string skew_text = options_.max_skew.count() % 60 == 0
                              ? fmt::format("{} min.", options_.max_skew.count() / 60)
                              : fmt::format("{} s", options_.max_skew.count());
  if (request_time < now - skew) {
    return Fail(SigV4Failure::kExpired,
                fmt::format("Signature expired: {} is now earlier than {} ({} - {})", amz_date,
                            FormatAmzDate(now - skew), FormatAmzDate(now), skew_text),
                akid);
  }
  if (request_time > now + skew) {
    return Fail(SigV4Failure::kExpired,
                fmt::format("Signature not yet current: {} is still later than {} ({} + {})",
                            amz_date, FormatAmzDate(now + skew), FormatAmzDate(now), skew_text),
                akid);
  }

  std::string body_sha256 = Sha256Hex(request.body);
  std::string_view content_sha256 = request.headers.Get("x-amz-content-sha256");
  if (!content_sha256.empty() && content_sha256 != body_sha256) {
    return Fail(SigV4Failure::kSignatureMismatch,
                IsHexSha256(content_sha256)
                    ? fmt::format("The provided 'x-amz-content-sha256' header does not match what "
                                  "was computed: {} != {}",
                                  content_sha256, body_sha256)
                    : fmt::format("'x-amz-content-sha256' '{}' is not accepted: this service needs "
                                  "the SHA-256 of the body signed",
                                  content_sha256),
                akid);
  }

  std::vector<SigV4Header> headers;
  for (const std::string& name : auth.signed_headers) {
    std::string value;
    bool first = true;
    for (const auto& [n, v] : request.headers.items) {
      if (n.size() != name.size() || Lower(n) != name) continue;
      if (!first) value += ',';
      value += SigV4CanonicalHeaderValue(v);
      first = false;
    }
    headers.emplace_back(name, std::move(value));
  }
  std::string_view path_as_sent = request.target;
  path_as_sent = path_as_sent.substr(0, path_as_sent.find('?'));
  std::string canonical_request = SigV4CanonicalRequest(
      request.method, SigV4CanonicalUri(path_as_sent, options_.uri_escape_path),
      SigV4CanonicalQuery(request.query), headers, body_sha256);
  std::string scope =
      fmt::format("{}/{}/{}/aws4_request", auth.date, auth.region, auth.service);
  std::string string_to_sign = SigV4StringToSign(amz_date, scope, canonical_request);
  std::string expected =
      SigV4Signature(secret->second, auth.date, auth.region, auth.service, string_to_sign);
  if (expected.size() != auth.signature.size() ||
      CRYPTO_memcmp(expected.data(), auth.signature.data(), expected.size()) != 0) {
    // As AWS does: show the canonical request and string to sign (no secret in either), which
    // is what a client author needs to find the difference.
    return Fail(SigV4Failure::kSignatureMismatch,
                fmt::format("{}\n\nThe Canonical String for this request should have been\n'{}'\n\n"
                            "The String-to-Sign should have been\n'{}'\n",
                            kMismatch, canonical_request, string_to_sign),
                akid);
  }
  SigV4Verdict ok;
  ok.access_key_id = akid;
  return ok;
}

}  // namespace sl
