#include "ml/data/image_folder.h"

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "ml/data/registry.h"
#include "ml/data/test_fixtures.h"
#include "ml/image/jpeg_codec.h"

namespace sl::ml::data {
namespace {

using testing::WriteBytes;

// A flat gray JPEG of h x w at `value`.
std::string Jpeg(int64_t h, int64_t w, uint8_t value, int64_t channels = 1) {
  image::Pixels8 p{channels, h, w, std::vector<uint8_t>(static_cast<size_t>(channels * h * w), value)};
  Result<std::string> j = image::EncodeJpeg(p, 95);
  EXPECT_TRUE(j.ok());
  return *j;
}

// classes b (2 images, value 200) and a (3 images, value 20), files of mixed sizes, plus noise.
void WriteTree(const std::string& root) {
  WriteBytes(root + "/b/x1.JPG", Jpeg(30, 20, 200));
  WriteBytes(root + "/b/x0.jpeg", Jpeg(8, 8, 200, 3));
  WriteBytes(root + "/a/2.jpg", Jpeg(16, 16, 20));
  WriteBytes(root + "/a/1.jpg", Jpeg(64, 48, 20));
  WriteBytes(root + "/a/0.jpg", Jpeg(5, 7, 20));
  WriteBytes(root + "/a/notes.txt", "not an image");
  WriteBytes(root + "/a/.hidden.jpg", "not read");
  WriteBytes(root + "/README", "top-level files are not classes");
  WriteBytes(root + "/.cache/z.jpg", Jpeg(4, 4, 0));
}

TEST(ImageFolder, ClassesAreSortedSubfoldersAndImagesAreResized) {
  TempDir tmp("image-folder");
  WriteTree(tmp.path());
  Result<ImageFolder> r = LoadImageFolder(tmp.path(), {.channels = 1, .height = 6, .width = 4});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Dataset& d = r->data;
  EXPECT_EQ(d.class_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.labels, (std::vector<int64_t>{0, 0, 0, 1, 1}));
  EXPECT_EQ(r->files, (std::vector<std::string>{"a/0.jpg", "a/1.jpg", "a/2.jpg", "b/x0.jpeg", "b/x1.JPG"}));
  EXPECT_EQ(d.sample_shape, (std::vector<int64_t>{1, 6, 4}));
  ASSERT_EQ(d.features.size(), 5u * 24);
  for (int i = 0; i < 5; ++i) {
    const float want = (i < 3 ? 20 : 200) / 255.0f;
    for (int k = 0; k < 24; ++k) EXPECT_NEAR(d.features[i * 24 + k], want, 3 / 255.0f) << i;
  }
}

TEST(ImageFolder, ErrorsNameTheFolderAndFile) {
  TempDir tmp("image-folder-bad");
  EXPECT_EQ(LoadImageFolder(tmp.path() + "/missing", {}).status().code(), Code::kNotFound);
  Result<ImageFolder> none = LoadImageFolder(tmp.path(), {});
  EXPECT_NE(none.status().message().find("no class subfolders"), std::string::npos);
  WriteBytes(tmp.path() + "/cat/a.jpg", Jpeg(8, 8, 1));
  WriteBytes(tmp.path() + "/dog/readme.md", "x");
  Result<ImageFolder> empty = LoadImageFolder(tmp.path(), {});
  EXPECT_NE(empty.status().message().find("class 'dog'"), std::string::npos) << empty.status().message();
  const std::string good = Jpeg(8, 8, 1);
  WriteBytes(tmp.path() + "/dog/b.jpg", good.substr(0, good.size() - 20));
  Result<ImageFolder> truncated = LoadImageFolder(tmp.path(), {.channels = 1, .height = 4, .width = 4});
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("dog/b.jpg: JPEG: "), std::string::npos)
      << truncated.status().message();
  WriteBytes(tmp.path() + "/dog/b.jpg", good);
  Result<ImageFolder> big = LoadImageFolder(tmp.path(), {.max_feature_bytes = 1000});
  EXPECT_NE(big.status().message().find("over the limit"), std::string::npos) << big.status().message();
}

TEST(ImageFolder, RegistryLoadsItWithAHashedTestSplitOrTrainTestFolders) {
  TempDir tmp("image-folder-registry");
  for (int c = 0; c < 2; ++c) {
    for (int i = 0; i < 20; ++i) {
      WriteBytes(fmt::format("{}/flat/class{}/{:02}.jpg", tmp.path(), c, i), Jpeg(10, 10, c ? 220 : 30));
    }
  }
  DatasetOptions o;
  o.name = "imagefolder";
  o.path = tmp.path() + "/flat";
  o.image_channels = 3;
  o.image_height = 8;
  o.image_width = 8;
  o.test_fraction = 0.25;
  o.validation_fraction = 0.2;
  Result<DatasetSplits> s = LoadDataset(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->test.size(), 10);
  EXPECT_EQ(s->train.size() + s->validation.size(), 30);
  EXPECT_EQ(s->train.sample_shape, (std::vector<int64_t>{3, 8, 8}));
  EXPECT_TRUE(s->normalization.has_value());
  // The same files under train/ and test/: the official split.
  for (int c = 0; c < 2; ++c) {
    for (int i = 0; i < 3; ++i) {
      WriteBytes(fmt::format("{}/split/train/k{}/{}.jpg", tmp.path(), c, i), Jpeg(10, 10, 1));
      WriteBytes(fmt::format("{}/split/test/k{}/{}.jpg", tmp.path(), c, i), Jpeg(10, 10, 1));
    }
  }
  o.path = tmp.path() + "/split";
  o.validation_fraction = 0;
  Result<DatasetSplits> t = LoadDataset(o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->test.size(), 6);
  EXPECT_EQ(t->train.size(), 6);
  o.path.clear();
  EXPECT_NE(LoadDataset(o).status().message().find("--data-dir"), std::string::npos);
}

}  // namespace
}  // namespace sl::ml::data
