// FileStore: the embedded default backend, "file:///abs/root".
//
// Layout: the object "a/b/c" is the plain file root/a/b/c, so users can inspect a store with
// ls/cat. Its checksum is the extended attribute user.sl.checksum of that same inode, set before
// the file becomes visible, so data and checksum always change together (no sidecar to get out
// of step). The value is self-describing (checksum.h): "crc32c:<8 hex>" by default, or
// "sha256:<64 hex>" with StoreOptions::file_checksum = "sha256". Objects written before
// user.sl.checksum existed carry a bare hex SHA-256 in user.sl.sha256; they are read and
// verified as "sha256:<hex>". A Put writes a temp file in root/.sl-tmp/, then rename()s it into place (last
// writer wins) or link()s it (PutIfAbsent: link fails with EEXIST, so the first writer wins
// atomically). A killed writer leaves at most a stray temp file in root/.sl-tmp/, which
// Open() sweeps when it is older than an hour.
//
// Confinement: every path is resolved one segment at a time with openat(O_NOFOLLOW), so neither
// a key nor a symlink planted inside the root can make the store read or write outside it (a
// symlinked directory is PERMISSION_DENIED; symlinked objects are not listed).
// Requirements: the root's filesystem supports user xattrs (ext4, xfs, btrfs, tmpfs >= 6.6);
// Open() checks and fails with FAILED_PRECONDITION otherwise.
// Thread safety: all methods may be called concurrently, also from several processes.
#pragma once

#include <memory>
#include <string>

#include "store/object_store.h"

namespace sl::store {

// Opens (creating if needed) the store rooted at the absolute directory `root`.
Result<std::unique_ptr<ObjectStore>> OpenFileStore(const std::string& root, const StoreOptions& options = {});

// Finding a store from a path inside it. A file:// URI such as file:///runs/r1/models/v1 does not
// say where the store ends and the key begins; the store root is the nearest directory at or above
// `path` (absolute) that OpenFileStore has initialised. NOT_FOUND "<path>: not inside an object
// store" when there is none. Reads only the filesystem; safe from any thread.
Result<std::string> FindFileStoreRoot(const std::string& path);
bool IsFileStoreRoot(const std::string& dir);
// Where writing the object at absolute `path` creates a store when FindFileStoreRoot finds none:
// the highest directory on the way to it that does not exist yet (the tree the write creates
// becomes the store), else the object's parent directory. Never creates anything itself.
std::string NewFileStoreRootFor(const std::string& path);

// Name of the xattr holding an object's checksum, "<algorithm>:<hex>".
inline constexpr const char* kFileChecksumXattr = "user.sl.checksum";
// Where older versions kept a bare hex SHA-256 (read when kFileChecksumXattr is absent).
inline constexpr const char* kFileLegacySha256Xattr = "user.sl.sha256";

}  // namespace sl::store
