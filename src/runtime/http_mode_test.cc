// The worker's HTTP modes in-process: the wire shapes faas::HttpHost classifies (including the
// thrown-exception path no built-in handler takes), the Azure custom-handler translation, and the
// drain. The same modes as real processes: worker_http_mode_test.sh.
#include "runtime/http_mode.h"

#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/http_client.h"
#include "runtime/azure_custom_handler.h"

namespace sl::runtime {
namespace {

class HttpModeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(registry_.Register("echo", [](const InvocationRequest& r) {
      return InvocationResponse::Success(r.payload);
    }).ok());
    ASSERT_TRUE(registry_.Register("handled", [](const InvocationRequest&) {
      return InvocationResponse::Failure("bad input", "INVALID_ARGUMENT");
    }).ok());
    ASSERT_TRUE(registry_.Register("throws", [](const InvocationRequest&) -> InvocationResponse {
      throw std::runtime_error("kaboom");
    }).ok());
    ASSERT_TRUE(registry_.Register("gate", [this](const InvocationRequest& r) {
      entered_ = true;
      release_.get_future().wait();
      return InvocationResponse::Success(r.payload);
    }).ok());
    ASSERT_TRUE(registry_.Register("deadline", [](const InvocationRequest& r) {
      return InvocationResponse::Success(std::to_string(r.RemainingTime().count()));
    }).ok());
  }

  std::unique_ptr<HttpModeServer> Start(const std::string& handler, HttpProtocol protocol = HttpProtocol::kPlain) {
    HttpModeOptions o;
    o.protocol = protocol;
    o.host = "127.0.0.1";
    o.port = 0;
    o.concurrency = 2;
    o.queue = 0;
    o.timeout = std::chrono::seconds(60);
    auto s = HttpModeServer::Start(&registry_, handler.empty() ? nullptr : registry_.Find(handler), o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  static std::string Url(const HttpModeServer& s, const std::string& path) {
    return "http://127.0.0.1:" + std::to_string(s.port()) + path;
  }

  HandlerRegistry registry_;
  std::atomic<bool> entered_{false};
  std::promise<void> release_;
  HttpClient client_;
};

TEST_F(HttpModeTest, PlainAnswersInTheShapesHttpHostClassifies) {
  auto echo = Start("echo");
  auto r = client_.Post(Url(*echo, "/"), R"({"a":1})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"a":1})");
  EXPECT_TRUE(r->headers.Get("X-Amz-Function-Error").empty());

  auto handled = Start("handled");
  r = client_.Post(Url(*handled, "/invoke"), "{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.Get("X-Amz-Function-Error"), "Handled");
  EXPECT_EQ(nlohmann::json::parse(r->body)["errorType"], "INVALID_ARGUMENT");

  auto throws = Start("throws");
  r = client_.Post(Url(*throws, "/"), "{}");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->headers.Get("X-Amz-Function-Error"), "Unhandled");
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["errorType"], "Runtime.UnhandledException");
  EXPECT_EQ(j["errorMessage"], "kaboom");
}

TEST_F(HttpModeTest, HandlerGetsADeadlineFromTheTimeout) {
  auto s = Start("deadline");
  auto r = client_.Post(Url(*s, "/"), "{}");
  ASSERT_TRUE(r.ok());
  int64_t left = std::stoll(r->body);
  EXPECT_GT(left, 50000);
  EXPECT_LE(left, 60000);
}

TEST_F(HttpModeTest, DrainFinishesInFlightAndRefusesNew) {
  auto s = Start("gate");
  auto in_flight = std::async(std::launch::async, [&] {
    HttpClient c;
    return c.Post(Url(*s, "/"), "kept");
  });
  for (int i = 0; i < 500 && !entered_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(entered_.load());
  auto drained = std::async(std::launch::async, [&] { return s->Drain(std::chrono::seconds(10)); });
  // New invocations and health checks are refused while the gated one runs.
  bool refused = false;
  for (int i = 0; i < 500 && !refused; ++i) {
    auto h = client_.Get(Url(*s, "/healthz"));
    refused = h.ok() && h->status == 503;
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(refused);
  auto n = client_.Post(Url(*s, "/"), "new");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->status, 503);
  release_.set_value();
  auto r = in_flight.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "kept");
  EXPECT_EQ(drained.get(), 0);
}

TEST_F(HttpModeTest, AzureInvocationPayloadAndForwarding) {
  auto s = Start("", HttpProtocol::kAzure);
  nlohmann::json req = {{"Data",
                         {{"req",
                           {{"Url", "http://localhost:7071/api/echo"},
                            {"Method", "POST"},
                            {"Query", nlohmann::json::object()},
                            {"Headers", {{"Content-Type", {"application/json"}}}},
                            {"Params", nlohmann::json::object()},
                            {"Body", R"({"x":2})"}}}}},
                        {"Metadata", nlohmann::json::object()}};
  auto r = client_.Post(Url(*s, "/echo"), req.dump());
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["Outputs"]["res"]["statusCode"], "200");
  EXPECT_EQ(j["Outputs"]["res"]["status"], "200");
  EXPECT_EQ(j["Outputs"]["res"]["body"], R"({"x":2})");
  EXPECT_TRUE(j["Outputs"]["res"]["headers"].is_object());
  EXPECT_EQ(j["ReturnValue"], j["Outputs"]["res"]);

  r = client_.Post(Url(*s, "/throws"), req.dump());
  ASSERT_TRUE(r.ok());
  j = nlohmann::json::parse(r->body);
  EXPECT_EQ(r->status, 200);  // the HTTP answer travels in res, back to the caller
  EXPECT_EQ(j["Outputs"]["res"]["statusCode"], "500");
  EXPECT_EQ(j["Outputs"]["res"]["headers"]["X-Amz-Function-Error"], "Unhandled");

  r = client_.Post(Url(*s, "/api/handled"), "{}");  // forwarded: answered as the plain mode
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers.Get("X-Amz-Function-Error"), "Handled");

  r = client_.Post(Url(*s, "/nosuch"), req.dump());  // no default handler
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 404);
}

TEST(AzureCustomHandler, RoutesByPath) {
  auto r = AzureRouteOf("/predict", "api");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->function, "predict");
  EXPECT_FALSE(r->forwarded);
  r = AzureRouteOf("/api/predict/v2", "api");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->function, "predict");
  EXPECT_TRUE(r->forwarded);
  r = AzureRouteOf("/api", "api");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->forwarded);
  EXPECT_EQ(r->function, "");
  EXPECT_FALSE(AzureRouteOf("/", "api"));
  EXPECT_FALSE(AzureRouteOf("/a/b", "api"));
  r = AzureRouteOf("/api", "");  // no prefix: every single segment is a function
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->forwarded);
}

TEST(AzureCustomHandler, PayloadOfEachTriggerKind) {
  // An HTTP trigger: its Body; binary bodies come base64-encoded (byte[] in the host's JSON).
  auto p = ParseAzureInvocation(
      R"({"Data": {"req": {"Url": "u", "Method": "POST", "Headers": {"Content-Type": ["application/octet-stream"]},
          "Body": ")" + Base64Encode(std::string("\x01\x02\xff", 3)) + R"("}}, "Metadata": {}})");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_TRUE(p->http_trigger);
  EXPECT_EQ(p->payload, std::string("\x01\x02\xff", 3));
  // A queue message: the string itself.
  p = ParseAzureInvocation(R"({"Data": {"myQueueItem": "{\"ms\": 5}"}, "Metadata": {"DequeueCount": 1}})");
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->http_trigger);
  EXPECT_EQ(p->payload, R"({"ms": 5})");
  // Another binding value: its JSON.
  p = ParseAzureInvocation(R"({"Data": {"doc": {"k": 1}}})");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->payload, R"({"k":1})");
  EXPECT_EQ(ParseAzureInvocation("[]").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ParseAzureInvocation(R"({"Metadata": {}})").status().code(), Code::kInvalidArgument);
}

TEST(AzureCustomHandler, BinaryResponseBodiesDoNotBreakTheAnswer) {
  AzureInvocation inv;
  inv.http_trigger = true;
  HttpResponse bin;
  bin.body = std::string("\xff\xfe\x00\x01", 4);
  auto a = AzureInvocationAnswer(inv, bin, "");
  EXPECT_EQ(a.status, 200);
  EXPECT_TRUE(nlohmann::json::parse(a.body)["Outputs"]["res"]["body"].is_string());
}

TEST(AzureCustomHandler, NonHttpTriggerErrorsFailTheInvocation) {
  AzureInvocation inv;
  inv.http_trigger = false;
  HttpResponse ok = HttpResponse::Json(200, R"({"r":1})");
  auto a = AzureInvocationAnswer(inv, ok, "log line");
  EXPECT_EQ(a.status, 200);
  auto j = nlohmann::json::parse(a.body);
  EXPECT_EQ(j["ReturnValue"], R"({"r":1})");
  EXPECT_EQ(j["Logs"][0], "log line");
  HttpResponse handled = HttpResponse::Json(200, R"({"errorMessage":"m","errorType":"T"})");
  handled.headers.Set("X-Amz-Function-Error", "Handled");
  a = AzureInvocationAnswer(inv, handled, "");
  EXPECT_EQ(a.status, 500);
  EXPECT_EQ(nlohmann::json::parse(a.body)["errorType"], "T");
}

}  // namespace
}  // namespace sl::runtime
