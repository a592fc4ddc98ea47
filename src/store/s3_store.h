// S3Store: "s3://bucket[/prefix]" on any S3-compatible endpoint (AWS, MinIO, s3rver, ...),
// speaking the S3 REST API with SigV4 (common/sigv4.h) over libcurl, path-style addressing
// (endpoint/bucket/key), which every S3-compatible server accepts.
//
// Integrity: Put records the object's SHA-256 as user metadata `x-amz-meta-sha256` (and signs the
// payload with it when the body is hashed anyway); Get/GetToFile verify it. Objects written by
// other tools carry no sha256: a single-part object is verified by its ETag (the MD5 of its
// bytes); a multipart one ("<md5>-<parts>" ETag) cannot be verified without its part layout and
// is returned unverified (Head reports sha256 and checksum ""; otherwise checksum is
// "sha256:<hex>", checksum.h).
// Large objects: Put/PutFile above options.multipart_threshold use multipart upload with
// options.part_size parts, options.upload_concurrency in flight; PutFile streams parts from the
// file, GetToFile streams the body to disk. A failed multipart upload is aborted.
// PutIfAbsent: `If-None-Match: *` on PUT / CompleteMultipartUpload (atomic on AWS S3 since
// 2024-08). Servers that ignore the header (s3rver does) would silently overwrite, so in
// "auto" mode the store probes once, with a throwaway key, whether a second conditional PUT is
// refused; if not, it emulates with HEAD-then-PUT and capabilities() says so.
// Retries: UNAVAILABLE (connection refused/reset, timeouts, 5xx, 503 SlowDown, 429,
// RequestTimeout, 409 ConditionalRequestConflict, a body cut short of its Content-Length) is
// retried per options.retry; request bodies rewind when libcurl resends on a fresh connection.
// Lost replies: every put carries a random id (`x-amz-meta-sl-put-id`). When a retried put is
// refused by what its own earlier attempt did (412 on put-if-absent, NoSuchUpload or a failing
// CompleteMultipartUpload after the upload was completed), a HEAD that finds its id there turns
// the refusal into the success it was: put-if-absent stays exactly-once through lost replies.
// (Tested through store/testing/fault_proxy.h in front of s3rver.)
// Thread safety: all methods may be called concurrently.
#pragma once

#include <memory>
#include <string>

#include "store/object_store.h"

namespace sl::store {

// `uri` is "s3://bucket" or "s3://bucket/prefix". Endpoint and credentials from options, else
// the AWS_* environment variables (see StoreOptions).
Result<std::unique_ptr<ObjectStore>> OpenS3StoreFromUri(std::string_view uri, const StoreOptions& options = {});

}  // namespace sl::store
