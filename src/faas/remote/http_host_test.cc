// HttpHost against scripted HTTP triggers, and the functions-file parser of http functions.
#include "faas/remote/http_host.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "faas/economics/ledger.h"
#include "faas/remote/remote_test_util.h"

namespace sl::faas {
namespace {

using testing::NoSleepClock;
using testing::ScriptedServer;

class HttpHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/sl-http-host-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  HttpHostOptions Options(std::vector<HttpFunctionConfig> fns) {
    HttpHostOptions o;
    o.functions = std::move(fns);
    o.provider = "gcp-cloud-run-functions";
    o.clock = &clock_;
    o.env = MapEnv({{"FN_TOKEN", "tok-123"}});
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    o.retry.max_backoff = std::chrono::milliseconds(4);
    o.retry.max_attempts = 3;
    o.max_concurrency = 4;
    o.config_source = "fns.yaml";
    return o;
  }
  static HttpFunctionConfig Fn(const std::string& name, const std::string& url) {
    HttpFunctionConfig f;
    f.name = name;
    f.url = url;
    f.memory_mb = 512;
    f.source = "fns.yaml";
    return f;
  }
  std::unique_ptr<HttpHost> Host(HttpHostOptions o) {
    auto h = HttpHost::Create(std::move(o));
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? std::move(h).value() : nullptr;
  }
  static InvokeResult Call(HttpHost& h, const std::string& fn, const std::string& payload = "{}") {
    InvokeRequest r;
    r.function = fn;
    r.payload = payload;
    return h.Invoke(std::move(r)).get();
  }

  NoSleepClock clock_;
  std::string dir_;
};

TEST_F(HttpHostTest, SuccessSendsPayloadAndCredentials) {
  ScriptedServer trigger([](const HttpRequest& req, int, HttpResponder respond) {
    respond(HttpResponse::Json(200, "{\"echo\":" + req.body + "}"));
  });
  std::ofstream(dir_ + "/key") << "fn-key-456\n";
  HttpFunctionConfig bearer = Fn("bearer", trigger.url() + "/run");
  bearer.auth.bearer_token_env = "FN_TOKEN";
  bearer.headers = {{"X-Env", "test"}};
  HttpFunctionConfig azure = Fn("azure", trigger.url() + "/api/azure");
  azure.auth.function_key_file = dir_ + "/key";
  HttpFunctionConfig query = Fn("query", trigger.url() + "/api/q?x=1");
  query.auth.function_key_file = dir_ + "/key";
  query.auth.function_key_in_query = true;
  HttpHostOptions o = Options({bearer, azure, query});
  o.ledger_path = dir_ + "/ledger.jsonl";
  auto host = Host(o);
  ASSERT_TRUE(host);
  EXPECT_EQ(host->kind(), "http");

  InvokeResult r = Call(*host, "bearer", R"({"a":1})");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.payload, R"({"echo":{"a":1}})");
  EXPECT_EQ(r.outcome, Outcome::kSuccess);
  EXPECT_EQ(r.billing, BillingSource::kMeasuredByCaller);
  EXPECT_GT(r.cost_usd, 0);
  EXPECT_GT(r.duration_ms, 0);
  HttpRequest got = trigger.request(0);
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.path, "/run");
  EXPECT_EQ(got.headers.Get("Authorization"), "Bearer tok-123");
  EXPECT_EQ(got.headers.Get("X-Env"), "test");
  EXPECT_EQ(got.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(got.headers.Get("X-Request-Id"), r.request_id);

  ASSERT_TRUE(Call(*host, "azure").status.ok());
  EXPECT_EQ(trigger.request(1).headers.Get("x-functions-key"), "fn-key-456");
  EXPECT_FALSE(trigger.request(1).headers.Has("Authorization"));

  ASSERT_TRUE(Call(*host, "query").status.ok());
  EXPECT_EQ(QueryParam(trigger.request(2).query, "code"), "fn-key-456");
  EXPECT_EQ(QueryParam(trigger.request(2).query, "x"), "1");
  EXPECT_FALSE(trigger.request(2).headers.Has("x-functions-key"));

  auto ledger = ReadLedger(dir_ + "/ledger.jsonl");
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  ASSERT_EQ(ledger->size(), 3u);
  EXPECT_EQ((*ledger)[0].host, "http");
  EXPECT_EQ((*ledger)[0].function, "bearer");
  EXPECT_EQ((*ledger)[0].billing, BillingSource::kMeasuredByCaller);
  EXPECT_EQ((*ledger)[0].provider, "gcp-cloud-run-functions");
  EXPECT_EQ((*ledger)[0].memory_mb, 512);
  EXPECT_EQ((*ledger)[0].request_id, r.request_id);
}

TEST_F(HttpHostTest, ThrottlingIsRetried) {
  HttpResponse busy = HttpResponse::Text(429, "Rate exceeded.");
  busy.headers.Set("Retry-After", "2");
  ScriptedServer trigger({busy, busy, HttpResponse::Json(200, "\"ok\"")});
  auto host = Host(Options({Fn("f", trigger.url())}));
  ASSERT_TRUE(host);
  InvokeResult r = Call(*host, "f");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(trigger.requests(), 3);
  EXPECT_GE(clock_.slept(), std::chrono::seconds(4));  // Retry-After honoured

  ScriptedServer always({busy});
  auto host2 = Host(Options({Fn("f", always.url())}));
  InvokeResult t = Call(*host2, "f");
  EXPECT_EQ(t.status.code(), Code::kResourceExhausted) << t.status.ToString();
  EXPECT_EQ(t.outcome, Outcome::kThrottled);
  EXPECT_EQ(always.requests(), 3);
}

TEST_F(HttpHostTest, ServerErrorsAreTypedFunctionErrors) {
  ScriptedServer trigger([](const HttpRequest& req, int, HttpResponder respond) {
    if (req.path == "/json") {
      return respond(HttpResponse::Json(500, R"({"errorMessage":"division by zero","errorType":"ZeroDivisionError"})"));
    }
    if (req.path == "/oom") {
      return respond(HttpResponse::Json(500, R"({"errorMessage":"killed","errorType":"Runtime.OutOfMemory"})"));
    }
    if (req.path == "/plain500") return respond(HttpResponse::Text(500, "Internal Server Error"));
    if (req.path == "/502") return respond(HttpResponse::Text(502, "upstream connect error"));
    if (req.path == "/504") return respond(HttpResponse::Text(504, "upstream request timeout"));
    if (req.path == "/handled") {
      HttpResponse r = HttpResponse::Json(200, R"({"errorMessage":"bad input","errorType":"ValueError"})");
      r.headers.Set("X-Amz-Function-Error", "Handled");
      return respond(r);
    }
    respond(HttpResponse::Text(503, "no healthy upstream"));
  });
  auto u = [&](const std::string& p) { return trigger.url() + p; };
  auto host = Host(Options({Fn("json", u("/json")), Fn("oom", u("/oom")), Fn("plain", u("/plain500")),
                            Fn("crash", u("/502")), Fn("slow", u("/504")), Fn("handled", u("/handled")),
                            Fn("down", u("/503"))}));
  ASSERT_TRUE(host);
  struct Case {
    std::string fn;
    Outcome outcome;
    std::string error_type;
  };
  for (const Case& c : {Case{"json", Outcome::kUnhandled, "ZeroDivisionError"},
                        Case{"oom", Outcome::kOutOfMemory, "Runtime.OutOfMemory"},
                        Case{"plain", Outcome::kUnhandled, "Function.HttpError500"},
                        Case{"crash", Outcome::kCrash, "Runtime.ExitError"},
                        Case{"slow", Outcome::kTimeout, "Sandbox.Timedout"},
                        Case{"handled", Outcome::kHandledError, "ValueError"}}) {
    int before = trigger.requests();
    InvokeResult r = Call(*host, c.fn);
    ASSERT_TRUE(r.status.ok()) << c.fn << ": " << r.status.ToString();
    EXPECT_EQ(r.outcome, c.outcome) << c.fn;
    EXPECT_FALSE(r.function_error.empty()) << c.fn;
    EXPECT_EQ(nlohmann::json::parse(r.payload)["errorType"], c.error_type) << c.fn;
    EXPECT_EQ(trigger.requests(), before + 1) << c.fn << ": function errors are not retried";
  }
  int before = trigger.requests();
  InvokeResult d = Call(*host, "down");
  EXPECT_EQ(d.status.code(), Code::kUnavailable) << d.status.ToString();
  EXPECT_EQ(d.outcome, Outcome::kPlatformError);
  EXPECT_EQ(trigger.requests(), before + 3);
}

TEST_F(HttpHostTest, TimeoutIsDeadlineExceeded) {
  std::mutex mu;
  std::vector<HttpResponder> held;
  ScriptedServer slow([&](const HttpRequest&, int, HttpResponder respond) {
    std::lock_guard<std::mutex> lock(mu);
    held.push_back(std::move(respond));
  });
  HttpFunctionConfig f = Fn("f", slow.url());
  f.timeout_s = 0.1;
  HttpHostOptions o = Options({f});
  o.read_timeout_margin_ms = 100;
  auto host = Host(o);
  ASSERT_TRUE(host);
  InvokeResult r = Call(*host, "f");
  EXPECT_EQ(r.status.code(), Code::kDeadlineExceeded) << r.status.ToString();
  EXPECT_EQ(slow.requests(), 1);
  std::lock_guard<std::mutex> lock(mu);
  for (auto& h : held) h(HttpResponse::Json(200, "1"));
}

TEST_F(HttpHostTest, ClientErrors) {
  ScriptedServer trigger([](const HttpRequest& req, int, HttpResponder respond) {
    if (req.path == "/401") return respond(HttpResponse::Text(401, "Unauthorized"));
    if (req.path == "/404") return respond(HttpResponse::Text(404, "Not Found"));
    respond(HttpResponse::Text(413, "Payload Too Large"));
  });
  HttpFunctionConfig secured = Fn("secured", trigger.url() + "/401");
  secured.auth.bearer_token_env = "FN_TOKEN";
  auto host = Host(Options({secured, Fn("gone", trigger.url() + "/404"), Fn("big", trigger.url() + "/413")}));
  ASSERT_TRUE(host);
  InvokeResult a = Call(*host, "secured");
  EXPECT_EQ(a.status.code(), Code::kPermissionDenied) << a.status.ToString();
  EXPECT_NE(a.status.message().find("$FN_TOKEN"), std::string::npos) << a.status.message();
  EXPECT_EQ(a.status.message().find("tok-123"), std::string::npos);  // never the secret
  EXPECT_EQ(Call(*host, "gone").status.code(), Code::kNotFound);
  EXPECT_EQ(Call(*host, "big").status.code(), Code::kOutOfRange);
  EXPECT_EQ(trigger.requests(), 3);
  InvokeResult unknown = Call(*host, "unknown");
  EXPECT_EQ(unknown.status.code(), Code::kNotFound);
  EXPECT_NE(unknown.status.message().find("fns.yaml"), std::string::npos);
  InvokeRequest ev;
  ev.function = "gone";
  ev.type = InvocationType::kEvent;
  EXPECT_EQ(host->Invoke(ev).get().status.code(), Code::kInvalidArgument);
}

TEST_F(HttpHostTest, DeployAndDescribeFromTheConfiguration) {
  HttpFunctionConfig with_url = Fn("a", "http://127.0.0.1:1/a");
  with_url.handler = "train-shard";
  HttpFunctionConfig no_url = Fn("b", "");
  auto host = Host(Options({with_url, no_url}));
  ASSERT_TRUE(host);
  FunctionSpec spec;
  spec.name = "a";
  EXPECT_TRUE(host->Deploy(spec).ok());
  spec.name = "b";
  Status s = host->Deploy(spec);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(s.message().find("functions.b"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("fns.yaml"), std::string::npos) << s.message();
  spec.name = "c";
  EXPECT_EQ(host->Deploy(spec).code(), Code::kNotFound);
  auto d = host->Describe("a");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->host, "http");
  EXPECT_EQ(d->spec.handler, "train-shard");
  EXPECT_EQ(d->spec.memory_mb, 512);
  EXPECT_EQ(d->spec.provider, "gcp-cloud-run-functions");
  EXPECT_FALSE(d->has_live_state);
  EXPECT_EQ(host->Describe("zzz").status().code(), Code::kNotFound);
}

// The trainer deploys per-job names (sl-train-<job>); HTTP functions are deployed ahead under the
// user's names, so a name the file does not declare finds the one function with its handler.
TEST_F(HttpHostTest, DeployFindsTheFunctionOfTheSpecsHandler) {
  HttpFunctionConfig shard = Fn("train-shard", "http://127.0.0.1:1/shard");
  shard.handler = "train-shard";
  HttpFunctionConfig pre = Fn("preprocess", "http://127.0.0.1:1/pre");
  pre.handler = "train-preprocess";
  auto host = Host(Options({shard, pre}));
  ASSERT_TRUE(host);
  EXPECT_EQ(host->Describe("sl-train-job1").status().code(), Code::kNotFound);
  FunctionSpec spec;
  spec.name = "sl-train-job1";
  spec.handler = "train-shard";
  ASSERT_TRUE(host->Deploy(spec).ok());
  auto d = host->Describe("sl-train-job1");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->spec.handler, "train-shard");
  spec.name = "sl-echo-job1";
  spec.handler = "echo";
  Status none = host->Deploy(spec);
  EXPECT_EQ(none.code(), Code::kNotFound);
  EXPECT_NE(none.message().find("handler: echo"), std::string::npos) << none.message();

  HttpFunctionConfig twin = Fn("train-shard-2", "http://127.0.0.1:1/shard2");
  twin.handler = "train-shard";
  auto ambiguous = Host(Options({shard, twin}));
  ASSERT_TRUE(ambiguous);
  spec.name = "sl-train-job2";
  spec.handler = "train-shard";
  Status two = ambiguous->Deploy(spec);
  EXPECT_EQ(two.code(), Code::kInvalidArgument);
  EXPECT_NE(two.message().find("2 functions"), std::string::npos) << two.message();
}

TEST_F(HttpHostTest, MissingCredentialFailsAtCreate) {
  HttpFunctionConfig f = Fn("f", "http://127.0.0.1:1/");
  f.auth.bearer_token_env = "UNSET_VAR";
  auto h = HttpHost::Create(Options({f}));
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("function 'f'"), std::string::npos) << h.status().message();
  EXPECT_NE(h.status().message().find("UNSET_VAR"), std::string::npos) << h.status().message();
  f.auth = HttpAuth{};
  f.auth.bearer_token_file = dir_ + "/missing-token";
  h = HttpHost::Create(Options({f}));
  ASSERT_FALSE(h.ok());
  EXPECT_NE(h.status().message().find("missing-token"), std::string::npos) << h.status().message();
}

TEST(HttpFunctionsYaml, ProviderDefaultsAndPerFunctionKeys) {
  const char* text = R"(
provider:
  name: azure-functions
  platform: http
  memorySize: 1024
  http:
    timeout: 60
    headers: {X-Env: prod}
    auth: {functionKeyEnv: AZ_KEY}
functions:
  train-shard:
    handler: train-shard
    memorySize: 2048
    url: https://fn.example.net/api/train-shard
    headers: {X-Extra: "1"}
  predict:
    handler: predict
    url: https://run.example.app/
    provider: gcp-cloud-run-functions
    auth: {bearerTokenFile: /run/token}
  local-only:
    handler: echo
    reservedConcurrency: 3
)";
  auto fns = ParseHttpFunctionsYaml(text, "fns.yaml");
  ASSERT_TRUE(fns.ok()) << fns.status().ToString();
  ASSERT_EQ(fns->size(), 3u);
  const HttpFunctionConfig& t = (*fns)[0];
  EXPECT_EQ(t.name, "train-shard");
  EXPECT_EQ(t.url, "https://fn.example.net/api/train-shard");
  EXPECT_EQ(t.provider, "azure-functions");
  EXPECT_EQ(t.memory_mb, 2048);
  EXPECT_DOUBLE_EQ(t.timeout_s, 60);
  ASSERT_EQ(t.headers.size(), 2u);
  EXPECT_EQ(t.auth.function_key_env, "AZ_KEY");
  EXPECT_EQ(t.source, "fns.yaml");
  const HttpFunctionConfig& p = (*fns)[1];
  EXPECT_EQ(p.provider, "gcp-cloud-run-functions");
  EXPECT_EQ(p.memory_mb, 1024);
  EXPECT_EQ(p.auth.bearer_token_file, "/run/token");
  EXPECT_TRUE(p.auth.function_key_env.empty());  // auth replaces, it does not merge
  EXPECT_EQ((*fns)[2].url, "");
}

TEST(HttpFunctionsYaml, ErrorsNameFileFunctionAndKey) {
  auto bad_url = ParseHttpFunctionsYaml("functions:\n  f:\n    url: ftp://x\n", "fns.yaml");
  ASSERT_FALSE(bad_url.ok());
  EXPECT_NE(bad_url.status().message().find("fns.yaml: function 'f': url"), std::string::npos)
      << bad_url.status().message();
  auto bad_auth = ParseHttpFunctionsYaml("functions:\n  f:\n    auth: {bearerToken: x}\n", "fns.yaml");
  ASSERT_FALSE(bad_auth.ok());
  EXPECT_NE(bad_auth.status().message().find("auth.bearerToken"), std::string::npos);
  auto both = ParseHttpFunctionsYaml(
      "functions:\n  f:\n    auth: {bearerTokenEnv: A, bearerTokenFile: /b}\n", "fns.yaml");
  ASSERT_FALSE(both.ok());
  auto bad_in = ParseHttpFunctionsYaml(
      "provider:\n  http:\n    auth: {functionKeyIn: body}\nfunctions:\n  f: {}\n", "fns.yaml");
  ASSERT_FALSE(bad_in.ok());
  EXPECT_NE(bad_in.status().message().find("fns.yaml: provider: http.auth.functionKeyIn"), std::string::npos)
      << bad_in.status().message();
  auto yaml = ParseHttpFunctionsYaml("functions: [\n", "fns.yaml");
  ASSERT_FALSE(yaml.ok());
  EXPECT_NE(yaml.status().message().find("fns.yaml: line"), std::string::npos);
}

}  // namespace
}  // namespace sl::faas
