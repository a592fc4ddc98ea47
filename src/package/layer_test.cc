#include "package/layer.h"

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/sha256.h"
#include "package/library_closure.h"
#include "package/oci_image.h"

namespace sl::package {
namespace {

TEST(LayerTree, AddsParentsAndSortsParentsFirst) {
  LayerTree t;
  ASSERT_TRUE(t.AddContents("/usr/local/bin/x", "x", 0755).ok());
  ASSERT_TRUE(t.AddSymlink("lib", "usr/lib").ok());
  ASSERT_TRUE(t.AddContents("usr-x", "y").ok());
  std::vector<std::string> paths;
  for (const auto& [p, e] : t.entries()) paths.push_back(p);
  EXPECT_EQ(paths, (std::vector<std::string>{"lib", "usr", "usr-x", "usr/local", "usr/local/bin",
                                             "usr/local/bin/x"}));
}

TEST(LayerTree, FileUnderAFileIsAnErrorNamingIt) {
  LayerTree t;
  ASSERT_TRUE(t.AddContents("etc/passwd", "x").ok());
  Status s = t.AddContents("etc/passwd/y", "x");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("/etc/passwd"), std::string::npos) << s.message();
}

TEST(WriteLayer, DigestsNameTheBlobAndAreReproducible) {
  TempDir dir("sl-layer-test");
  LayerTree t;
  ASSERT_TRUE(t.AddContents("etc/group", "root:x:0:\n").ok());
  ASSERT_TRUE(t.AddDirectory("tmp", 01777).ok());
  for (Compression c : {Compression::kNone, Compression::kGzip}) {
    LayerWriteOptions o;
    o.compression = c;
    auto a = WriteLayer(t, dir.path(), o);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    auto b = WriteLayer(t, dir.path(), o);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(a->digest, b->digest);
    EXPECT_EQ(a->diff_id, b->diff_id);
    EXPECT_EQ(a->digest, "sha256:" + Sha256File(a->path).value_or(""));
    if (c == Compression::kNone) {
      EXPECT_EQ(a->digest, a->diff_id);
      EXPECT_EQ(a->media_type, "application/vnd.oci.image.layer.v1.tar");
    } else {
      EXPECT_NE(a->digest, a->diff_id);
      EXPECT_EQ(a->media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
    }
  }
}

TEST(OciImage, ConfigHasTheRuntimeSettingsAndDiffIds) {
  ImageConfig c;
  c.entrypoint = {"/usr/local/bin/straightline", "serve"};
  c.cmd = {"--host", "0.0.0.0"};
  c.env = {"PORT=8080"};
  c.user = "65532:65532";
  c.exposed_ports = {"8080/tcp"};
  c.labels = {{"a", "b"}};
  LayerBlob l;
  l.diff_id = "sha256:00";
  auto j = nlohmann::json::parse(ConfigJson(c, {l}));
  EXPECT_EQ(j["config"]["User"], "65532:65532");
  EXPECT_EQ(j["config"]["Entrypoint"][1], "serve");
  EXPECT_TRUE(j["config"]["ExposedPorts"].contains("8080/tcp"));
  EXPECT_EQ(j["rootfs"]["diff_ids"][0], "sha256:00");
  EXPECT_EQ(j["created"], "1970-01-01T00:00:00Z");
  EXPECT_EQ(ConfigJson(c, {l}), ConfigJson(c, {l}));
}

TEST(LibraryClosure, FindsLibcAndTheLoaderOfTrue) {
  auto libs = SharedLibraries("/bin/true");
  ASSERT_TRUE(libs.ok()) << libs.status().ToString();
  bool libc = false, loader = false;
  for (const auto& l : *libs) {
    libc |= l.find("libc.so.6") != std::string::npos;
    loader |= l.find("ld-linux") != std::string::npos;
  }
  EXPECT_TRUE(libc && loader);
  auto origins = DebianOrigins(*libs);
  ASSERT_TRUE(origins.ok()) << origins.status().ToString();
  for (const auto& [path, o] : *origins) {
    if (path.find("libc.so.6") != std::string::npos) {
      EXPECT_EQ(o.package.substr(0, 5), "libc6") << path;
      EXPECT_FALSE(o.version.empty());
    }
  }
  EXPECT_EQ(SharedLibraries("/nonexistent/bin").status().code(), Code::kNotFound);
}

TEST(LibraryClosure, HostPathKeepsEverySymlinkOnTheWay) {
  TempDir dir("sl-closure-test");
  ASSERT_TRUE(MakeDirs(dir.Join("real/lib")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir.Join("real/lib/libx.so.1.2"), "elf").ok());
  ASSERT_EQ(::symlink("libx.so.1.2", dir.Join("real/lib/libx.so.1").c_str()), 0);
  ASSERT_EQ(::symlink("real/lib", dir.Join("lib").c_str()), 0);
  LayerTree t;
  auto file = AddHostPath(dir.Join("lib/libx.so.1"), &t);
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(*file, dir.Join("real/lib/libx.so.1.2"));
  const std::string base = LayerTree::Normalize(dir.path());
  ASSERT_TRUE(t.Contains(base + "/lib"));
  EXPECT_EQ(t.entries().at(base + "/lib").kind, LayerEntry::Kind::kSymlink);
  EXPECT_EQ(t.entries().at(base + "/lib").target, "real/lib");
  EXPECT_EQ(t.entries().at(base + "/real/lib/libx.so.1").target, "libx.so.1.2");
  EXPECT_EQ(t.entries().at(base + "/real/lib/libx.so.1.2").kind, LayerEntry::Kind::kFile);
}

}  // namespace
}  // namespace sl::package
