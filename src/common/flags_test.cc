#include "common/flags.h"

#include <gtest/gtest.h>

namespace sl {
namespace {

TEST(FlagsTest, ParsesAllKindsAndForms) {
  FlagSet f("straightline test", "A test.");
  std::string name = "x";
  int64_t n = 1;
  double lr = 0.1;
  bool json = false, progress = true;
  std::vector<std::string> tags;
  std::string model;
  f.String("name", &name, "a name");
  f.Int("epochs", &n, "epochs");
  f.Double("lr", &lr, "learning rate");
  f.Bool("json", &json, "json output");
  f.Bool("progress", &progress, "progress");
  f.List("tag", &tags, "tags");
  f.Positional("MODEL", &model, "model dir");
  ASSERT_TRUE(f.Parse({"--name=abc", "--epochs", "3", "--lr", "0.5", "--json", "--no-progress",
                       "--tag", "a", "--tag=b", "models/m"})
                  .ok());
  EXPECT_EQ(name, "abc");
  EXPECT_EQ(n, 3);
  EXPECT_DOUBLE_EQ(lr, 0.5);
  EXPECT_TRUE(json);
  EXPECT_FALSE(progress);
  EXPECT_EQ(tags, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(model, "models/m");
  EXPECT_TRUE(f.IsSet("epochs"));
  EXPECT_FALSE(f.help_requested());
}

TEST(FlagsTest, ErrorsNameTheFlag) {
  FlagSet f("straightline train", "Train.");
  int64_t n = 1;
  f.Int("epochs", &n, "epochs");
  Status s = f.Parse({"--epochs", "three"});
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "--epochs: 'three' is not an integer");
  FlagSet g("straightline train", "Train.");
  g.Int("epochs", &n, "epochs");
  EXPECT_EQ(g.Parse({"--epoch", "3"}).message(), "straightline train: unknown flag --epoch (see --help)");
  FlagSet h("straightline train", "Train.");
  h.Int("epochs", &n, "epochs");
  EXPECT_EQ(h.Parse({"--epochs"}).message(), "--epochs: missing value");
}

TEST(FlagsTest, MissingPositionalAndHelp) {
  FlagSet f("straightline eval", "Evaluate a model.");
  std::string model;
  f.Positional("MODEL", &model, "model dir");
  EXPECT_EQ(f.Parse({}).message(), "straightline eval: missing argument MODEL (see --help)");
  FlagSet g("straightline eval", "Evaluate a model.");
  g.Positional("MODEL", &model, "model dir");
  ASSERT_TRUE(g.Parse({"--help"}).ok());
  EXPECT_TRUE(g.help_requested());
  EXPECT_NE(g.Help().find("usage: straightline eval MODEL"), std::string::npos);
}

}  // namespace
}  // namespace sl

namespace sl {
namespace {

TEST(FlagsTest, SplitCommaListFlattensCommaSeparatedAndRepeatedValues) {
  EXPECT_EQ(SplitCommaList({"a,b", "c", ",d,,"}), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_TRUE(SplitCommaList({}).empty());
}

}  // namespace
}  // namespace sl
