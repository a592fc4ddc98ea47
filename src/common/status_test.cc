#include "common/status.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace sl {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return InvalidArgument("value {} is not positive", v);
  return v;
}

Result<int> Doubled(int v) {
  SL_ASSIGN_OR_RETURN(int x, ParsePositive(v));
  return 2 * x;
}

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, CarriesCodeAndFormattedMessage) {
  Status s = NotFound("{}: no such key", "bucket/k");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(s.ToString(), "NOT_FOUND: bucket/k: no such key");
  EXPECT_EQ(s.WithContext("store get").message(), "store get: bucket/k: no such key");
}

TEST(StatusTest, ResultPropagatesErrorsThroughAssignOrReturn) {
  EXPECT_EQ(*Doubled(4), 8);
  Result<int> r = Doubled(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "value -1 is not positive");
}

TEST(StatusTest, ErrnoMapsToRetryMeaning) {
  EXPECT_EQ(ErrnoError(ENOENT, "f").code(), Code::kNotFound);
  EXPECT_EQ(ErrnoError(EEXIST, "f").code(), Code::kAlreadyExists);
  EXPECT_EQ(ErrnoError(EACCES, "f").code(), Code::kPermissionDenied);
  EXPECT_EQ(ErrnoError(ENOSPC, "f").code(), Code::kResourceExhausted);
  EXPECT_EQ(ErrnoError(ECONNRESET, "f").code(), Code::kUnavailable);
  EXPECT_EQ(ErrnoError(ENOENT, "/x/y").message(), "/x/y: No such file or directory");
}

}  // namespace
}  // namespace sl
