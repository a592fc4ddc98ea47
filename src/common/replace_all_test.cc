#include "common/replace_all.h"

#include <gtest/gtest.h>

namespace sl {
namespace {

TEST(ReplaceAllTest, ReplacesEveryOccurrenceOnce) {
  EXPECT_EQ(ReplaceAll("--port {port} --url http://h:{port}/", "{port}", "8080"),
            "--port 8080 --url http://h:8080/");
  EXPECT_EQ(ReplaceAll("{x}", "{x}", "{x}{x}"), "{x}{x}");  // inserted text is not re-read
  EXPECT_EQ(ReplaceAll("none here", "{port}", "1"), "none here");
  EXPECT_EQ(ReplaceAll("abc", "", "z"), "abc");
}

}  // namespace
}  // namespace sl
