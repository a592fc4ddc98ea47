// S3Dialect: what differs between the two object stores that speak the S3 XML protocol, AWS S3
// (s3://) and Google Cloud Storage's XML API (gs://), so that one client (s3_store.cc) serves
// both. Everything not listed here — SigV4 signing, path-style URLs, Range reads, multipart
// upload, the <Error> body, lost-reply settling, retries — is the same code for both.
//
// Cloud Storage facts this relies on (docs read 2026-12-07):
//   * HMAC keys sign XML API requests with the AWS V4 process ("AWS4-HMAC-SHA256"); with that
//     signature GCS also accepts the x-amz-* headers that have an x-goog-* equivalent
//     (cloud.google.com/storage/docs/aws-simple-migration, .../authentication/hmackeys).
//     We send GCS's own x-goog-* names anyway: they are what GCS documents for the XML API.
//   * Put-if-absent is the precondition `x-goog-if-generation-match: 0`, refused with
//     "412 Precondition Failed" (cloud.google.com/storage/docs/request-preconditions).
//   * XML API multipart uploads do not support preconditions, and their objects have no MD5
//     (cloud.google.com/storage/docs/multipart-uploads, "Considerations"): a put-if-absent of
//     any size is therefore one streamed PUT (GCS takes up to 5 TiB in one request).
//   * Listing: GET /BUCKET?prefix=&max-keys=&marker=, truncated pages carry <NextMarker>
//     (cloud.google.com/storage/docs/xml-api/get-bucket-list).
//   * Objects carry `x-goog-hash: crc32c=...,md5=...` (base64); errors are
//     <Error><Code/><Message/><Details/></Error> (.../xml-api/reference-status).
// Thread safety: immutable values.
#pragma once

#include <memory>
#include <string>

#include "common/sigv4.h"
#include "store/object_store.h"

namespace sl::store {

struct S3Dialect {
  std::string scheme;        // "s3" | "gs"
  std::string service;       // for messages: "S3" | "Cloud Storage"
  std::string meta_prefix;   // user metadata: "x-amz-meta-" | "x-goog-meta-"
  // The put-if-absent precondition: "if-none-match: *" | "x-goog-if-generation-match: 0".
  std::string if_absent_header;
  std::string if_absent_value;
  // Whether CompleteMultipartUpload honours the precondition (S3 yes, GCS no: such puts go as
  // one streamed PUT instead).
  bool multipart_preconditions = true;
  // Listing: ListObjectsV2 (list-type=2, continuation-token) or marker/NextMarker (GCS).
  bool marker_listing = false;
  // Verify objects written by other tools by the MD5 in x-goog-hash (GCS) before the ETag.
  bool goog_hash = false;
  std::string region_default;  // SigV4 scope region when none is configured: "us-east-1" | "auto"

  static const S3Dialect& Aws();
  static const S3Dialect& Gcs();
};

// Opens a store speaking `dialect` on `endpoint` ("http(s)://host[:port]", no path) for
// bucket/prefix ("" or "a/b/"). The URI, bucket and prefix are already validated by the caller.
Result<std::unique_ptr<ObjectStore>> OpenS3CompatibleStore(const S3Dialect& dialect, std::string bucket,
                                                           std::string prefix, std::string endpoint,
                                                           AwsCredentials creds, std::string region,
                                                           const StoreOptions& options);

}  // namespace sl::store
