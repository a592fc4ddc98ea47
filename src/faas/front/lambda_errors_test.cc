#include "faas/front/lambda_errors.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sl::faas {
namespace {

TEST(LambdaErrorsTest, EachCodeMapsToLambdasStatusAndType) {
  struct Case {
    Status status;
    int http;
    const char* type;
    const char* kind;
  };
  const Case cases[] = {
      {NotFound("Function not found: x"), 404, "ResourceNotFoundException", "User"},
      {InvalidArgument("bad json"), 400, "InvalidRequestContentException", "User"},
      {OutOfRange("too big"), 413, "RequestEntityTooLargeException", "User"},
      {ResourceExhausted("Rate Exceeded."), 429, "TooManyRequestsException", "User"},
      {FailedPrecondition("pending"), 409, "ResourceConflictException", "User"},
      {AlreadyExists("Function already exist: f"), 409, "ResourceConflictException", "User"},
      {PermissionDenied("no"), 403, "AccessDeniedException", "User"},
      {Unavailable("shutting down"), 503, "ServiceException", "Service"},
      {Internal("boom"), 500, "ServiceException", "Service"},
      {DeadlineExceeded("slow"), 500, "ServiceException", "Service"},
  };
  for (const auto& c : cases) {
    HttpResponse r = LambdaErrorResponse(c.status, "rid-1");
    EXPECT_EQ(r.status, c.http) << c.status.ToString();
    EXPECT_EQ(r.headers.Get("x-amzn-ErrorType"), c.type);
    EXPECT_EQ(r.headers.Get("x-amzn-RequestId"), "rid-1");
    EXPECT_EQ(r.headers.Get("Content-Type"), "application/json");
    auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["Type"], c.kind);
    std::string key = LambdaErrorFor(c.status).message_key;
    EXPECT_EQ(body[key], c.status.message()) << r.body;
    EXPECT_EQ(r.headers.Has("Retry-After"), c.http == 429);
  }
}

TEST(LambdaErrorsTest, ThrottleCarriesRetryAfterAndReason) {
  HttpResponse r = LambdaErrorResponse(ResourceExhausted("limit 2 reached"), "id", {}, 3);
  EXPECT_EQ(r.headers.Get("Retry-After"), "3");
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["Reason"], "ConcurrentInvocationLimitExceeded");
  EXPECT_EQ(body["message"], "limit 2 reached");
  EXPECT_EQ(LambdaErrorResponse(ResourceExhausted("x"), "id", {}, 0).headers.Get("Retry-After"),
            "1");
}

TEST(LambdaErrorsTest, TypeOverrideKeepsStatusAndNonUtf8MessageIsSafe) {
  HttpResponse r = LambdaErrorResponse(InvalidArgument("bad header \xff"), "id",
                                       "InvalidParameterValueException");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.headers.Get("x-amzn-ErrorType"), "InvalidParameterValueException");
  EXPECT_TRUE(nlohmann::json::accept(r.body)) << r.body;
}

TEST(LambdaErrorsTest, AuthenticationFailuresAre403sWithLambdasTypes) {
  struct Case {
    SigV4Failure failure;
    const char* type;
  };
  const Case cases[] = {
      {SigV4Failure::kMissingAuthentication, "MissingAuthenticationTokenException"},
      {SigV4Failure::kIncompleteSignature, "IncompleteSignatureException"},
      {SigV4Failure::kUnknownAccessKey, "UnrecognizedClientException"},
      {SigV4Failure::kSignatureMismatch, "InvalidSignatureException"},
      {SigV4Failure::kExpired, "InvalidSignatureException"},
  };
  for (const auto& c : cases) {
    SigV4Verdict v;
    v.failure = c.failure;
    v.message = "why";
    HttpResponse r = LambdaAuthErrorResponse(v, "rid");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.headers.Get("x-amzn-ErrorType"), c.type);
    EXPECT_EQ(nlohmann::json::parse(r.body)["message"], "why");
  }
}

}  // namespace
}  // namespace sl::faas
