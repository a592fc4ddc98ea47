#include "store/azure_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <random>
#include <thread>

#include <openssl/evp.h>

#include "common/base64.h"
#include "common/sha256.h"
#include "store/azure_rest.h"
#include "store/fd.h"
#include "store/file_download.h"
#include "store/io.h"
#include "store/key.h"
#include "store/remote_core.h"
#include "store/retry.h"
#include "store/s3_http.h"
#include "store/s3_xml.h"

namespace sl::store {
namespace {

constexpr size_t kHashChunk = 1 << 20;
constexpr uint64_t kMaxBlocks = 50'000;  // Azure's limit of committed blocks per blob

class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(ctx_); }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void Update(std::string_view d) { EVP_DigestUpdate(ctx_, d.data(), d.size()); }
  std::string FinishBase64() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    return Base64Encode(std::string_view(reinterpret_cast<const char*>(md), len));
  }

 private:
  EVP_MD_CTX* ctx_;
};

std::string Md5Base64(std::string_view data) {
  Md5 m;
  m.Update(data);
  return m.FinishBase64();
}

// Metadata names must be C# identifiers: no '-'.
constexpr const char* kShaHeader = "x-ms-meta-sha256";
constexpr const char* kPutIdHeader = "x-ms-meta-sl_put_id";

// How a blob's bytes are checked on read: our SHA-256 metadata, else the blob's Content-MD5.
class Verifier {
 public:
  void Start(const HttpReply& reply) {
    sha_expected_ = reply.Header(kShaHeader);
    if (!sha_expected_.empty()) {
      sha_ = std::make_unique<Sha256Hasher>();
    } else if (std::string md5 = reply.Header("content-md5"); !md5.empty()) {
      md5_expected_ = md5;
      md5_ = std::make_unique<Md5>();
    }
    started_ = true;
  }
  bool started() const { return started_; }
  void Update(std::string_view d) {
    if (sha_) sha_->Update(d);
    if (md5_) md5_->Update(d);
  }
  // "" if the bytes match (or cannot be checked), else what differs.
  std::string Finish() {
    if (sha_) {
      std::string got = sha_->FinishHex();
      if (got != sha_expected_) return fmt::format("content sha256 {} does not match recorded {}", got, sha_expected_);
    } else if (md5_) {
      std::string got = md5_->FinishBase64();
      if (got != md5_expected_) return fmt::format("content MD5 {} does not match Content-MD5 {}", got, md5_expected_);
    }
    return "";
  }

 private:
  bool started_ = false;
  std::string sha_expected_, md5_expected_;
  std::unique_ptr<Sha256Hasher> sha_;
  std::unique_ptr<Md5> md5_;
};

// One Blob service request, before signing.
struct AzRequest {
  std::string method;
  std::string blob;  // full blob name in the container; empty for container-level requests
  std::vector<std::pair<std::string, std::string>> query;  // decoded values
  std::map<std::string, std::string> headers;              // lowercase names
  std::string_view body;
  int body_fd = -1;
  uint64_t body_offset = 0, body_length = 0;
  std::function<Status(const HttpReply&, std::string_view)> sink;
  std::function<Status()> before_attempt;
  bool missing_is_ok = false;  // Delete: 404 BlobNotFound is success
  bool is_list = false;        // List Blobs (counted apart: transfer_counts.h)
};

AzRequest Req(std::string method, std::string blob) {
  AzRequest r;
  r.method = std::move(method);
  r.blob = std::move(blob);
  return r;
}

class AzureStore final : public ObjectStore {
 public:
  AzureStore(AzureConfig cfg, std::string container, std::string prefix, StoreOptions options)
      : cfg_(std::move(cfg)),
        container_(std::move(container)),
        prefix_(std::move(prefix)),
        options_(std::move(options)),
        clock_(options_.clock != nullptr ? options_.clock : Clock::Real()),
        retrier_(options_.retry, clock_),
        http_(options_.connect_timeout_seconds, options_.low_speed_timeout_seconds),
        cond_(options_.conditional_put) {
    uri_ = "az://" + cfg_.account + "/" + container_;
    if (!prefix_.empty()) uri_ += "/" + prefix_.substr(0, prefix_.size() - 1);
    if (options_.part_size < (64u << 10)) options_.part_size = 64u << 10;
    if (options_.part_size > (4000ull << 20)) options_.part_size = 4000ull << 20;  // Azure's block maximum
    if (options_.multipart_threshold < options_.part_size) options_.multipart_threshold = options_.part_size;
    if (options_.upload_concurrency < 1) options_.upload_concurrency = 1;
    // Path of the container in URLs: the endpoint's own path ("/devstoreaccount1" on Azurite) + "/container".
    std::string ep = cfg_.blob_endpoint;
    size_t host_start = ep.find("://") + 3;
    size_t path_start = ep.find('/', host_start);
    endpoint_path_ = path_start == std::string::npos ? "" : ep.substr(path_start);
  }

  const std::string& uri() const override { return uri_; }

  Capabilities capabilities() const override {
    auto* self = const_cast<AzureStore*>(this);  // the probe is a lazily cached fact about the server
    auto mode = self->ConditionalMode();
    return Capabilities{.atomic_put_if_absent = mode.ok() && *mode == ConditionalPut::Mode::kHeader};
  }

  Status Put(std::string_view key, std::string_view data, const PutOptions& options) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    std::string sha = Sha256Hex(data);
    SL_ASSIGN_OR_RETURN(bool use_header, PrepareIfAbsent(key, options));
    const std::string put_id = NewPutId();
    if (data.size() > options_.multipart_threshold) {
      return Settle(key, put_id, Blocks(key, sha, put_id, data, -1, data.size(), use_header));
    }
    AzRequest r = PutBlobRequest(key, sha, put_id, use_header);
    r.headers["content-md5"] = Md5Base64(data);
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
    SL_ASSIGN_OR_RETURN(bool use_header, PrepareIfAbsent(key, options));
    const std::string put_id = NewPutId();
    if (size > options_.multipart_threshold) {
      // Blocks: the SHA-256 is needed only by Put Block List, and each block's MD5 only by its
      // own Put Block, so both are computed on a thread running ahead of the uploads (Blocks).
      return Settle(key, put_id, Blocks(key, "", put_id, {}, fd.get(), size, use_header));
    }
    // Put Blob: the SHA-256 (metadata) and the MD5 (Content-MD5) go in the request's headers, so
    // they are computed first, in one read of the file from the page cache.
    Sha256Hasher hasher;
    Md5 md5;
    std::string buf;
    for (uint64_t off = 0; off < size; off += kHashChunk) {
      uint64_t n = std::min<uint64_t>(kHashChunk, size - off);
      int err = PReadExact(fd.get(), off, n, &buf);
      if (err != 0) {
        return ErrnoError(err == -1 ? EIO : err, fmt::format("{}: key '{}': reading {} at byte {}", uri_,
                                                             PrintableKey(key), path, off));
      }
      hasher.Update(buf);
      md5.Update(buf);
    }
    AzRequest r = PutBlobRequest(key, hasher.FinishHex(), put_id, use_header);
    r.headers["content-md5"] = md5.FinishBase64();
    r.body_fd = fd.get();
    r.body_length = size;
    return Settle(key, put_id, Execute(r, key).status());
  }

  Result<std::string> Get(std::string_view key) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    AzRequest r = Req("GET", prefix_ + std::string(key));
    SL_ASSIGN_OR_RETURN(HttpReply reply, Execute(r, key));
    Verifier v;
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
          AzRequest r = Req("GET", prefix_ + std::string(key));
          r.headers["x-ms-range"] = range;
          return Execute(r, key);
        },
        [&] { return Head(key); });
  }

  Status GetToFile(std::string_view key, const std::string& path) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    SL_ASSIGN_OR_RETURN(FileDownload file,
                        FileDownload::Create(path, fmt::format("{}: key '{}'", uri_, PrintableKey(key))));
    Verifier verifier;
    AzRequest r = Req("GET", prefix_ + std::string(key));
    r.before_attempt = [&]() -> Status {
      verifier = Verifier();
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
    AzRequest r = Req("HEAD", prefix_ + std::string(key));
    SL_ASSIGN_OR_RETURN(HttpReply reply, Execute(r, key));
    ObjectInfo info;
    info.key = std::string(key);
    info.size = std::strtoull(reply.Header("content-length").c_str(), nullptr, 10);
    info.etag = StripQuotes(reply.Header("etag"));
    info.sha256 = reply.Header(kShaHeader);
    if (!info.sha256.empty()) info.checksum = "sha256:" + info.sha256;
    if (auto t = ParseHttpDate(reply.Header("last-modified")); t.ok()) info.modified = *t;
    return info;
  }

  Result<ListResult> ListPage(const ListOptions& options) override {
    SL_RETURN_IF_ERROR(ValidatePrefix(options.prefix).WithContext(uri_));
    if (options.max_keys < 1) return InvalidArgument("{}: list max_keys must be >= 1, got {}", uri_, options.max_keys);
    AzRequest r = Req("GET", "");
    r.is_list = true;
    r.query = {{"restype", "container"},
               {"comp", "list"},
               {"prefix", prefix_ + options.prefix},
               {"maxresults", std::to_string(std::min(options.max_keys, 5000))}};
    if (!options.page_token.empty()) r.query.emplace_back("marker", options.page_token);
    SL_ASSIGN_OR_RETURN(HttpReply reply, Execute(r, options.prefix));
    auto page = ParseAzureListBlobs(reply.body);
    if (!page.ok()) return Internal("{}: listing '{}': {}", uri_, options.prefix, page.status().message());
    ListResult out;
    for (auto& e : page->entries) {
      if (!e.name.starts_with(prefix_)) continue;
      std::string rel = e.name.substr(prefix_.size());
      if (rel.starts_with(".sl-")) continue;  // the store's own probe objects
      ObjectInfo info;
      info.key = std::move(rel);
      info.size = e.size;
      info.etag = std::move(e.etag);
      info.modified = e.last_modified;
      out.objects.push_back(std::move(info));
    }
    out.next_page_token = std::move(page->next_marker);
    return out;
  }

  // Follows pages, then sorts (bytewise), as the s3 backend does: callers rely on List's order.
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    return ListAllSorted(*this, prefix, options_.list_page_size);
  }

  Status Delete(std::string_view key) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    AzRequest r = Req("DELETE", prefix_ + std::string(key));
    r.missing_is_ok = true;
    return Execute(r, key).status();
  }

 private:
  Status CheckKey(std::string_view key) const { return ValidateKey(key).WithContext(uri_); }

  Status Corrupted(std::string_view key, std::string_view why) const {
    return DataLoss("{}: key '{}': corrupted object: {}", uri_, PrintableKey(key), why);
  }

  AzRequest PutBlobRequest(std::string_view key, const std::string& sha, const std::string& put_id,
                           bool if_none_match) const {
    AzRequest r = Req("PUT", prefix_ + std::string(key));
    r.headers["x-ms-blob-type"] = "BlockBlob";
    r.headers["content-type"] = "application/octet-stream";
    r.headers[kShaHeader] = sha;
    r.headers[kPutIdHeader] = put_id;
    if (if_none_match) r.headers["if-none-match"] = "*";
    return r;
  }

  // For if_absent puts: whether to send If-None-Match (remote_core.h).
  Result<bool> PrepareIfAbsent(std::string_view key, const PutOptions& options) {
    return cond_.Prepare(options.if_absent, ProbePut(), ProbeRemove(), "conditional Put Blob",
                         [&] { return Head(key); }, uri_, key);
  }

  // Whether the server refuses a conditional Put Blob over an existing blob (Azure and Azurite
  // do; an emulator that did not would silently overwrite).
  Result<ConditionalPut::Mode> ConditionalMode() {
    return cond_.Get(ProbePut(), ProbeRemove(), "conditional Put Blob");
  }

  std::function<Status(const std::string&)> ProbePut() {
    return [this](const std::string& probe) {
      AzRequest r = PutBlobRequest(probe, Sha256Hex("probe"), NewPutId(), true);
      r.body = "probe";
      return Execute(r, probe).status();
    };
  }
  std::function<void(const std::string&)> ProbeRemove() {
    return [this](const std::string& probe) {
      AzRequest del = Req("DELETE", prefix_ + probe);
      del.missing_is_ok = true;
      Execute(del, probe).status().IgnoreError();  // a leftover probe is invisible to List
    };
  }

  // options.part_size, or more when that would take more blocks than a blob may have.
  uint64_t BlockSize(uint64_t size) const {
    return std::max<uint64_t>(options_.part_size, (size + kMaxBlocks - 1) / kMaxBlocks);
  }

  // Put Block × n (options.upload_concurrency at once) + Put Block List, from `mem` (fd < 0; `sha`
  // given) or from file `fd` (sha ""): then a hashing thread reads the file once, in order, for
  // each block's MD5 (which its Put Block waits for) and the whole file's SHA-256 (which Put
  // Block List waits for), so hashing overlaps the uploads instead of preceding them.
  Status Blocks(std::string_view key, std::string sha, const std::string& put_id, std::string_view mem, int fd,
                uint64_t size, bool if_none_match) {
    std::string blob = prefix_ + std::string(key);
    const uint64_t block = BlockSize(size);
    const size_t n_blocks = static_cast<size_t>((size + block - 1) / block);
    // Same length for every id of the blob (Azure requires it), unique to this put.
    std::vector<std::string> ids(n_blocks);
    for (size_t i = 0; i < n_blocks; ++i) ids[i] = Base64Encode(fmt::format("{}-{:06}", put_id, i));
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mu;
    std::condition_variable hashed_cv;
    std::vector<std::string> md5s(n_blocks);  // GUARDED_BY(mu) for the file path
    size_t n_hashed = 0;                      // GUARDED_BY(mu)
    Status first_error;                       // GUARDED_BY(mu)
    auto fail = [&](Status s) {
      std::lock_guard<std::mutex> lock(mu);
      if (first_error.ok()) first_error = std::move(s);
      failed = true;
      hashed_cv.notify_all();
    };
    std::thread hasher_thread;
    if (fd >= 0) {
      hasher_thread = std::thread([&] {
        Sha256Hasher sha_all;
        std::string buf;
        for (size_t i = 0; i < n_blocks && !failed.load(); ++i) {
          Md5 md5;
          uint64_t off = i * block, end = std::min(size, off + block);
          for (uint64_t o = off; o < end; o += kHashChunk) {
            uint64_t n = std::min<uint64_t>(kHashChunk, end - o);
            if (int err = PReadExact(fd, o, n, &buf); err != 0) {
              fail(ErrnoError(err == -1 ? EIO : err, fmt::format("{}: key '{}': reading the file at byte {}", uri_,
                                                                 PrintableKey(key), o)));
              return;
            }
            sha_all.Update(buf);
            md5.Update(buf);
          }
          std::lock_guard<std::mutex> lock(mu);
          md5s[i] = md5.FinishBase64();
          n_hashed = i + 1;
          if (n_hashed == n_blocks) sha = sha_all.FinishHex();
          hashed_cv.notify_all();
        }
      });
    }
    auto worker = [&] {
      while (!failed.load()) {
        size_t i = next.fetch_add(1);
        if (i >= n_blocks) return;
        uint64_t off = i * block, len = std::min(block, size - off);
        AzRequest r = Req("PUT", blob);
        r.query = {{"comp", "block"}, {"blockid", ids[i]}};
        if (fd >= 0) {
          std::unique_lock<std::mutex> lock(mu);
          hashed_cv.wait(lock, [&] { return n_hashed > i || failed.load(); });
          if (failed.load()) return;
          r.headers["content-md5"] = md5s[i];
          r.body_fd = fd;
          r.body_offset = off;
          r.body_length = len;
        } else {
          r.body = mem.substr(off, len);
          r.headers["content-md5"] = Md5Base64(r.body);
        }
        Status s = Execute(r, key).status();
        if (!s.ok()) {
          fail(s.WithContext(fmt::format("Put Block {} of {} (bytes {}..{})", i + 1, n_blocks, off, off + len)));
          return;
        }
      }
    };
    size_t n_threads = std::min<size_t>(static_cast<size_t>(options_.upload_concurrency), n_blocks);
    std::vector<std::thread> threads;
    for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(worker);
    worker();
    for (auto& t : threads) t.join();
    if (hasher_thread.joinable()) hasher_thread.join();
    if (failed) return first_error;  // the uncommitted blocks are the service's to discard
    std::string xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (const auto& id : ids) xml += "<Latest>" + id + "</Latest>";
    xml += "</BlockList>";
    AzRequest done = Req("PUT", blob);
    done.query = {{"comp", "blocklist"}};
    done.headers["content-type"] = "application/xml";
    done.headers["content-md5"] = Md5Base64(xml);
    done.headers["x-ms-blob-content-type"] = "application/octet-stream";
    done.headers[kShaHeader] = sha;
    done.headers[kPutIdHeader] = put_id;
    if (if_none_match) done.headers["if-none-match"] = "*";
    done.body = xml;
    return Execute(done, key).status();
  }

  // A put refused by its own earlier attempt (a lost reply) succeeded: remote_core.h's SettlePut.
  Status Settle(std::string_view key, const std::string& put_id, Status s) {
    return SettlePut(std::move(s), [&] { return WrittenBy(key, put_id); });
  }

  bool WrittenBy(std::string_view key, const std::string& put_id) {
    AzRequest r = Req("HEAD", prefix_ + std::string(key));
    auto head = Execute(r, key);
    return head.ok() && head->Header(kPutIdHeader) == put_id;
  }

  Status HttpError(const HttpReply& reply, std::string_view key) const {
    AzureError e = ParseAzureError(reply.Header("x-ms-error-code"), reply.body);
    std::string what = key.empty() ? uri_ : fmt::format("{}: key '{}'", uri_, PrintableKey(key));
    std::string detail = fmt::format("HTTP {}{}{}", reply.status, e.code.empty() ? "" : " " + e.code,
                                     e.message.empty() ? "" : ": " + e.message);
    switch (reply.status) {
      case 404:
        if (e.code == "ContainerNotFound") {
          return NotFound("{}: container '{}' does not exist at {} ({})", what, container_, cfg_.blob_endpoint, detail);
        }
        return NotFound("{}: no such key ({})", what, detail);
      case 401:
      case 403:
        return PermissionDenied("{}: {}", what, detail);
      case 409:
        if (e.code == "BlobAlreadyExists") {
          return AlreadyExists("{}: already exists (put-if-absent: the first writer won; {})", what, detail);
        }
        if (e.code == "OperationTimedOut" || e.code == "ServerBusy") return Unavailable("{}: {}", what, detail);
        return FailedPrecondition("{}: {}", what, detail);
      case 412:
        return AlreadyExists("{}: already exists (put-if-absent: the first writer won; {})", what, detail);
      case 416:
        return OutOfRange("{}: requested range not satisfiable ({})", what, detail);
      case 400:
        if (e.code == "Md5Mismatch") {
          return Unavailable("{}: the body was damaged in transit ({})", what, detail);
        }
        return InvalidArgument("{}: {}", what, detail);
      case 408:
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

  // Signs (or appends the SAS to) and sends `r`, retrying transient failures; non-2xx replies
  // become errors.
  Result<HttpReply> Execute(const AzRequest& r, std::string_view key) {
    std::string path = endpoint_path_ + "/" + container_;
    if (!r.blob.empty()) path += "/" + AzureEncodePath(r.blob);
    std::string url = cfg_.blob_endpoint.substr(0, cfg_.blob_endpoint.size() - endpoint_path_.size()) + path;
    std::string qs;
    for (const auto& [k, v] : r.query) qs += (qs.empty() ? "" : "&") + k + "=" + AzureEncodeQueryValue(v);
    if (!cfg_.sas_token.empty()) qs += (qs.empty() ? "" : "&") + cfg_.sas_token;
    if (!qs.empty()) url += "?" + qs;
    const uint64_t body_len = r.body_fd >= 0 ? r.body_length : r.body.size();
    std::string what = key.empty() ? uri_ : fmt::format("{}: key '{}'", uri_, PrintableKey(key));
    Result<HttpReply> result = Internal("{}: request not attempted", what);
    Status s = retrier_.Run([&](int) -> Status {
      if (r.before_attempt) SL_RETURN_IF_ERROR(r.before_attempt());
      AzureSignRequest sig;
      sig.method = r.method;
      sig.path = path;
      sig.query = r.query;
      sig.headers = r.headers;
      sig.headers["x-ms-date"] = FormatRfc1123(clock_->WallNow());
      sig.headers["x-ms-version"] = kAzureApiVersion;
      sig.content_length = body_len;
      HttpCall call;
      call.method = r.method;
      call.url = url;
      for (const auto& [k, v] : sig.headers) call.headers.push_back(k + ": " + v);
      if (cfg_.sas_token.empty()) {
        SL_ASSIGN_OR_RETURN(std::string auth, AzureSharedKeyAuthorization(cfg_.account, cfg_.account_key, sig));
        call.headers.push_back("authorization: " + auth);
      }
      call.body = r.body;
      call.body_fd = r.body_fd;
      call.body_offset = r.body_offset;
      call.body_length = r.body_length;
      call.sink = r.sink;
      call.is_list = r.is_list;
      result = http_.Perform(call, what);
      if (!result.ok()) return result.status();
      if (result->status < 200 || result->status >= 300) {
        Status err = HttpError(*result, key);
        if (r.missing_is_ok && err.code() == Code::kNotFound &&
            ParseAzureError(result->Header("x-ms-error-code"), result->body).code != "ContainerNotFound") {
          return Status::Ok();
        }
        result = err;
        return err;
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return result;
  }

  const AzureConfig cfg_;
  const std::string container_;
  const std::string prefix_;  // "" or "some/prefix/"
  StoreOptions options_;
  Clock* const clock_;
  Retrier retrier_;
  HttpClient http_;
  std::string uri_;
  std::string endpoint_path_;  // "" or "/devstoreaccount1"
  ConditionalPut cond_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenAzureStoreFromUri(std::string_view uri, const StoreOptions& options) {
  if (!uri.starts_with("az://")) return InvalidArgument("{}: not an az:// URI", uri);
  std::string_view rest = uri.substr(5);
  size_t slash = rest.find('/');
  std::string account(rest.substr(0, slash));
  if (slash == std::string_view::npos) {
    return InvalidArgument("{}: an Azure store URI is az://ACCOUNT/CONTAINER[/PREFIX]", uri);
  }
  rest.remove_prefix(slash + 1);
  slash = rest.find('/');
  std::string container(rest.substr(0, slash));
  std::string prefix(slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (account.empty() || account.size() > 24) return InvalidArgument("{}: account name must be 1..24 characters", uri);
  for (char c : account) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
      return InvalidArgument("{}: account name '{}' has character '{}'; Azure allows a-z and 0-9", uri, account, c);
    }
  }
  if (container.size() < 3 || container.size() > 63) {
    return InvalidArgument("{}: container name '{}' must be 3..63 characters", uri, container);
  }
  for (size_t i = 0; i < container.size(); ++i) {
    char c = container[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0 && i + 1 < container.size() &&
                                                                     container[i - 1] != '-');
    if (!ok) {
      return InvalidArgument("{}: container name '{}' is not valid (a-z, 0-9 and single inner '-')", uri, container);
    }
  }
  if (!prefix.empty()) SL_RETURN_IF_ERROR(ValidateKey(prefix).WithContext(fmt::format("{}: store prefix", uri)));
  if (!prefix.empty()) prefix += "/";

  AzureConfig cfg;
  std::string conn = !options.azure_connection_string.empty() ? options.azure_connection_string
                                                               : EnvOr("AZURE_STORAGE_CONNECTION_STRING");
  if (!conn.empty()) {
    auto parsed = ParseAzureConnectionString(conn);
    if (!parsed.ok()) return parsed.status().WithContext(uri);
    cfg = std::move(*parsed);
    if (cfg.account.empty()) cfg.account = account;
  } else {
    std::string env_account = EnvOr("AZURE_STORAGE_ACCOUNT");
    cfg.account = env_account.empty() ? account : env_account;
    cfg.account_key = EnvOr("AZURE_STORAGE_KEY");
    cfg.sas_token = EnvOr("AZURE_STORAGE_SAS_TOKEN");
  }
  if (!options.azure_account_key.empty()) cfg.account_key = options.azure_account_key;
  if (!options.azure_sas_token.empty()) cfg.sas_token = options.azure_sas_token;
  if (!cfg.sas_token.empty() && cfg.sas_token.front() == '?') cfg.sas_token.erase(0, 1);
  if (!cfg.account_key.empty()) cfg.sas_token.clear();  // Shared Key when a key is known, else the SAS
  if (cfg.account != account) {
    return FailedPrecondition("{}: the Azure credentials are for account '{}', not '{}'", uri, cfg.account, account);
  }
  std::string endpoint = !options.azure_endpoint.empty() ? options.azure_endpoint : EnvOr("AZURE_STORAGE_BLOB_ENDPOINT");
  if (endpoint.empty()) endpoint = cfg.blob_endpoint;
  if (endpoint.empty()) endpoint = fmt::format("https://{}.blob.core.windows.net", account);
  auto ep = NormalizeAzureEndpoint(endpoint);
  if (!ep.ok()) return ep.status().WithContext(uri);
  cfg.blob_endpoint = *ep;
  if (cfg.account_key.empty() && cfg.sas_token.empty()) {
    return FailedPrecondition(
        "{}: no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_KEY or "
        "AZURE_STORAGE_SAS_TOKEN for the account",
        uri);
  }
  if (!cfg.account_key.empty() && !Base64Decode(cfg.account_key).ok()) {
    return InvalidArgument("{}: the Azure account key is not base64", uri);
  }
  return std::unique_ptr<ObjectStore>(new AzureStore(std::move(cfg), std::move(container), std::move(prefix), options));
}

}  // namespace sl::store
