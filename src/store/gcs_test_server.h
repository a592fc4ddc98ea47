// GcsTestServer: an in-process, loopback-only server for the subset of Google Cloud Storage's XML
// API that the gs:// backend uses, written from Google's documentation because no GCS emulator
// speaks the XML API here (fake-gcs-server and the client libraries' STORAGE_EMULATOR_HOST are
// JSON-API only). What it implements, each as documented (cloud.google.com/storage/docs/...):
//   * AWS4-HMAC-SHA256 header signatures of HMAC keys (authentication/hmackeys, signatures):
//     the canonical request is recomputed and compared; UNSIGNED-PAYLOAD is accepted, a stated
//     payload hash must match the body. Failures: 403 SignatureDoesNotMatch / AccessDenied,
//     403 InvalidAccessKeyId for an unknown access ID.
//   * PUT object with x-goog-meta-* (x-amz-meta-* mapped to them, as GCS does for AWS-signed
//     requests), Content-MD5 (400 BadDigest), x-goog-if-generation-match (412
//     PreconditionFailed; 0 = "no live object", request-preconditions).
//   * GET/HEAD object with Range (206; 416 InvalidRange past the end), x-goog-generation,
//     x-goog-metageneration, x-goog-hash (crc32c and md5, base64; md5 absent for multipart
//     objects), x-goog-stored-content-length, ETag, Last-Modified. 404 NoSuchKey with
//     <Details>No such object: BUCKET/KEY</Details>.
//   * DELETE object: 204; a missing object is 404 NoSuchKey (unlike S3).
//   * XML API multipart uploads (multipart-uploads, xml-api/post-object-multipart ...): initiate,
//     upload part (ETag), complete (parts in order), abort. Preconditions on them are refused
//     with 400 (the docs say only "not supported"; the exact error GCS returns is not stated).
//   * List objects: GET /BUCKET?prefix=&max-keys=&marker= (xml-api/get-bucket-list), keys in
//     lexicographic order, <IsTruncated> and <NextMarker>, max-keys capped at 1,000.
//   * Errors: <?xml ...?><Error><Code/><Message/>[<Details/>]</Error> (xml-api/reference-status);
//     a missing bucket is 404 NoSuchBucket.
// Not implemented: ACLs, versioning listings, resumable uploads, compose, signed URLs, the JSON API.
// Faults for tests: the next N requests answered 503 (optionally after carrying out a write, as a
// lost reply), and corrupting stored bytes behind the metadata's back.
//
// Ownership: owns its HttpServer (127.0.0.1, free port); stopped by the destructor.
// Thread safety: every method may be called from any thread while it serves.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/http_server.h"
#include "common/status.h"

namespace sl::store::testing {

class GcsTestServer {
 public:
  static constexpr const char* kAccessId = "GOOGTS7C7FUP3AIRVJTE2BCDKINBTES3HC2GY5CBFJDCQ2SYHV6A6XXVTJFSA";
  static constexpr const char* kSecret = "bGoa+V7g/yqDXvKRqq+JTFn4uQZbPiQJo4pf9RzJ";

  // Serves one bucket `bucket` on 127.0.0.1 and a free port.
  static Result<std::unique_ptr<GcsTestServer>> Start(const std::string& bucket);
  ~GcsTestServer();

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  const std::string& bucket() const { return bucket_; }

  // The next `n` requests get 503 ServiceUnavailable. With `after_write`, a write among them is
  // carried out first and only its reply is lost.
  void FailNext(int n, bool after_write = false);
  // Stores an object as another tool would write it: no x-goog-meta-*, hashes recorded.
  void PutRaw(const std::string& name, const std::string& data);
  // Flips one byte of the stored object (its recorded hashes and metadata stay). false if missing.
  bool Corrupt(const std::string& name);
  // Requests served so far, by "METHOD" or "METHOD?uploads" etc. (for tests of what was sent).
  std::map<std::string, int64_t> RequestCounts();
  // The x-goog-meta-* metadata of an object (names without the prefix); empty if missing.
  std::map<std::string, std::string> Metadata(const std::string& name);

 private:
  struct Object {
    std::string data;
    std::map<std::string, std::string> meta;  // without the x-goog-meta- prefix
    int64_t generation = 0;
    std::string etag;      // without quotes
    std::string x_goog_hash;  // "crc32c=<b64>[,md5=<b64>]", computed once at upload, as GCS stores it
    bool multipart = false;
    int64_t modified_ms = 0;
  };
  struct Upload {
    std::string name;
    std::map<std::string, std::string> meta;
    std::map<int, std::string> parts;  // part number -> bytes
  };

  GcsTestServer() = default;
  HttpResponse Handle(const HttpRequest& req);
  HttpResponse HandleObject(const HttpRequest& req, const std::string& name);
  HttpResponse HandleList(const HttpRequest& req);
  Status CheckSignature(const HttpRequest& req, std::string* code) const;

  std::string bucket_;
  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::map<std::string, Object> objects_;       // GUARDED_BY(mu_)
  std::map<std::string, Upload> uploads_;       // GUARDED_BY(mu_)
  std::map<std::string, int64_t> counts_;       // GUARDED_BY(mu_)
  int64_t next_generation_ = 1700000000000000;  // GUARDED_BY(mu_): microsecond-like, as GCS's
  int64_t next_upload_ = 1;                     // GUARDED_BY(mu_)
  int fail_next_ = 0;                           // GUARDED_BY(mu_)
  bool fail_after_write_ = false;               // GUARDED_BY(mu_)
};

}  // namespace sl::store::testing
