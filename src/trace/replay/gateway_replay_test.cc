// The gateway target against a small KServe v2 look-alike on 127.0.0.1 (started and stopped here).
#include "trace/replay/gateway_replay.h"

#include <atomic>

#include <gtest/gtest.h>

#include "common/http_server.h"
#include "trace/replay/replay_report.h"

namespace sl::trace {
namespace {

const std::string kSamples = SL_TRACE_SAMPLES_DIR;

// Model "m" (input [-1,1,4,4]) behind token "tok"; every 4th inference answers 429.
class FakeGateway {
 public:
  FakeGateway() {
    HttpServer::Options o;
    o.threads = 4;
    auto s = HttpServer::Start(o, [this](HttpRequest&& req, HttpResponder respond) {
      if (req.headers.Get("Authorization") != "Bearer tok") {
        respond(HttpResponse::Json(401, R"({"error":"authentication required"})"));
        return;
      }
      if (req.method == "GET" && req.path == "/v2/models/m") {
        respond(HttpResponse::Json(200, R"({"name":"m","inputs":[{"name":"input__0","datatype":"FP32","shape":[-1,1,4,4]}]})"));
        return;
      }
      if (req.method == "POST" && req.path == "/v2/models/m/infer") {
        const int64_t n = ++infers_;
        if (req.body.find("\"inputs\"") == std::string::npos) ++bad_bodies_;
        if (n % 4 == 0) {
          respond(HttpResponse::Json(429, R"({"error":"full"})"));
          return;
        }
        HttpResponse r = HttpResponse::Json(200, R"({"outputs":[]})");
        r.headers.Set("X-Straightline-Tier", "local; reason=x");
        respond(r);
        return;
      }
      respond(HttpResponse::Json(404, R"({"error":"no such model"})"));
    });
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::atomic<int64_t> infers_{0};
  std::atomic<int64_t> bad_bodies_{0};

 private:
  std::unique_ptr<HttpServer> server_;
};

ReplayPlan Plan() {
  auto trace = ReadTrace(kSamples + "/azure2021_sample200.csv");
  EXPECT_TRUE(trace.ok()) << trace.status().ToString();
  ReplayOptions o;
  o.minute_end = 3;
  o.speed = 120;  // 3 trace minutes in 1.5 s
  auto plan = BuildReplayPlan(*trace, o);
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  return std::move(*plan);
}

TEST(GatewayReplayTest, EveryArrivalIsOneInferenceRequest) {
  FakeGateway gw;
  ReplayPlan plan = Plan();
  ASSERT_GT(plan.calls.size(), 4u);
  GatewayReplayOptions o;
  o.url = gw.url();
  o.model = "m";
  o.auth_token = "tok";
  auto r = RunGatewayReplay(plan, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(gw.infers_.load(), static_cast<int64_t>(plan.calls.size()));
  EXPECT_EQ(gw.bad_bodies_.load(), 0);
  int64_t ok = 0, refused = 0;
  for (const auto& c : r->calls) {
    EXPECT_TRUE(c.done);
    if (c.ok) {
      ++ok;
      EXPECT_EQ(c.tier, "local");
    } else {
      EXPECT_EQ(c.error, "http-429");
      ++refused;
    }
  }
  EXPECT_EQ(refused, static_cast<int64_t>(plan.calls.size()) / 4);
  nlohmann::json report = ReplayReportJson(plan, *r, nullptr);
  EXPECT_EQ(report["target"], "gateway");
  EXPECT_EQ(report["total"]["sent"].get<int64_t>(), static_cast<int64_t>(plan.calls.size()));
  EXPECT_EQ(report["total"]["completed"].get<int64_t>(), ok);
  EXPECT_EQ(report["total"]["errors"]["http-429"].get<int64_t>(), refused);
  EXPECT_EQ(report["total"]["tiers"]["local"].get<int64_t>(), ok);
  EXPECT_FALSE(report["total"].contains("cold_starts")) << "a gateway replay measures no cold starts";
  EXPECT_NE(ReplayReportTable(report).find("failures by kind"), std::string::npos);
}

TEST(GatewayReplayTest, RefusalsNameTheCause) {
  FakeGateway gw;
  ReplayPlan plan = Plan();
  GatewayReplayOptions o;
  o.url = gw.url();
  o.model = "m";
  auto r = RunGatewayReplay(plan, o);  // no token
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_NE(r.status().message().find("--auth-token-file"), std::string::npos) << r.status().ToString();
  o.auth_token = "tok";
  o.model = "other";
  EXPECT_EQ(RunGatewayReplay(plan, o).status().code(), Code::kNotFound);
  o.url = "http://192.0.2.1:8080";
  EXPECT_EQ(RunGatewayReplay(plan, o).status().code(), Code::kPermissionDenied);
  EXPECT_EQ(gw.infers_.load(), 0);
}

}  // namespace
}  // namespace sl::trace
