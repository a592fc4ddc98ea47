// Google Cloud Storage: "gs://BUCKET[/PREFIX]" through the XML API with an HMAC key, by the S3
// backend's client in the Cloud Storage dialect (s3_dialect.h, which lists what differs and the
// documentation behind each difference). Same guarantees as s3:// (object_store.h): SHA-256
// recorded as x-goog-meta-sha256 and verified on read (objects written by other tools: by the
// MD5 in x-goog-hash when they have one), multipart upload above the threshold, retries, lost
// replies settled by the put's id (x-goog-meta-sl-put-id).
// PutIfAbsent: `x-goog-if-generation-match: 0` on a single PUT (412 → ALREADY_EXISTS), for any
// size, since GCS's multipart uploads take no preconditions; "auto" probes once as for s3.
//
// Endpoint and credentials, first found wins:
//   endpoint: StoreOptions::gcs_endpoint, $GOOGLE_CLOUD_STORAGE_ENDPOINT (straightline's own:
//     the XML API at another address, e.g. a test server on loopback), else
//     https://storage.googleapis.com. ($STORAGE_EMULATOR_HOST is not read: it names a JSON API
//     emulator, which this XML client cannot talk to.)
//   HMAC key: StoreOptions::gcs_access_key_id / gcs_secret, else $GS_ACCESS_KEY_ID /
//     $GS_SECRET_ACCESS_KEY — the names boto (and so gsutil's HMAC mode) reads for its "google"
//     provider (boto/provider.py: gs_access_key_id / gs_secret_access_key, upper-cased for the
//     environment).
// Tested against a loopback server that implements the documented XML API subset
// (gcs_test_server.h), not against Google's service: see docs/architecture.md.
// Thread safety: all methods may be called concurrently.
#pragma once

#include <memory>
#include <string_view>

#include "store/object_store.h"

namespace sl::store {

Result<std::unique_ptr<ObjectStore>> OpenGcsStoreFromUri(std::string_view uri, const StoreOptions& options = {});

}  // namespace sl::store
