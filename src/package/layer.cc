#include "package/layer.h"

#include <cerrno>
#include <cstdio>
#include <memory>

#include "package/byte_sink.h"
#include "package/tar_writer.h"

namespace sl::package {

std::string LayerTree::Normalize(std::string path) {
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  while (!path.empty() && path.back() == '/') path.pop_back();
  return path;
}

Status LayerTree::Add(std::string path, LayerEntry entry) {
  path = Normalize(std::move(path));
  if (path.empty()) return InvalidArgument("layer: empty path");
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string parent = path.substr(0, slash);
    auto it = entries_.find(parent);
    if (it == entries_.end()) {
      entries_[parent] = LayerEntry{LayerEntry::Kind::kDirectory, 0755, {}, {}, {}};
    } else if (it->second.kind != LayerEntry::Kind::kDirectory) {
      return InvalidArgument("layer: /{} is a parent of /{} but not a directory", parent, path);
    }
  }
  auto it = entries_.find(path);
  if (it != entries_.end() && it->second.kind != entry.kind) {
    return InvalidArgument("layer: /{} added as two different kinds", path);
  }
  entries_[path] = std::move(entry);
  return Status::Ok();
}

Status LayerTree::AddDirectory(const std::string& path, uint32_t mode) {
  return Add(path, LayerEntry{LayerEntry::Kind::kDirectory, mode, {}, {}, {}});
}
Status LayerTree::AddFile(const std::string& path, const std::string& source, uint32_t mode) {
  return Add(path, LayerEntry{LayerEntry::Kind::kFile, mode, source, {}, {}});
}
Status LayerTree::AddContents(const std::string& path, std::string contents, uint32_t mode) {
  return Add(path, LayerEntry{LayerEntry::Kind::kFile, mode, {}, std::move(contents), {}});
}
Status LayerTree::AddSymlink(const std::string& path, const std::string& target) {
  return Add(path, LayerEntry{LayerEntry::Kind::kSymlink, 0777, {}, {}, target});
}

namespace {

Status WriteEntries(const LayerTree& tree, TarWriter& tar) {
  for (const auto& [path, e] : tree.entries()) {
    switch (e.kind) {
      case LayerEntry::Kind::kDirectory:
        SL_RETURN_IF_ERROR(tar.AddDirectory(path, e.mode));
        break;
      case LayerEntry::Kind::kSymlink:
        SL_RETURN_IF_ERROR(tar.AddSymlink(path, e.target));
        break;
      case LayerEntry::Kind::kFile:
        if (e.source.empty()) {
          SL_RETURN_IF_ERROR(tar.AddFile(path, e.contents, e.mode));
        } else {
          SL_RETURN_IF_ERROR(tar.AddFileFrom(path, e.source, e.mode));
        }
        break;
    }
  }
  return tar.Finish();
}

}  // namespace

Result<LayerBlob> WriteLayer(const LayerTree& tree, const std::string& blobs_dir,
                             const LayerWriteOptions& o) {
  const std::string tmp = blobs_dir + "/.layer.tmp";
  SL_ASSIGN_OR_RETURN(std::unique_ptr<FileSink> file, FileSink::Create(tmp));
  HashingSink blob(file.get());
  std::unique_ptr<GzipSink> gzip;
  if (o.compression == Compression::kGzip) {
    SL_ASSIGN_OR_RETURN(gzip, GzipSink::Create(&blob, o.gzip_level));
  }
  HashingSink uncompressed(gzip ? static_cast<ByteSink*>(gzip.get()) : &blob);
  TarWriter tar(&uncompressed, o.mtime);
  if (Status s = WriteEntries(tree, tar); !s.ok()) {
    std::remove(tmp.c_str());
    return s;
  }
  LayerBlob out;
  out.media_type = o.compression == Compression::kGzip
                       ? "application/vnd.oci.image.layer.v1.tar+gzip"
                       : "application/vnd.oci.image.layer.v1.tar";
  out.digest = "sha256:" + blob.hex();
  out.size = blob.size();
  out.diff_id = "sha256:" + uncompressed.hex();
  out.tar_size = uncompressed.size();
  out.path = blobs_dir + "/" + blob.hex();
  if (std::rename(tmp.c_str(), out.path.c_str()) != 0) {
    Status s = ErrnoError(errno, fmt::format("rename {} -> {}", tmp, out.path));
    std::remove(tmp.c_str());
    return s;
  }
  return out;
}

Result<uint64_t> WriteTarFile(const LayerTree& tree, const std::string& path, int64_t mtime) {
  const std::string tmp = path + ".tmp";
  SL_ASSIGN_OR_RETURN(std::unique_ptr<FileSink> file, FileSink::Create(tmp));
  TarWriter tar(file.get(), mtime);
  if (Status s = WriteEntries(tree, tar); !s.ok()) {
    std::remove(tmp.c_str());
    return s;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = ErrnoError(errno, fmt::format("rename {} -> {}", tmp, path));
    std::remove(tmp.c_str());
    return s;
  }
  return tar.bytes_written();
}

}  // namespace sl::package
