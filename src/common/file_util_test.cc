#include "common/file_util.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

#include <gtest/gtest.h>

#include "common/sha256.h"

namespace sl {
namespace {

TEST(FileUtilTest, AtomicWriteThenRead) {
  TempDir dir;
  std::string p = dir.Join("a.txt");
  ASSERT_TRUE(WriteFileAtomic(p, "hello").ok());
  ASSERT_TRUE(WriteFileAtomic(p, "world!").ok());
  EXPECT_EQ(*ReadFileToString(p), "world!");
  // No temporary files are left behind.
  int entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(FileUtilTest, ReadMissingFileNamesPathAndCode) {
  Result<std::string> r = ReadFileToString("/nonexistent/dir/file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(), "/nonexistent/dir/file: No such file or directory");
}

TEST(FileUtilTest, WriterKilledMidwayLeavesOldContents) {
  TempDir dir;
  std::string p = dir.Join("model.bin");
  ASSERT_TRUE(WriteFileAtomic(p, "old").ok());
  std::string big(64 << 20, 'x');
  pid_t pid = fork();
  if (pid == 0) {
    // Child: starts a large write and is killed by the parent while writing.
    (void)WriteFileAtomic(p, big);
    _exit(0);
  }
  usleep(2000);
  kill(pid, SIGKILL);
  int st = 0;
  waitpid(pid, &st, 0);
  std::string now = *ReadFileToString(p);
  EXPECT_TRUE(now == "old" || now == big) << "torn file of " << now.size() << " bytes";
}

TEST(FileUtilTest, Sha256KnownVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.Join("f"), "abc").ok());
  EXPECT_EQ(*Sha256File(dir.Join("f")), Sha256Hex("abc"));
}

TEST(FileUtilTest, HumanUnits) {
  EXPECT_EQ(HumanBytes(12), "12 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(64ull << 20), "64.0 MiB");
  EXPECT_EQ(HumanSeconds(0.0123), "12.3 ms");
  EXPECT_EQ(HumanSeconds(185), "3m05s");
}

}  // namespace
}  // namespace sl
