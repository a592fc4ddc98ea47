#include "store/azure_rest.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base64.h"
#include "store/s3_xml.h"

namespace sl::store {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

bool Unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

std::string Encode(std::string_view s, bool keep_slash) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (Unreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace

std::string AzureEncodePath(std::string_view name) { return Encode(name, true); }
std::string AzureEncodeQueryValue(std::string_view value) { return Encode(value, false); }

Result<std::string> NormalizeAzureEndpoint(std::string_view url) {
  std::string u(Trim(url));
  while (!u.empty() && u.back() == '/') u.pop_back();
  size_t scheme_end = u.find("://");
  if (scheme_end == std::string::npos || (u.substr(0, scheme_end) != "http" && u.substr(0, scheme_end) != "https")) {
    return InvalidArgument("Azure blob endpoint '{}' must be http(s)://host[:port][/path]", u);
  }
  std::string rest = u.substr(scheme_end + 3);
  if (rest.empty() || rest.front() == '/' || rest.find_first_of("?#") != std::string::npos) {
    return InvalidArgument("Azure blob endpoint '{}' must be http(s)://host[:port][/path] without a query", u);
  }
  return u;
}

Result<AzureConfig> ParseAzureConnectionString(std::string_view text) {
  std::map<std::string, std::string> kv;
  size_t pos = 0;
  int index = 0;
  while (pos <= text.size()) {
    size_t semi = text.find(';', pos);
    std::string_view seg = Trim(text.substr(pos, semi == std::string_view::npos ? std::string_view::npos : semi - pos));
    pos = semi == std::string_view::npos ? text.size() + 1 : semi + 1;
    ++index;
    if (seg.empty()) continue;
    size_t eq = seg.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      // Name the segment by position only: it may be (part of) a key.
      return InvalidArgument("Azure storage connection string: segment {} is not Name=Value", index);
    }
    kv[Lower(Trim(seg.substr(0, eq)))] = std::string(Trim(seg.substr(eq + 1)));
  }
  auto get = [&](const char* name) {
    auto it = kv.find(name);
    return it == kv.end() ? std::string() : it->second;
  };
  AzureConfig c;
  if (Lower(get("usedevelopmentstorage")) == "true") {
    c.account = kAzuriteAccount;
    c.account_key = kAzuriteKey;
    c.blob_endpoint = std::string("http://127.0.0.1:10000/") + kAzuriteAccount;
  }
  if (std::string v = get("accountname"); !v.empty()) c.account = v;
  if (std::string v = get("accountkey"); !v.empty()) c.account_key = v;
  if (std::string v = get("sharedaccesssignature"); !v.empty()) c.sas_token = v.front() == '?' ? v.substr(1) : v;
  if (!c.account_key.empty() && !Base64Decode(c.account_key).ok()) {
    return InvalidArgument("Azure storage connection string: AccountKey is not base64");
  }
  if (std::string v = get("blobendpoint"); !v.empty()) {
    SL_ASSIGN_OR_RETURN(c.blob_endpoint, NormalizeAzureEndpoint(v));
  } else if (c.blob_endpoint.empty()) {
    if (c.account.empty()) {
      return InvalidArgument("Azure storage connection string: neither BlobEndpoint nor AccountName is given");
    }
    std::string protocol = get("defaultendpointsprotocol");
    if (protocol.empty()) protocol = "https";
    protocol = Lower(protocol);
    if (protocol != "http" && protocol != "https") {
      return InvalidArgument("Azure storage connection string: DefaultEndpointsProtocol must be http or https, not '{}'",
                             protocol);
    }
    std::string suffix = get("endpointsuffix");
    if (suffix.empty()) suffix = "core.windows.net";
    c.blob_endpoint = fmt::format("{}://{}.blob.{}", protocol, c.account, suffix);
  }
  return c;
}

std::string AzureSharedKeyStringToSign(std::string_view account, const AzureSignRequest& r) {
  auto h = [&](const char* name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
  };
  std::string s = r.method + "\n";
  s += h("content-encoding") + "\n";
  s += h("content-language") + "\n";
  s += (r.content_length == 0 ? std::string() : std::to_string(r.content_length)) + "\n";
  s += h("content-md5") + "\n";
  s += h("content-type") + "\n";
  s += h("date") + "\n";
  s += h("if-modified-since") + "\n";
  s += h("if-match") + "\n";
  s += h("if-none-match") + "\n";
  s += h("if-unmodified-since") + "\n";
  s += h("range") + "\n";
  // Canonicalized headers: x-ms-* (the map is already sorted by lowercase name), values with
  // runs of whitespace folded outside quotes... Azure trims and folds; our values have none.
  for (const auto& [name, value] : r.headers) {
    if (!name.starts_with("x-ms-")) continue;
    s += name + ":" + std::string(Trim(value)) + "\n";
  }
  s += "/" + std::string(account) + (r.path.empty() ? "/" : r.path);
  std::map<std::string, std::vector<std::string>> q;
  for (const auto& [k, v] : r.query) q[Lower(k)].push_back(v);
  for (auto& [k, values] : q) {
    std::sort(values.begin(), values.end());
    s += "\n" + k + ":";
    for (size_t i = 0; i < values.size(); ++i) s += (i ? "," : "") + values[i];
  }
  return s;
}

Result<std::string> AzureSharedKeySignature(std::string_view account_key, std::string_view string_to_sign) {
  auto key = Base64Decode(account_key);
  if (!key.ok()) return InvalidArgument("Azure account key is not base64");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
           reinterpret_cast<const unsigned char*>(string_to_sign.data()), string_to_sign.size(), md, &len) == nullptr) {
    return Internal("HMAC-SHA256 failed");
  }
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(md), len));
}

Result<std::string> AzureSharedKeyAuthorization(std::string_view account, std::string_view account_key,
                                                const AzureSignRequest& request) {
  SL_ASSIGN_OR_RETURN(std::string sig, AzureSharedKeySignature(account_key, AzureSharedKeyStringToSign(account, request)));
  return fmt::format("SharedKey {}:{}", account, sig);
}

std::string FormatRfc1123(WallTime t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

AzureError ParseAzureError(std::string_view error_code_header, std::string_view body) {
  AzureError e;
  S3Error x = ParseS3Error(body);  // same <Error><Code/><Message/></Error> shape
  e.code = !error_code_header.empty() ? std::string(error_code_header) : x.code;
  std::string_view msg = x.message;
  if (size_t nl = msg.find_first_of("\r\n"); nl != std::string_view::npos) msg = msg.substr(0, nl);
  e.message = std::string(Trim(msg));
  return e;
}

Result<AzureListPage> ParseAzureListBlobs(std::string_view xml) {
  if (xml.find("EnumerationResults") == std::string_view::npos) {
    return InvalidArgument("List Blobs reply is not an EnumerationResults document: '{}'", xml.substr(0, 200));
  }
  AzureListPage page;
  for (std::string_view blob : XmlBlocks(xml, "Blob")) {
    AzureListEntry e;
    e.name = XmlFirst(blob, "Name");
    if (e.name.empty()) return InvalidArgument("List Blobs reply has a <Blob> without a <Name>");
    std::string size = XmlFirst(blob, "Content-Length");
    auto [p, ec] = std::from_chars(size.data(), size.data() + size.size(), e.size);
    if (ec != std::errc() || p != size.data() + size.size()) {
      return InvalidArgument("List Blobs reply: blob '{}' has Content-Length '{}'", e.name, size);
    }
    e.etag = XmlFirst(blob, "Etag");
    if (e.etag.size() >= 2 && e.etag.front() == '"' && e.etag.back() == '"') e.etag = e.etag.substr(1, e.etag.size() - 2);
    if (auto t = ParseHttpDate(XmlFirst(blob, "Last-Modified")); t.ok()) e.last_modified = *t;
    page.entries.push_back(std::move(e));
  }
  // NextMarker of the whole document (not inside a <Blob>): it follows </Blobs>.
  std::string_view tail = xml;
  if (size_t end = xml.rfind("</Blobs>"); end != std::string_view::npos) tail = xml.substr(end);
  page.next_marker = XmlFirst(tail, "NextMarker");
  return page;
}

}  // namespace sl::store
