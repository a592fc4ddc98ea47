#include "common/http_client.h"

#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/http_server.h"

namespace sl {
namespace {

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = HttpServer::Start({}, [this](HttpRequest&& req, HttpResponder respond) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        remotes_.insert(req.remote_address);
      }
      if (req.path == "/park") {  // never answered until the test releases it
        std::lock_guard<std::mutex> lock(mu_);
        parked_.push_back(std::move(respond));
        return;
      }
      if (req.path == "/missing") return respond(HttpResponse::Json(404, R"({"e":1})"));
      HttpResponse r = HttpResponse::Text(200, req.method + ":" + req.body);
      r.headers.Set("X-Seen-Type", std::string(req.headers.Get("Content-Type")));
      r.headers.Set("X-Seen-Expect", std::string(req.headers.Get("Expect")));
      r.headers.Set("X-Seen-Custom", std::string(req.headers.Get("X-Custom")));
      respond(std::move(r));
    });
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(started).value();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : parked_) r(HttpResponse::Text(200, "released"));
  }

  std::unique_ptr<HttpServer> server_;
  std::string base_;
  std::mutex mu_;
  std::set<std::string> remotes_;       // GUARDED_BY(mu_)
  std::vector<HttpResponder> parked_;   // GUARDED_BY(mu_)
};

TEST_F(HttpClientTest, ReusesOneConnectionForSequentialRequests) {
  HttpClient client;
  for (int i = 0; i < 5; ++i) {
    auto r = client.Post(base_ + "/echo", "b" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "POST:b" + std::to_string(i));
  }
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(remotes_.size(), 1u);  // one client port: the connection was kept alive
}

TEST_F(HttpClientTest, SendsHeadersMethodsAndLargeBodiesWithoutExpectContinue) {
  HttpClient client;
  HttpHeaders h;
  h.Set("X-Custom", "yes");
  h.Set("Content-Type", "application/json");
  std::string big(3 << 20, 'z');
  auto r = client.Send("PUT", base_ + "/put", big, h);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "PUT:" + big);
  EXPECT_EQ(r->headers.Get("x-seen-custom"), "yes");
  EXPECT_EQ(r->headers.Get("x-seen-type"), "application/json");
  EXPECT_EQ(r->headers.Get("x-seen-expect"), "");
  auto g = client.Get(base_ + "/get");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->body, "GET:");
  EXPECT_EQ(g->headers.Get("x-seen-type"), "");  // curl's form default is suppressed
}

TEST_F(HttpClientTest, HttpErrorStatusIsAResponseNotAnError) {
  HttpClient client;
  auto r = client.Get(base_ + "/missing");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, R"({"e":1})");
  EXPECT_EQ(r->headers.Get("content-type"), "application/json");
}

TEST_F(HttpClientTest, TimeoutIsDeadlineExceededNamingTheUrl) {
  HttpClient client;
  auto r = client.Send("GET", base_ + "/park", {}, {}, /*timeout_ms=*/150);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().ToString();
  EXPECT_NE(r.status().message().find(base_ + "/park"), std::string::npos);
  // The client recovers on a fresh connection.
  auto ok = client.Get(base_ + "/after");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->status, 200);
}

TEST_F(HttpClientTest, RefusedConnectionIsUnavailableNamingTheUrl) {
  int port = server_->port();
  server_->Stop();
  HttpClient client;
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/x";
  auto r = client.Get(url);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find(url), std::string::npos);
}

TEST_F(HttpClientTest, MalformedUrlIsInvalidArgument) {
  HttpClient client;
  auto r = client.Get("nope://");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << r.status().ToString();
}

TEST_F(HttpClientTest, OneClientPerThreadInParallel) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client;
      for (int i = 0; i < 50; ++i) {
        std::string body = std::to_string(t * 1000 + i);
        auto r = client.Post(base_ + "/p", body);
        if (r.ok() && r->body == "POST:" + body) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 200);
}

}  // namespace
}  // namespace sl
