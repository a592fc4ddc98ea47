// ObjectStore: where functions keep state between invocations (training shards, model versions,
// function outputs). One abstract interface, backends chosen by URI scheme:
//
//   file:///abs/root     the embedded default: objects are plain files under root (file_store.h)
//   s3://bucket[/prefix] any S3-compatible endpoint over the S3 REST API with SigV4 (s3_store.h)
//   az://account/container[/prefix]  Azure Blob Storage (or Azurite) over the Blob REST API with
//                        Shared Key or a SAS token (azure_store.h)
//   gs://bucket[/prefix] Google Cloud Storage over its XML API with an HMAC key, by the s3
//                        client in the Cloud Storage dialect (gcs_store.h, s3_dialect.h)
//
// Guarantees every backend gives (checked by the shared conformance suite):
//   * Atomic visibility: a reader sees a whole object or none, never a torn one, even when the
//     writer is killed midway. Concurrent writers of one key: the last writer wins. (s3: as far
//     as the server publishes atomically, which AWS S3 does; a server that rewrites objects in
//     place, such as s3rver, can expose a torn object, which the checksum below then reports as
//     DATA_LOSS instead of returning it.)
//   * Integrity: Put records a checksum of the bytes (checksum.h: file backend CRC-32C by
//     default, s3 SHA-256); Get/GetToFile verify whatever the object recorded and report a
//     mismatch as DATA_LOSS naming the key, never returning the bad bytes.
//   * Key safety: keys are checked by ValidateKey (key.h) before any I/O: INVALID_ARGUMENT.
//   * Errors carry retry meaning and name the store URI and the key:
//       NOT_FOUND          no such key
//       ALREADY_EXISTS     PutIfAbsent lost: the key exists
//       UNAVAILABLE        transient (network, 5xx, SlowDown); already retried with backoff
//       PERMISSION_DENIED  credentials / filesystem permissions / a symlink escaping the root
//       DATA_LOSS          stored bytes do not match their recorded checksum
//       INVALID_ARGUMENT   bad key or URI: the caller's fault
//       OUT_OF_RANGE       GetRange offset past the end of the object
//       FAILED_PRECONDITION the key cannot exist here (file backend: "a" is an object and
//                           "a/b" is wanted, which S3 allows but a filesystem does not)
// What differs between backends is stated in Capabilities (see PutIfAbsent).
//
// Ownership: OpenObjectStore returns a unique_ptr; the store owns its connections/handles.
// Thread safety: every method of every backend is safe to call concurrently from many threads.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "store/retry.h"

namespace sl::store {

struct ObjectInfo {
  std::string key;       // relative to the store's URI
  uint64_t size = 0;
  std::string checksum;  // as recorded at Put, self-describing: "crc32c:<8 hex>" or
                         // "sha256:<64 hex>" (checksum.h). Empty in listings and for objects
                         // written by other tools (then `etag` is the only checksum; s3_store.h)
  std::string sha256;    // hex, when the recorded checksum is a SHA-256 (s3 objects, file
                         // objects written with file_checksum "sha256" or by older versions)
  std::string etag;      // S3 ETag without quotes; file backend: "<size>-<mtime ns>"
  WallTime modified{};   // last modification, as the backend reports it
};

struct ListOptions {
  std::string prefix;       // only keys starting with this (any string; not a key)
  std::string page_token;   // empty for the first page, else ListResult::next_page_token
  int max_keys = 1000;      // page size; the backend may return fewer
};

struct ListResult {
  std::vector<ObjectInfo> objects;  // in key order (bytewise, like S3)
  std::string next_page_token;      // empty when this is the last page
};

struct PutOptions {
  // First writer wins: fail with ALREADY_EXISTS if the key exists. See Capabilities for whether
  // the backend makes this atomic against concurrent writers.
  bool if_absent = false;
};

struct Capabilities {
  // True: PutIfAbsent is decided atomically by the backend (exactly one of N racing writers
  // succeeds). False: it is emulated by check-then-write, which is exact for sequential writers
  // (a retried function after its first attempt finished) but racy for simultaneous ones.
  bool atomic_put_if_absent = false;
};

class ObjectStore {
 public:
  static constexpr uint64_t kToEnd = std::numeric_limits<uint64_t>::max();

  virtual ~ObjectStore() = default;

  // The URI the store was opened with (normalised), e.g. "s3://bkt/runs/7".
  virtual const std::string& uri() const = 0;
  virtual Capabilities capabilities() const = 0;

  // Stores `data` under `key`, replacing any object there (unless options.if_absent).
  virtual Status Put(std::string_view key, std::string_view data, const PutOptions& options = {}) = 0;
  // Streams the file at `path` into `key` without loading it whole (S3: multipart above the
  // threshold). The file must not change while it is uploaded.
  virtual Status PutFile(std::string_view key, const std::string& path, const PutOptions& options = {}) = 0;

  // The whole object, verified against its checksum.
  virtual Result<std::string> Get(std::string_view key) = 0;
  // Bytes [offset, offset+length) clipped to the object's end. offset > size: OUT_OF_RANGE.
  // Ranged reads are NOT verified against the whole-object checksum (that needs every byte);
  // callers that need integrity read whole objects.
  virtual Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) = 0;
  // Streams the object into the local file `path` (written atomically: temp file + rename) and
  // verifies it; on DATA_LOSS `path` is left untouched.
  virtual Status GetToFile(std::string_view key, const std::string& path) = 0;

  virtual Result<ObjectInfo> Head(std::string_view key) = 0;

  // One page of keys under options.prefix, in the backend's order (file and AWS S3: bytewise;
  // some S3-compatible servers differ).
  virtual Result<ListResult> ListPage(const ListOptions& options) = 0;
  // Every key under `prefix` in bytewise order, following pages (100,000 keys are fine).
  virtual Result<std::vector<ObjectInfo>> List(std::string_view prefix);

  // Removes the key. Deleting a missing key is OK (as on S3, where it cannot be told apart).
  virtual Status Delete(std::string_view key) = 0;

  // Shorthand for Put(key, data, {.if_absent = true}).
  Status PutIfAbsent(std::string_view key, std::string_view data) {
    return Put(key, data, PutOptions{.if_absent = true});
  }
};

// How to open a store. Unset fields come from the environment: s3: AWS_ENDPOINT_URL,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION (or
// AWS_DEFAULT_REGION; default "us-east-1"); az: AZURE_STORAGE_CONNECTION_STRING, or
// AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN (azure_store.h); gs:
// GS_ACCESS_KEY_ID, GS_SECRET_ACCESS_KEY, GOOGLE_CLOUD_STORAGE_ENDPOINT (gcs_store.h).
struct StoreOptions {
  // file backend
  bool fsync = false;  // fsync data and directory on Put: survive power loss, not only crashes
  // Checksum recorded for new objects: "crc32c" (fast; detects corruption) or "sha256"
  // (cryptographic; ~20x the CPU). Reads verify either, whatever this says.
  std::string file_checksum = "crc32c";

  // s3 backend
  std::string endpoint;   // "http://127.0.0.1:9000"; empty: $AWS_ENDPOINT_URL or AWS's regional endpoint
  std::string region;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;

  // az backend (azure_store.h). Unset: from the environment, see above.
  std::string azure_connection_string;
  std::string azure_account_key;  // base64
  std::string azure_sas_token;    // without the leading '?'
  std::string azure_endpoint;     // blob endpoint, e.g. "http://127.0.0.1:10000/devstoreaccount1"

  // gs backend (gcs_store.h). Unset: from the environment, see above.
  std::string gcs_access_key_id;  // HMAC key access ID
  std::string gcs_secret;         // HMAC key secret
  std::string gcs_endpoint;       // XML API endpoint, e.g. "http://127.0.0.1:4443"

  // s3, gs and az
  uint64_t multipart_threshold = 16ull << 20;  // PutFile/Put above this use multipart upload (az: blocks)
  uint64_t part_size = 16ull << 20;            // part (az: block) size
  int upload_concurrency = 4;                  // parts in flight at once
  int list_page_size = 1000;                   // max-keys (az: maxresults) for List()
  // kAuto: probe once whether the server honours `If-None-Match: *` on PUT, else emulate;
  // kHeader: trust the server (AWS S3 since 2024, Azure); kEmulate: check-then-write.
  enum class ConditionalPut { kAuto, kHeader, kEmulate };
  ConditionalPut conditional_put = ConditionalPut::kAuto;
  double connect_timeout_seconds = 5;
  double low_speed_timeout_seconds = 30;  // abort a transfer that moves < 1 byte/s this long

  // all
  RetryPolicy retry;
  Clock* clock = nullptr;  // not owned; null: Clock::Real(). Retry waits go through it.
};

// Opens the store for `uri`. An unknown scheme is INVALID_ARGUMENT listing the supported ones.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view uri, const StoreOptions& options = {});

// The schemes OpenObjectStore understands: {"file", "s3", "gs", "az"}.
const std::vector<std::string>& SupportedSchemes();

}  // namespace sl::store
