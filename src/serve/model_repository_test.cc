#include "serve/model_repository.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "serve/serve_test_util.h"

namespace sl::serve {
namespace {

TEST(ModelRepositoryTest, LoadsModelDirsByFolderNameOrGivenName) {
  TempDir tmp("serve-repo");
  testing::WriteTinyModel(tmp.Join("tiny"));
  testing::WriteTinyModel(tmp.Join("other"));
  auto repo = ModelRepository::Load({tmp.Join("tiny") + "/", "renamed=" + tmp.Join("other")}, "");
  ASSERT_TRUE(repo.ok()) << repo.status().ToString();
  EXPECT_EQ((*repo)->Names(), (std::vector<std::string>{"renamed", "tiny"}));
  auto m = (*repo)->Find("tiny");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->input.shape, (std::vector<int64_t>{1, 4, 4}));
  EXPECT_EQ(m->num_classes, 3);
  EXPECT_EQ(m->metadata["name"], "tiny");
  EXPECT_EQ(m->metadata["inputs"][0]["datatype"], "FP32");
  EXPECT_EQ(m->metadata["inputs"][0]["shape"], nlohmann::json({-1, 1, 4, 4}));
  EXPECT_EQ(m->metadata["outputs"][0]["shape"], nlohmann::json({-1, 3}));
  EXPECT_EQ((*repo)->Find("nope"), nullptr);
}

TEST(ModelRepositoryTest, LoadsEveryModelFolderOfARepository) {
  TempDir tmp("serve-repo");
  testing::WriteTinyModel(tmp.Join("repo/a"));
  testing::WriteTinyModel(tmp.Join("repo/b"));
  std::filesystem::create_directories(tmp.Join("repo/not-a-model"));
  auto repo = ModelRepository::Load({}, tmp.Join("repo"));
  ASSERT_TRUE(repo.ok()) << repo.status().ToString();
  EXPECT_EQ((*repo)->Names(), (std::vector<std::string>{"a", "b"}));
}

TEST(ModelRepositoryTest, ErrorsNameTheModelAndTheProblem) {
  TempDir tmp("serve-repo");
  testing::WriteTinyModel(tmp.Join("x"));
  auto dup = ModelRepository::Load({tmp.Join("x"), "x=" + tmp.Join("x")}, "");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.status().code(), Code::kInvalidArgument);
  EXPECT_NE(dup.status().message().find("two models are named 'x'"), std::string::npos);

  auto missing = ModelRepository::Load({tmp.Join("missing")}, "");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("model 'missing'"), std::string::npos)
      << missing.status().ToString();

  std::filesystem::create_directories(tmp.Join("empty"));
  auto empty = ModelRepository::Load({}, tmp.Join("empty"));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), Code::kNotFound);

  ASSERT_TRUE(WriteFileAtomic(tmp.Join("x/manifest.json"), "{not json").ok());
  auto bad = ModelRepository::Load({tmp.Join("x")}, "");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("model 'x'"), std::string::npos);
  EXPECT_NE(bad.status().message().find("manifest.json"), std::string::npos)
      << bad.status().ToString();

  auto none = ModelRepository::Load({}, "");
  EXPECT_EQ(none.status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sl::serve
