// One image layer: a tree of files, directories and symlinks keyed by archive path, written as a
// reproducible tar blob (entries sorted by path, parents before children, fixed mtime, uid/gid 0)
// into an OCI blobs directory, optionally gzip-compressed at a fixed level.
//
// Ownership: a LayerTree is a plain value; file entries name host files read when written.
// Thread safety: none.
// Failure contract: WriteLayer's errors name the host file or blob path; a failed layer leaves no
// blob behind (it is written to a temporary name and renamed to its digest).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "common/status.h"

namespace sl::package {

struct LayerEntry {
  enum class Kind { kDirectory, kFile, kSymlink };
  Kind kind = Kind::kFile;
  uint32_t mode = 0644;
  std::string source;    // kFile: host file to copy (empty: use `contents`)
  std::string contents;  // kFile without source
  std::string target;    // kSymlink
};

// Archive path ("usr/bin/x", no leading '/') -> entry; std::map keeps them sorted bytewise,
// which puts every directory before its children.
class LayerTree {
 public:
  // Adds or replaces an entry; creates missing parent directories (0755). A path that names a
  // different kind than already present is an error naming the path.
  Status Add(std::string path, LayerEntry entry);
  Status AddDirectory(const std::string& path, uint32_t mode = 0755);
  Status AddFile(const std::string& path, const std::string& source, uint32_t mode);
  Status AddContents(const std::string& path, std::string contents, uint32_t mode = 0644);
  Status AddSymlink(const std::string& path, const std::string& target);

  const std::map<std::string, LayerEntry>& entries() const { return entries_; }
  bool Contains(const std::string& path) const { return entries_.count(Normalize(path)) > 0; }
  static std::string Normalize(std::string path);  // strips leading '/' and trailing '/'

 private:
  std::map<std::string, LayerEntry> entries_;
};

enum class Compression { kNone, kGzip };

struct LayerBlob {
  std::string media_type;  // application/vnd.oci.image.layer.v1.tar[+gzip]
  std::string digest;      // "sha256:<hex>" of the blob
  uint64_t size = 0;       // blob bytes
  std::string diff_id;     // "sha256:<hex>" of the uncompressed tar
  uint64_t tar_size = 0;   // uncompressed tar bytes
  std::string path;        // the blob file: blobs_dir/<hex>
};

struct LayerWriteOptions {
  Compression compression = Compression::kGzip;
  int gzip_level = 1;
  int64_t mtime = 0;
};

// Writes `tree` as a tar blob into `blobs_dir` (an OCI blobs/sha256 directory).
Result<LayerBlob> WriteLayer(const LayerTree& tree, const std::string& blobs_dir,
                             const LayerWriteOptions& options);

// Writes `tree` as a plain tar to `sink_path` (used for oci-archive / docker-archive files).
// Returns the bytes written.
Result<uint64_t> WriteTarFile(const LayerTree& tree, const std::string& path, int64_t mtime);

}  // namespace sl::package
