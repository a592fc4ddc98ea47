// The pure pieces of the remote hosts: REPORT-line parsing, Lambda error decoding, backoff.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "faas/remote/client_pool.h"
#include "faas/remote/lambda_wire.h"
#include "faas/remote/platform_report.h"
#include "faas/remote/remote_retry.h"

namespace sl::faas {
namespace {

TEST(PlatformReport, ParsesLambdasReportLine) {
  auto r = ParsePlatformReport(
      "START RequestId: 3604209a Version: $LATEST\nlog line with Duration: 5 ms\n"
      "END RequestId: 3604209a\n"
      "REPORT RequestId: 3604209a\tDuration: 12.34 ms\tBilled Duration: 13 ms \tMemory Size: 128 MB\t"
      "Max Memory Used: 18 MB\tInit Duration: 120.33 ms\tXRAY TraceId: 1-2-3\t\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_DOUBLE_EQ(r->duration_ms, 12.34);
  EXPECT_DOUBLE_EQ(r->billed_ms.value(), 13);
  EXPECT_EQ(r->memory_mb.value(), 128);
  EXPECT_EQ(r->max_memory_used_mb.value(), 18);
  EXPECT_DOUBLE_EQ(r->init_ms.value(), 120.33);
  auto warm = ParsePlatformReport("REPORT RequestId: x\tDuration: 1.00 ms\tBilled Duration: 1 ms\n");
  ASSERT_TRUE(warm.has_value());
  EXPECT_FALSE(warm->init_ms.has_value());
  EXPECT_FALSE(warm->memory_mb.has_value());
  EXPECT_FALSE(ParsePlatformReport("START RequestId: x\nEND RequestId: x\n").has_value());
  EXPECT_FALSE(ParsePlatformReport("").has_value());
  EXPECT_FALSE(ParsePlatformReport("REPORT RequestId: x\tDuration: n/a\n").has_value());
}

TEST(LambdaWire, DecodesErrorTypeFromHeaderOrBody) {
  HttpResponse h = HttpResponse::Json(429, R"({"Type":"User","message":"Rate Exceeded.","Reason":"X"})");
  h.headers.Set("x-amzn-ErrorType", "TooManyRequestsException:http://internal.amazon.com/coral/com.amazon/");
  h.headers.Set("Retry-After", "3");
  LambdaApiError e = DecodeLambdaApiError(h);
  EXPECT_EQ(e.type, "TooManyRequestsException");
  EXPECT_EQ(e.message, "Rate Exceeded.");
  EXPECT_EQ(e.retry_after, std::chrono::seconds(3));
  ClassifiedError c = ClassifyLambdaApiError(e, "lambda: invoke 'f'", "");
  EXPECT_EQ(c.status.code(), Code::kResourceExhausted);
  EXPECT_TRUE(c.throttled);
  EXPECT_EQ(c.retry, RetryClass::kNotExecuted);

  HttpResponse b = HttpResponse::Json(404, R"({"__type":"com.amazonaws.lambda#ResourceNotFoundException","Message":"nf"})");
  e = DecodeLambdaApiError(b);
  EXPECT_EQ(e.type, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "nf");
  EXPECT_EQ(ClassifyLambdaApiError(e, "w", "").status.code(), Code::kNotFound);

  HttpResponse g = HttpResponse::Text(502, "<html>Bad Gateway</html>");
  e = DecodeLambdaApiError(g);
  EXPECT_EQ(e.type, "");
  EXPECT_EQ(e.message, "<html>Bad Gateway</html>");
  c = ClassifyLambdaApiError(e, "w", "");
  EXPECT_EQ(c.status.code(), Code::kUnavailable);
  EXPECT_EQ(c.retry, RetryClass::kMaybeExecuted);

  struct Case {
    int status;
    std::string type;
    Code code;
    RetryClass retry;
  };
  for (const Case& k : {Case{400, "InvalidRequestContentException", Code::kInvalidArgument, RetryClass::kFinal},
                        Case{413, "RequestTooLargeException", Code::kOutOfRange, RetryClass::kFinal},
                        Case{415, "UnsupportedMediaTypeException", Code::kInvalidArgument, RetryClass::kFinal},
                        Case{403, "InvalidSignatureException", Code::kPermissionDenied, RetryClass::kFinal},
                        Case{403, "AccessDeniedException", Code::kPermissionDenied, RetryClass::kFinal},
                        Case{409, "ResourceConflictException", Code::kFailedPrecondition, RetryClass::kFinal},
                        Case{502, "EC2ThrottledException", Code::kUnavailable, RetryClass::kNotExecuted},
                        Case{502, "ResourceNotReadyException", Code::kUnavailable, RetryClass::kNotExecuted},
                        Case{500, "ServiceException", Code::kUnavailable, RetryClass::kMaybeExecuted},
                        Case{504, "", Code::kUnavailable, RetryClass::kMaybeExecuted}}) {
    LambdaApiError x;
    x.http_status = k.status;
    x.type = k.type;
    ClassifiedError got = ClassifyLambdaApiError(x, "w", "");
    EXPECT_EQ(got.status.code(), k.code) << k.status << " " << k.type;
    EXPECT_EQ(got.retry, k.retry) << k.status << " " << k.type;
  }
}

TEST(RemoteRetry, BackoffGrowsIsCappedAndHonoursRetryAfter) {
  RemoteRetryPolicy p;
  p.initial_backoff = std::chrono::milliseconds(100);
  p.max_backoff = std::chrono::milliseconds(800);
  p.max_retry_after = std::chrono::seconds(5);
  Backoff b(p, 42);
  for (int i = 0; i < 10; ++i) {
    Nanos w = b.Wait(i);
    Nanos cap = std::min<Nanos>(std::chrono::milliseconds(100) * (1 << std::min(i, 4)), p.max_backoff);
    EXPECT_GE(w, cap / 2) << i;
    EXPECT_LE(w, cap) << i;
  }
  EXPECT_EQ(b.Wait(0, std::chrono::seconds(2)), std::chrono::seconds(2));
  EXPECT_EQ(b.Wait(0, std::chrono::seconds(60)), std::chrono::seconds(5));
  EXPECT_EQ(ParseRetryAfter(" 7 "), std::chrono::seconds(7));
  EXPECT_FALSE(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT").has_value());
  EXPECT_FALSE(ParseRetryAfter("").has_value());
}

TEST(RemoteRetry, WhoIsRetried) {
  RemoteRetryPolicy p;
  p.max_attempts = 3;
  p.map_throttle_patience = std::chrono::minutes(1);
  EXPECT_TRUE(ShouldRetry(p, RetryClass::kNotExecuted, 1, true, false, Nanos(0)));
  EXPECT_FALSE(ShouldRetry(p, RetryClass::kNotExecuted, 2, true, false, Nanos(0)));
  EXPECT_TRUE(ShouldRetry(p, RetryClass::kNotExecuted, 50, true, true, std::chrono::seconds(59)));
  EXPECT_FALSE(ShouldRetry(p, RetryClass::kNotExecuted, 50, true, true, std::chrono::seconds(61)));
  EXPECT_FALSE(ShouldRetry(p, RetryClass::kMaybeExecuted, 2, false, true, Nanos(0)));
  EXPECT_FALSE(ShouldRetry(p, RetryClass::kFinal, 0, false, false, Nanos(0)));
  p.retry_when_maybe_executed = false;
  EXPECT_FALSE(ShouldRetry(p, RetryClass::kMaybeExecuted, 0, false, false, Nanos(0)));
}

TEST(ClientPool, BoundedThreadsRunEverythingAndCancelOnShutdown) {
  std::mutex mu;
  std::condition_variable cv;
  int running = 0, max_running = 0, done = 0, cancelled = 0;
  bool release = false;
  {
    ClientPool pool(3, HttpClient::Options{});
    for (int i = 0; i < 10; ++i) {
      pool.Submit(
          [&](HttpClient&) {
            std::unique_lock<std::mutex> lock(mu);
            max_running = std::max(max_running, ++running);
            cv.notify_all();
            cv.wait(lock, [&] { return release; });
            --running;
            ++done;
          },
          [&] {
            std::lock_guard<std::mutex> lock(mu);
            ++cancelled;
          });
    }
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return running == 3; });
    }
    EXPECT_EQ(pool.threads(), 3);
    {
      std::lock_guard<std::mutex> lock(mu);
      release = true;
    }
    cv.notify_all();
    // Destruction: the three running tasks finish; any still queued are cancelled.
  }
  EXPECT_EQ(max_running, 3);
  EXPECT_EQ(done + cancelled, 10);
  EXPECT_GE(done, 3);
}

}  // namespace
}  // namespace sl::faas
