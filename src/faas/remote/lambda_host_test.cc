// LambdaHost against the real Lambda API front (faas/front) serving scripted invokers, and
// against scripted HTTP peers for what the front never sends (5xx, resets, garbage, no REPORT).
#include "faas/remote/lambda_host.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "faas/economics/ledger.h"
#include "faas/economics/pricing.h"
#include "faas/front/lambda_front.h"
#include "faas/front/scripted_invoker.h"
#include "faas/remote/remote_test_util.h"

namespace sl::faas {
namespace {

using testing::NoSleepClock;
using testing::RawPeer;
using testing::ScriptedServer;
using testing::LambdaError;

const AwsCredentials kCreds{"AKIDCLIENT", "client-secret", ""};

// An Invoker whose answers are scripted per call: throttle the first N calls, or return a full
// REPORT line (the ScriptedInvoker's has Duration and Billed Duration only).
class SequenceInvoker final : public Invoker {
 public:
  std::function<InvokeResult(const InvokeRequest&, int call)> answer;
  std::atomic<int> calls{0};
  std::future<InvokeResult> Invoke(InvokeRequest request) override {
    std::promise<InvokeResult> p;
    if (request.type == InvocationType::kDryRun) {
      p.set_value(InvokeResult{});
    } else {
      p.set_value(answer(request, calls.fetch_add(1)));
    }
    return p.get_future();
  }
};

InvokeResult Throttled() {
  InvokeResult r;
  r.status = ResourceExhausted("Rate Exceeded");
  return r;
}

InvokeResult Ok(std::string payload, std::string log = "") {
  InvokeResult r;
  r.request_id = "11111111-2222-4333-8444-555555555555";
  r.payload = std::move(payload);
  r.log_tail = std::move(log);
  return r;
}

class LambdaHostTest : public ::testing::Test {
 protected:
  void StartFront(Invoker* invoker, std::function<void(FrontOptions&)> tweak = nullptr) {
    FrontOptions o;
    o.metrics = &registry_;
    o.events.workers = 0;
    if (tweak) tweak(o);
    auto front = LambdaFront::Start(invoker, o);
    ASSERT_TRUE(front.ok()) << front.status().ToString();
    front_ = std::move(front).value();
  }

  LambdaHostOptions Options(const std::string& endpoint) {
    LambdaHostOptions o;
    o.endpoint_url = endpoint;
    o.region = "us-east-1";
    o.credentials = kCreds;
    o.clock = &clock_;
    o.retry.initial_backoff = std::chrono::milliseconds(1);
    o.retry.max_backoff = std::chrono::milliseconds(8);
    o.retry.max_attempts = 3;
    o.max_concurrency = 8;
    o.env = MapEnv({});  // never the real environment
    return o;
  }

  std::unique_ptr<LambdaHost> Host(LambdaHostOptions o) {
    auto h = LambdaHost::Create(std::move(o));
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? std::move(h).value() : nullptr;
  }
  std::unique_ptr<LambdaHost> Host(const std::string& endpoint) { return Host(Options(endpoint)); }

  static InvokeResult Call(LambdaHost& host, const std::string& fn, const std::string& payload,
                           bool tail = false) {
    InvokeRequest r;
    r.function = fn;
    r.payload = payload;
    r.tail_log = tail;
    return host.Invoke(std::move(r)).get();
  }

  void TearDown() override {
    if (front_) front_->Stop();
  }

  NoSleepClock clock_;
  MetricsRegistry registry_;
  std::unique_ptr<LambdaFront> front_;
};

TEST_F(LambdaHostTest, SuccessThroughTheFront) {
  auto inv = ScriptedInvoker::WithStandardFunctions();
  StartFront(inv.get());
  auto host = Host(front_->endpoint());
  ASSERT_TRUE(host);
  EXPECT_EQ(host->kind(), "lambda");
  InvokeResult r = Call(*host, "echo", R"({"x":1})");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.payload, R"({"x":1})");
  EXPECT_EQ(r.outcome, Outcome::kSuccess);
  EXPECT_TRUE(r.function_error.empty());
  EXPECT_FALSE(r.request_id.empty());
  EXPECT_TRUE(r.log_tail.empty());  // not asked for
  // The scripted REPORT line has Duration and Billed Duration: the platform's report is used.
  EXPECT_EQ(r.billing, BillingSource::kPlatformReport);
  EXPECT_GT(r.cost_usd, 0);
  EXPECT_EQ(inv->calls("echo"), 1);

  InvokeResult t = Call(*host, "echo", "{}", /*tail=*/true);
  ASSERT_TRUE(t.status.ok());
  EXPECT_NE(t.log_tail.find("REPORT RequestId: "), std::string::npos) << t.log_tail;
  EXPECT_NE(t.log_tail.find("echo: 2 bytes"), std::string::npos);
}

TEST_F(LambdaHostTest, FunctionErrorsAreTyped) {
  ScriptedInvoker inv;
  auto error = [](std::string type, std::string kind) {
    return [type, kind](const std::string&) {
      return ScriptedReply{nlohmann::json{{"errorMessage", "m"}, {"errorType", type}}.dump(), kind, ""};
    };
  };
  inv.Add("handled", error("ValueError", "Handled"));
  inv.Add("unhandled", error("RuntimeError", "Unhandled"));
  inv.Add("timeout", error("Sandbox.Timedout", "Unhandled"));
  inv.Add("oom", error("Runtime.OutOfMemory", "Unhandled"));
  inv.Add("crash", error("Runtime.ExitError", "Unhandled"));
  StartFront(&inv);
  auto host = Host(front_->endpoint());
  ASSERT_TRUE(host);
  struct Case {
    std::string fn;
    Outcome outcome;
    std::string function_error;
  };
  for (const Case& c : {Case{"handled", Outcome::kHandledError, "Handled"},
                        Case{"unhandled", Outcome::kUnhandled, "Unhandled"},
                        Case{"timeout", Outcome::kTimeout, "Unhandled"},
                        Case{"oom", Outcome::kOutOfMemory, "Unhandled"},
                        Case{"crash", Outcome::kCrash, "Unhandled"}}) {
    InvokeResult r = Call(*host, c.fn, "{}");
    ASSERT_TRUE(r.status.ok()) << c.fn << ": " << r.status.ToString();
    EXPECT_EQ(r.outcome, c.outcome) << c.fn;
    EXPECT_EQ(r.function_error, c.function_error) << c.fn;
    EXPECT_NE(r.payload.find("errorType"), std::string::npos) << c.fn;
    EXPECT_EQ(inv.calls(c.fn), 1) << c.fn << ": function errors are not retried";
  }
}

TEST_F(LambdaHostTest, ReportLineGivesBillingMemoryAndColdStart) {
  SequenceInvoker inv;
  inv.answer = [](const InvokeRequest&, int) {
    return Ok("{}",
              "START RequestId: r Version: $LATEST\nhello\nEND RequestId: r\n"
              "REPORT RequestId: r\tDuration: 1234.56 ms\tBilled Duration: 1235 ms \tMemory Size: 512 MB\t"
              "Max Memory Used: 100 MB\tInit Duration: 250.00 ms\t\n");
  };
  StartFront(&inv);
  std::string dir = ::testing::TempDir() + "/sl-lambda-ledger-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  LambdaHostOptions o = Options(front_->endpoint());
  o.ledger_path = dir + "/ledger.jsonl";
  auto host = Host(o);
  ASSERT_TRUE(host);
  InvokeRequest req;
  req.function = "fn";
  req.payload = "{}";
  req.stage = "round-1";
  InvokeResult r = host->Invoke(req).get();
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.billing, BillingSource::kPlatformReport);
  EXPECT_DOUBLE_EQ(r.duration_ms, 1234.56);
  EXPECT_DOUBLE_EQ(r.billed_ms, 1235);
  EXPECT_EQ(r.max_memory_mb, 100);
  EXPECT_TRUE(r.cold_start);
  EXPECT_DOUBLE_EQ(r.init_ms, 250);
  auto profile = LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(profile.ok());
  auto want = PriceInvocation(*profile, 1235, 512);
  ASSERT_TRUE(want.ok());
  EXPECT_DOUBLE_EQ(r.cost_usd, want->cost_usd);

  host.reset();  // flushes nothing (each Append is one write), but ends the workers
  auto ledger = ReadLedger(dir + "/ledger.jsonl");
  ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
  ASSERT_EQ(ledger->size(), 1u);
  const InvocationRecord& rec = (*ledger)[0];
  EXPECT_EQ(rec.host, "lambda");
  EXPECT_EQ(rec.billing, BillingSource::kPlatformReport);
  EXPECT_EQ(rec.function, "fn");
  EXPECT_EQ(rec.stage, "round-1");
  EXPECT_EQ(rec.memory_mb, 512);
  EXPECT_EQ(rec.provider, "aws-lambda");
  EXPECT_DOUBLE_EQ(rec.cost_usd, r.cost_usd);
  std::filesystem::remove_all(dir);
}

TEST_F(LambdaHostTest, ThrottlingIsRetriedThenReported) {
  SequenceInvoker inv;
  inv.answer = [](const InvokeRequest&, int call) { return call < 2 ? Throttled() : Ok("\"done\""); };
  StartFront(&inv);
  auto host = Host(front_->endpoint());
  ASSERT_TRUE(host);
  InvokeResult r = Call(*host, "fn", "{}");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.payload, "\"done\"");
  EXPECT_EQ(inv.calls.load(), 3);
  // The front sends Retry-After: 1; the waits honoured it (on the no-sleep clock).
  EXPECT_EQ(clock_.sleeps(), 2);
  EXPECT_GE(clock_.slept(), std::chrono::seconds(2));

  inv.answer = [](const InvokeRequest&, int) { return Throttled(); };
  inv.calls = 0;
  InvokeResult t = Call(*host, "fn", "{}");
  EXPECT_EQ(t.status.code(), Code::kResourceExhausted) << t.status.ToString();
  EXPECT_EQ(t.outcome, Outcome::kThrottled);
  EXPECT_EQ(inv.calls.load(), 3);  // max_attempts
  EXPECT_NE(t.status.message().find("TooManyRequestsException"), std::string::npos) << t.status.message();
  EXPECT_NE(t.status.message().find("after 3 attempts"), std::string::npos) << t.status.message();
  EXPECT_DOUBLE_EQ(t.cost_usd, 0);
}

TEST_F(LambdaHostTest, MapLargerThanTheConcurrencyCompletes) {
  // Every payload is throttled twice before it runs: with max_attempts 1 an Invoke gives up, but
  // a map keeps retrying throttles (map_throttle_patience).
  SequenceInvoker inv;
  std::mutex mu;
  std::map<std::string, int> seen;
  inv.answer = [&](const InvokeRequest& r, int) {
    std::lock_guard<std::mutex> lock(mu);
    if (seen[r.payload]++ < 2) return Throttled();
    return Ok(r.payload);
  };
  StartFront(&inv);
  LambdaHostOptions o = Options(front_->endpoint());
  o.retry.max_attempts = 1;
  o.max_concurrency = 3;
  auto host = Host(o);
  ASSERT_TRUE(host);
  std::vector<std::string> payloads;
  for (int i = 0; i < 10; ++i) payloads.push_back(std::to_string(i));
  auto futures = host->Map("fn", payloads);
  ASSERT_EQ(futures.size(), payloads.size());
  for (size_t i = 0; i < futures.size(); ++i) {
    InvokeResult r = futures[i].get();
    ASSERT_TRUE(r.status.ok()) << i << ": " << r.status.ToString();
    EXPECT_EQ(r.payload, payloads[i]);
  }
  EXPECT_EQ(inv.calls.load(), 30);
  InvokeResult single = Call(*host, "fn", "\"fresh\"");
  EXPECT_EQ(single.outcome, Outcome::kThrottled);
}

TEST_F(LambdaHostTest, PlatformErrorsMapToCodes) {
  auto inv = ScriptedInvoker::WithStandardFunctions();
  inv->set_max_payload_bytes(64);
  StartFront(inv.get());
  auto host = Host(front_->endpoint());
  ASSERT_TRUE(host);
  InvokeResult nf = Call(*host, "nope", "{}");
  EXPECT_EQ(nf.status.code(), Code::kNotFound) << nf.status.ToString();
  EXPECT_EQ(nf.outcome, Outcome::kPlatformError);
  EXPECT_NE(nf.status.message().find("ResourceNotFoundException"), std::string::npos);
  EXPECT_NE(nf.status.message().find("'nope'"), std::string::npos);
  InvokeResult bad = Call(*host, "echo", "not json");
  EXPECT_EQ(bad.status.code(), Code::kInvalidArgument) << bad.status.ToString();
  EXPECT_NE(bad.status.message().find("InvalidRequestContentException"), std::string::npos);
  InvokeResult big = Call(*host, "echo", "\"" + std::string(100, 'x') + "\"");
  EXPECT_EQ(big.status.code(), Code::kOutOfRange) << big.status.ToString();
  EXPECT_EQ(clock_.sleeps(), 0);  // none of these is retried
}

TEST_F(LambdaHostTest, EventAndDryRun) {
  auto inv = ScriptedInvoker::WithStandardFunctions();
  StartFront(inv.get());
  auto host = Host(front_->endpoint());
  ASSERT_TRUE(host);
  InvokeRequest dry;
  dry.function = "echo";
  dry.payload = "{}";
  dry.type = InvocationType::kDryRun;
  InvokeResult d = host->Invoke(dry).get();
  EXPECT_TRUE(d.status.ok()) << d.status.ToString();
  dry.function = "nope";
  EXPECT_EQ(host->Invoke(dry).get().status.code(), Code::kNotFound);
  InvokeRequest ev;
  ev.function = "echo";
  ev.payload = "{}";
  ev.type = InvocationType::kEvent;
  InvokeResult e = host->Invoke(ev).get();
  EXPECT_TRUE(e.status.ok()) << e.status.ToString();
  EXPECT_FALSE(e.request_id.empty());
  EXPECT_EQ(front_->events().RunDue(), 1);
  EXPECT_EQ(inv->calls("echo"), 1);
}

TEST_F(LambdaHostTest, ServerErrorsAreRetriedAsTheSdksDo) {
  HttpResponse ok = HttpResponse::Json(200, "\"fine\"");
  ScriptedServer flaky({LambdaError(500, "ServiceException", "boom"), LambdaError(503, "ServiceException", "busy"),
                        ok});
  auto host = Host(flaky.url());
  ASSERT_TRUE(host);
  InvokeResult r = Call(*host, "fn", "{}");
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.payload, "\"fine\"");
  EXPECT_EQ(flaky.requests(), 3);
  // No REPORT line came back: the round trip is what is billed.
  EXPECT_EQ(r.billing, BillingSource::kMeasuredByCaller);
  EXPECT_GT(r.cost_usd, 0);
  EXPECT_EQ(flaky.request(0).headers.Get("X-Amz-Log-Type"), "Tail");
  EXPECT_EQ(flaky.request(0).headers.Get("X-Amz-Invocation-Type"), "RequestResponse");
  EXPECT_EQ(flaky.request(0).path, "/2015-03-31/functions/fn/invocations");

  ScriptedServer down({LambdaError(502, "ServiceException", "bad gateway")});
  auto host2 = Host(down.url());
  InvokeResult u = Call(*host2, "fn", "{}");
  EXPECT_EQ(u.status.code(), Code::kUnavailable) << u.status.ToString();
  EXPECT_EQ(u.outcome, Outcome::kPlatformError);
  EXPECT_EQ(down.requests(), 3);
}

TEST_F(LambdaHostTest, MaybeExecutedFailuresCanBeLeftUnretried) {
  ScriptedServer down({LambdaError(500, "ServiceException", "boom")});
  LambdaHostOptions o = Options(down.url());
  o.retry.retry_when_maybe_executed = false;
  auto host = Host(o);
  ASSERT_TRUE(host);
  EXPECT_EQ(Call(*host, "fn", "{}").status.code(), Code::kUnavailable);
  EXPECT_EQ(down.requests(), 1);
  // ...but an init failure proves the handler never ran: retried anyway.
  ScriptedServer init({LambdaError(502, "EC2ThrottledException", "ec2"), HttpResponse::Json(200, "1")});
  LambdaHostOptions o2 = Options(init.url());
  o2.retry.retry_when_maybe_executed = false;
  auto host2 = Host(o2);
  InvokeResult r = Call(*host2, "fn", "{}");
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(init.requests(), 2);
}

TEST_F(LambdaHostTest, ConnectionFailuresAndGarbage) {
  auto refused = Host(testing::RefusingUrl());
  ASSERT_TRUE(refused);
  InvokeResult r = Call(*refused, "fn", "{}");
  EXPECT_EQ(r.status.code(), Code::kUnavailable) << r.status.ToString();
  EXPECT_NE(r.status.message().find("after 3 attempts"), std::string::npos) << r.status.message();

  RawPeer closer("");
  auto host = Host(closer.url());
  InvokeResult c = Call(*host, "fn", "{}");
  EXPECT_EQ(c.status.code(), Code::kUnavailable) << c.status.ToString();
  EXPECT_EQ(closer.connections(), 3);

  RawPeer garbage("this is not HTTP\r\n\r\n");
  auto host2 = Host(garbage.url());
  InvokeResult g = Call(*host2, "fn", "{}");
  EXPECT_FALSE(g.status.ok());
  EXPECT_EQ(g.outcome, Outcome::kPlatformError);
}

TEST_F(LambdaHostTest, ClientTimeoutIsDeadlineExceededAndNotRetried) {
  std::mutex mu;
  std::vector<HttpResponder> held;
  ScriptedServer slow([&](const HttpRequest&, int, HttpResponder respond) {
    std::lock_guard<std::mutex> lock(mu);
    held.push_back(std::move(respond));
  });
  LambdaHostOptions o = Options(slow.url());
  o.read_timeout_ms = 200;
  auto host = Host(o);
  ASSERT_TRUE(host);
  InvokeResult r = Call(*host, "fn", "{}");
  EXPECT_EQ(r.status.code(), Code::kDeadlineExceeded) << r.status.ToString();
  EXPECT_EQ(slow.requests(), 1);
  std::lock_guard<std::mutex> lock(mu);
  for (auto& h : held) h(HttpResponse::Json(200, "1"));
}

TEST_F(LambdaHostTest, InvokeDoesNotBlockTheCaller) {
  std::mutex mu;
  std::vector<HttpResponder> held;
  std::condition_variable cv;
  ScriptedServer slow([&](const HttpRequest&, int, HttpResponder respond) {
    std::lock_guard<std::mutex> lock(mu);
    held.push_back(std::move(respond));
    cv.notify_all();
  });
  auto host = Host(slow.url());
  ASSERT_TRUE(host);
  InvokeRequest req;
  req.function = "fn";
  req.payload = "{}";
  auto f1 = host->Invoke(req);
  auto f2 = host->Invoke(req);
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return held.size() == 2; });  // both in flight at once
    EXPECT_EQ(f1.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
    for (auto& h : held) h(HttpResponse::Json(200, "\"ok\""));
  }
  EXPECT_EQ(f1.get().payload, "\"ok\"");
  EXPECT_EQ(f2.get().payload, "\"ok\"");
}

TEST_F(LambdaHostTest, PermissionDeniedSaysToCheckCredentials) {
  ScriptedServer denied({LambdaError(403, "UnrecognizedClientException", "The security token included in the "
                                                                         "request is invalid.")});
  auto host = Host(denied.url());
  ASSERT_TRUE(host);
  InvokeResult r = Call(*host, "fn", "{}");
  EXPECT_EQ(r.status.code(), Code::kPermissionDenied) << r.status.ToString();
  EXPECT_NE(r.status.message().find("check the credentials"), std::string::npos);
  EXPECT_NE(r.status.message().find("AKIDCLIENT from options"), std::string::npos) << r.status.message();
  EXPECT_EQ(denied.requests(), 1);
}

TEST_F(LambdaHostTest, DeployUsesAnExistingFunctionAndDescribes) {
  auto inv = ScriptedInvoker::WithStandardFunctions();
  StartFront(inv.get(), [](FrontOptions& o) {
    o.list_functions = [] {
      return std::vector<FunctionSummary>{{"echo", "straightline-builtin", "echo", "aws-lambda", 256, 7}};
    };
  });
  auto host = Host(front_->endpoint());
  ASSERT_TRUE(host);
  FunctionSpec spec;
  spec.name = "echo";
  spec.handler = "echo";
  spec.memory_mb = 256;
  spec.timeout_s = 7;
  EXPECT_TRUE(host->Deploy(spec).ok());
  auto d = host->Describe("echo");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->host, "lambda");
  EXPECT_FALSE(d->has_live_state);
  EXPECT_EQ(d->spec.memory_mb, 256);
  EXPECT_DOUBLE_EQ(d->spec.timeout_s, 7);
  EXPECT_EQ(d->spec.handler, "echo");
  EXPECT_EQ(host->Describe("nope").status().code(), Code::kNotFound);
}

TEST_F(LambdaHostTest, DeployCreatesAMissingFunction) {
  auto inv = ScriptedInvoker::WithStandardFunctions();
  std::mutex mu;
  std::vector<FunctionSummary> catalogue;
  std::vector<CreateFunctionRequest> created;
  StartFront(inv.get(), [&](FrontOptions& o) {
    o.list_functions = [&] {
      std::lock_guard<std::mutex> lock(mu);
      return catalogue;
    };
    o.create_function = [&](const CreateFunctionRequest& c) -> Result<FunctionSummary> {
      std::lock_guard<std::mutex> lock(mu);
      if (c.handler != "echo") return InvalidArgument("handler '{}' is not built in", c.handler);
      for (const auto& f : catalogue) {
        if (f.name == c.name) return AlreadyExists("Function already exist: {}", c.name);
      }
      created.push_back(c);
      FunctionSummary s{c.name, "straightline-builtin", c.handler, "", c.memory_mb, double(c.timeout_s),
                        c.environment};
      catalogue.push_back(s);
      return s;
    };
  });
  auto host = Host(front_->endpoint());
  ASSERT_TRUE(host);
  FunctionSpec spec;
  spec.name = "job-1-echo";
  spec.handler = "echo";
  spec.memory_mb = 1769;
  spec.timeout_s = 120;
  spec.environment = {{"SL_STORE", "s3://b/j"}};
  Status s = host->Deploy(spec);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].name, "job-1-echo");
  EXPECT_EQ(created[0].handler, "echo");
  EXPECT_EQ(created[0].memory_mb, 1769);
  EXPECT_EQ(created[0].timeout_s, 120);
  EXPECT_EQ(created[0].environment.at("SL_STORE"), "s3://b/j");
  EXPECT_TRUE(host->Deploy(spec).ok());  // now it exists: used as it is
  EXPECT_EQ(created.size(), 1u);

  FunctionSpec other = spec;
  other.name = "job-1-custom";
  other.handler = "my.handler";
  Status refused = host->Deploy(other);
  EXPECT_EQ(refused.code(), Code::kNotFound) << refused.ToString();
  EXPECT_NE(refused.message().find("InvalidParameterValueException"), std::string::npos) << refused.message();
  EXPECT_NE(refused.message().find("straightline package"), std::string::npos);
  EXPECT_NE(refused.message().find("functions file"), std::string::npos);

  FunctionSpec too_big = spec;
  too_big.name = "job-1-big";
  too_big.memory_mb = 20000;  // over Lambda's 10,240 MB
  EXPECT_EQ(host->Deploy(too_big).code(), Code::kInvalidArgument);
  too_big.memory_mb = 1024;
  too_big.timeout_s = 3600;  // over Lambda's 900 s
  EXPECT_EQ(host->Deploy(too_big).code(), Code::kInvalidArgument);
  EXPECT_EQ(created.size(), 1u);
}

TEST_F(LambdaHostTest, DeployOnAnEndpointWithoutCatalogue) {
  auto inv = ScriptedInvoker::WithStandardFunctions();
  StartFront(inv.get());
  auto host = Host(front_->endpoint());
  ASSERT_TRUE(host);
  FunctionSpec spec;
  spec.name = "echo";
  spec.handler = "echo";
  EXPECT_TRUE(host->Deploy(spec).ok());
  EXPECT_EQ(host->Describe("echo").status().code(), Code::kUnimplemented);
}

TEST_F(LambdaHostTest, DeployWithAnImageSendsWhatAwsNeedsAndWaitsForActive) {
  ScriptedServer aws([](const HttpRequest& req, int index, HttpResponder respond) {
    if (req.method == "GET" && req.path == "/2015-03-31/functions/fn") {
      return respond(testing::LambdaError(404, "ResourceNotFoundException", "Function not found"));
    }
    if (req.method == "POST") {
      return respond(HttpResponse::Json(201, R"({"FunctionName":"fn","State":"Pending"})"));
    }
    std::string state = index < 3 ? "Pending" : "Active";  // the first poll (request 2) is Pending
    respond(HttpResponse::Json(200, nlohmann::json{{"FunctionName", "fn"}, {"State", state}}.dump()));
  });
  LambdaHostOptions o = Options(aws.url());
  o.image_uri = "123456789012.dkr.ecr.us-east-1.amazonaws.com/straightline:1";
  o.role_arn = "arn:aws:iam::123456789012:role/sl";
  auto host = Host(o);
  ASSERT_TRUE(host);
  FunctionSpec spec;
  spec.name = "fn";
  spec.handler = "train-shard";
  spec.memory_mb = 2048;
  spec.timeout_s = 60;
  Status s = host->Deploy(spec);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(aws.requests(), 4);  // GetFunction, CreateFunction, 2 x GetFunctionConfiguration
  nlohmann::json body = nlohmann::json::parse(aws.request(1).body);
  EXPECT_EQ(body["PackageType"], "Image");
  EXPECT_EQ(body["Code"]["ImageUri"], o.image_uri);
  EXPECT_EQ(body["Role"], o.role_arn);
  EXPECT_EQ(body["ImageConfig"]["Command"][0], "train-shard");
  EXPECT_EQ(body["MemorySize"], 2048);
  EXPECT_EQ(body["Timeout"], 60);
  EXPECT_FALSE(body.contains("Runtime"));  // Lambda refuses Runtime/Handler for images
  EXPECT_FALSE(body.contains("Handler"));
  EXPECT_EQ(aws.request(2).path, "/2015-03-31/functions/fn/configuration");
}

TEST(LambdaHostCreate, OptionErrors) {
  LambdaHostOptions o;
  o.env = MapEnv({{"HOME", "/nonexistent-sl-test-home"}});
  o.endpoint_url = "http://127.0.0.1:1";
  auto none = LambdaHost::Create(o);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), Code::kNotFound);
  EXPECT_NE(none.status().message().find("AWS_ACCESS_KEY_ID"), std::string::npos);
  o.credentials = kCreds;
  o.endpoint_url = "ftp://x";
  EXPECT_EQ(LambdaHost::Create(o).status().code(), Code::kInvalidArgument);
  o.endpoint_url = "http://127.0.0.1:1";
  o.image_uri = "img";
  EXPECT_EQ(LambdaHost::Create(o).status().code(), Code::kInvalidArgument);
  o.image_uri.clear();
  o.provider = "no-such-profile";
  EXPECT_EQ(LambdaHost::Create(o).status().code(), Code::kNotFound);
  // Region and credentials from the environment; the default endpoint follows the region.
  LambdaHostOptions e;
  e.env = MapEnv({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "s"}, {"AWS_REGION", "eu-west-3"}});
  auto h = LambdaHost::Create(e);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ((*h)->endpoint(), "https://lambda.eu-west-3.amazonaws.com");
  EXPECT_EQ((*h)->region(), "eu-west-3");
  EXPECT_EQ((*h)->credentials_source(), "environment");
}

}  // namespace
}  // namespace sl::faas
