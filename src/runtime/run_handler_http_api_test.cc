// API Gateway HTTP API (payload format 2.0) events in the Lambda loop: the event shapes of the API
// Gateway Developer Guide ("Create AWS Lambda proxy integrations for HTTP APIs", format 2.0: all
// the fields it lists, lower-case header names, base64 bodies) and of a Lambda function URL, the
// request the handler sees, and the 2.0 response it answers with. The real predict handler behind
// a real Runtime API, from the function image: deploy_sam_function_test.
#include "runtime/run_handler_http_api.h"

#include <cstdlib>
#include <stdexcept>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/base64.h"

namespace sl::runtime {
namespace {

using nlohmann::json;

// An event as API Gateway sends it for `POST /img_classify` on an HTTP API (every field of the
// documented 2.0 structure; the values are this test's).
json ApiEvent(const std::string& body, bool base64, const std::string& content_type = "application/json",
              const std::string& method = "POST") {
  json ev = json::parse(R"({
    "version": "2.0",
    "routeKey": "POST /img_classify",
    "rawPath": "/img_classify",
    "rawQueryString": "debug=1&debug=2",
    "cookies": ["session=abc", "theme=dark"],
    "headers": {
      "accept": "application/json",
      "content-length": "57",
      "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
      "user-agent": "curl/7.88.1",
      "x-amzn-trace-id": "Root=1-5e723db6-4ab1e2d4a8e26b8d4f2a6f3c",
      "x-forwarded-for": "203.0.113.7",
      "x-forwarded-port": "443",
      "x-forwarded-proto": "https",
      "x-multi": "a,b"
    },
    "queryStringParameters": {"debug": "1,2"},
    "requestContext": {
      "accountId": "123456789012",
      "apiId": "a1b2c3d4e5",
      "authentication": null,
      "authorizer": {"jwt": {"claims": {"sub": "user"}, "scopes": null}},
      "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
      "domainPrefix": "a1b2c3d4e5",
      "http": {
        "method": "POST",
        "path": "/img_classify",
        "protocol": "HTTP/1.1",
        "sourceIp": "203.0.113.7",
        "userAgent": "curl/7.88.1"
      },
      "requestId": "JKJaXmPLvHcESHA=",
      "routeKey": "POST /img_classify",
      "stage": "$default",
      "time": "07/Dec/2026:05:20:00 +0000",
      "timeEpoch": 1796620800000
    },
    "pathParameters": null,
    "stageVariables": null
  })");
  ev["body"] = body;
  ev["isBase64Encoded"] = base64;
  ev["headers"]["content-type"] = content_type;
  ev["requestContext"]["http"]["method"] = method;
  return ev;
}

// A Lambda function URL's event: the same format 2.0, routeKey "$default", no body for a GET.
const char* kFunctionUrlEvent = R"({
  "version": "2.0",
  "routeKey": "$default",
  "rawPath": "/",
  "rawQueryString": "",
  "headers": {"content-type": "application/json", "host": "abcdefg.lambda-url.us-east-1.on.aws"},
  "requestContext": {
    "accountId": "anonymous",
    "apiId": "abcdefg",
    "domainName": "abcdefg.lambda-url.us-east-1.on.aws",
    "domainPrefix": "abcdefg",
    "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "curl"},
    "requestId": "b3f0c7a1-0000-4000-8000-000000000001",
    "routeKey": "$default",
    "stage": "$default",
    "time": "07/Dec/2026:05:20:00 +0000",
    "timeEpoch": 1796620800000
  },
  "body": "{\"inputs\":[]}",
  "isBase64Encoded": false
})";

InvocationRequest Request(const std::string& payload) {
  InvocationRequest r;
  r.payload = payload;
  r.request_id = "lambda-req-1";
  return r;
}

json Answer(const InvocationResponse& r) {
  EXPECT_TRUE(r.success) << "an HTTP API event is always answered, never posted as a function error";
  json j = json::parse(r.payload, nullptr, false);
  EXPECT_TRUE(j.is_object()) << r.payload;
  for (const char* k : {"statusCode", "headers", "body", "isBase64Encoded"}) EXPECT_TRUE(j.contains(k)) << k << ": " << r.payload;
  return j;
}

TEST(HttpApiEvent, AJsonBodyReachesTheHandlerAsItsPayloadAndTheAnswerIsA20Response) {
  std::string seen;
  Handler h = [&](const InvocationRequest& r) {
    seen = r.payload;
    EXPECT_EQ(r.request_id, "lambda-req-1");
    return InvocationResponse::Success(R"({"model_name":"tiny","outputs":[]})");
  };
  const std::string body = R"({"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]})";
  json a = Answer(DispatchInvocation(h, Request(ApiEvent(body, false).dump())));
  EXPECT_EQ(seen, body);
  EXPECT_EQ(a["statusCode"], 200);
  EXPECT_EQ(a["isBase64Encoded"], false);
  EXPECT_EQ(a["body"], R"({"model_name":"tiny","outputs":[]})");
  EXPECT_EQ(a["headers"]["content-type"], "application/json");
  EXPECT_EQ(a["headers"]["x-request-id"], "lambda-req-1");
}

TEST(HttpApiEvent, Base64BodiesAreDecoded) {
  std::string seen;
  Handler h = [&](const InvocationRequest& r) {
    seen = r.payload;
    return InvocationResponse::Success("{}");
  };
  const std::string body = R"({"inputs":[]})";
  json a = Answer(DispatchInvocation(h, Request(ApiEvent(Base64Encode(body), true).dump())));
  EXPECT_EQ(seen, body);
  EXPECT_EQ(a["statusCode"], 200);

  // A binary body (KServe's binary tensor data extension) arrives base64-encoded, as API Gateway
  // sends non-text bodies, and goes to the handler in the envelope predict reads.
  std::string binary = R"({"inputs":[{"name":"input","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]})";
  const size_t json_bytes = binary.size();
  binary += std::string("\x00\x00\x80\x3f", 4);
  json ev = ApiEvent(Base64Encode(binary), true, "application/octet-stream");
  ev["headers"]["inference-header-content-length"] = std::to_string(json_bytes);
  Answer(DispatchInvocation(h, Request(ev.dump())));
  json env = json::parse(seen);
  EXPECT_EQ(env["content_type"], "application/octet-stream");
  EXPECT_EQ(env["inference_header_content_length"], json_bytes);
  EXPECT_EQ(Base64Decode(env["body_base64"].get<std::string>()).value_or(""), binary);

  // A PNG: the envelope with its content type, no header length.
  ev = ApiEvent(Base64Encode("\x89PNG\r\n"), true, "image/png");
  Answer(DispatchInvocation(h, Request(ev.dump())));
  env = json::parse(seen);
  EXPECT_EQ(env["content_type"], "image/png");
  EXPECT_FALSE(env.contains("inference_header_content_length"));
}

TEST(HttpApiEvent, HandledErrorsGetTheStatusOfTheirTypeAndAJsonError) {
  Handler bad = [](const InvocationRequest&) {
    return InvocationResponse::Failure("input 'input': expected shape [N,4], got [1,3]", "INVALID_ARGUMENT");
  };
  json a = Answer(DispatchInvocation(bad, Request(ApiEvent("{}", false).dump())));
  EXPECT_EQ(a["statusCode"], 400);
  EXPECT_EQ(a["isBase64Encoded"], false);
  EXPECT_EQ(a["headers"]["content-type"], "application/json");
  json body = json::parse(a["body"].get<std::string>());
  EXPECT_EQ(body["error"], "input 'input': expected shape [N,4], got [1,3]");
  EXPECT_EQ(body["errorType"], "INVALID_ARGUMENT");

  EXPECT_EQ(HttpStatusForErrorType("NOT_FOUND"), 404);
  EXPECT_EQ(HttpStatusForErrorType("RESOURCE_EXHAUSTED"), 429);
  EXPECT_EQ(HttpStatusForErrorType("UNAVAILABLE"), 503);
  EXPECT_EQ(HttpStatusForErrorType("DEADLINE_EXCEEDED"), 504);
  EXPECT_EQ(HttpStatusForErrorType("FAILED_PRECONDITION"), 400);
  EXPECT_EQ(HttpStatusForErrorType("Runtime.UnhandledException"), 500);
  EXPECT_EQ(HttpStatusForErrorType("INTERNAL"), 500);

  Handler throws = [](const InvocationRequest&) -> InvocationResponse { throw std::runtime_error("kaboom"); };
  a = Answer(DispatchInvocation(throws, Request(ApiEvent("{}", false).dump())));
  EXPECT_EQ(a["statusCode"], 500);
  EXPECT_EQ(json::parse(a["body"].get<std::string>())["error"], "kaboom");
}

TEST(HttpApiEvent, BrokenEventsAndOtherMethodsAreAnsweredWithoutCallingTheHandler) {
  int calls = 0;
  Handler h = [&](const InvocationRequest&) {
    ++calls;
    return InvocationResponse::Success("{}");
  };
  json a = Answer(DispatchInvocation(h, Request(ApiEvent("not base64!", true).dump())));
  EXPECT_EQ(a["statusCode"], 400);
  EXPECT_NE(json::parse(a["body"].get<std::string>())["error"].get<std::string>().find("base64"), std::string::npos);
  a = Answer(DispatchInvocation(h, Request(ApiEvent("", false, "application/json", "GET").dump())));
  EXPECT_EQ(a["statusCode"], 405);
  json ev = ApiEvent("{}", false);
  ev["headers"]["x-bad"] = 3;
  a = Answer(DispatchInvocation(h, Request(ev.dump())));
  EXPECT_EQ(a["statusCode"], 400);
  EXPECT_EQ(calls, 0);
}

TEST(HttpApiEvent, ANonTextAnswerIsBase64Encoded) {
  Handler h = [](const InvocationRequest&) {
    return InvocationResponse::Success(std::string("\x00\x01\xff", 3), "application/octet-stream");
  };
  json a = Answer(DispatchInvocation(h, Request(ApiEvent("{}", false).dump())));
  EXPECT_EQ(a["isBase64Encoded"], true);
  EXPECT_EQ(Base64Decode(a["body"].get<std::string>()).value_or(""), std::string("\x00\x01\xff", 3));
  EXPECT_EQ(a["headers"]["content-type"], "application/octet-stream");
}

TEST(HttpApiEvent, AFunctionUrlEventIsTheSameFormat) {
  std::string seen;
  Handler h = [&](const InvocationRequest& r) {
    seen = r.payload;
    return InvocationResponse::Success("{}");
  };
  json a = Answer(DispatchInvocation(h, Request(kFunctionUrlEvent)));
  EXPECT_EQ(a["statusCode"], 200);
  EXPECT_EQ(seen, R"({"inputs":[]})");
}

TEST(HttpApiEvent, OtherPayloadsPassThroughUnchanged) {
  std::string seen;
  Handler h = [&](const InvocationRequest& r) {
    seen = r.payload;
    return InvocationResponse::Success("ok", "text/plain");
  };
  for (const std::string& p : {std::string(R"({"inputs":[{"name":"input","shape":[1],"datatype":"FP32","data":[1]}]})"),
                              std::string(R"({"version":"2.0","routeKey":"x"})"),  // no requestContext.http
                              std::string(R"({"version":"1.0","routeKey":"POST /x","httpMethod":"POST",)"
                                          R"("requestContext":{"http":{"method":"POST"}}})"),  // format 1.0
                              std::string("routeKey"), std::string()}) {
    InvocationResponse r = DispatchInvocation(h, Request(p));
    EXPECT_EQ(seen, p);
    EXPECT_EQ(r.payload, "ok");
    EXPECT_EQ(r.content_type, "text/plain");
  }
  // Exceptions of ordinary invocations are the Lambda loop's to report.
  Handler throws = [](const InvocationRequest&) -> InvocationResponse { throw std::runtime_error("x"); };
  EXPECT_THROW(DispatchInvocation(throws, Request("{}")), std::runtime_error);
}

TEST(HttpApiEvent, RawModeHandsTheEventItself) {
  std::string seen;
  Handler h = [&](const InvocationRequest& r) {
    seen = r.payload;
    return InvocationResponse::Success("{}");
  };
  const std::string ev = ApiEvent("{}", false).dump();
  ::setenv("STRAIGHTLINE_HTTP_API_EVENTS", "raw", 1);
  InvocationResponse r = DispatchInvocation(h, Request(ev));
  ::unsetenv("STRAIGHTLINE_HTTP_API_EVENTS");
  EXPECT_EQ(seen, ev);
  EXPECT_EQ(r.payload, "{}");
}

}  // namespace
}  // namespace sl::runtime
