#include "package/tar_writer.h"

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "package/byte_sink.h"
#include "package/subprocess.h"

namespace sl::package {
namespace {

unsigned Checksum(std::string h) {
  std::fill(h.begin() + 148, h.begin() + 156, ' ');
  unsigned sum = 0;
  for (unsigned char c : h) sum += c;
  return sum;
}

TEST(TarWriter, UstarHeaderIsByteExact) {
  std::string h = TarWriter::UstarHeader("usr/bin/x", {}, 0755, 1234, 0, '0', {});
  ASSERT_EQ(h.size(), 512u);
  EXPECT_EQ(h.substr(0, 10), std::string("usr/bin/x\0", 10));
  EXPECT_EQ(h.substr(100, 8), std::string("0000755\0", 8));
  EXPECT_EQ(h.substr(108, 8), std::string("0000000\0", 8));  // uid 0
  EXPECT_EQ(h.substr(116, 8), std::string("0000000\0", 8));  // gid 0
  EXPECT_EQ(h.substr(124, 12), std::string("00000002322\0", 12));  // 1234 octal
  EXPECT_EQ(h.substr(136, 12), std::string("00000000000\0", 12));  // mtime 0
  EXPECT_EQ(h[156], '0');
  EXPECT_EQ(h.substr(257, 8), std::string("ustar\0" "00", 8));
  EXPECT_EQ(h.substr(265, 64), std::string(64, '\0'));  // no user/group names
  EXPECT_EQ(h.substr(148, 8), fmt::format("{:06o}", Checksum(h)) + std::string("\0 ", 2));
}

TEST(TarWriter, PaxRecordLengthCountsItself) {
  EXPECT_EQ(TarWriter::PaxRecord("path", "a"), "9 path=a\n");
  EXPECT_EQ(TarWriter::PaxRecord("path", std::string(90, 'x')).substr(0, 3), "99 ");
  // " path=" + 91 + "\n" is 98 bytes: 2 digits would make 100, which needs 3 digits: 101.
  std::string r = TarWriter::PaxRecord("path", std::string(91, 'x'));
  EXPECT_EQ(r.size(), 101u);
  EXPECT_EQ(r.substr(0, 4), "101 ");
}

TEST(TarWriter, ArchiveIsDeterministicAndBlockAligned) {
  auto make = [] {
    StringSink s;
    TarWriter t(&s, 42);
    EXPECT_TRUE(t.AddDirectory("etc").ok());
    EXPECT_TRUE(t.AddFile("etc/passwd", "root:x:0:0::/:/sbin/nologin\n").ok());
    EXPECT_TRUE(t.AddSymlink("lib", "usr/lib").ok());
    EXPECT_TRUE(t.Finish().ok());
    return s.contents();
  };
  std::string a = make(), b = make();
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.size() % 512, 0u);
  // header, dir, file header + 1 data block, symlink, 2 end blocks
  EXPECT_EQ(a.size(), 512u * 6);
  EXPECT_EQ(a.substr(0, 4), std::string("etc/", 4));
  EXPECT_EQ(a.substr(512 * 3 + 157, 7), "usr/lib");
}

TEST(TarWriter, RejectsAbsolutePaths) {
  StringSink s;
  TarWriter t(&s, 0);
  Status st = t.AddFile("/etc/passwd", "x");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("/etc/passwd"), std::string::npos);
}

TEST(TarWriter, MissingSourceFileIsNamed) {
  StringSink s;
  TarWriter t(&s, 0);
  Status st = t.AddFileFrom("x", "/nonexistent/sl-file", 0644);
  EXPECT_EQ(st.code(), Code::kNotFound);
  EXPECT_NE(st.message().find("/nonexistent/sl-file"), std::string::npos);
}

// GNU tar reads what we write, long names (ustar prefix split and pax) included.
TEST(TarWriter, GnuTarExtractsLongNamesAndLinks) {
  TempDir dir("sl-tar-test");
  const std::string split = std::string(120, 'a') + "/" + std::string(90, 'b');   // prefix+name
  const std::string pax = std::string(200, 'c') + "/" + std::string(120, 'd');    // pax path
  const std::string long_link(150, 'e');
  {
    auto f = FileSink::Create(dir.Join("t.tar"));
    ASSERT_TRUE(f.ok());
    TarWriter t(f->get(), 1700000000);
    ASSERT_TRUE(t.AddDirectory(std::string(120, 'a')).ok());
    ASSERT_TRUE(t.AddFile(split, "split").ok());
    ASSERT_TRUE(t.AddDirectory(std::string(200, 'c')).ok());
    ASSERT_TRUE(t.AddFile(pax, "pax", 0600).ok());
    ASSERT_TRUE(t.AddSymlink("link", long_link).ok());
    ASSERT_TRUE(t.Finish().ok());
  }
  ASSERT_TRUE(MakeDirs(dir.Join("x")).ok());
  auto r = RunProcess({"tar", "-xf", dir.Join("t.tar"), "-C", dir.Join("x")});
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->exit_code, 0) << r->err;
  EXPECT_EQ(ReadFileToString(dir.Join("x/" + split)).value_or(""), "split");
  EXPECT_EQ(ReadFileToString(dir.Join("x/" + pax)).value_or(""), "pax");
  ::setenv("TZ", "UTC", 1);
  auto list = RunProcess({"tar", "--numeric-owner", "--full-time", "-tvf", dir.Join("t.tar")});
  ASSERT_TRUE(list.ok());
  EXPECT_NE(list->out.find("0/0"), std::string::npos) << list->out;
  EXPECT_NE(list->out.find("2023-11-14 22:13:20"), std::string::npos) << list->out;
  EXPECT_NE(list->out.find("link -> " + long_link), std::string::npos) << list->out;
  EXPECT_NE(list->out.find("-rw-------"), std::string::npos) << list->out;
}

TEST(GzipSink, SameInputSameBytesAndGunzipReadsIt) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += std::to_string(i * 7919 % 1000);
  auto gz = [&](int level) {
    StringSink s;
    auto g = GzipSink::Create(&s, level);
    EXPECT_TRUE(g.ok());
    EXPECT_TRUE((*g)->Write(data).ok());
    EXPECT_TRUE((*g)->Finish().ok());
    return s.contents();
  };
  std::string a = gz(1);
  EXPECT_EQ(a, gz(1));
  EXPECT_NE(a, gz(9));
  ASSERT_GE(a.size(), 10u);
  EXPECT_EQ(a.substr(0, 3), "\x1f\x8b\x08");
  EXPECT_EQ(a.substr(4, 4), std::string(4, '\0'));  // mtime 0
  TempDir dir("sl-gz-test");
  ASSERT_TRUE(WriteFileAtomic(dir.Join("d.gz"), a).ok());
  auto r = RunProcess({"gzip", "-t", dir.Join("d.gz")});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->err;
  EXPECT_EQ(GzipSink::Create(nullptr, 0).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sl::package
