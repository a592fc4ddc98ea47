// Byte sinks the image writer streams through: a file, a SHA-256 tee, a deterministic gzip
// stage. A layer of several hundred MB is never held in memory: the tar writer writes into a
// chain such as Sha256(diff_id) -> Gzip -> Sha256(digest) -> File.
//
// Ownership: a sink that forwards to another does not own it; the caller keeps the chain alive
// and calls Finish() on the outermost sink once (it finishes the ones below).
// Thread safety: none; one writer per chain.
// Failure contract: Write/Finish return the first error (naming the file for FileSink); after an
// error the chain is unusable and the partial output must be discarded by the caller.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "common/sha256.h"
#include "common/status.h"

namespace sl::package {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual Status Write(std::string_view data) = 0;
  // Flushes and finishes this sink and the ones it forwards to.
  virtual Status Finish() = 0;
};

// Appends to a file created (truncated) at `path`; Finish() fsyncs and closes it.
class FileSink : public ByteSink {
 public:
  static Result<std::unique_ptr<FileSink>> Create(const std::string& path);
  ~FileSink() override;
  Status Write(std::string_view data) override;
  Status Finish() override;
  const std::string& path() const { return path_; }

 private:
  FileSink(std::string path, std::FILE* f) : path_(std::move(path)), f_(f) {}
  std::string path_;
  std::FILE* f_;
};

// Collects into a string (for small archives in tests and for config blobs).
class StringSink : public ByteSink {
 public:
  Status Write(std::string_view data) override {
    out_.append(data);
    return Status::Ok();
  }
  Status Finish() override { return Status::Ok(); }
  const std::string& contents() const { return out_; }

 private:
  std::string out_;
};

// Hashes and counts what passes through, then forwards it to `next` (may be null: hash only).
class HashingSink : public ByteSink {
 public:
  explicit HashingSink(ByteSink* next) : next_(next) {}
  Status Write(std::string_view data) override;
  Status Finish() override;
  // Valid after Finish(): lowercase hex SHA-256 and byte count.
  const std::string& hex() const { return hex_; }
  uint64_t size() const { return size_; }

 private:
  ByteSink* next_;
  Sha256Hasher hasher_;
  std::string hex_;
  uint64_t size_ = 0;
};

// gzip (RFC 1952) with zlib at a fixed level, mtime 0, no file name and zlib's fixed OS byte:
// the same input and level give the same bytes (for one zlib version), so compressed layers have
// reproducible digests.
class GzipSink : public ByteSink {
 public:
  // level 1 (fastest) .. 9 (smallest).
  static Result<std::unique_ptr<GzipSink>> Create(ByteSink* next, int level);
  ~GzipSink() override;
  Status Write(std::string_view data) override;
  Status Finish() override;

 private:
  GzipSink(ByteSink* next);
  Status Deflate(std::string_view data, int flush);
  struct Impl;
  ByteSink* next_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sl::package
