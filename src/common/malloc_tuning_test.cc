#include "common/malloc_tuning.h"

#include <gtest/gtest.h>

namespace sl {
namespace {

TEST(GlibcTunablesWithHugePages, AddsTheTunableToAnEmptyOrOtherValue) {
  EXPECT_EQ(GlibcTunablesWithHugePages(""), "glibc.malloc.hugetlb=1");
  EXPECT_EQ(GlibcTunablesWithHugePages("glibc.malloc.arena_max=2"),
            "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
}

TEST(GlibcTunablesWithHugePages, KeepsTheUsersOwnHugetlbSetting) {
  EXPECT_EQ(GlibcTunablesWithHugePages("glibc.malloc.hugetlb=0"), "glibc.malloc.hugetlb=0");
  EXPECT_EQ(GlibcTunablesWithHugePages("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2"),
            "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2");
  // A longer name that starts with it is another tunable.
  EXPECT_EQ(GlibcTunablesWithHugePages("glibc.malloc.hugetlbx=0"),
            "glibc.malloc.hugetlbx=0:glibc.malloc.hugetlb=1");
}

TEST(TuneMallocForTensorWork, GlibcAcceptsTheSettings) { EXPECT_TRUE(TuneMallocForTensorWork()); }

}  // namespace
}  // namespace sl
