#include "dashboard/dashboard_http.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace sl::dashboard {
namespace {

struct Answer {
  HttpResponse r;
  bool answered = false;
};

class DashboardHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DashboardOptions o;
    o.title = "gateway";
    o.clock = &clock_;
    o.charts = {{"n", "N", "n", "note", {{"n", "n", {}, ""}}}};
    dashboard_ = std::make_unique<Dashboard>(o, []() -> Result<std::vector<MetricSample>> {
      return std::vector<MetricSample>{{"n", {}, 42}};
    });
    ASSERT_TRUE(dashboard_->SampleNow().ok());
    DashboardHttpOptions ho;
    ho.auth = std::make_shared<TokenAuthenticator>(std::vector<std::string>{"s3cret-token"});
    ho.clock = &clock_;
    ho.max_sessions = 3;
    ho.session_ttl = std::chrono::seconds(60);
    auto http = DashboardHttp::Create(dashboard_.get(), ho);
    ASSERT_TRUE(http.ok());
    http_ = std::move(http).value();
  }

  HttpResponse Send(std::string method, std::string path, std::string query = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = "") {
    HttpRequest req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.query = std::move(query);
    for (auto& [k, v] : headers) req.headers.Set(k, v);
    req.body = std::move(body);
    Answer a;
    http_->Handle(std::move(req), [&a](HttpResponse r) {
      a.r = std::move(r);
      a.answered = true;
    });
    EXPECT_TRUE(a.answered);
    return a.r;
  }

  // The session cookie of a 303 sign-in ("name=value").
  std::string Cookie(const HttpResponse& r) {
    std::string set(r.headers.Get("Set-Cookie"));
    return set.substr(0, set.find(';'));
  }

  FakeClock clock_;
  std::unique_ptr<Dashboard> dashboard_;
  std::unique_ptr<DashboardHttp> http_;
};

TEST_F(DashboardHttpTest, WithoutCredentialsEverythingIs401) {
  HttpResponse page = Send("GET", "/dashboard");
  EXPECT_EQ(page.status, 401);
  EXPECT_NE(page.body.find("<form method=\"post\" action=\"/dashboard/login\">"), std::string::npos);
  EXPECT_EQ(page.body.find("<script"), std::string::npos);  // no page script before sign-in
  EXPECT_FALSE(page.headers.Get("WWW-Authenticate").empty());
  EXPECT_EQ(Send("GET", "/dashboard/state").status, 401);
  EXPECT_EQ(Send("GET", "/dashboard/anything").status, 401);
  EXPECT_EQ(Send("GET", "/dashboard/state", "", {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(Send("GET", "/dashboard/state", "", {{"Cookie", http_->cookie_name() + "=forged"}}).status, 401);
  EXPECT_EQ(Send("GET", "/dashboard", "token=wrong").status, 401);
  EXPECT_EQ(Send("POST", "/dashboard/login", "", {}, "token=wrong").status, 401);
  EXPECT_EQ(http_->sessions(), 0u);
}

TEST_F(DashboardHttpTest, TheBearerTokenOpensPageAndState) {
  HttpResponse page = Send("GET", "/dashboard", "", {{"Authorization", "Bearer s3cret-token"}});
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("fetch(\"/dashboard/state\""), std::string::npos);
  EXPECT_EQ(page.body.find("http"), std::string::npos);  // no URL at all
  EXPECT_NE(page.headers.Get("Content-Security-Policy").find("default-src 'none'"), std::string::npos);
  HttpResponse state = Send("GET", "/dashboard/state", "", {{"X-API-Key", "s3cret-token"}});
  ASSERT_EQ(state.status, 200);
  EXPECT_EQ(nlohmann::json::parse(state.body)["charts"][0]["series"][0]["last"], 42);
  EXPECT_EQ(Send("GET", "/dashboard/nope", "", {{"X-API-Key", "s3cret-token"}}).status, 404);
  EXPECT_EQ(Send("POST", "/dashboard/state", "", {{"X-API-Key", "s3cret-token"}}).status, 405);
}

TEST_F(DashboardHttpTest, ATokenIsExchangedForASessionCookieOnlyForTheDashboard) {
  HttpResponse in = Send("GET", "/dashboard", "token=s3cret-token");
  ASSERT_EQ(in.status, 303);
  EXPECT_EQ(in.headers.Get("Location"), "/dashboard");  // the token leaves the address bar
  const std::string set(in.headers.Get("Set-Cookie"));
  EXPECT_NE(set.find("; Path=/dashboard;"), std::string::npos) << set;
  EXPECT_NE(set.find("HttpOnly"), std::string::npos);
  EXPECT_NE(set.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(set.find("s3cret-token"), std::string::npos);
  const std::string cookie = Cookie(in);
  EXPECT_EQ(Send("GET", "/dashboard", "", {{"Cookie", "other=1; " + cookie}}).status, 200);
  EXPECT_EQ(Send("GET", "/dashboard/state", "", {{"Cookie", cookie}}).status, 200);
  // A credential header decides when present: a wrong token with a good cookie is refused.
  EXPECT_EQ(Send("GET", "/dashboard/state", "", {{"Cookie", cookie}, {"Authorization", "Bearer no"}}).status, 401);
  // The form does the same.
  HttpResponse form = Send("POST", "/dashboard/login", "", {}, "token=s3cret-token");
  ASSERT_EQ(form.status, 303);
  EXPECT_NE(Cookie(form), cookie);
  EXPECT_EQ(Send("GET", "/dashboard/login").status, 405);
  // Sessions expire.
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_EQ(Send("GET", "/dashboard/state", "", {{"Cookie", cookie}}).status, 401);
}

TEST_F(DashboardHttpTest, SessionsAreBoundedOldestFirst) {
  std::vector<std::string> cookies;
  for (int i = 0; i < 5; ++i) {
    cookies.push_back(Cookie(Send("POST", "/dashboard/login", "", {}, "token=s3cret-token")));
    clock_.Advance(std::chrono::seconds(1));
  }
  EXPECT_EQ(http_->sessions(), 3u);
  EXPECT_EQ(Send("GET", "/dashboard/state", "", {{"Cookie", cookies[0]}}).status, 401);
  EXPECT_EQ(Send("GET", "/dashboard/state", "", {{"Cookie", cookies[4]}}).status, 200);
}

TEST_F(DashboardHttpTest, WrapRoutesOnlyDashboardPaths) {
  int next_calls = 0;
  HttpHandler h = http_->Wrap([&next_calls](HttpRequest&&, HttpResponder respond) {
    ++next_calls;
    respond(HttpResponse::Text(200, "gateway"));
  });
  for (std::string path : {"/v2/models/x/infer", "/dashboards", "/metrics", "/dashboardx/state"}) {
    HttpRequest req;
    req.method = "GET";
    req.path = path;
    h(std::move(req), [](HttpResponse r) { EXPECT_EQ(r.body, "gateway"); });
  }
  EXPECT_EQ(next_calls, 4);
  HttpRequest req;
  req.method = "GET";
  req.path = "/dashboard/state";
  int status = 0;
  h(std::move(req), [&status](HttpResponse r) { status = r.status; });
  EXPECT_EQ(status, 401);
  EXPECT_EQ(next_calls, 4);
}

TEST(DashboardHttpOpenTest, WithoutAnAuthenticatorEverythingIsOpen) {
  Dashboard d({}, []() -> Result<std::vector<MetricSample>> { return std::vector<MetricSample>{}; });
  auto http = DashboardHttp::Create(&d, {});
  ASSERT_TRUE(http.ok());
  HttpRequest req;
  req.method = "GET";
  req.path = "/dashboard/state";
  int status = 0;
  (*http)->Handle(std::move(req), [&status](HttpResponse r) { status = r.status; });
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace sl::dashboard
