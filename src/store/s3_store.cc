#include "store/s3_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include <openssl/evp.h>

#include "common/base64.h"
#include "common/sha256.h"
#include "common/sigv4.h"
#include "store/fd.h"
#include "store/file_download.h"
#include "store/io.h"
#include "store/key.h"
#include "store/remote_core.h"
#include "store/retry.h"
#include "store/s3_dialect.h"
#include "store/s3_http.h"
#include "store/s3_xml.h"

namespace sl::store {
namespace {

constexpr size_t kHashChunk = 1 << 20;

// MD5, only to verify objects written by other tools by their single-part ETag.
class Md5Hasher {
 public:
  Md5Hasher() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
  ~Md5Hasher() { EVP_MD_CTX_free(ctx_); }
  Md5Hasher(const Md5Hasher&) = delete;
  Md5Hasher& operator=(const Md5Hasher&) = delete;
  void Update(std::string_view d) { EVP_DigestUpdate(ctx_, d.data(), d.size()); }
  std::string FinishHex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    std::string out;
    for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", md[i]);
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

// Each put's own random id, kept as user metadata ("<meta prefix>sl-put-id") so that a put can
// recognise its own object after a lost reply (S3Store::Settle).
constexpr const char* kPutIdMeta = "sl-put-id";

bool IsPlainMd5(std::string_view etag) {
  if (etag.size() != 32) return false;
  for (char c : etag) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// User metadata `name` of a reply: the dialect's prefix first, then the other one (GCS answers a
// request signed the AWS way with either, depending on how the object was written).
std::string Meta(const S3Dialect& d, const HttpReply& reply, const std::string& name) {
  std::string v = reply.Header(d.meta_prefix + name);
  if (v.empty()) v = reply.Header((d.meta_prefix == "x-amz-meta-" ? "x-goog-meta-" : "x-amz-meta-") + name);
  return v;
}

// The MD5 in GCS's `x-goog-hash: crc32c=<b64>,md5=<b64>` as hex, or "" (multipart objects have
// none).
std::string GoogHashMd5Hex(const HttpReply& reply) {
  std::string h = reply.Header("x-goog-hash");
  size_t at = h.find("md5=");
  if (at == std::string::npos) return "";
  std::string b64 = h.substr(at + 4, h.find(',', at) == std::string::npos ? std::string::npos : h.find(',', at) - at - 4);
  auto raw = Base64Decode(b64);
  if (!raw.ok() || raw->size() != 16) return "";
  std::string hex;
  for (unsigned char c : *raw) hex += fmt::format("{:02x}", c);
  return hex;
}

// How an object's bytes are checked on read, decided from the response headers.
class Verifier {
 public:
  explicit Verifier(const S3Dialect& d) : d_(&d) {}
  void Start(const HttpReply& reply) {
    sha_expected_ = Meta(*d_, reply, "sha256");
    std::string etag = StripQuotes(reply.Header("etag"));
    if (std::string goog = d_->goog_hash ? GoogHashMd5Hex(reply) : ""; sha_expected_.empty() && !goog.empty()) {
      md5_expected_ = goog;
      md5_ = std::make_unique<Md5Hasher>();
    } else if (!sha_expected_.empty()) {
      sha_ = std::make_unique<Sha256Hasher>();
    } else if (IsPlainMd5(etag)) {
      md5_expected_ = etag;
      md5_ = std::make_unique<Md5Hasher>();
    }
    started_ = true;
  }
  bool started() const { return started_; }
  void Update(std::string_view d) {
    if (sha_) sha_->Update(d);
    if (md5_) md5_->Update(d);
  }
  // "" if the bytes match (or cannot be checked), else a description of the mismatch.
  std::string Finish() {
    if (sha_) {
      std::string got = sha_->FinishHex();
      if (got != sha_expected_) return fmt::format("content sha256 {} does not match recorded {}", got, sha_expected_);
    } else if (md5_) {
      std::string got = md5_->FinishHex();
      if (got != md5_expected_) return fmt::format("content md5 {} does not match the recorded {}", got, md5_expected_);
    }
    return "";
  }

 private:
  const S3Dialect* d_;
  bool started_ = false;
  std::string sha_expected_, md5_expected_;
  std::unique_ptr<Sha256Hasher> sha_;
  std::unique_ptr<Md5Hasher> md5_;
};

struct Endpoint {
  std::string base;  // "http://127.0.0.1:9000"
  std::string host;  // "127.0.0.1:9000"
};

Result<Endpoint> ParseEndpoint(std::string url, const std::string& service) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos || (url.substr(0, scheme_end) != "http" && url.substr(0, scheme_end) != "https")) {
    return InvalidArgument("{} endpoint '{}' must be http://host[:port] or https://host[:port]", service, url);
  }
  std::string host = url.substr(scheme_end + 3);
  if (host.empty() || host.find('/') != std::string::npos) {
    return InvalidArgument("{} endpoint '{}' must be a scheme and host[:port] without a path", service, url);
  }
  return Endpoint{url, host};
}

// One S3 request, before signing.
struct S3Request {
  std::string method;
  std::string s3_key;  // full key in the bucket; empty for bucket-level requests
  std::vector<std::pair<std::string, std::string>> query;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string payload_sha256 = "UNSIGNED-PAYLOAD";
  std::string_view body;
  int body_fd = -1;
  uint64_t body_offset = 0, body_length = 0;
  std::function<Status(const HttpReply&, std::string_view)> sink;
  std::function<Status()> before_attempt;  // resets sink state for a retry
  bool is_list = false;                    // a listing (counted apart: store/transfer_counts.h)
  bool missing_is_ok = false;              // Delete: 404 other than NoSuchBucket is success
};

S3Request Req(std::string method, std::string s3_key) {
  S3Request r;
  r.method = std::move(method);
  r.s3_key = std::move(s3_key);
  return r;
}

class S3Store final : public ObjectStore {
 public:
  S3Store(const S3Dialect& dialect, std::string bucket, std::string prefix, Endpoint endpoint, AwsCredentials creds,
          std::string region, StoreOptions options)
      : d_(dialect),
        put_id_header_(dialect.meta_prefix + kPutIdMeta),
        bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        endpoint_(std::move(endpoint)),
        creds_(std::move(creds)),
        region_(std::move(region)),
        options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : Clock::Real()),
        retrier_(options_.retry, clock_),
        http_(options_.connect_timeout_seconds, options_.low_speed_timeout_seconds),
        cond_(options_.conditional_put) {
    uri_ = d_.scheme + "://" + bucket_;
    if (!prefix_.empty()) uri_ += "/" + prefix_.substr(0, prefix_.size() - 1);
    if (options_.part_size < (5u << 20)) options_.part_size = 5u << 20;  // S3's minimum part size
    if (options_.multipart_threshold < options_.part_size) options_.multipart_threshold = options_.part_size;
    if (options_.upload_concurrency < 1) options_.upload_concurrency = 1;
  }

  const std::string& uri() const override { return uri_; }

  Capabilities capabilities() const override {
    auto* self = const_cast<S3Store*>(this);  // the probe is a lazily cached fact about the server
    auto mode = self->ConditionalMode();
    return Capabilities{.atomic_put_if_absent = mode.ok() && *mode == ConditionalPut::Mode::kHeader};
  }

  Status Put(std::string_view key, std::string_view data, const PutOptions& options) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    std::string sha = Sha256Hex(data);
    SL_ASSIGN_OR_RETURN(bool use_header, PrepareIfAbsent(key, options));
    const std::string put_id = NewPutId();
    if (data.size() > options_.multipart_threshold && UseMultipart(use_header)) {
      return Settle(key, put_id, Multipart(key, sha, put_id, data, -1, data.size(), use_header));
    }
    S3Request r = PutRequest(key, sha, put_id, use_header);
    r.payload_sha256 = sha;  // the body is hashed anyway: let the server check it in transit
    r.body = data;
    return Settle(key, put_id, Execute(r, key).status());
  }

  Status PutFile(std::string_view key, const std::string& path, const PutOptions& options) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return ErrnoError(errno, fmt::format("{}: key '{}': reading {}", uri_, PrintableKey(key), path));
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) return ErrnoError(errno, fmt::format("{}: stat {}", uri_, path));
    uint64_t size = static_cast<uint64_t>(st.st_size);
    // The checksum travels in the request headers (and in CreateMultipartUpload), so it is
    // computed before the upload: one extra read of the file, from the page cache.
    Sha256Hasher hasher;
    std::string buf;
    for (uint64_t off = 0; off < size; off += kHashChunk) {
      uint64_t n = std::min<uint64_t>(kHashChunk, size - off);
      int err = PReadExact(fd.get(), off, n, &buf);
      if (err != 0) {
        return ErrnoError(err == -1 ? EIO : err, fmt::format("{}: key '{}': reading {} at byte {}", uri_,
                                                             PrintableKey(key), path, off));
      }
      hasher.Update(buf);
    }
    std::string sha = hasher.FinishHex();
    SL_ASSIGN_OR_RETURN(bool use_header, PrepareIfAbsent(key, options));
    const std::string put_id = NewPutId();
    if (size > options_.multipart_threshold && UseMultipart(use_header)) {
      return Settle(key, put_id, Multipart(key, sha, put_id, {}, fd.get(), size, use_header));
    }
    S3Request r = PutRequest(key, sha, put_id, use_header);
    r.payload_sha256 = sha;
    r.body_fd = fd.get();
    r.body_length = size;
    return Settle(key, put_id, Execute(r, key).status());
  }

  Result<std::string> Get(std::string_view key) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    S3Request r = Req("GET", prefix_ + std::string(key));
    SL_ASSIGN_OR_RETURN(HttpReply reply, Execute(r, key));
    Verifier v(d_);
    v.Start(reply);
    v.Update(reply.body);
    if (std::string bad = v.Finish(); !bad.empty()) return Corrupted(key, bad);
    return std::move(reply.body);
  }

  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    return RangedGet(
        uri_, key, offset, length,
        [&](const std::string& range) {
          S3Request r = Req("GET", prefix_ + std::string(key));
          r.headers["range"] = range;
          return Execute(r, key);
        },
        [&] { return Head(key); });
  }

  Status GetToFile(std::string_view key, const std::string& path) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    SL_ASSIGN_OR_RETURN(FileDownload file,
                        FileDownload::Create(path, fmt::format("{}: key '{}'", uri_, PrintableKey(key))));
    Verifier verifier(d_);
    S3Request r = Req("GET", prefix_ + std::string(key));
    r.before_attempt = [&]() -> Status {
      verifier = Verifier(d_);
      return file.Restart();
    };
    r.sink = [&](const HttpReply& reply, std::string_view chunk) -> Status {
      if (!verifier.started()) verifier.Start(reply);
      verifier.Update(chunk);
      return file.Append(chunk);
    };
    SL_ASSIGN_OR_RETURN(HttpReply reply, Execute(r, key));
    if (!verifier.started()) verifier.Start(reply);  // empty body: no sink call
    if (std::string bad = verifier.Finish(); !bad.empty()) return Corrupted(key, bad);
    return file.Commit();
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    S3Request r = Req("HEAD", prefix_ + std::string(key));
    SL_ASSIGN_OR_RETURN(HttpReply reply, Execute(r, key));
    ObjectInfo info;
    info.key = std::string(key);
    info.size = std::strtoull(reply.Header("content-length").c_str(), nullptr, 10);
    info.etag = StripQuotes(reply.Header("etag"));
    info.sha256 = Meta(d_, reply, "sha256");
    if (!info.sha256.empty()) info.checksum = "sha256:" + info.sha256;
    if (auto t = ParseHttpDate(reply.Header("last-modified")); t.ok()) info.modified = *t;
    return info;
  }

  Result<ListResult> ListPage(const ListOptions& options) override {
    SL_RETURN_IF_ERROR(ValidatePrefix(options.prefix).WithContext(uri_));
    if (options.max_keys < 1) return InvalidArgument("{}: list max_keys must be >= 1, got {}", uri_, options.max_keys);
    S3Request r = Req("GET", "");
    r.is_list = true;
    if (d_.marker_listing) {  // GCS: the page token is the last key of the previous page
      r.query = {{"prefix", prefix_ + options.prefix}, {"max-keys", std::to_string(std::min(options.max_keys, 1000))}};
      if (!options.page_token.empty()) r.query.emplace_back("marker", prefix_ + options.page_token);
    } else {
      r.query = {{"list-type", "2"}, {"prefix", prefix_ + options.prefix}, {"max-keys", std::to_string(options.max_keys)}};
      if (!options.page_token.empty()) r.query.emplace_back("continuation-token", options.page_token);
    }
    SL_ASSIGN_OR_RETURN(HttpReply reply, Execute(r, options.prefix));
    auto page = d_.marker_listing ? ParseListObjectsMarker(reply.body) : ParseListObjectsV2(reply.body);
    if (!page.ok()) return Internal("{}: listing '{}': {}", uri_, options.prefix, page.status().message());
    ListResult out;
    for (auto& e : page->entries) {
      if (!e.key.starts_with(prefix_)) continue;
      std::string rel = e.key.substr(prefix_.size());
      if (rel.starts_with(".sl-")) continue;  // the store's own probe objects
      ObjectInfo info;
      info.key = std::move(rel);
      info.size = e.size;
      info.etag = std::move(e.etag);
      info.modified = e.last_modified;
      out.objects.push_back(std::move(info));
    }
    if (page->truncated) {
      out.next_page_token = page->next_continuation_token;
      if (d_.marker_listing) {
        // The marker is a full object name; the token handed out is relative to the prefix, like
        // the keys (a NextMarker outside the prefix cannot happen: listings stay under it).
        if (!out.next_page_token.starts_with(prefix_)) {
          return Internal("{}: listing '{}': NextMarker '{}' is outside the store prefix", uri_, options.prefix,
                          out.next_page_token);
        }
        out.next_page_token = out.next_page_token.substr(prefix_.size());
      }
    }
    return out;
  }

  // Follows pages, then sorts: S3 lists in bytewise key order, but not every S3-compatible
  // server does (s3rver lists in its directory-walk order), and callers rely on List's order.
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    return ListAllSorted(*this, prefix, options_.list_page_size);
  }

  Status Delete(std::string_view key) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    S3Request r = Req("DELETE", prefix_ + std::string(key));
    // S3 answers 204 also for a missing key; GCS answers 404 NoSuchKey, which is success here
    // too. NoSuchBucket stays NOT_FOUND.
    r.missing_is_ok = true;
    auto reply = Execute(r, key);
    return reply.status();
  }

 private:
  Status CheckKey(std::string_view key) const { return ValidateKey(key).WithContext(uri_); }

  Status Corrupted(std::string_view key, std::string_view why) const {
    return DataLoss("{}: key '{}': corrupted object: {}", uri_, PrintableKey(key), why);
  }

  S3Request PutRequest(std::string_view key, const std::string& sha, const std::string& put_id,
                       bool if_none_match) const {
    S3Request r = Req("PUT", prefix_ + std::string(key));
    r.headers[d_.meta_prefix + "sha256"] = sha;
    r.headers[put_id_header_] = put_id;
    r.headers["content-type"] = "application/octet-stream";
    if (if_none_match) r.headers[d_.if_absent_header] = d_.if_absent_value;
    return r;
  }

  // Multipart above the threshold, unless the put needs a precondition the dialect's
  // CompleteMultipartUpload does not take (GCS): then one streamed PUT carries it.
  bool UseMultipart(bool precondition) const { return !precondition || d_.multipart_preconditions;
  }

  // For if_absent puts: whether to send the precondition (remote_core.h).
  Result<bool> PrepareIfAbsent(std::string_view key, const PutOptions& options) {
    return cond_.Prepare(options.if_absent, ProbePut(), ProbeRemove(), "conditional PUT", [&] { return Head(key); },
                         uri_, key);
  }

  // Whether the server refuses a conditional PUT over an existing key (see s3_store.h).
  Result<ConditionalPut::Mode> ConditionalMode() { return cond_.Get(ProbePut(), ProbeRemove(), "conditional PUT"); }

  std::function<Status(const std::string&)> ProbePut() {
    return [this](const std::string& probe) {
      const std::string sha = Sha256Hex("probe");
      S3Request r = PutRequest(probe, sha, NewPutId(), true);
      r.body = "probe";
      r.payload_sha256 = sha;
      return Execute(r, probe).status();
    };
  }
  std::function<void(const std::string&)> ProbeRemove() {
    return [this](const std::string& probe) {
      S3Request del = Req("DELETE", prefix_ + probe);
      del.missing_is_ok = true;
      Execute(del, probe).status().IgnoreError();  // a leftover probe is invisible to List
    };
  }

  // Multipart upload of `size` bytes from `mem` (fd < 0) or from file `fd`.
  Status Multipart(std::string_view key, const std::string& sha, const std::string& put_id, std::string_view mem,
                   int fd, uint64_t size, bool if_none_match) {
    std::string s3_key = prefix_ + std::string(key);
    S3Request init = Req("POST", s3_key);
    init.query = {{"uploads", ""}};
    init.headers[d_.meta_prefix + "sha256"] = sha;
    init.headers[put_id_header_] = put_id;
    init.headers["content-type"] = "application/octet-stream";
    init.payload_sha256 = Sha256Hex("");
    SL_ASSIGN_OR_RETURN(HttpReply init_reply, Execute(init, key));
    std::string upload_id = XmlFirst(init_reply.body, "UploadId");
    if (upload_id.empty()) {
      return Internal("{}: key '{}': CreateMultipartUpload returned no UploadId: '{}'", uri_, PrintableKey(key),
                      init_reply.body.substr(0, 200));
    }
    const uint64_t part = options_.part_size;
    const size_t n_parts = static_cast<size_t>((size + part - 1) / part);
    std::vector<std::string> etags(n_parts);
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex err_mu;
    Status first_error;  // GUARDED_BY(err_mu)
    auto worker = [&] {
      while (!failed.load()) {
        size_t i = next.fetch_add(1);
        if (i >= n_parts) return;
        uint64_t off = i * part, len = std::min(part, size - off);
        S3Request r = Req("PUT", s3_key);
        r.query = {{"partNumber", std::to_string(i + 1)}, {"uploadId", upload_id}};
        if (fd >= 0) {
          r.body_fd = fd;
          r.body_offset = off;
          r.body_length = len;
        } else {
          r.body = mem.substr(off, len);
        }
        auto reply = Execute(r, key);
        std::string etag = reply.ok() ? reply->Header("etag") : std::string();
        if (reply.ok() && etag.empty()) {
          reply = Internal("{}: key '{}': UploadPart {} returned no ETag", uri_, PrintableKey(key), i + 1);
        }
        if (!reply.ok()) {
          std::lock_guard<std::mutex> lock(err_mu);
          if (first_error.ok()) {
            first_error = reply.status().WithContext(fmt::format("part {} of {} (bytes {}..{})", i + 1, n_parts, off, off + len));
          }
          failed = true;
          return;
        }
        etags[i] = etag;
      }
    };
    size_t n_threads = std::min<size_t>(static_cast<size_t>(options_.upload_concurrency), n_parts);
    std::vector<std::thread> threads;
    for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    if (failed) {
      AbortUpload(key, s3_key, upload_id);
      return first_error;
    }
    std::string xml = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < n_parts; ++i) {
      xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, XmlEscape(etags[i]));
    }
    xml += "</CompleteMultipartUpload>";
    S3Request done = Req("POST", s3_key);
    done.query = {{"uploadId", upload_id}};
    done.headers["content-type"] = "application/xml";
    if (if_none_match) done.headers[d_.if_absent_header] = d_.if_absent_value;
    done.payload_sha256 = Sha256Hex(xml);
    done.body = xml;
    auto reply = Execute(done, key);
    Status s = reply.status();
    if (s.ok()) {
      // CompleteMultipartUpload can fail after a 200 status, with an <Error> body.
      S3Error err = ParseS3Error(reply->body);
      if (!err.code.empty()) {
        s = (err.code == "InternalError" || err.code == "SlowDown" ? Status(Code::kUnavailable, "") : Status(Code::kUnknown, ""));
        s = Status(s.code(), fmt::format("{}: key '{}': CompleteMultipartUpload: {}: {}", uri_, PrintableKey(key),
                                         err.code, err.message));
      }
    }
    // A CompleteMultipartUpload whose reply was lost after the server completed it cannot be
    // completed again: S3 answers NoSuchUpload, s3rver a 500 on every retry. Either way the
    // object may already be this upload's.
    if (!s.ok() && WrittenBy(key, put_id)) return Status::Ok();
    if (!s.ok()) AbortUpload(key, s3_key, upload_id);
    return s;
  }

  void AbortUpload(std::string_view key, const std::string& s3_key, const std::string& upload_id) {
    S3Request r = Req("DELETE", s3_key);
    r.query = {{"uploadId", upload_id}};
    Execute(r, key).status().IgnoreError();  // best effort; lifecycle rules clean up the rest
  }

  // A put refused by its own earlier attempt (a lost reply) succeeded: remote_core.h's SettlePut.
  Status Settle(std::string_view key, const std::string& put_id, Status s) {
    return SettlePut(std::move(s), [&] { return WrittenBy(key, put_id); });
  }

  // Whether the object at `key` is the one the put `put_id` wrote.
  bool WrittenBy(std::string_view key, const std::string& put_id) {
    S3Request r = Req("HEAD", prefix_ + std::string(key));
    auto head = Execute(r, key);
    return head.ok() && Meta(d_, *head, kPutIdMeta) == put_id;
  }

  Status HttpError(const HttpReply& reply, std::string_view key) const {
    S3Error e = ParseS3Error(reply.body);
    std::string what = key.empty() ? uri_ : fmt::format("{}: key '{}'", uri_, PrintableKey(key));
    std::string detail = fmt::format("HTTP {}{}{}{}", reply.status, e.code.empty() ? "" : " " + e.code,
                                     e.message.empty() ? "" : ": " + e.message,
                                     e.details.empty() ? "" : " (" + e.details + ")");
    switch (reply.status) {
      case 404:
        if (e.code == "NoSuchBucket") {
          return NotFound("{}: bucket '{}' does not exist at {} ({})", what, bucket_, endpoint_.base, detail);
        }
        return NotFound("{}: no such key ({})", what, detail);
      case 401:
      case 403:
        return PermissionDenied("{}: {}", what, detail);
      case 412:
        return AlreadyExists("{}: already exists (put-if-absent: the first writer won; {})", what, detail);
      case 416:
        return OutOfRange("{}: requested range not satisfiable ({})", what, detail);
      case 409:
        if (e.code == "ConditionalRequestConflict" || e.code == "OperationAborted") return Unavailable("{}: {}", what, detail);
        return FailedPrecondition("{}: {}", what, detail);
      case 400:
        if (e.code == "RequestTimeout") return Unavailable("{}: {}", what, detail);
        return InvalidArgument("{}: {}", what, detail);
      case 408:  // GCS: RequestTimeout
      case 429:
      case 500:
      case 502:
      case 503:
      case 504:
        return Unavailable("{}: {}", what, detail);
      default:
        return UnknownError("{}: {}", what, detail);
    }
  }

  // Signs and sends `r`, retrying transient failures; non-2xx replies become errors.
  Result<HttpReply> Execute(const S3Request& r, std::string_view key) {
    std::string encoded_path = "/" + bucket_;
    if (!r.s3_key.empty()) encoded_path += "/" + AwsUriEncode(r.s3_key, /*keep_slash=*/true);
    std::string url = endpoint_.base + encoded_path;
    if (!r.query.empty()) url += "?" + CanonicalQueryString(r.query);
    std::string what = key.empty() ? uri_ : fmt::format("{}: key '{}'", uri_, PrintableKey(key));
    Result<HttpReply> result = Internal("{}: request not attempted", what);
    Status s = retrier_.Run([&](int) -> Status {
      if (r.before_attempt) SL_RETURN_IF_ERROR(r.before_attempt());
      SigV4Request sig;
      sig.method = r.method;
      sig.encoded_path = encoded_path;
      sig.query = r.query;
      sig.headers = r.headers;
      sig.headers["host"] = endpoint_.host;
      sig.payload_sha256 = r.payload_sha256;
      std::string auth = SignV4(sig, creds_, region_, "s3", clock_->WallNow());  // GCS HMAC too (s3_dialect.h)
      HttpCall call;
      call.method = r.method;
      call.url = url;
      for (const auto& [k, v] : sig.headers) call.headers.push_back(k + ": " + v);
      call.headers.push_back("authorization: " + auth);
      call.body = r.body;
      call.body_fd = r.body_fd;
      call.body_offset = r.body_offset;
      call.body_length = r.body_length;
      call.sink = r.sink;
      call.is_list = r.is_list;
      result = http_.Perform(call, what);
      if (!result.ok()) return result.status();
      if (result->status < 200 || result->status >= 300) {
        if (r.missing_is_ok && result->status == 404 && ParseS3Error(result->body).code != "NoSuchBucket") {
          return Status::Ok();
        }
        Status err = HttpError(*result, key);
        result = err;
        return err;
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return result;
  }

  const S3Dialect& d_;
  const std::string put_id_header_;  // "<meta prefix>sl-put-id"
  const std::string bucket_;
  const std::string prefix_;  // "" or "some/prefix/"
  const Endpoint endpoint_;
  const AwsCredentials creds_;
  const std::string region_;
  StoreOptions options_;
  Clock* const clock_;
  Retrier retrier_;
  HttpClient http_;
  std::string uri_;
  ConditionalPut cond_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenS3StoreFromUri(std::string_view uri, const StoreOptions& options) {
  if (!uri.starts_with("s3://")) return InvalidArgument("{}: not an s3:// URI", uri);
  std::string_view rest = uri.substr(5);
  size_t slash = rest.find('/');
  std::string bucket(rest.substr(0, slash));
  std::string prefix(slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (bucket.empty() || bucket.size() > 63) return InvalidArgument("{}: bucket name must be 1..63 characters", uri);
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || (c >= 'A' && c <= 'Z'))) {
      return InvalidArgument("{}: bucket name '{}' has character '{}' that S3 does not allow", uri, bucket, c);
    }
  }
  if (!prefix.empty()) SL_RETURN_IF_ERROR(ValidateKey(prefix).WithContext(fmt::format("{}: store prefix", uri)));
  if (!prefix.empty()) prefix += "/";

  std::string region = !options.region.empty() ? options.region : EnvOr("AWS_REGION");
  if (region.empty()) region = EnvOr("AWS_DEFAULT_REGION");
  if (region.empty()) region = S3Dialect::Aws().region_default;
  std::string endpoint = !options.endpoint.empty() ? options.endpoint : EnvOr("AWS_ENDPOINT_URL_S3");
  if (endpoint.empty()) endpoint = EnvOr("AWS_ENDPOINT_URL");
  if (endpoint.empty()) endpoint = fmt::format("https://s3.{}.amazonaws.com", region);
  AwsCredentials creds;
  creds.access_key_id = !options.access_key_id.empty() ? options.access_key_id : EnvOr("AWS_ACCESS_KEY_ID");
  creds.secret_access_key = !options.secret_access_key.empty() ? options.secret_access_key : EnvOr("AWS_SECRET_ACCESS_KEY");
  creds.session_token = !options.session_token.empty() ? options.session_token : EnvOr("AWS_SESSION_TOKEN");
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    return FailedPrecondition("{}: no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the flags)", uri);
  }
  auto store = OpenS3CompatibleStore(S3Dialect::Aws(), std::move(bucket), std::move(prefix), std::move(endpoint),
                                     std::move(creds), std::move(region), options);
  if (!store.ok()) return store.status().WithContext(uri);
  return store;
}

const S3Dialect& S3Dialect::Aws() {
  static const S3Dialect d{.scheme = "s3",
                           .service = "S3",
                           .meta_prefix = "x-amz-meta-",
                           .if_absent_header = "if-none-match",
                           .if_absent_value = "*",
                           .multipart_preconditions = true,
                           .marker_listing = false,
                           .goog_hash = false,
                           .region_default = "us-east-1"};
  return d;
}

const S3Dialect& S3Dialect::Gcs() {
  static const S3Dialect d{.scheme = "gs",
                           .service = "Cloud Storage",
                           .meta_prefix = "x-goog-meta-",
                           .if_absent_header = "x-goog-if-generation-match",
                           .if_absent_value = "0",
                           .multipart_preconditions = false,
                           .marker_listing = true,
                           .goog_hash = true,
                           .region_default = "auto"};
  return d;
}

Result<std::unique_ptr<ObjectStore>> OpenS3CompatibleStore(const S3Dialect& dialect, std::string bucket,
                                                           std::string prefix, std::string endpoint,
                                                           AwsCredentials creds, std::string region,
                                                           const StoreOptions& options) {
  SL_ASSIGN_OR_RETURN(Endpoint ep, ParseEndpoint(endpoint, dialect.service));
  return std::unique_ptr<ObjectStore>(new S3Store(dialect, std::move(bucket), std::move(prefix), std::move(ep),
                                                  std::move(creds), std::move(region), options));
}

}  // namespace sl::store
