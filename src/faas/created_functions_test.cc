#include "faas/created_functions.h"

#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "common/file_util.h"

namespace sl::faas {
namespace {

class CreatedFunctionsTest : public ::testing::Test {
 protected:
  std::string Path() const { return (dir_ / "control" / "functions.json").string(); }
  TempDir tmp_{"sl-created-fns"};
  std::filesystem::path dir_{tmp_.path()};
};

FunctionSpec Spec(const std::string& name, const std::string& handler) {
  FunctionSpec s;
  s.name = name;
  s.handler = handler;
  s.memory_mb = 1769;
  s.timeout_s = 120;
  s.environment["STRAIGHTLINE_STORE_SECRET_ACCESS_KEY"] = "s3cr3t";
  return s;
}

TEST_F(CreatedFunctionsTest, ARestartedServerFindsWhatWasCreatedAndNotWhatWasRemoved) {
  {
    CreatedFunctionsFile file(Path());
    ASSERT_TRUE(file.Load().ok());
    ASSERT_TRUE(file.Add(Spec("sl-train-1", "train-shard")).ok());
    ASSERT_TRUE(file.Add(Spec("sl-preprocess-1", "train-preprocess")).ok());
    ASSERT_TRUE(file.Remove("sl-preprocess-1").ok());
  }
  CreatedFunctionsFile again(Path());
  auto specs = again.Load();
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  ASSERT_EQ(specs->size(), 1u);
  EXPECT_EQ((*specs)[0].name, "sl-train-1");
  EXPECT_EQ((*specs)[0].handler, "train-shard");
  EXPECT_EQ((*specs)[0].kind, HandlerKind::kBuiltin);
  EXPECT_EQ((*specs)[0].memory_mb, 1769);
  EXPECT_EQ((*specs)[0].timeout_s, 120);
  EXPECT_EQ((*specs)[0].environment.at("STRAIGHTLINE_STORE_SECRET_ACCESS_KEY"), "s3cr3t");
}

TEST_F(CreatedFunctionsTest, TheFileAndItsFolderArePrivate) {
  CreatedFunctionsFile file(Path());
  ASSERT_TRUE(file.Load().ok());
  ASSERT_TRUE(file.Add(Spec("f", "echo")).ok());
  struct stat st {};
  ASSERT_EQ(::stat(Path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((dir_ / "control").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(CreatedFunctionsTest, AMissingFileIsEmptyAndAMalformedOneIsNamed) {
  CreatedFunctionsFile missing(Path());
  auto none = missing.Load();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  std::filesystem::create_directories(dir_ / "control");
  ASSERT_TRUE(WriteFileAtomic(Path(), R"({"functions": [{"name": "f"}]})").ok());
  CreatedFunctionsFile bad(Path());
  auto r = bad.Load();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_NE(r.status().message().find("functions[0]"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(Path()), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace sl::faas
