// SHA-256 (OpenSSL EVP), hex-encoded lowercase. Used for artifact weights, store checksums and
// payload integrity. Sha256Hasher streams; Sha256Hex hashes one buffer.
// Thread safety: a Sha256Hasher is single-threaded; the free functions are stateless.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sl {

std::string Sha256Hex(std::string_view data);
// Hashes a file in 1 MiB chunks; errors name the path.
Result<std::string> Sha256File(const std::string& path);

class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view data);
  std::string FinishHex();  // the hasher is spent afterwards

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sl
