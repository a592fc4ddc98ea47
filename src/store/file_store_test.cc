// Behaviour only the file backend has: confinement against symlinks, crash safety of a killed
// writer process, many processes writing one key, 100,000 keys, the on-disk layout.
#include "store/file_store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/sha256.h"
#include "store/checksum.h"
#include "store/store_test_util.h"

namespace sl::store {
namespace {

using testing::RandomBytes;

std::unique_ptr<ObjectStore> Open(const std::string& root, const StoreOptions& o = {}) {
  auto s = OpenObjectStore("file://" + root, o);
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(s).value();
}

TEST(OpenObjectStoreTest, UnknownSchemeListsTheSupportedOnes) {
  auto s = OpenObjectStore("hdfs://bucket/x");
  ASSERT_EQ(s.status().code(), Code::kInvalidArgument);
  EXPECT_NE(s.status().message().find("'hdfs'"), std::string::npos) << s.status();
  EXPECT_NE(s.status().message().find("file://, s3://, gs://, az://"), std::string::npos) << s.status();
  EXPECT_EQ(OpenObjectStore("/no/scheme").status().code(), Code::kInvalidArgument);
}

TEST(OpenObjectStoreTest, FileUriMustBeAbsolute) {
  EXPECT_EQ(OpenObjectStore("file://relative/dir").status().code(), Code::kInvalidArgument);
  TempDir tmp;
  auto s = OpenObjectStore("file://" + tmp.path() + "/a/b/");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->uri(), "file://" + tmp.path() + "/a/b");
  EXPECT_TRUE(IsDirectory(tmp.path() + "/a/b/.sl-tmp"));
}

TEST(FileStoreRootTest, FoundFromAnyPathInsideAndNotFoundOutside) {
  TempDir tmp;
  EXPECT_EQ(FindFileStoreRoot(tmp.Join("run1/models/v1")).status().code(), Code::kNotFound);
  Open(tmp.Join("run1"));
  EXPECT_TRUE(IsFileStoreRoot(tmp.Join("run1")));
  EXPECT_FALSE(IsFileStoreRoot(tmp.path()));
  EXPECT_EQ(FindFileStoreRoot(tmp.Join("run1")).value(), tmp.Join("run1"));
  EXPECT_EQ(FindFileStoreRoot(tmp.Join("run1/")).value(), tmp.Join("run1"));
  EXPECT_EQ(FindFileStoreRoot(tmp.Join("run1/models/v1")).value(), tmp.Join("run1"));
  auto outside = FindFileStoreRoot(tmp.Join("other/x"));
  ASSERT_EQ(outside.status().code(), Code::kNotFound);
  EXPECT_NE(outside.status().message().find(tmp.Join("other/x") + ": not inside an object store"),
            std::string::npos)
      << outside.status();
  EXPECT_EQ(FindFileStoreRoot("relative/x").status().code(), Code::kInvalidArgument);
}

TEST(FileStoreRootTest, NewStoreIsTheTreeAWriteCreatesElseTheParent) {
  TempDir tmp;
  // Nothing below tmp exists: the store is the first directory the write creates.
  EXPECT_EQ(NewFileStoreRootFor(tmp.Join("run1/in/model.pt")), tmp.Join("run1"));
  ASSERT_TRUE(MakeDirs(tmp.Join("run1")).ok());
  EXPECT_EQ(NewFileStoreRootFor(tmp.Join("run1/in/model.pt")), tmp.Join("run1/in"));
  // Every directory exists: the object's own directory.
  ASSERT_TRUE(MakeDirs(tmp.Join("run1/in")).ok());
  EXPECT_EQ(NewFileStoreRootFor(tmp.Join("run1/in/model.pt")), tmp.Join("run1/in"));
  EXPECT_EQ(NewFileStoreRootFor(tmp.Join("run1/model.pt")), tmp.Join("run1"));
}

TEST(FileStoreTest, ObjectsArePlainFilesWithChecksumXattr) {
  TempDir tmp;
  auto store = Open(tmp.path());
  ASSERT_TRUE(store->Put("x/y.txt", "hello").ok());
  EXPECT_EQ(ReadFileToString(tmp.Join("x/y.txt")).value(), "hello");
  char buf[100];
  ssize_t n = ::getxattr(tmp.Join("x/y.txt").c_str(), kFileChecksumXattr, buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), fmt::format("crc32c:{:08x}", Crc32c(0, "hello")));
  // Only the new attribute is written.
  EXPECT_LT(::getxattr(tmp.Join("x/y.txt").c_str(), kFileLegacySha256Xattr, buf, sizeof buf), 0);
  // Nothing is left in the temp directory after successful puts.
  EXPECT_TRUE(std::filesystem::is_empty(tmp.Join(".sl-tmp")));
}

TEST(FileStoreTest, FileWithoutRecordedChecksumIsDataLoss) {
  TempDir tmp;
  auto store = Open(tmp.path());
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("dropped-in"), "by hand").ok());
  auto got = store->Get("dropped-in");
  EXPECT_EQ(got.status().code(), Code::kDataLoss) << got.status();
  EXPECT_NE(got.status().message().find("dropped-in"), std::string::npos);
}

// A 64 MiB object (above the copy pipeline's 8 MiB chunk, so PutFile/GetToFile checksum on the
// second thread) with one byte flipped deep inside is detected by the crc32c check, by every read
// path, naming the key; the bad bytes never reach the caller's file.
TEST(FileStoreTest, FlippedByteInA64MiBObjectIsDataLoss) {
  TempDir tmp;
  auto store = Open(tmp.Join("root"));
  std::string data = RandomBytes(64 << 20, 21);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("src"), data).ok());
  ASSERT_TRUE(store->PutFile("big/weights", tmp.Join("src")).ok());
  auto info = store->Head("big/weights");
  ASSERT_TRUE(info.ok()) << info.status();
  std::string want = fmt::format("crc32c:{:08x}", Crc32c(0, data));
  EXPECT_EQ(info->checksum, want);
  ASSERT_TRUE(store->GetToFile("big/weights", tmp.Join("ok")).ok());
  EXPECT_TRUE(ReadFileToString(tmp.Join("ok")).value() == data);

  int fd = ::open(tmp.Join("root/big/weights").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  const off_t where = (40 << 20) + 12345;
  char c = static_cast<char>(data[static_cast<size_t>(where)] ^ 0x10);
  ASSERT_EQ(::pwrite(fd, &c, 1, where), 1);
  ::close(fd);

  auto got = store->Get("big/weights");
  ASSERT_EQ(got.status().code(), Code::kDataLoss) << got.status();
  EXPECT_NE(got.status().message().find("big/weights"), std::string::npos) << got.status();
  EXPECT_NE(got.status().message().find("recorded " + want), std::string::npos) << got.status();
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("out"), "previous").ok());
  Status g = store->GetToFile("big/weights", tmp.Join("out"));
  EXPECT_EQ(g.code(), Code::kDataLoss) << g;
  EXPECT_NE(g.message().find("big/weights"), std::string::npos) << g;
  EXPECT_EQ(ReadFileToString(tmp.Join("out")).value(), "previous");
  // Head reports what was recorded (it does not read the bytes).
  EXPECT_EQ(store->Head("big/weights")->checksum, want);
}

// Objects written before user.sl.checksum existed: bare hex SHA-256 in user.sl.sha256.
TEST(FileStoreTest, OldFormatSha256ObjectsAreReadAndVerified) {
  TempDir tmp;
  auto store = Open(tmp.Join("root"));
  std::string small = "written by an older straightline";
  std::string big = RandomBytes((9 << 20) + 5, 22);  // through the pipelined GetToFile
  for (auto& [key, data] : std::vector<std::pair<std::string, std::string>>{{"old/small", small}, {"old/big", big}}) {
    std::string path = tmp.Join("root/" + key);
    ASSERT_TRUE(MakeDirs(tmp.Join("root/old")).ok());
    ASSERT_TRUE(WriteFileAtomic(path, data).ok());
    std::string hex = Sha256Hex(data);
    ASSERT_EQ(::setxattr(path.c_str(), kFileLegacySha256Xattr, hex.data(), hex.size(), 0), 0);
    auto info = store->Head(key);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->checksum, "sha256:" + hex);
    EXPECT_EQ(info->sha256, hex);
    auto got = store->Get(key);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(*got == data);
    ASSERT_TRUE(store->GetToFile(key, tmp.Join("dst")).ok());
    EXPECT_TRUE(ReadFileToString(tmp.Join("dst")).value() == data);
  }
  // A damaged old object is still caught, against its SHA-256.
  int fd = ::open(tmp.Join("root/old/big").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char c = static_cast<char>(big[9 << 20] ^ 0x01);
  ASSERT_EQ(::pwrite(fd, &c, 1, 9 << 20), 1);
  ::close(fd);
  auto got = store->Get("old/big");
  ASSERT_EQ(got.status().code(), Code::kDataLoss) << got.status();
  EXPECT_NE(got.status().message().find("old/big"), std::string::npos) << got.status();
  EXPECT_NE(got.status().message().find("sha256:" + Sha256Hex(big)), std::string::npos) << got.status();
  EXPECT_EQ(store->GetToFile("old/big", tmp.Join("dst2")).code(), Code::kDataLoss);
  // Rewriting an old object records the new format.
  ASSERT_TRUE(store->Put("old/small", small).ok());
  EXPECT_EQ(store->Head("old/small")->checksum, ComputeChecksum(ChecksumAlgorithm::kCrc32c, small));
}

TEST(FileStoreTest, Sha256CanBeChosenAndEitherStoreReadsBoth) {
  TempDir tmp;
  StoreOptions o;
  o.file_checksum = "sha256";
  auto sha_store = Open(tmp.path(), o);
  auto crc_store = Open(tmp.path());
  std::string data = RandomBytes(10 << 20, 23);
  ASSERT_TRUE(WriteFileAtomic(tmp.Join("src"), data).ok());
  ASSERT_TRUE(sha_store->PutFile("s/file", tmp.Join("src")).ok());
  ASSERT_TRUE(sha_store->Put("s/mem", "small").ok());
  ASSERT_TRUE(crc_store->Put("c/mem", "small").ok());
  EXPECT_EQ(crc_store->Head("s/file")->checksum, "sha256:" + Sha256Hex(data));
  EXPECT_EQ(crc_store->Head("s/file")->sha256, Sha256Hex(data));
  EXPECT_EQ(crc_store->Head("s/mem")->checksum, "sha256:" + Sha256Hex("small"));
  EXPECT_EQ(sha_store->Head("c/mem")->checksum, ComputeChecksum(ChecksumAlgorithm::kCrc32c, "small"));
  EXPECT_TRUE(crc_store->Get("s/file").value() == data);
  EXPECT_EQ(sha_store->Get("c/mem").value(), "small");
  ASSERT_TRUE(crc_store->GetToFile("s/file", tmp.Join("dst")).ok());
  EXPECT_TRUE(ReadFileToString(tmp.Join("dst")).value() == data);

  o.file_checksum = "md5";
  auto bad = OpenObjectStore("file://" + tmp.path(), o);
  ASSERT_EQ(bad.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("'md5'"), std::string::npos) << bad.status();
  EXPECT_NE(bad.status().message().find("crc32c, sha256"), std::string::npos) << bad.status();
}

TEST(FileStoreTest, MalformedRecordedChecksumIsDataLossNamingTheKey) {
  TempDir tmp;
  auto store = Open(tmp.path());
  for (std::string bad : std::vector<std::string>{"crc32c:nothex!", "md5:d41d8cd98f00b204e9800998ecf8427e", "e3069283",
                                                  std::string(200, 'a')}) {
    ASSERT_TRUE(store->Put("m/obj", "data").ok());
    ASSERT_EQ(::setxattr(tmp.Join("m/obj").c_str(), kFileChecksumXattr, bad.data(), bad.size(), 0), 0);
    auto got = store->Get("m/obj");
    EXPECT_EQ(got.status().code(), Code::kDataLoss) << bad << ": " << got.status();
    EXPECT_NE(got.status().message().find("m/obj"), std::string::npos) << got.status();
    EXPECT_EQ(store->Head("m/obj").status().code(), Code::kDataLoss) << bad;
  }
}

TEST(FileStoreTest, SymlinksCannotLeadOutsideTheRoot) {
  TempDir tmp;
  std::string outside = tmp.Join("outside");
  ASSERT_TRUE(MakeDirs(outside).ok());
  ASSERT_TRUE(WriteFileAtomic(outside + "/secret", "do not read").ok());
  auto store = Open(tmp.Join("root"));
  ASSERT_EQ(::symlink(outside.c_str(), tmp.Join("root/evil").c_str()), 0);
  ASSERT_EQ(::symlink((outside + "/secret").c_str(), tmp.Join("root/link").c_str()), 0);

  Status put = store->Put("evil/planted", "x");
  EXPECT_EQ(put.code(), Code::kPermissionDenied) << put;
  EXPECT_NE(put.message().find("evil"), std::string::npos) << put;
  EXPECT_FALSE(PathExists(outside + "/planted"));
  EXPECT_EQ(store->Get("evil/secret").status().code(), Code::kPermissionDenied);
  EXPECT_EQ(store->Get("link").status().code(), Code::kPermissionDenied);
  EXPECT_EQ(store->Delete("evil/secret").code(), Code::kPermissionDenied);
  EXPECT_TRUE(PathExists(outside + "/secret"));
  // Overwriting the symlinked object replaces the link itself, never its target.
  ASSERT_TRUE(store->Put("link", "replaced").ok());
  EXPECT_EQ(ReadFileToString(outside + "/secret").value(), "do not read");
  // Links are not objects.
  auto all = store->List("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].key, "link");
}

TEST(FileStoreTest, AnObjectCannotAlsoBeAPrefix) {
  TempDir tmp;
  auto store = Open(tmp.path());
  ASSERT_TRUE(store->Put("a", "object").ok());
  Status s = store->Put("a/b", "x");
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s;
  ASSERT_TRUE(store->Put("d/e", "x").ok());
  Status t = store->Put("d", "x");
  EXPECT_EQ(t.code(), Code::kFailedPrecondition) << t;
  EXPECT_EQ(store->Get("d").status().code(), Code::kNotFound);
  EXPECT_EQ(store->Get("a/b").status().code(), Code::kNotFound);
}

TEST(FileStoreTest, DeletePrunesEmptyDirectoriesAndTempFilesAreNeverListed) {
  TempDir tmp;
  auto store = Open(tmp.path());
  ASSERT_TRUE(store->Put("p/q/r/s", "x").ok());
  ASSERT_TRUE(store->Put("p/keep", "x").ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.Join(".sl-tmp/123-0-abc"), "half-written by a dead writer").ok());
  ASSERT_TRUE(store->Delete("p/q/r/s").ok());
  EXPECT_FALSE(PathExists(tmp.Join("p/q")));
  EXPECT_TRUE(PathExists(tmp.Join("p/keep")));
  auto all = store->List("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].key, "p/keep");
}

// A writer process killed at a random point of Put leaves the old object or none, never a torn
// one: every read after the kill is a whole version (checked bytewise and by checksum).
TEST(FileStoreTest, KilledWriterLeavesOldObjectOrNothing) {
  TempDir tmp;
  std::string root = tmp.Join("root");
  auto store = Open(root);
  const std::string a = RandomBytes(8 << 20, 11), b = RandomBytes(8 << 20, 12);
  std::mt19937 rng(7);
  int saw_old = 0, saw_none = 0, saw_new = 0;
  for (int round = 0; round < 12; ++round) {
    std::string key = fmt::format("victim/{}", round % 3);
    auto before = store->Get(key);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto child_store = OpenObjectStore("file://" + root);
      if (!child_store.ok()) ::_exit(3);
      for (int i = 0;; ++i) {
        if (!(*child_store)->Put(key, i % 2 ? a : b).ok()) ::_exit(4);
      }
    }
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 40000));
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus)) << "writer exited with " << WEXITSTATUS(wstatus);
    auto after = store->Get(key);
    if (after.ok()) {
      ASSERT_TRUE(*after == a || *after == b) << "torn object after kill in round " << round;
      if (before.ok() && *before == *after) {
        ++saw_old;
      } else {
        ++saw_new;
      }
    } else {
      ASSERT_EQ(after.status().code(), Code::kNotFound) << after.status();
      ASSERT_FALSE(before.ok());
      ++saw_none;
    }
  }
  EXPECT_EQ(saw_old + saw_new + saw_none, 12);
  // Reopening sweeps only stale temps; the fresh leftovers of the killed writers stay invisible.
  auto reopened = Open(root);
  auto all = reopened->List("");
  ASSERT_TRUE(all.ok());
  EXPECT_LE(all->size(), 3u);
}

// Several processes overwrite one key at once: last writer wins, readers always see a whole
// version.
TEST(FileStoreTest, ConcurrentWriterProcessesLastWriterWins) {
  TempDir tmp;
  std::string root = tmp.Join("root");
  auto store = Open(root);
  constexpr int kProcs = 4;
  std::vector<std::string> versions;
  for (int p = 0; p < kProcs; ++p) versions.push_back(RandomBytes(1 << 20, 200 + p));
  std::vector<pid_t> pids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = OpenObjectStore("file://" + root);
      if (!s.ok()) ::_exit(3);
      for (int i = 0; i < 20; ++i) {
        if (!(*s)->Put("contended", versions[p]).ok()) ::_exit(4);
      }
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  int reads = 0;
  for (int i = 0; i < 200; ++i) {
    auto got = store->Get("contended");
    if (got.status().code() == Code::kNotFound) continue;
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_NE(std::find(versions.begin(), versions.end(), *got), versions.end());
    ++reads;
  }
  for (pid_t pid : pids) {
    int ws = 0;
    ASSERT_EQ(::waitpid(pid, &ws, 0), pid);
    ASSERT_TRUE(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
  }
  auto final_obj = store->Get("contended");
  ASSERT_TRUE(final_obj.ok()) << final_obj.status();
  EXPECT_NE(std::find(versions.begin(), versions.end(), *final_obj), versions.end());
  EXPECT_TRUE(std::filesystem::is_empty(root + "/.sl-tmp"));
}

TEST(FileStoreTest, HundredThousandKeysListAndPaginate) {
  TempDir tmp;
  auto store = Open(tmp.path());
  constexpr int kKeys = 100'000;
  auto t0 = Clock::Real()->Now();
  for (int i = 0; i < kKeys; ++i) {
    // Two levels, like shards of rounds: "r/07/0012345".
    Status s = store->Put(fmt::format("r/{:02}/{:07}", i % 10, i), "");
    ASSERT_TRUE(s.ok()) << s;
  }
  auto t1 = Clock::Real()->Now();
  auto all = store->List("r/");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), static_cast<size_t>(kKeys));
  for (size_t i = 1; i < all->size(); ++i) ASSERT_LT((*all)[i - 1].key, (*all)[i].key);
  EXPECT_EQ(all->front().key, "r/00/0000000");
  EXPECT_EQ(all->back().key, "r/09/0099999");
  // Pages resume exactly after the token, also across directory boundaries.
  ListOptions opts{.prefix = "r/", .page_token = "r/03/0099993", .max_keys = 5000};
  auto page = store->ListPage(opts);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 5000u);
  EXPECT_EQ(page->objects.front().key, "r/04/0000004");
  EXPECT_FALSE(page->next_page_token.empty());
  opts.page_token = "r/09/0099989";
  auto last = store->ListPage(opts);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->objects.size(), 1u);
  EXPECT_TRUE(last->next_page_token.empty());
  auto t2 = Clock::Real()->Now();
  std::printf("100k puts: %.2f s, list+pages: %.2f s\n", std::chrono::duration<double>(t1 - t0).count(),
              std::chrono::duration<double>(t2 - t1).count());
}

}  // namespace
}  // namespace sl::store
