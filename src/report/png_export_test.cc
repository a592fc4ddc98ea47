#include "report/png_export.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "common/scoped_env.h"
#include "report/svg_chart.h"

namespace sl::report {
namespace {

std::string TempDir() {
  std::string t = (std::filesystem::temp_directory_path() / "sl-png-test-XXXXXX").string();
  return ::mkdtemp(t.data()) ? t : "";
}

Figure SmallFigure() {
  BarChartSpec spec;
  spec.title = "t";
  spec.categories = {"a", "b"};
  spec.series = {{"s", {1, 2}}};
  return {"small", "Training", "t", "measured; emulated", BarChartSvg(spec)};
}

TEST(PngExportTest, MissingChromiumIsAFailedPreconditionNamingWhatWasLookedFor) {
  const std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  {
    ScopedEnv env("STRAIGHTLINE_CHROMIUM", dir + "/no-such-browser");
    EXPECT_EQ(FindChromium(), "");
    auto r = WriteFigurePngs({SmallFigure()}, dir + "/png");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
    EXPECT_NE(r.status().message().find("no Chromium found"), std::string::npos) << r.status().ToString();
  }
  PngOptions o;
  o.chromium = dir + "/not-there";
  auto r = WriteFigurePngs({SmallFigure()}, dir + "/png", o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(dir + "/not-there"), std::string::npos) << r.status().ToString();
  std::filesystem::remove_all(dir);
}

TEST(PngExportTest, ABrowserThatWritesNothingIsAnErrorNamingTheFigure) {
  const std::string dir = TempDir();
  ASSERT_FALSE(dir.empty());
  PngOptions o;
  o.chromium = "/bin/true";  // exits 0 without a screenshot
  auto r = WriteFigurePngs({SmallFigure()}, dir + "/png", o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInternal);
  EXPECT_NE(r.status().message().find("figure small"), std::string::npos) << r.status().ToString();
  // The scratch folder is gone, failure or not.
  for (const auto& e : std::filesystem::directory_iterator(dir + "/png")) ADD_FAILURE() << "left behind: " << e.path();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sl::report
