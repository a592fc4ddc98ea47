#include "serve/load/load_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/http_server.h"
#include "serve/load/load_report.h"

namespace sl::serve::load {
namespace {

// A small KServe v2 look-alike on 127.0.0.1: metadata for model "m" (input [-1,1,4,4]); infer
// answers 200 with a tier header alternating local/function, and 429 on every 5th request.
class FakeV2 {
 public:
  // `token`: when not empty, every request needs "Authorization: Bearer <token>" (else 401).
  explicit FakeV2(int delay_ms = 0, std::string token = "") : delay_ms_(delay_ms), token_(std::move(token)) {
    HttpServer::Options o;
    o.threads = 4;
    auto s = HttpServer::Start(o, [this](HttpRequest&& req, HttpResponder respond) {
      if (!token_.empty() && req.headers.Get("Authorization") != "Bearer " + token_) {
        ++unauthorized_;
        respond(HttpResponse::Json(401, R"({"error":"authentication required"})"));
        return;
      }
      if (req.method == "GET" && req.path == "/v2/models/m") {
        respond(HttpResponse::Json(200, R"({"name":"m","platform":"straightline","inputs":[{"name":"input__0","datatype":"FP32","shape":[-1,1,4,4]}]})"));
        return;
      }
      if (req.method == "POST" && req.path == "/v2/models/m/infer") {
        if (delay_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
        int64_t n = ++infers_;
        bytes_ += static_cast<int64_t>(req.body.size());
        if (n % 5 == 0) {
          HttpResponse r = HttpResponse::Json(429, R"({"error":"full"})");
          respond(r);
          return;
        }
        HttpResponse r = HttpResponse::Json(200, R"({"outputs":[]})");
        r.headers.Set("X-Straightline-Tier", n % 2 ? "local; reason=x" : "function; reason=y");
        r.headers.Set("X-Straightline-Rule", n % 2 ? "local_capacity" : "frequent_small");
        r.headers.Set("X-Straightline-Frequency", "f_t=42.500; F=30.000");
        respond(r);
        return;
      }
      respond(HttpResponse::Json(404, R"({"error":"no"})"));
    });
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  std::atomic<int64_t> infers_{0};
  std::atomic<int64_t> bytes_{0};
  std::atomic<int64_t> unauthorized_{0};

 private:
  int delay_ms_;
  std::string token_;
  std::unique_ptr<HttpServer> server_;
};

int64_t SessionsOf(const LoadResult& r) {
  int64_t n = 0;
  for (size_t p = 0; p < r.recorded->phases(); ++p) n += r.recorded->PhaseSessions(p).sessions;
  return n;
}
int64_t RequestsOf(const LoadResult& r) {
  int64_t n = 0;
  for (size_t p = 0; p < r.recorded->phases(); ++p) {
    for (const auto& [tier, g] : r.recorded->PhaseTiers(p)) n += g.requests;
  }
  return n;
}

TEST(LoadRunnerTest, ParsesModelMetadataAndBuildsBodies) {
  auto info = ParseModelMetadata(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[-1,1,28,28]}]})");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->numel, 784);
  EXPECT_EQ(info->name, "x");
  auto raw = BuildPayload({"raw", 1, 1}, *info, 1);
  EXPECT_EQ(raw->body.size(), 784u * 4);
  EXPECT_EQ(raw->content_type, "application/octet-stream");
  auto pixels = BuildPayload({"pixels", 1, 1}, *info, 1);
  EXPECT_EQ(pixels->body.size(), 784u);
  auto batch = BuildPayload({"batch", 1, 8}, *info, 1);
  nlohmann::json j = nlohmann::json::parse(batch->body);
  EXPECT_EQ(j["inputs"][0]["shape"], nlohmann::json({8, 1, 28, 28}));
  EXPECT_EQ(j["inputs"][0]["data"].size(), 8u * 784);
  // Binary tensor data extension: the JSON header, then 8 × 784 FP32 values.
  auto binary = BuildPayload({"binary", 1, 8}, *info, 1);
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  ASSERT_GT(binary->json_header_bytes, 0);
  nlohmann::json header = nlohmann::json::parse(binary->body.substr(0, static_cast<size_t>(binary->json_header_bytes)));
  EXPECT_EQ(header["inputs"][0]["shape"], nlohmann::json({8, 1, 28, 28}));
  EXPECT_EQ(header["inputs"][0]["parameters"]["binary_data_size"], 8 * 784 * 4);
  EXPECT_FALSE(header["inputs"][0].contains("data"));
  EXPECT_EQ(binary->body.size(), static_cast<size_t>(binary->json_header_bytes) + 8 * 784 * 4);
  EXPECT_EQ(ParseModelMetadata("{}").status().code(), Code::kInvalidArgument);
}

TEST(LoadRunnerTest, RunsSessionsAndReportsPerPhaseAndTier) {
  FakeV2 server;
  LoadSpec spec;
  spec.target = server.url();
  spec.model = "m";
  spec.phases = {{"p0", 1.0, 40, -1}, {"p1", 0.5, 20, 60}};  // 40 + 20 sessions
  spec.session_requests = 2;
  spec.concurrency = 8;
  spec.payloads = {{"json", 1, 1}, {"raw", 1, 1}};
  auto r = RunLoad(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(SessionsOf(*r), 60);
  EXPECT_EQ(r->dropped_sessions, 0);
  // Every 5th request is a 429 and ends its session early, so requests = what the server saw.
  EXPECT_EQ(RequestsOf(*r), server.infers_.load());
  auto rows = Summarize(spec, *r);
  const GroupStats* all = nullptr;
  int64_t tier_total = 0;
  for (const GroupStats& g : rows) {
    if (g.phase == "all" && g.tier == "all") all = &g;
    if (g.phase == "all" && g.tier != "all") tier_total += g.requests;
  }
  ASSERT_NE(all, nullptr);
  EXPECT_EQ(all->requests, server.infers_.load());
  EXPECT_EQ(all->failures, server.infers_.load() / 5);
  EXPECT_EQ(tier_total, all->requests);
  EXPECT_EQ(all->sessions, 60);
  EXPECT_GT(all->p50_ms, 0);
  EXPECT_GE(all->p99_ms, all->p50_ms);
  std::string csv = ReportCsv(rows);
  EXPECT_NE(csv.find("\np0,local,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\np1,function,"), std::string::npos) << csv;
  auto json = nlohmann::json::parse(ReportJson(spec, *r, rows));
  EXPECT_EQ(json["groups"].size(), rows.size());
  // The timeline: the 1.5 s of arrivals fall in seconds 0 and 1; its sums are the totals.
  const nlohmann::json& t = json["timeline"];
  ASSERT_TRUE(t.is_object()) << json.dump();
  ASSERT_GE(t["t_s"].size(), 2u);
  int64_t launched = 0, sent = 0, refused = 0, placed = 0;
  for (size_t i = 0; i < t["t_s"].size(); ++i) {
    launched += t["sessions_launched"][i].get<int64_t>();
    sent += t["requests"][i].get<int64_t>();
    refused += t["sessions_failed_by_cause"]["refused"][i].get<int64_t>();
    if (t["f_t_mean"][i].is_number()) { EXPECT_EQ(t["f_t_mean"][i], 42.5); }
    if (t["F"][i].is_number()) { EXPECT_EQ(t["F"][i], 30.0); }
  }
  EXPECT_EQ(launched, 60);
  EXPECT_EQ(sent, server.infers_.load());
  EXPECT_EQ(refused, server.infers_.load() / 5);  // every 429 ended a session
  for (const auto& p : t["placements"]) {
    for (const auto& c : p["counts"]) placed += c.get<int64_t>();
    if (p["tier"] == "local") { EXPECT_EQ(p["rule"], "local_capacity"); }
    if (p["tier"] == "function") { EXPECT_EQ(p["rule"], "frequent_small"); }
  }
  EXPECT_EQ(placed, server.infers_.load());  // the 429s too (tier none, rule unnamed)
}

TEST(LoadRunnerTest, BoundedTotalStopsArrivals) {
  FakeV2 server;
  LoadSpec spec;
  spec.target = server.url();
  spec.model = "m";
  spec.phases = {{"p", 1.0, 100, -1}};
  spec.session_requests = 3;
  spec.max_total = 30;  // 10 sessions
  spec.concurrency = 4;
  auto r = RunLoad(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(SessionsOf(*r), 10);
  EXPECT_LE(server.infers_.load(), 30);
}

TEST(LoadRunnerTest, FullClientBacklogCountsAsFailureNotUnboundedQueue) {
  FakeV2 server(/*delay_ms=*/200);
  LoadSpec spec;
  spec.target = server.url();
  spec.model = "m";
  spec.phases = {{"p", 0.5, 40, -1}};  // 20 sessions in 0.5 s against one 200 ms connection
  spec.concurrency = 1;
  spec.backlog = 2;
  auto r = RunLoad(spec);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(SessionsOf(*r), 20);
  EXPECT_GE(r->dropped_sessions, 15);
  auto rows = Summarize(spec, *r);
  EXPECT_GE(rows[0].failures, 15);
}

TEST(LoadRunnerTest, RefusesNonLoopbackTargetBeforeSendingAnything) {
  LoadSpec spec;
  spec.target = "http://192.0.2.10:8080";
  spec.model = "m";
  spec.phases = {{"p", 1.0, 1, -1}};
  EXPECT_EQ(RunLoad(spec).status().code(), Code::kPermissionDenied);
}

TEST(LoadRunnerTest, SendsTheBearerTokenWithEveryRequestAndSaysWhenOneIsNeeded) {
  const std::string token = "load-test-token-5e1";
  FakeV2 server(0, token);
  LoadSpec spec;
  spec.target = server.url();
  spec.model = "m";
  spec.phases = {{"p", 0.5, 40, -1}};
  spec.concurrency = 2;
  auto missing = RunLoad(spec);
  EXPECT_EQ(missing.status().code(), Code::kPermissionDenied);
  EXPECT_NE(missing.status().message().find("--auth-token-file"), std::string::npos)
      << missing.status().ToString();
  spec.auth_token = "not-" + token;
  auto refused = RunLoad(spec);
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied);
  EXPECT_NE(refused.status().message().find("refused"), std::string::npos);
  EXPECT_EQ(refused.status().message().find(token), std::string::npos);
  const int64_t before = server.unauthorized_.load();

  spec.auth_token = token;
  auto r = RunLoad(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(server.unauthorized_.load(), before) << "a request went without the token";
  EXPECT_EQ(server.infers_.load(), 20);
  auto rows = Summarize(spec, *r);
  EXPECT_EQ(ReportJson(spec, *r, rows).find(token), std::string::npos);

  spec.auth_token = "two words";
  EXPECT_EQ(ValidateSpec(spec).code(), Code::kInvalidArgument);
}

TEST(LoadRunnerTest, UnknownModelIsNotFound) {
  FakeV2 server;
  LoadSpec spec;
  spec.target = server.url();
  spec.model = "nope";
  spec.phases = {{"p", 1.0, 1, -1}};
  EXPECT_EQ(RunLoad(spec).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace sl::serve::load
