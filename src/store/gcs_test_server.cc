#include "store/gcs_test_server.h"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include <fmt/format.h>

#include "common/base64.h"
#include "common/clock.h"
#include "common/sha256.h"
#include "common/sigv4.h"
#include "store/azure_rest.h"
#include "store/checksum.h"
#include "store/s3_xml.h"

namespace sl::store::testing {
namespace {

std::string Md5Raw(std::string_view d) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(d.data(), d.size(), md, &len, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string Hex(std::string_view raw) {
  std::string out;
  for (unsigned char c : raw) out += fmt::format("{:02x}", c);
  return out;
}

// GCS's error body (xml-api/reference-status).
HttpResponse Error(int status, std::string_view code, std::string_view message, std::string_view details = "") {
  HttpResponse r;
  r.status = status;
  r.headers.Set("Content-Type", "application/xml; charset=UTF-8");
  r.body = fmt::format("<?xml version='1.0' encoding='UTF-8'?><Error><Code>{}</Code><Message>{}</Message>{}</Error>",
                       code, XmlEscape(message),
                       details.empty() ? "" : fmt::format("<Details>{}</Details>", XmlEscape(details)));
  return r;
}

HttpResponse Xml(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.Set("Content-Type", "application/xml; charset=UTF-8");
  r.body = std::move(body);
  return r;
}

// Raw query parameters (names decoded), presence included: "uploads" has an empty value.
std::map<std::string, std::string> QueryParams(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    size_t eq = kv.find('=');
    std::string k = PercentDecode(kv.substr(0, eq));
    out[k] = eq == std::string_view::npos ? "" : QueryParam(kv, k);
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::Real()->WallNow().time_since_epoch()).count();
}

// x-goog-hash as GCS records it at upload: CRC-32C (big-endian, base64), and the MD5 except
// for multipart objects, which have none (multipart-uploads, "Considerations").
std::string GoogHash(std::string_view data, bool with_md5) {
  uint32_t crc = Crc32c(0, data);
  std::string crc_be = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16), static_cast<char>(crc >> 8),
                        static_cast<char>(crc)};
  std::string hash = "crc32c=" + Base64Encode(crc_be);
  if (with_md5) hash += ",md5=" + Base64Encode(Md5Raw(data));
  return hash;
}

std::string Iso8601(int64_t ms) {
  WallTime t{std::chrono::milliseconds(ms)};
  return FormatRfc3339(t);
}

}  // namespace

Result<std::unique_ptr<GcsTestServer>> GcsTestServer::Start(const std::string& bucket) {
  std::unique_ptr<GcsTestServer> s(new GcsTestServer());
  s->bucket_ = bucket;
  HttpServer::Options o;
  o.host = "127.0.0.1";
  o.threads = 8;  // concurrent writers in the conformance race test, plus multipart parts
  o.max_body_bytes = 128ull << 20;
  GcsTestServer* self = s.get();
  SL_ASSIGN_OR_RETURN(s->server_, HttpServer::Start(o, [self](HttpRequest&& req, HttpResponder respond) {
                        respond(self->Handle(req));
                      }));
  return s;
}

GcsTestServer::~GcsTestServer() {
  if (server_) server_->Stop();
}

void GcsTestServer::FailNext(int n, bool after_write) {
  std::lock_guard<std::mutex> l(mu_);
  fail_next_ = n;
  fail_after_write_ = after_write;
}

void GcsTestServer::PutRaw(const std::string& name, const std::string& data) {
  std::lock_guard<std::mutex> l(mu_);
  Object o;
  o.data = data;
  o.generation = next_generation_++;
  o.etag = Hex(Md5Raw(data));
  o.x_goog_hash = GoogHash(data, true);
  o.modified_ms = NowMs();
  objects_[name] = std::move(o);
}

bool GcsTestServer::Corrupt(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = objects_.find(name);
  if (it == objects_.end() || it->second.data.empty()) return false;
  it->second.data[it->second.data.size() / 2] ^= 0x01;
  return true;
}

std::map<std::string, int64_t> GcsTestServer::RequestCounts() {
  std::lock_guard<std::mutex> l(mu_);
  return counts_;
}

std::map<std::string, std::string> GcsTestServer::Metadata(const std::string& name) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = objects_.find(name);
  return it == objects_.end() ? std::map<std::string, std::string>{} : it->second.meta;
}

// Recomputes the AWS V4 header signature GCS accepts from HMAC keys (authentication/signatures).
Status GcsTestServer::CheckSignature(const HttpRequest& req, std::string* code) const {
  std::string_view auth = req.headers.Get("authorization");
  constexpr std::string_view kAlg = "AWS4-HMAC-SHA256 ";
  *code = "AccessDenied";
  if (!auth.starts_with(kAlg)) return PermissionDenied("Anonymous caller does not have storage.objects access.");
  auto field = [&](std::string_view name) -> std::string {
    size_t at = auth.find(name);
    if (at == std::string_view::npos) return "";
    at += name.size();
    size_t end = auth.find(',', at);
    return std::string(auth.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
  };
  std::string credential = field("Credential="), signed_headers = field("SignedHeaders="), signature = field("Signature=");
  std::vector<std::string> scope_parts;
  for (size_t start = 0; start <= credential.size();) {
    size_t slash = credential.find('/', start);
    scope_parts.push_back(credential.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (scope_parts.size() != 5 || scope_parts[4] != "aws4_request" || signed_headers.empty()) {
    return PermissionDenied("Malformed Authorization header.");
  }
  if (scope_parts[0] != kAccessId) {
    *code = "InvalidAccessKeyId";
    return PermissionDenied("The User Id you provided does not exist in our records.");
  }
  std::vector<SigV4Header> headers;
  for (size_t start = 0; start <= signed_headers.size();) {
    size_t semi = signed_headers.find(';', start);
    std::string name = signed_headers.substr(start, semi == std::string::npos ? std::string::npos : semi - start);
    headers.emplace_back(name, SigV4CanonicalHeaderValue(req.headers.Get(name)));
    if (semi == std::string::npos) break;
    start = semi + 1;
  }
  std::string payload(req.headers.Get("x-amz-content-sha256"));
  if (payload != "UNSIGNED-PAYLOAD" && payload != Sha256Hex(req.body)) {
    *code = "BadDigest";
    return InvalidArgument("The x-amz-content-sha256 you specified did not match what we received.");
  }
  std::string_view path_as_sent = std::string_view(req.target).substr(0, req.target.find('?'));
  std::string canonical = SigV4CanonicalRequest(req.method, SigV4CanonicalUri(path_as_sent, false),
                                                SigV4CanonicalQuery(req.query), headers, payload);
  std::string scope = fmt::format("{}/{}/{}/aws4_request", scope_parts[1], scope_parts[2], scope_parts[3]);
  std::string sts = SigV4StringToSign(req.headers.Get("x-amz-date"), scope, canonical);
  if (SigV4Signature(kSecret, scope_parts[1], scope_parts[2], scope_parts[3], sts) != signature) {
    *code = "SignatureDoesNotMatch";
    return PermissionDenied("The request signature we calculated does not match the signature you provided.");
  }
  return Status::Ok();
}

HttpResponse GcsTestServer::Handle(const HttpRequest& req) {
  auto params = QueryParams(req.query);
  std::string kind = req.method;
  for (const char* p : {"uploads", "uploadId", "partNumber"}) {
    if (params.count(p) != 0u) kind += std::string("?") + p;
  }
  bool lose_reply = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    ++counts_[kind];
    if (fail_next_ > 0) {
      --fail_next_;
      bool is_write = req.method == "PUT" || req.method == "POST";
      if (!(fail_after_write_ && is_write)) return Error(503, "ServiceUnavailable", "Service Unavailable");
      lose_reply = true;
    }
  }
  std::string code;
  if (Status s = CheckSignature(req, &code); !s.ok()) {
    return Error(code == "BadDigest" ? 400 : 403, code, s.message());
  }
  // Path-style: /BUCKET[/OBJECT]
  std::string_view path = req.path;
  if (path.starts_with("/")) path.remove_prefix(1);
  size_t slash = path.find('/');
  std::string bucket(path.substr(0, slash));
  if (bucket != bucket_) return Error(404, "NoSuchBucket", "The specified bucket does not exist.");
  HttpResponse r = slash == std::string_view::npos || slash + 1 == path.size()
                       ? HandleList(req)
                       : HandleObject(req, std::string(path.substr(slash + 1)));
  if (lose_reply) return Error(503, "ServiceUnavailable", "Service Unavailable");
  return r;
}

HttpResponse GcsTestServer::HandleList(const HttpRequest& req) {
  if (req.method != "GET") return Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
  auto params = QueryParams(req.query);
  if (params.count("list-type") != 0u) {
    return Error(400, "InvalidArgument", "this test server implements the marker listing only");
  }
  std::string prefix = params["prefix"], marker = params["marker"];
  int64_t max_keys = 1000;
  if (params.count("max-keys") != 0u) max_keys = std::clamp<int64_t>(std::atoll(params["max-keys"].c_str()), 0, 1000);
  std::string body = fmt::format(
      "<?xml version='1.0' encoding='UTF-8'?><ListBucketResult xmlns='http://doc.s3.amazonaws.com/2006-03-01'>"
      "<Name>{}</Name><Prefix>{}</Prefix><Marker>{}</Marker>",
      bucket_, XmlEscape(prefix), XmlEscape(marker));
  std::string contents, last;
  bool truncated = false;
  int64_t n = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = objects_.upper_bound(marker); it != objects_.end(); ++it) {  // bytewise = lexicographic
      if (!it->first.starts_with(prefix)) {
        if (it->first > prefix) break;
        continue;
      }
      if (n == max_keys) {
        truncated = true;
        break;
      }
      const Object& o = it->second;
      contents += fmt::format(
          "<Contents><Key>{}</Key><Generation>{}</Generation><MetaGeneration>1</MetaGeneration>"
          "<LastModified>{}</LastModified><ETag>\"{}\"</ETag><Size>{}</Size></Contents>",
          XmlEscape(it->first), o.generation, Iso8601(o.modified_ms), o.etag, o.data.size());
      last = it->first;
      ++n;
    }
  }
  body += fmt::format("<IsTruncated>{}</IsTruncated>", truncated ? "true" : "false");
  if (truncated) body += fmt::format("<NextMarker>{}</NextMarker>", XmlEscape(last));
  body += contents + "</ListBucketResult>";
  return Xml(200, std::move(body));
}

HttpResponse GcsTestServer::HandleObject(const HttpRequest& req, const std::string& name) {
  auto params = QueryParams(req.query);
  const std::string not_found_details = fmt::format("No such object: {}/{}", bucket_, name);
  std::string_view precondition = req.headers.Get("x-goog-if-generation-match");
  auto meta_of = [&req]() {
    std::map<std::string, std::string> meta;
    for (const auto& [k, v] : req.headers.items) {
      std::string lower = k;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      for (const char* p : {"x-goog-meta-", "x-amz-meta-"}) {
        if (lower.starts_with(p)) meta[lower.substr(std::string_view(p).size())] = v;
      }
    }
    return meta;
  };
  auto precondition_holds = [&](const std::string& key) {  // with mu_ held
    if (precondition.empty()) return true;
    auto it = objects_.find(key);
    int64_t live = it == objects_.end() ? 0 : it->second.generation;
    return std::to_string(live) == precondition;
  };
  auto precondition_failed = [] {
    return Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.");
  };

  if (req.method == "POST" && params.count("uploads") != 0u) {  // initiate a multipart upload
    if (!precondition.empty()) {
      return Error(400, "InvalidArgument", "Preconditions are not supported for XML API multipart uploads.");
    }
    std::lock_guard<std::mutex> l(mu_);
    std::string id = fmt::format("ABPnzm{:010}", next_upload_++);
    uploads_[id] = Upload{name, meta_of(), {}};
    return Xml(200, fmt::format("<?xml version='1.0' encoding='UTF-8'?><InitiateMultipartUploadResult "
                                "xmlns='http://s3.amazonaws.com/doc/2006-03-01/'><Bucket>{}</Bucket><Key>{}</Key>"
                                "<UploadId>{}</UploadId></InitiateMultipartUploadResult>",
                                bucket_, XmlEscape(name), id));
  }
  if (params.count("uploadId") != 0u) {
    const std::string id = params["uploadId"];
    std::lock_guard<std::mutex> l(mu_);
    auto up = uploads_.find(id);
    if (up == uploads_.end() || up->second.name != name) {
      return Error(404, "NoSuchUpload", "The requested upload was not found.");
    }
    if (req.method == "PUT") {  // upload a part
      int part = std::atoi(params["partNumber"].c_str());
      if (part < 1 || part > 10000) return Error(400, "InvalidArgument", "Invalid part number.");
      up->second.parts[part] = req.body;
      HttpResponse r;
      r.headers.Set("ETag", "\"" + Hex(Md5Raw(req.body)) + "\"");
      return r;
    }
    if (req.method == "DELETE") {  // abort
      uploads_.erase(up);
      HttpResponse r;
      r.status = 204;
      return r;
    }
    if (req.method == "POST") {  // complete
      if (!precondition.empty()) {
        return Error(400, "InvalidArgument", "Preconditions are not supported for XML API multipart uploads.");
      }
      std::string data, md5s;
      int count = 0;
      for (std::string_view p : XmlBlocks(req.body, "Part")) {
        int num = std::atoi(XmlFirst(p, "PartNumber").c_str());
        auto it = up->second.parts.find(num);
        if (it == up->second.parts.end() || "\"" + Hex(Md5Raw(it->second)) + "\"" != XmlFirst(p, "ETag")) {
          return Error(400, "InvalidPart", "One or more of the specified parts could not be found.");
        }
        data += it->second;
        md5s += Md5Raw(it->second);
        ++count;
      }
      if (count == 0) return Error(400, "MalformedXML", "The XML you provided was not well-formed.");
      Object o;
      o.data = std::move(data);
      o.meta = up->second.meta;
      o.generation = next_generation_++;
      o.etag = fmt::format("{}-{}", Hex(Md5Raw(md5s)), count);
      o.multipart = true;
      o.x_goog_hash = GoogHash(o.data, false);
      o.modified_ms = NowMs();
      std::string etag = o.etag;
      objects_[name] = std::move(o);
      uploads_.erase(up);
      return Xml(200, fmt::format("<?xml version='1.0' encoding='UTF-8'?><CompleteMultipartUploadResult><Bucket>{}</Bucket>"
                                  "<Key>{}</Key><ETag>\"{}\"</ETag></CompleteMultipartUploadResult>",
                                  bucket_, XmlEscape(name), etag));
    }
    return Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
  }
  if (req.method == "PUT") {
    if (std::string_view md5 = req.headers.Get("content-md5"); !md5.empty() && Base64Encode(Md5Raw(req.body)) != md5) {
      return Error(400, "BadDigest", "The Content-MD5 you specified did not match what we received.");
    }
    std::lock_guard<std::mutex> l(mu_);
    if (!precondition_holds(name)) return precondition_failed();
    Object o;
    o.data = req.body;
    o.meta = meta_of();
    o.generation = next_generation_++;
    o.etag = Hex(Md5Raw(o.data));
    o.x_goog_hash = GoogHash(o.data, true);
    o.modified_ms = NowMs();
    HttpResponse r;
    r.headers.Set("ETag", "\"" + o.etag + "\"");
    r.headers.Set("x-goog-generation", std::to_string(o.generation));
    objects_[name] = std::move(o);  // published whole, under the lock: readers see old or new
    return r;
  }
  if (req.method == "DELETE") {
    std::lock_guard<std::mutex> l(mu_);
    if (objects_.erase(name) == 0) return Error(404, "NoSuchKey", "The specified key does not exist.", not_found_details);
    HttpResponse r;
    r.status = 204;
    return r;
  }
  if (req.method == "GET" || req.method == "HEAD") {
    Object o;
    {
      std::lock_guard<std::mutex> l(mu_);
      auto it = objects_.find(name);
      if (it == objects_.end()) {
        HttpResponse r = Error(404, "NoSuchKey", "The specified key does not exist.", not_found_details);
        if (req.method == "HEAD") r.body.clear();
        return r;
      }
      o = it->second;
    }
    HttpResponse r;
    r.headers.Set("ETag", "\"" + o.etag + "\"");
    r.headers.Set("Last-Modified", FormatRfc1123(WallTime{std::chrono::milliseconds(o.modified_ms)}));
    r.headers.Set("x-goog-generation", std::to_string(o.generation));
    r.headers.Set("x-goog-metageneration", "1");
    r.headers.Set("x-goog-stored-content-length", std::to_string(o.data.size()));
    r.headers.Set("Content-Type", "application/octet-stream");
    r.headers.Set("x-goog-hash", o.x_goog_hash);  // as recorded at upload: Corrupt() does not change it
    for (const auto& [k, v] : o.meta) r.headers.Set("x-goog-meta-" + k, v);
    std::string_view range = req.headers.Get("range");
    if (!range.empty() && range.starts_with("bytes=")) {
      range.remove_prefix(6);
      size_t dash = range.find('-');
      uint64_t first = std::strtoull(std::string(range.substr(0, dash)).c_str(), nullptr, 10);
      uint64_t last = dash + 1 < range.size() ? std::strtoull(std::string(range.substr(dash + 1)).c_str(), nullptr, 10)
                                              : o.data.size() - 1;
      if (first >= o.data.size()) return Error(416, "InvalidRange", "The requested range cannot be satisfied.");
      last = std::min<uint64_t>(last, o.data.size() - 1);
      r.status = 206;
      r.headers.Set("Content-Range", fmt::format("bytes {}-{}/{}", first, last, o.data.size()));
      r.body = o.data.substr(first, last - first + 1);
      return r;
    }
    r.body = std::move(o.data);  // HEAD: the server sends only its length
    return r;
  }
  return Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
}

}  // namespace sl::store::testing
