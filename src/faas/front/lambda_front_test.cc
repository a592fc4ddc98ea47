#include "faas/front/lambda_front.h"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/http_client.h"
#include "faas/front/scripted_invoker.h"

namespace sl::faas {
namespace {

class LambdaFrontTest : public ::testing::Test {
 protected:
  void SetUp() override {
    invoker_ = ScriptedInvoker::WithStandardFunctions();
    invoker_->set_max_payload_bytes(64 * 1024);
    // "gate" blocks until the test opens it; concurrency 1, so a second call is throttled.
    invoker_->Add(
        "gate",
        [this](const std::string&) {
          std::unique_lock<std::mutex> lock(mu_);
          ++gate_waiting_;
          cv_.notify_all();
          cv_.wait(lock, [this] { return gate_open_; });
          return ScriptedReply{"\"through\"", "", ""};
        },
        /*concurrency=*/1);
    invoker_->Add("chatty", [](const std::string&) {
      std::string log;
      for (int i = 0; i < 500; ++i) log += "line " + std::to_string(i) + " of a long log\n";
      return ScriptedReply{"{}", "", log};
    });
    FrontOptions o;
    o.metrics = &registry_;
    o.events.workers = 0;
    o.events.clock = &clock_;
    o.list_functions = [] {
      return std::vector<FunctionSummary>{{"echo", "straightline-builtin", "echo", "aws-lambda", 128, 3},
                                          {"fail", "provided.al2023", "fail.sh", "", 256, 2.5}};
    };
    auto front = LambdaFront::Start(invoker_.get(), o);
    ASSERT_TRUE(front.ok()) << front.status().ToString();
    front_ = std::move(front).value();
    base_ = front_->endpoint();
  }
  void TearDown() override {
    OpenGate();
    front_->Stop();
  }
  void OpenGate() {
    std::lock_guard<std::mutex> lock(mu_);
    gate_open_ = true;
    cv_.notify_all();
  }

  Result<HttpResponse> Invoke(const std::string& fn, const std::string& payload,
                              HttpHeaders h = {}) {
    return client_.Post(base_ + "/2015-03-31/functions/" + fn + "/invocations", payload, h);
  }

  std::unique_ptr<ScriptedInvoker> invoker_;
  MetricsRegistry registry_;
  FakeClock clock_;
  std::unique_ptr<LambdaFront> front_;
  std::string base_;
  HttpClient client_;
  std::mutex mu_;
  std::condition_variable cv_;
  int gate_waiting_ = 0;     // GUARDED_BY(mu_)
  bool gate_open_ = false;   // GUARDED_BY(mu_)
};

TEST_F(LambdaFrontTest, RequestResponseReturnsPayloadAndLambdaHeaders) {
  auto r = Invoke("echo", R"({"a":1})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"a":1})");
  EXPECT_EQ(r->headers.Get("X-Amz-Executed-Version"), "$LATEST");
  EXPECT_EQ(r->headers.Get("X-Amz-Request-Id").size(), 36u);
  EXPECT_EQ(r->headers.Get("x-amzn-RequestId"), r->headers.Get("X-Amz-Request-Id"));
  EXPECT_FALSE(r->headers.Has("X-Amz-Function-Error"));
  EXPECT_FALSE(r->headers.Has("X-Amz-Log-Result"));
  EXPECT_EQ(invoker_->calls("echo"), 1);
}

TEST_F(LambdaFrontTest, AcceptsArnsAndLatestQualifier) {
  for (std::string name : {"echo:$LATEST", "arn:aws:lambda:us-east-1:000000000000:function:echo",
                           "000000000000:function:echo"}) {
    auto r = Invoke(name, "{}");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 200) << name << ": " << r->body;
  }
  auto q = client_.Post(base_ + "/2015-03-31/functions/echo/invocations?Qualifier=%24LATEST", "1");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->status, 200);
}

TEST_F(LambdaFrontTest, FunctionErrorIs200WithFunctionErrorHeader) {
  auto r = Invoke("fail", "{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.Get("X-Amz-Function-Error"), "Unhandled");
  EXPECT_EQ(nlohmann::json::parse(r->body)["errorType"], "RuntimeError");
}

TEST_F(LambdaFrontTest, UnknownFunctionAndOtherQualifierAre404) {
  for (std::string name : {"nope", "echo:v1"}) {
    auto r = Invoke(name, "{}");
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 404) << name;
    EXPECT_EQ(r->headers.Get("x-amzn-ErrorType"), "ResourceNotFoundException");
    auto body = nlohmann::json::parse(r->body);
    EXPECT_EQ(body["Type"], "User");
    EXPECT_NE(body["Message"].get<std::string>().find(name.substr(0, 4)), std::string::npos);
  }
}

TEST_F(LambdaFrontTest, InvalidJsonPayloadIs400InvalidRequestContent) {
  auto r = Invoke("echo", "{not json");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->headers.Get("x-amzn-ErrorType"), "InvalidRequestContentException");
  EXPECT_NE(nlohmann::json::parse(r->body)["message"].get<std::string>().find(
                "Could not parse request body into json"),
            std::string::npos);
  EXPECT_EQ(invoker_->calls("echo"), 0);
  auto empty = Invoke("echo", "");  // no payload at all is allowed
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->status, 200);
}

TEST_F(LambdaFrontTest, OversizedPayloadIs413) {
  std::string big = "\"" + std::string(64 * 1024, 'x') + "\"";
  auto r = Invoke("echo", big);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->headers.Get("x-amzn-ErrorType"), "RequestEntityTooLargeException");
}

TEST_F(LambdaFrontTest, ConcurrencyLimitIs429WithRetryAfter) {
  std::thread first([this] {
    HttpClient c;
    auto r = c.Post(base_ + "/2015-03-31/functions/gate/invocations", "{}");
    EXPECT_TRUE(r.ok() && r->status == 200 && r->body == "\"through\"");
  });
  {
    std::unique_lock<std::mutex> lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(10), [this] { return gate_waiting_ == 1; }));
  }
  auto r = Invoke("gate", "{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->headers.Get("x-amzn-ErrorType"), "TooManyRequestsException");
  EXPECT_EQ(r->headers.Get("Retry-After"), "1");
  EXPECT_EQ(nlohmann::json::parse(r->body)["Reason"], "ConcurrentInvocationLimitExceeded");
  OpenGate();
  first.join();
  EXPECT_NE(registry_.Render().find("sl_front_throttles_total{function=\"gate\"} 1"),
            std::string::npos);
}

TEST_F(LambdaFrontTest, EventIs202AndRunsFromTheQueueWithRetries) {
  HttpHeaders h;
  h.Set("X-Amz-Invocation-Type", "Event");
  auto r = Invoke("fail", R"({"e":1})", h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 202);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(invoker_->calls("fail"), 0);  // accepted, not yet run
  EXPECT_EQ(front_->events().size(), 1u);
  EXPECT_EQ(front_->events().RunDue(), 1);
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_EQ(front_->events().RunDue(), 1);
  clock_.Advance(std::chrono::minutes(2));
  EXPECT_EQ(front_->events().RunDue(), 1);
  EXPECT_EQ(invoker_->calls("fail"), 3);
  EXPECT_EQ(front_->events().size(), 0u);
  // An Event to a missing function is refused up front, not queued.
  auto missing = Invoke("nope", "{}", h);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(front_->events().size(), 0u);
}

TEST_F(LambdaFrontTest, DryRunIs204AndRunsNothing) {
  HttpHeaders h;
  h.Set("X-Amz-Invocation-Type", "DryRun");
  auto r = Invoke("echo", "{}", h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(invoker_->calls("echo"), 0);
  auto missing = Invoke("nope", "{}", h);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
}

TEST_F(LambdaFrontTest, TailLogIsBase64OfTheLast4KB) {
  HttpHeaders h;
  h.Set("X-Amz-Log-Type", "Tail");
  auto r = Invoke("echo", "{}", h);
  ASSERT_TRUE(r.ok());
  auto log = Base64Decode(r->headers.Get("X-Amz-Log-Result"));
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  EXPECT_EQ(log->rfind("START RequestId: " + std::string(r->headers.Get("X-Amz-Request-Id")), 0), 0u)
      << *log;
  EXPECT_NE(log->find("REPORT RequestId:"), std::string::npos);

  auto big = Invoke("chatty", "{}", h);
  ASSERT_TRUE(big.ok());
  auto tail = Base64Decode(big->headers.Get("X-Amz-Log-Result"));
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->size(), 4096u);
  EXPECT_NE(tail->find("REPORT RequestId:"), std::string::npos);  // the end is kept
  EXPECT_EQ(tail->find("START RequestId:"), std::string::npos);   // the start is cut
}

TEST_F(LambdaFrontTest, BadHeadersAre400InvalidParameterValue) {
  HttpHeaders h;
  h.Set("X-Amz-Invocation-Type", "Sometimes");
  auto r = Invoke("echo", "{}", h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->headers.Get("x-amzn-ErrorType"), "InvalidParameterValueException");
  HttpHeaders l;
  l.Set("X-Amz-Log-Type", "Everything");
  auto r2 = Invoke("echo", "{}", l);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->status, 400);
  auto r3 = Invoke("bad%20name", "{}");
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->status, 400);
}

TEST_F(LambdaFrontTest, ListAndGetFunctions) {
  auto list = client_.Get(base_ + "/2015-03-31/functions/");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->status, 200);
  auto j = nlohmann::json::parse(list->body);
  ASSERT_EQ(j["Functions"].size(), 2u);
  EXPECT_EQ(j["Functions"][0]["FunctionName"], "echo");
  EXPECT_EQ(j["Functions"][0]["FunctionArn"], "arn:aws:lambda:us-east-1:000000000000:function:echo");
  EXPECT_EQ(j["Functions"][1]["Timeout"], 3);  // whole seconds, rounded up
  auto get = client_.Get(base_ + "/2015-03-31/functions/fail");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(nlohmann::json::parse(get->body)["Configuration"]["MemorySize"], 256);
  auto cfg = client_.Get(base_ + "/2015-03-31/functions/echo/configuration");
  ASSERT_TRUE(cfg.ok());
  EXPECT_EQ(nlohmann::json::parse(cfg->body)["Handler"], "echo");
  auto missing = client_.Get(base_ + "/2015-03-31/functions/nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->headers.Get("x-amzn-ErrorType"), "ResourceNotFoundException");
}

TEST_F(LambdaFrontTest, MetricsHealthAndUnknownOperations) {
  ASSERT_TRUE(Invoke("echo", "{}").ok());
  ASSERT_TRUE(Invoke("fail", "{}").ok());
  ASSERT_TRUE(Invoke("nope", "{}").ok());
  auto m = client_.Get(base_ + "/metrics");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->status, 200);
  EXPECT_EQ(m->headers.Get("Content-Type"), kPrometheusContentType);
  EXPECT_NE(m->body.find(
                R"(sl_front_requests_total{function="echo",type="RequestResponse",code="200"} 1)"),
            std::string::npos)
      << m->body;
  EXPECT_NE(m->body.find(R"(sl_front_errors_total{function="fail",error_type="Unhandled"} 1)"),
            std::string::npos);
  EXPECT_NE(m->body.find(
                R"x(sl_front_errors_total{function="(unknown)",error_type="ResourceNotFoundException"} 1)x"),
            std::string::npos);
  auto h = client_.Get(base_ + "/healthz");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->body, "ok\n");
  auto u = client_.Get(base_ + "/2015-03-31/functions/echo/aliases");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->status, 404);
  EXPECT_EQ(u->headers.Get("x-amzn-ErrorType"), "UnknownOperationException");
}

// FrontOptions::wrap_handler (platform serve's dashboard): the wrapper sees every request first
// and may answer some itself; the rest reach the front, its routes and metrics unchanged.
TEST(LambdaFrontWrapTest, TheWrapperAnswersItsPathsAndPassesTheRestOn) {
  auto invoker = ScriptedInvoker::WithStandardFunctions();
  MetricsRegistry registry;
  FrontOptions o;
  o.metrics = &registry;
  o.events.workers = 0;
  std::atomic<int> wrapped{0};
  o.wrap_handler = [&wrapped](HttpHandler front) -> HttpHandler {
    return [&wrapped, front = std::move(front)](HttpRequest&& req, HttpResponder respond) {
      ++wrapped;
      if (req.path == "/dashboard") return respond(HttpResponse::Text(200, "dashboard\n"));
      front(std::move(req), std::move(respond));
    };
  };
  auto front = LambdaFront::Start(invoker.get(), o);
  ASSERT_TRUE(front.ok()) << front.status().ToString();
  HttpClient client;
  auto d = client.Get((*front)->endpoint() + "/dashboard");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->body, "dashboard\n");
  auto r = client.Post((*front)->endpoint() + "/2015-03-31/functions/echo/invocations", "{\"a\":1}", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"a\":1}");
  EXPECT_EQ(wrapped.load(), 2);
  (*front)->Stop();
}

TEST(ParseFunctionNameTest, FormsAndErrors) {
  EXPECT_EQ(*ParseFunctionName("fn", ""), "fn");
  EXPECT_EQ(*ParseFunctionName("fn:$LATEST", ""), "fn");
  EXPECT_EQ(*ParseFunctionName("arn:aws:lambda:eu-west-1:123456789012:function:fn:$LATEST", ""),
            "fn");
  EXPECT_EQ(*ParseFunctionName("123456789012:function:fn", "$LATEST"), "fn");
  EXPECT_EQ(ParseFunctionName("fn:prod", "").status().code(), Code::kNotFound);
  EXPECT_EQ(ParseFunctionName("fn", "3").status().code(), Code::kNotFound);
  EXPECT_EQ(ParseFunctionName("", "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseFunctionName("a:b:c", "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseFunctionName("fn:$LATEST", "2").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseFunctionName(std::string(65, 'a'), "").status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace sl::faas
