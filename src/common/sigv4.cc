#include "common/sigv4.h"

#include <algorithm>
#include <ctime>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/http_message.h"
#include "common/sha256.h"

namespace sl {
namespace {

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHex[c >> 4];
    out[2 * i + 1] = kHex[c & 15];
  }
  return out;
}

std::string Trim(std::string_view v) {
  // Trim and collapse runs of spaces, as SigV4 requires for header values.
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string AwsUriEncode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string CanonicalQueryString(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(query.size());
  for (const auto& [k, v] : query) enc.emplace_back(AwsUriEncode(k, false), AwsUriEncode(v, false));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string SigV4CanonicalUri(std::string_view path_as_sent, bool uri_escape_path) {
  if (path_as_sent.empty()) return "/";
  if (!uri_escape_path) return std::string(path_as_sent);
  // RFC 3986 dot-segment removal as botocore's remove_dot_segments and the JS SDK's
  // getCanonicalPath do it: empty segments go too ("a//b" → "a/b").
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path_as_sent.size()) {
    size_t slash = path_as_sent.find('/', start);
    if (slash == std::string_view::npos) slash = path_as_sent.size();
    std::string_view seg = path_as_sent.substr(start, slash - start);
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!seg.empty() && seg != ".") {
      segments.push_back(seg);
    }
    start = slash + 1;
  }
  std::string normalized = path_as_sent.front() == '/' ? "/" : "";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) normalized += '/';
    normalized += segments[i];
  }
  if (!segments.empty() && path_as_sent.back() == '/') normalized += '/';
  return AwsUriEncode(normalized, /*keep_slash=*/true);
}

std::string SigV4CanonicalQuery(std::string_view raw_query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string_view value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
      // '+' is a literal plus here: SigV4 clients send a space as %20.
      params.emplace_back(PercentDecode(pair.substr(0, eq)), PercentDecode(value));
    }
    if (amp == std::string_view::npos) break;
    raw_query.remove_prefix(amp + 1);
  }
  return CanonicalQueryString(params);
}

std::string SigV4CanonicalHeaderValue(std::string_view value) { return Trim(value); }

std::string SigV4SignedHeaders(const std::vector<SigV4Header>& headers) {
  std::string out;
  for (const auto& h : headers) {
    if (!out.empty()) out += ';';
    out += h.first;
  }
  return out;
}

std::string SigV4CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                                  std::string_view canonical_query,
                                  const std::vector<SigV4Header>& headers,
                                  std::string_view payload_sha256) {
  std::string canonical_headers;
  for (const auto& [name, value] : headers) canonical_headers += name + ":" + value + "\n";
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", method, canonical_uri, canonical_query,
                     canonical_headers, SigV4SignedHeaders(headers), payload_sha256);
}

std::string SigV4StringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request) {
  return fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", amz_date, scope, Sha256Hex(canonical_request));
}

std::string SigV4Signature(std::string_view secret_access_key, std::string_view date,
                           std::string_view region, std::string_view service,
                           std::string_view string_to_sign) {
  std::string k = Hmac("AWS4" + std::string(secret_access_key), date);
  k = Hmac(k, region);
  k = Hmac(k, service);
  k = Hmac(k, "aws4_request");
  return Hex(Hmac(k, string_to_sign));
}

std::string SignV4(SigV4Request& request, const AwsCredentials& creds, const std::string& region,
                   const std::string& service, WallTime now) {
  std::time_t secs = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char amz_date[17], date[9];
  std::strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
  std::strftime(date, sizeof date, "%Y%m%d", &tm);

  request.headers["x-amz-date"] = amz_date;
  request.headers["x-amz-content-sha256"] = request.payload_sha256;
  if (!creds.session_token.empty()) request.headers["x-amz-security-token"] = creds.session_token;

  std::vector<SigV4Header> headers;  // std::map: already sorted by lowercase name
  for (const auto& [name, value] : request.headers) headers.emplace_back(name, Trim(value));
  std::string canonical_request = SigV4CanonicalRequest(
      request.method, SigV4CanonicalUri(request.encoded_path, request.uri_escape_path),
      CanonicalQueryString(request.query), headers, request.payload_sha256);
  std::string scope = fmt::format("{}/{}/{}/aws4_request", date, region, service);
  std::string signature = SigV4Signature(creds.secret_access_key, date, region, service,
                                         SigV4StringToSign(amz_date, scope, canonical_request));
  return fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}", creds.access_key_id, scope,
                     SigV4SignedHeaders(headers), signature);
}

}  // namespace sl
