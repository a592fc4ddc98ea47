#include "store/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>
#include <vector>

#include "common/file_util.h"
#include "store/checksum.h"
#include "store/fd.h"
#include "store/io.h"
#include "store/key.h"

namespace sl::store {
namespace {

constexpr const char* kTmpDir = ".sl-tmp";
constexpr int kCommitAttempts = 16;  // a concurrent Delete may prune the parent dir in between
constexpr int64_t kStaleTempSeconds = 3600;

WallTime MtimeOf(const struct stat& st) {
  return WallTime(Nanos(static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec));
}

std::string EtagOf(const struct stat& st) {
  return fmt::format("{:x}-{:x}", st.st_size,
                     static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
}

// Splits "a/b/c" into {"a/b", "c"}, "c" into {"", "c"}.
std::pair<std::string_view, std::string_view> SplitParent(std::string_view key) {
  size_t slash = key.rfind('/');
  if (slash == std::string_view::npos) return {std::string_view(), key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

class FileStore final : public ObjectStore {
 public:
  FileStore(std::string root, UniqueFd root_fd, UniqueFd tmp_fd, StoreOptions options, ChecksumAlgorithm algorithm)
      : root_(std::move(root)),
        uri_("file://" + root_),
        root_fd_(std::move(root_fd)),
        tmp_fd_(std::move(tmp_fd)),
        options_(std::move(options)),
        algorithm_(algorithm) {}

  const std::string& uri() const override { return uri_; }
  Capabilities capabilities() const override { return Capabilities{.atomic_put_if_absent = true}; }

  Status Put(std::string_view key, std::string_view data, const PutOptions& options) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    std::string checksum = ComputeChecksum(algorithm_, data);
    SL_ASSIGN_OR_RETURN(std::string tmp, WriteTemp(key, checksum, [&](int fd) -> Status {
                          int err = WriteAll(fd, data);
                          if (err != 0) return Errno(err, key, "writing temp file");
                          return Status::Ok();
                        }));
    return Commit(key, tmp, options.if_absent);
  }

  Status PutFile(std::string_view key, const std::string& path, const PutOptions& options) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    UniqueFd src(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!src.valid()) return ErrnoError(errno, fmt::format("{}: key '{}': reading {}", uri_, PrintableKey(key), path));
    struct stat st{};
    if (::fstat(src.get(), &st) != 0) return ErrnoError(errno, fmt::format("{}: stat {}", uri_, path));
    if (!S_ISREG(st.st_mode)) return InvalidArgument("{}: key '{}': {} is not a regular file", uri_, PrintableKey(key), path);
    uint64_t size = static_cast<uint64_t>(st.st_size);
    // The checksum is taken from the temp file's bytes (what is stored), while copying.
    SL_ASSIGN_OR_RETURN(std::string tmp, WriteTemp(key, "", [&](int fd) -> Status {
                          std::string checksum;
                          int err = CopyAndChecksum(src.get(), fd, size, algorithm_, &checksum);
                          if (err == -1) {
                            return FailedPrecondition("{}: key '{}': {} shrank below {} bytes while being stored", uri_,
                                                      PrintableKey(key), path, size);
                          }
                          if (err != 0) return Errno(err, key, fmt::format("copying {}", path));
                          if (::fsetxattr(fd, kFileChecksumXattr, checksum.data(), checksum.size(), 0) != 0) {
                            return Errno(errno, key, "recording checksum");
                          }
                          return Status::Ok();
                        }));
    return Commit(key, tmp, options.if_absent);
  }

  Result<std::string> Get(std::string_view key) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    SL_ASSIGN_OR_RETURN(UniqueFd fd, OpenObject(key));
    SL_ASSIGN_OR_RETURN(Recorded recorded, ReadChecksum(fd.get(), key));
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) return Errno(errno, key, "stat");
    std::string out;
    int err = PReadExact(fd.get(), 0, static_cast<uint64_t>(st.st_size), &out);
    if (err != 0) return ReadError(err, key, static_cast<uint64_t>(st.st_size));
    std::string actual = ComputeChecksum(recorded.algorithm, out);
    if (actual != recorded.text) return Corrupted(key, recorded.text, actual);
    return out;
  }

  Result<std::string> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    SL_ASSIGN_OR_RETURN(UniqueFd fd, OpenObject(key));
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) return Errno(errno, key, "stat");
    uint64_t size = static_cast<uint64_t>(st.st_size);
    if (offset > size) {
      return OutOfRange("{}: key '{}': range offset {} is past the end of the object ({} bytes)", uri_,
                        PrintableKey(key), offset, size);
    }
    uint64_t n = std::min(length, size - offset);
    std::string out;
    int err = PReadExact(fd.get(), offset, n, &out);
    if (err != 0) return ReadError(err, key, offset);
    return out;
  }

  Status GetToFile(std::string_view key, const std::string& path) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    SL_ASSIGN_OR_RETURN(UniqueFd fd, OpenObject(key));
    SL_ASSIGN_OR_RETURN(Recorded recorded, ReadChecksum(fd.get(), key));
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) return Errno(errno, key, "stat");
    uint64_t size = static_cast<uint64_t>(st.st_size);
    return WriteLocalFileAtomic(path, [&](int out_fd) -> Status {
      std::string actual;
      int err = CopyAndChecksum(fd.get(), out_fd, size, recorded.algorithm, &actual);
      if (err == -1) return ReadError(err, key, size);
      if (err != 0) return ErrnoError(err, fmt::format("{}: key '{}': copying to {}", uri_, PrintableKey(key), path));
      if (actual != recorded.text) return Corrupted(key, recorded.text, actual);
      return Status::Ok();
    });
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    SL_ASSIGN_OR_RETURN(UniqueFd fd, OpenObject(key));
    SL_ASSIGN_OR_RETURN(Recorded recorded, ReadChecksum(fd.get(), key));
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) return Errno(errno, key, "stat");
    ObjectInfo info;
    info.key = std::string(key);
    info.size = static_cast<uint64_t>(st.st_size);
    if (recorded.algorithm == ChecksumAlgorithm::kSha256) info.sha256 = recorded.text.substr(recorded.text.find(':') + 1);
    info.checksum = std::move(recorded.text);
    info.etag = EtagOf(st);
    info.modified = MtimeOf(st);
    return info;
  }

  Result<ListResult> ListPage(const ListOptions& options) override {
    SL_RETURN_IF_ERROR(ValidatePrefix(options.prefix).WithContext(uri_));
    if (options.max_keys < 1) return InvalidArgument("{}: list max_keys must be >= 1, got {}", uri_, options.max_keys);
    Walk w{options.prefix, options.page_token, static_cast<size_t>(options.max_keys)};
    ListResult result;
    w.out = &result.objects;
    SL_RETURN_IF_ERROR(WalkFrom(w));
    if (w.more && !result.objects.empty()) result.next_page_token = result.objects.back().key;
    return result;
  }

  // One pass over the tree instead of one per page: a flat directory of 100,000 keys would
  // otherwise be read and sorted once per page.
  Result<std::vector<ObjectInfo>> List(std::string_view prefix) override {
    SL_RETURN_IF_ERROR(ValidatePrefix(prefix).WithContext(uri_));
    std::vector<ObjectInfo> out;
    Walk w{prefix, "", std::numeric_limits<size_t>::max()};
    w.out = &out;
    SL_RETURN_IF_ERROR(WalkFrom(w));
    return out;
  }

  Status Delete(std::string_view key) override {
    SL_RETURN_IF_ERROR(CheckKey(key));
    auto [parent, base] = SplitParent(key);
    std::vector<UniqueFd> chain;
    Status s = OpenDirChain(key, parent, /*create=*/false, &chain);
    if (s.code() == Code::kNotFound) return Status::Ok();
    SL_RETURN_IF_ERROR(s);
    std::string base_s(base);
    if (::unlinkat(chain.back().get(), base_s.c_str(), 0) != 0) {
      if (errno == ENOENT) return Status::Ok();
      if (errno == EISDIR) return Status::Ok();  // a directory of other keys, not an object
      return Errno(errno, key, "delete");
    }
    // Prune now-empty parent directories, deepest first, so deleted prefixes vanish from the
    // tree as they do from S3. Stops at the first non-empty one; a racing Put that loses its
    // directory here re-creates it (see Commit).
    std::vector<std::string_view> segs;
    for (size_t start = 0; start < parent.size();) {
      size_t end = parent.find('/', start);
      if (end == std::string_view::npos) end = parent.size();
      segs.push_back(parent.substr(start, end - start));
      start = end + 1;
    }
    for (size_t i = segs.size(); i-- > 0;) {
      std::string seg(segs[i]);
      if (::unlinkat(chain[i].get(), seg.c_str(), AT_REMOVEDIR) != 0) break;
    }
    if (options_.fsync) ::fsync(chain.back().get());
    return Status::Ok();
  }

 private:
  struct Walk {
    std::string_view prefix;
    std::string start_after;
    size_t limit;
    std::vector<ObjectInfo>* out = nullptr;
    bool more = false;
    bool done = false;
  };

  Status CheckKey(std::string_view key) const { return ValidateKey(key).WithContext(uri_); }

  Status Errno(int err, std::string_view key, std::string_view what) const {
    return ErrnoError(err, fmt::format("{}: key '{}': {}", uri_, PrintableKey(key), what));
  }

  Status ReadError(int err, std::string_view key, uint64_t offset) const {
    if (err == -1) {
      return Unavailable("{}: key '{}': object shrank while being read (at byte {})", uri_, PrintableKey(key),
                         offset);
    }
    return Errno(err, key, fmt::format("read at byte {}", offset));
  }

  Status Corrupted(std::string_view key, std::string_view recorded, std::string_view actual) const {
    return DataLoss("{}: key '{}': corrupted object: content {} does not match recorded {}", uri_,
                    PrintableKey(key), actual, recorded);
  }

  struct Recorded {
    std::string text;  // "<algorithm>:<hex>"
    ChecksumAlgorithm algorithm;
  };

  // The object's recorded checksum: user.sl.checksum, else (objects from older versions) the
  // bare hex SHA-256 in user.sl.sha256. Missing or malformed is DATA_LOSS.
  Result<Recorded> ReadChecksum(int fd, std::string_view key) const {
    char buf[128];
    const char* attr = kFileChecksumXattr;
    bool legacy = false;
    ssize_t n = ::fgetxattr(fd, attr, buf, sizeof buf);
    if (n < 0 && errno == ENODATA) {
      legacy = true;
      attr = kFileLegacySha256Xattr;
      n = ::fgetxattr(fd, attr, buf, sizeof buf);
    }
    if (n < 0) {
      if (errno == ENODATA) {
        return DataLoss("{}: key '{}': no recorded checksum ({} missing): not written by straightline, or damaged",
                        uri_, PrintableKey(key), kFileChecksumXattr);
      }
      if (errno == ERANGE) {
        return DataLoss("{}: key '{}': recorded checksum ({}) is malformed (longer than {} bytes)", uri_,
                        PrintableKey(key), attr, sizeof buf);
      }
      return Errno(errno, key, "reading checksum");
    }
    std::string text(buf, static_cast<size_t>(n));
    if (legacy) text = "sha256:" + text;
    auto parsed = ParseChecksum(text);
    if (!parsed.ok()) {
      return DataLoss("{}: key '{}': recorded checksum ({}) is malformed: {}", uri_, PrintableKey(key), attr,
                      parsed.status().message());
    }
    ChecksumAlgorithm algorithm = parsed->algorithm;
    return Recorded{std::move(text), algorithm};
  }

  // Opens directory `dir` (a '/'-joined path relative to the root, "" for the root) one segment
  // at a time without following symlinks. `chain` receives the fd of every level, root first.
  Status OpenDirChain(std::string_view key, std::string_view dir, bool create, std::vector<UniqueFd>* chain) const {
    chain->clear();
    chain->emplace_back(::fcntl(root_fd_.get(), F_DUPFD_CLOEXEC, 0));
    if (!chain->back().valid()) return Errno(errno, key, "dup root fd");
    size_t start = 0;
    while (start < dir.size()) {
      size_t end = dir.find('/', start);
      if (end == std::string_view::npos) end = dir.size();
      std::string seg(dir.substr(start, end - start));
      int parent = chain->back().get();
      int fd = ::openat(parent, seg.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && create) {
        if (::mkdirat(parent, seg.c_str(), 0755) != 0 && errno != EEXIST) {
          return Errno(errno, key, fmt::format("creating directory '{}'", dir.substr(0, end)));
        }
        fd = ::openat(parent, seg.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      }
      if (fd < 0) {
        int err = errno;
        if (err == ENOENT) return NotFound("{}: key '{}': no such key", uri_, PrintableKey(key));
        struct stat st{};
        if (::fstatat(parent, seg.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
          if (S_ISLNK(st.st_mode)) {
            return PermissionDenied("{}: key '{}': '{}' is a symlink; the store does not follow links out of its root",
                                    uri_, PrintableKey(key), dir.substr(0, end));
          }
          if (!S_ISDIR(st.st_mode)) {
            if (!create) return NotFound("{}: key '{}': no such key", uri_, PrintableKey(key));
            return FailedPrecondition(
                "{}: key '{}': '{}' is an object, so it cannot also be a prefix of keys in a file store", uri_,
                PrintableKey(key), dir.substr(0, end));
          }
        }
        return Errno(err, key, fmt::format("opening directory '{}'", dir.substr(0, end)));
      }
      chain->emplace_back(fd);
      start = end + 1;
    }
    return Status::Ok();
  }

  Result<UniqueFd> OpenObject(std::string_view key) const {
    auto [parent, base] = SplitParent(key);
    std::vector<UniqueFd> chain;
    SL_RETURN_IF_ERROR(OpenDirChain(key, parent, /*create=*/false, &chain));
    std::string base_s(base);
    UniqueFd fd(::openat(chain.back().get(), base_s.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) {
      if (errno == ENOENT) return NotFound("{}: key '{}': no such key", uri_, PrintableKey(key));
      if (errno == ELOOP) {
        return PermissionDenied("{}: key '{}': is a symlink; the store does not follow links", uri_,
                                PrintableKey(key));
      }
      return Errno(errno, key, "open");
    }
    struct stat st{};
    if (::fstat(fd.get(), &st) != 0) return Errno(errno, key, "stat");
    if (!S_ISREG(st.st_mode)) return NotFound("{}: key '{}': no such key (it is a prefix of other keys)", uri_, PrintableKey(key));
    return fd;
  }

  // Creates a temp file in root/.sl-tmp, lets `fill` write it, records `checksum` (unless empty:
  // then `fill` records it) and returns the temp file's name. The temp file is removed on error.
  Result<std::string> WriteTemp(std::string_view key, const std::string& checksum,
                                const std::function<Status(int fd)>& fill) {
    static std::atomic<uint64_t> counter{0};
    thread_local std::mt19937_64 rng(std::random_device{}());
    std::string name = fmt::format("{}-{}-{:x}", ::getpid(), counter.fetch_add(1), rng());
    UniqueFd fd(::openat(tmp_fd_.get(), name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid()) return Errno(errno, key, fmt::format("creating temp file {}/{}/{}", root_, kTmpDir, name));
    Status s = fill(fd.get());
    if (s.ok() && !checksum.empty() &&
        ::fsetxattr(fd.get(), kFileChecksumXattr, checksum.data(), checksum.size(), 0) != 0) {
      s = Errno(errno, key, "recording checksum");
    }
    if (s.ok() && options_.fsync && ::fsync(fd.get()) != 0) s = Errno(errno, key, "fsync");
    if (s.ok() && ::close(fd.Release()) != 0) s = Errno(errno, key, "close");
    if (!s.ok()) {
      ::unlinkat(tmp_fd_.get(), name.c_str(), 0);
      return s;
    }
    return name;
  }

  // Publishes temp file `tmp` as `key`: rename (last writer wins) or link (first writer wins).
  Status Commit(std::string_view key, const std::string& tmp, bool if_absent) {
    auto [parent, base] = SplitParent(key);
    std::string base_s(base);
    Status result = Internal("{}: key '{}': parent directory kept vanishing under concurrent deletes", uri_,
                             PrintableKey(key));
    for (int attempt = 0; attempt < kCommitAttempts; ++attempt) {
      std::vector<UniqueFd> chain;
      result = OpenDirChain(key, parent, /*create=*/true, &chain);
      if (result.code() == Code::kNotFound) continue;  // pruned between mkdir and open
      if (!result.ok()) break;
      int dfd = chain.back().get();
      int rc = if_absent ? ::linkat(tmp_fd_.get(), tmp.c_str(), dfd, base_s.c_str(), 0)
                         : ::renameat(tmp_fd_.get(), tmp.c_str(), dfd, base_s.c_str());
      if (rc == 0) {
        if (if_absent) ::unlinkat(tmp_fd_.get(), tmp.c_str(), 0);
        if (options_.fsync) ::fsync(dfd);
        return Status::Ok();
      }
      int err = errno;
      if (err == ENOENT) {  // our directory was pruned by a concurrent Delete: make it again
        result = Errno(err, key, "publish");
        continue;
      }
      struct stat st{};
      bool is_dir = ::fstatat(dfd, base_s.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
      if (is_dir) {
        result = FailedPrecondition("{}: key '{}': is a prefix of other keys, so it cannot also be an object in a file store",
                                    uri_, PrintableKey(key));
      } else if (if_absent && err == EEXIST) {
        result = AlreadyExists("{}: key '{}': already exists (put-if-absent: the first writer won)", uri_,
                               PrintableKey(key));
      } else {
        result = Errno(err, key, "publish");
      }
      break;
    }
    ::unlinkat(tmp_fd_.get(), tmp.c_str(), 0);
    return result;
  }

  // Writes a local (non-store) file atomically through a temp file beside it.
  Status WriteLocalFileAtomic(const std::string& path, const std::function<Status(int fd)>& fill) const {
    thread_local std::mt19937_64 rng(std::random_device{}());
    std::string dir = ".", base = path;
    if (size_t slash = path.rfind('/'); slash != std::string::npos) {
      dir = slash == 0 ? "/" : path.substr(0, slash);
      base = path.substr(slash + 1);
    }
    std::string tmp = fmt::format("{}/.{}.sl-get-{:x}", dir, base, rng());
    UniqueFd fd(::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd.valid()) return ErrnoError(errno, fmt::format("{}: creating {}", uri_, tmp));
    Status s = fill(fd.get());
    if (s.ok() && ::close(fd.Release()) != 0) s = ErrnoError(errno, fmt::format("{}: closing {}", uri_, tmp));
    if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = ErrnoError(errno, fmt::format("{}: renaming to {}", uri_, path));
    if (!s.ok()) ::unlink(tmp.c_str());
    return s;
  }

  Status WalkFrom(Walk& w) const {
    // A fresh open file description: a dup() would share (and exhaust) the directory offset.
    UniqueFd root(::openat(root_fd_.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root.valid()) return ErrnoError(errno, fmt::format("{}: opening root", uri_));
    std::string key_prefix;
    return WalkDir(std::move(root), &key_prefix, w);
  }

  // Depth-first walk in exact key order: a directory "a" sorts as "a/" among its siblings, which
  // is where its keys fall bytewise (so "a.b" < "a/x" < "a0"). Subtrees wholly before the page
  // token or outside the prefix are skipped without being read.
  Status WalkDir(UniqueFd dir_fd, std::string* key_prefix, Walk& w) const {
    DIR* d = ::fdopendir(dir_fd.get());
    if (d == nullptr) return ErrnoError(errno, fmt::format("{}: listing '{}'", uri_, *key_prefix));
    int dfd = dir_fd.Release();
    struct Entry {
      std::string sort_name;  // name, plus "/" for directories
      bool is_dir;
    };
    std::vector<Entry> entries;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
      std::string_view name(e->d_name);
      if (name == "." || name == ".." || name.starts_with(".sl-")) continue;
      unsigned char type = e->d_type;
      if (type == DT_UNKNOWN) {
        struct stat st{};
        if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // vanished
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      }
      if (type == DT_DIR) {
        entries.push_back({std::string(name) + "/", true});
      } else if (type == DT_REG) {
        entries.push_back({std::string(name), false});
      }  // symlinks and special files are never objects
    }
    int read_err = errno;
    if (read_err != 0) {
      ::closedir(d);
      return ErrnoError(read_err, fmt::format("{}: listing '{}'", uri_, *key_prefix));
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.sort_name < b.sort_name; });
    Status status;
    size_t prefix_len = key_prefix->size();
    const std::string& after = w.start_after;
    for (const Entry& e : entries) {
      key_prefix->resize(prefix_len);
      key_prefix->append(e.sort_name);
      const std::string& full = *key_prefix;
      if (e.is_dir) {
        if (!(full.starts_with(w.prefix) || w.prefix.starts_with(full))) continue;
        if (!after.empty() && full < after && !after.starts_with(full)) continue;
        std::string name = e.sort_name.substr(0, e.sort_name.size() - 1);
        UniqueFd sub(::openat(dfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub.valid()) {
          if (errno == ENOENT) continue;  // deleted under us
          status = ErrnoError(errno, fmt::format("{}: listing '{}'", uri_, full));
          break;
        }
        status = WalkDir(std::move(sub), key_prefix, w);
        if (!status.ok() || w.done) break;
      } else {
        if (!full.starts_with(w.prefix) || full <= after) continue;
        if (w.out->size() >= w.limit) {
          w.more = true;
          w.done = true;
          break;
        }
        struct stat st{};
        if (::fstatat(dfd, e.sort_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // deleted under us
        ObjectInfo info;
        info.key = full;
        info.size = static_cast<uint64_t>(st.st_size);
        info.etag = EtagOf(st);
        info.modified = MtimeOf(st);
        w.out->push_back(std::move(info));
      }
    }
    key_prefix->resize(prefix_len);
    ::closedir(d);
    return status;
  }

  const std::string root_;
  const std::string uri_;
  const UniqueFd root_fd_;
  const UniqueFd tmp_fd_;
  const StoreOptions options_;
  const ChecksumAlgorithm algorithm_;  // for new objects
};

// Removes temp files left by killed writers, once they are old enough that no live writer can
// still own them.
void SweepStaleTemps(int tmp_fd) {
  UniqueFd fd(::openat(tmp_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  DIR* d = fd.valid() ? ::fdopendir(fd.get()) : nullptr;
  if (d == nullptr) return;
  fd.Release();
  time_t now = ::time(nullptr);
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    struct stat st{};
    if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        now - st.st_mtim.tv_sec > kStaleTempSeconds) {
      ::unlinkat(::dirfd(d), e->d_name, 0);
    }
  }
  ::closedir(d);
}

}  // namespace

bool IsFileStoreRoot(const std::string& dir) {
  return IsDirectory(dir == "/" ? std::string("/") + kTmpDir : dir + "/" + kTmpDir);
}

Result<std::string> FindFileStoreRoot(const std::string& path_in) {
  if (path_in.empty() || path_in[0] != '/') {
    return InvalidArgument("{}: a file:// store path must be absolute", path_in);
  }
  std::string path = path_in;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  for (std::string dir = path; !dir.empty(); dir = dir.substr(0, dir.rfind('/'))) {
    if (IsFileStoreRoot(dir)) return dir;
  }
  if (IsFileStoreRoot("/")) return std::string("/");
  return NotFound("{}: not inside an object store", path);
}

std::string NewFileStoreRootFor(const std::string& path_in) {
  std::string path = path_in;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  size_t last = path.rfind('/');
  std::string parent = last == 0 || last == std::string::npos ? "/" : path.substr(0, last);
  // Walk down from "/" to the parent: the first missing directory is the top of the new tree.
  for (size_t pos = path.find('/', 1); pos != std::string::npos && pos <= parent.size();
       pos = path.find('/', pos + 1)) {
    std::string dir = path.substr(0, pos);
    if (!PathExists(dir)) return dir;
  }
  return parent;
}

Result<std::unique_ptr<ObjectStore>> OpenFileStore(const std::string& root_in, const StoreOptions& options) {
  if (root_in.empty() || root_in[0] != '/') {
    return InvalidArgument("file://{}: the store root must be an absolute path", root_in);
  }
  auto algorithm = ParseChecksumAlgorithm(options.file_checksum);
  if (!algorithm.ok()) return algorithm.status().WithContext("file://" + root_in + ": file_checksum");
  std::string root = root_in;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::string uri = "file://" + root;
  SL_RETURN_IF_ERROR(MakeDirs(root).WithContext(uri));
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) return ErrnoError(errno, uri + ": opening root");
  if (::mkdirat(root_fd.get(), kTmpDir, 0755) != 0 && errno != EEXIST) {
    return ErrnoError(errno, fmt::format("{}: creating {}", uri, kTmpDir));
  }
  UniqueFd tmp_fd(::openat(root_fd.get(), kTmpDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!tmp_fd.valid()) return ErrnoError(errno, fmt::format("{}: opening {}", uri, kTmpDir));
  // Checksums live in xattrs: make sure this filesystem keeps them before accepting any data.
  std::string probe = fmt::format("xattr-probe-{}-{:x}", ::getpid(), std::random_device{}());
  UniqueFd pfd(::openat(tmp_fd.get(), probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (!pfd.valid()) return ErrnoError(errno, fmt::format("{}: writing to {}", uri, kTmpDir));
  int xerr = ::fsetxattr(pfd.get(), kFileChecksumXattr, "x", 1, 0) == 0 ? 0 : errno;
  pfd.Reset();
  ::unlinkat(tmp_fd.get(), probe.c_str(), 0);
  if (xerr != 0) {
    return FailedPrecondition("{}: the filesystem does not keep user xattrs ({}), where object checksums are recorded",
                              uri, std::strerror(xerr));
  }
  SweepStaleTemps(tmp_fd.get());
  return std::unique_ptr<ObjectStore>(new FileStore(root, std::move(root_fd), std::move(tmp_fd), options, *algorithm));
}

}  // namespace sl::store
