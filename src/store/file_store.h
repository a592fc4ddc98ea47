// FileStore: the embedded default backend, "file:///abs/root".
//
// Layout: the object "a/b/c" is the plain file root/a/b/c, so users can inspect a store with
// ls/cat. Its SHA-256 is the extended attribute user.sl.sha256 of that same inode, set before
// the file becomes visible, so data and checksum always change together (no sidecar to get out
// of step). A Put writes a temp file in root/.sl-tmp/, then rename()s it into place (last
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

// Name of the xattr holding an object's hex SHA-256.
inline constexpr const char* kFileChecksumXattr = "user.sl.sha256";

}  // namespace sl::store
