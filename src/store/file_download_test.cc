#include "store/file_download.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "common/file_util.h"

namespace sl::store {
namespace {

size_t FilesIn(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(FileDownload, OnlyTheLastAttemptsBytesAppearAndOnlyOnCommit) {
  TempDir dir("file-download");
  const std::string path = dir.Join("obj");
  {
    auto d = FileDownload::Create(path, "s3://b: key 'k'");
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    ASSERT_TRUE(d->Restart().ok());
    ASSERT_TRUE(d->Append("half of a fir").ok());  // an attempt that broke off
    ASSERT_TRUE(d->Restart().ok());
    ASSERT_TRUE(d->Append("whole ").ok());
    ASSERT_TRUE(d->Append("object").ok());
    EXPECT_FALSE(PathExists(path));  // nothing at the path before Commit
    EXPECT_EQ(FilesIn(dir.path()), 1u);
    ASSERT_TRUE(d->Commit().ok());
  }
  auto text = ReadFileToString(path);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "whole object");
  EXPECT_EQ(FilesIn(dir.path()), 1u);  // no temporary left
}

TEST(FileDownload, AnUncommittedDownloadLeavesNothingAndTheOldFileStays) {
  TempDir dir("file-download");
  const std::string path = dir.Join("obj");
  ASSERT_TRUE(WriteFileAtomic(path, "old").ok());
  {
    auto d = FileDownload::Create(path, "az://a/c: key 'k'");
    ASSERT_TRUE(d.ok());
    ASSERT_TRUE(d->Append("new but failed").ok());
  }
  EXPECT_EQ(*ReadFileToString(path), "old");
  EXPECT_EQ(FilesIn(dir.path()), 1u);
}

TEST(FileDownload, ErrorsNameWhatAndTheFile) {
  auto d = FileDownload::Create("/nonexistent-dir-sl/obj", "s3://b: key 'k'");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("s3://b: key 'k'"), std::string::npos) << d.status().ToString();
  EXPECT_NE(d.status().message().find("/nonexistent-dir-sl/.obj.sl-get-"), std::string::npos)
      << d.status().ToString();
}

}  // namespace
}  // namespace sl::store
