// Test backends for the shared conformance suite: each hands out fresh, empty stores of one
// kind and knows how to damage an object behind the store's back (for the corruption tests).
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "common/file_util.h"
#include "store/checksum.h"
#include "store/object_store.h"

namespace sl {
// Lets gtest print a Status after <<; found by ADL. Test-only.
inline std::ostream& operator<<(std::ostream& os, const Status& s) { return os << s.ToString(); }
}  // namespace sl

namespace sl::store::testing {

class TestBackend {
 public:
  virtual ~TestBackend() = default;
  virtual std::string name() const = 0;
  // Why this backend cannot run here (its server is not installed), or "" when it can.
  virtual std::string unavailable() const { return ""; }
  // A fresh, empty store (a new root or a new key prefix).
  virtual std::unique_ptr<ObjectStore> NewStore(const StoreOptions& options = {}) = 0;
  // Flips a byte of the stored object `key` of `store` without touching its checksum.
  virtual void Corrupt(ObjectStore& store, const std::string& key) = 0;
  // The checksum a store from NewStore() records for new objects (file: crc32c; s3: sha256).
  virtual ChecksumAlgorithm checksum_algorithm() const = 0;
  // True if the server itself publishes whole objects atomically (a reader never observes a
  // half-written object). s3rver writes objects in place, so with it only our checksum stands
  // between a reader and a torn object; real S3 is atomic.
  virtual bool server_publishes_atomically() const = 0;
};

// "file": a store under a fresh temp dir.
std::unique_ptr<TestBackend> MakeFileBackend();
// "s3": a store on a shared s3rver (started on first use, on 127.0.0.1 and a free port).
std::unique_ptr<TestBackend> MakeS3Backend();
// "az": a store on a shared Azurite (started on first use, on 127.0.0.1 and a free port).
std::unique_ptr<TestBackend> MakeAzBackend();
// "gs": a store on a shared GcsTestServer (gcs_test_server.h; in process, 127.0.0.1, free port).
std::unique_ptr<TestBackend> MakeGsBackend();
class GcsTestServer;
GcsTestServer* SharedGcsTestServer();
// `base` with the shared GcsTestServer's endpoint and HMAC key.
StoreOptions GcsTestStoreOptions(const StoreOptions& base = {});
std::unique_ptr<TestBackend> MakeBackend(const std::string& name);

// Random bytes (all 256 values) of length n from `seed`.
std::string RandomBytes(size_t n, uint64_t seed);

}  // namespace sl::store::testing
