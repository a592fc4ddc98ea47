// The aws-sam template's function run as Lambda runs a container-image function: the function
// image `straightline package function` builds (unpacked by umoci), its ENTRYPOINT with the
// template's ImageConfig.Command as CMD, the template's Environment.Variables over the image's
// Env plus what Lambda sets (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME,
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE = MemorySize), a memory limit of MemorySize and the CPU
// share AWS Lambda gives it (profiles/aws-lambda.yaml), a read-only root with a writable /tmp,
// a non-root user; invocations delivered through a Runtime API served here, as Lambda's: the
// events API Gateway sends for the template's HttpApi route (payload format 2.0, the v2 body in
// "body", plain and base64-encoded; bad input; a body that is not JSON), answered in the 2.0
// response format with 200 / 400, and one direct invocation with the v2 body (the function
// tier's way, through the Invoke API). Skips, saying why, without runc or umoci.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/http_server.h"
#include "deploy/targets.h"
#include "deploy/testing/descriptor_container.h"
#include "faas/economics/provider_profile.h"
#include "package/image_builder.h"
#include "package/subprocess.h"
#include "serve/remote/replica_process.h"
#include "serve/serve_test_util.h"

namespace sl::deploy {
namespace {

using nlohmann::json;

// Invocations through the Runtime API (2018-06-01), one at a time in order; once all are handed
// out, later polls are left waiting, as Lambda's are while no event comes.
struct Invocations {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> payloads;
  size_t handed = 0;
  std::map<std::string, std::string> responses, errors;  // by request id
  std::vector<HttpResponder> parked;
  size_t Answered() const { return responses.size() + errors.size(); }
};

// The event API Gateway sends for `METHOD PATH` of an HTTP API (payload format 2.0: lower-case
// headers, body base64-encoded when isBase64Encoded).
json HttpApiEvent(const std::string& method, const std::string& path, const std::string& body, bool base64,
                  const std::string& content_type = "application/json") {
  return {{"version", "2.0"},
          {"routeKey", method + " " + path},
          {"rawPath", path},
          {"rawQueryString", ""},
          {"headers",
           {{"content-type", content_type},
            {"content-length", std::to_string(body.size())},
            {"host", "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"},
            {"user-agent", "curl/7.88.1"},
            {"x-forwarded-proto", "https"}}},
          {"requestContext",
           {{"accountId", "123456789012"},
            {"apiId", "a1b2c3d4e5"},
            {"domainName", "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"},
            {"domainPrefix", "a1b2c3d4e5"},
            {"http",
             {{"method", method},
              {"path", path},
              {"protocol", "HTTP/1.1"},
              {"sourceIp", "203.0.113.7"},
              {"userAgent", "curl/7.88.1"}}},
            {"requestId", "JKJaXmPLvHcESHA="},
            {"routeKey", method + " " + path},
            {"stage", "$default"},
            {"time", "07/Dec/2026:05:20:00 +0000"},
            {"timeEpoch", 1796620800000}}},
          {"body", base64 ? Base64Encode(body) : body},
          {"isBase64Encoded", base64}};
}

TEST(SamFunctionRun, TheFunctionImageAnswersAnInvocationAsTheTemplateSays) {
  serve::RuncProbe runc = serve::ProbeRunc("runc");
  if (!runc.usable) GTEST_SKIP() << "SKIPPED: runc cannot run here: " << runc.reason;
  auto umoci = package::RunProcess({"umoci", "--version"});
  if (!umoci.ok() || umoci->exit_code != 0) GTEST_SKIP() << "SKIPPED: umoci is not installed";

  TempDir dir("sl-deploy-sam");
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
  const std::string model = dir.path() + "/tiny";
  const ml::Dataset raw = serve::testing::WriteTinyModel(model);
  ASSERT_FALSE(raw.features.empty());
  ASSERT_EQ(chmod(model.c_str(), 0755), 0);
  const std::string fns = dir.path() + "/functions.yaml";
  ASSERT_TRUE(WriteFileAtomic(fns, "provider: {name: aws-lambda}\n"
                                   "functions:\n"
                                   "  img_classify:\n"
                                   "    handler: predict\n"
                                   "    memorySize: 1024\n"
                                   "    timeout: 10\n"
                                   "    reservedConcurrency: 4\n"
                                   "    environment: {STRAIGHTLINE_MODEL_NAME: tiny}\n").ok());
  FunctionsFlags f;
  f.functions_file = fns;
  f.image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/tiny-fn:v1";
  auto spec = ResolveFunctions(f);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto tmpl = SamTemplate(*spec);
  ASSERT_TRUE(tmpl.ok()) << tmpl.status().ToString();
  const json props = (*tmpl)["Resources"]["ImgClassifyFunction"]["Properties"];

  // The function image of the model.
  package::PackageOptions o;
  o.kind = package::ImageKind::kFunction;
  o.binary = SL_WORKER_BIN;
  o.models = {model};
  o.handler = "echo";  // the template's ImageConfig.Command must be what picks predict
  o.layer.compression = package::Compression::kNone;
  o.scratch_dir = dir.path() + "/scratch";
  ASSERT_TRUE(MakeDirs(o.scratch_dir).ok());
  auto built = package::BuildImage(o, dir.path() + "/fn.oci");
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  const std::string unpacked = dir.path() + "/fn-bundle";
  auto up = package::RunProcess({"umoci", "unpack", "--image", dir.path() + "/fn.oci:" + built->ref_name, unpacked});
  ASSERT_TRUE(up.ok());
  ASSERT_EQ(up->exit_code, 0) << up->err;
  std::vector<std::string> image_env;
  const json cfg = json::parse(ReadFileToString(unpacked + "/config.json").value_or("{}"));
  for (const auto& e : cfg["process"]["env"]) image_env.push_back(e);

  // The Runtime API, with what API Gateway would send on the template's route, then a direct call.
  const json event = props["Events"]["Infer"];
  ASSERT_EQ(event["Type"], "HttpApi");
  ASSERT_EQ(event["Properties"]["PayloadFormatVersion"], "2.0");
  const std::string method = event["Properties"]["Method"], path = event["Properties"]["Path"];
  const std::string body = serve::testing::JsonBody(raw, 0, 2);
  auto inv = std::make_shared<Invocations>();
  inv->payloads = {
      HttpApiEvent(method, path, body, false).dump(),
      HttpApiEvent(method, path, body, true).dump(),
      HttpApiEvent(method, path, R"({"inputs":[{"name":"input","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]})",
                   false)
          .dump(),
      HttpApiEvent(method, path, "this is not JSON", false, "text/plain").dump(),
      body,
  };
  auto api = HttpServer::Start(HttpServer::Options{}, [inv](HttpRequest&& req, HttpResponder respond) {
    std::unique_lock<std::mutex> lock(inv->mu);
    const std::string prefix = "/2018-06-01/runtime/";
    if (req.method == "GET" && req.path == prefix + "invocation/next") {
      if (inv->handed == inv->payloads.size()) {
        inv->parked.push_back(std::move(respond));
        return;
      }
      const size_t i = inv->handed++;
      HttpResponse r = HttpResponse::Json(200, inv->payloads[i]);
      r.headers.Set("Lambda-Runtime-Aws-Request-Id", "req-" + std::to_string(i));
      r.headers.Set("Lambda-Runtime-Deadline-Ms",
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       Clock::Real()->WallNow().time_since_epoch())
                                       .count() + 10000));
      r.headers.Set("Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:img_classify");
      r.headers.Set("Lambda-Runtime-Trace-Id", "Root=1-0-0");
      respond(std::move(r));
      return;
    }
    const std::string inv_prefix = prefix + "invocation/";
    if (req.method == "POST" && req.path.rfind(inv_prefix, 0) == 0) {
      const std::string rest = req.path.substr(inv_prefix.size());
      const std::string id = rest.substr(0, rest.find('/'));
      if (rest == id + "/response") {
        inv->responses[id] = req.body;
      } else {
        inv->errors[id] = req.path + ": " + req.body;
      }
    } else if (req.method == "POST") {
      inv->errors["init"] = req.path + ": " + req.body;
    } else {
      respond(HttpResponse::Json(404, R"({"errorType":"InvalidRequest"})"));
      return;
    }
    inv->cv.notify_all();
    respond(HttpResponse::Json(202, R"({"status":"OK"})"));
  });
  ASSERT_TRUE(api.ok()) << api.status().ToString();

  // The container, as the template describes it.
  auto lambda = faas::LoadProviderProfile("aws-lambda");
  ASSERT_TRUE(lambda.ok());
  const int64_t memory = props["MemorySize"];
  json env = json::array();
  for (const auto& [k, v] : props["Environment"]["Variables"].items()) env.push_back({{"name", k}, {"value", v}});
  for (const auto& [k, v] : std::map<std::string, std::string>{
           {"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:" + std::to_string((*api)->port())},
           {"AWS_LAMBDA_FUNCTION_NAME", "img_classify"},
           {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", std::to_string(memory)},
           {"AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"}}) {
    env.push_back({{"name", k}, {"value", v}});
  }
  const json limits = {{"memory", MemoryQuantity(memory)},
                       {"cpu", CpuQuantity(faas::VcpuForMemory(*lambda, memory))}};
  const json container = {
      {"command", package::MakeImageConfig(o, {"tiny"}).entrypoint},
      {"args", props["ImageConfig"]["Command"]},
      {"env", env},
      {"resources", {{"limits", limits}}},
      {"securityContext",
       {{"runAsUser", package::kImageUid}, {"runAsNonRoot", true}, {"readOnlyRootFilesystem", true},
        {"allowPrivilegeEscalation", false}, {"capabilities", {{"drop", {"ALL"}}}}}},
      {"volumeMounts", json::array({{{"name", "tmp"}, {"mountPath", "/tmp"}}})},
  };
  const json pod = {{"volumes", json::array({{{"name", "tmp"}, {"emptyDir", json::object()}}})}};
  testing::BundleInputs in;
  in.bundle_dir = dir.path() + "/bundle";
  in.rootfs = unpacked + "/rootfs";
  in.image_env = image_env;
  auto run = testing::WriteDescriptorBundle(container, pod, in);
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(run->args.back(), "predict");
  const std::string id = "sl-deploy-sam-" + std::to_string(getpid());
  auto proc = serve::ReplicaProcess::Start(serve::ReplicaMode::kRunc, id, runc.runc_path,
                                           in.bundle_dir, {}, {}, dir.path() + "/fn.log");
  ASSERT_TRUE(proc.ok()) << proc.status().ToString();

  {
    std::unique_lock<std::mutex> lock(inv->mu);
    inv->cv.wait_for(lock, std::chrono::seconds(60),
                     [&] { return inv->Answered() == inv->payloads.size() || inv->errors.count("init"); });
    ASSERT_EQ(inv->Answered(), inv->payloads.size())
        << "answers missing; log:\n" << ReadFileToString(dir.path() + "/fn.log").value_or("");
    for (const auto& [id, e] : inv->errors) ADD_FAILURE() << id << " posted a function error: " << e;
    // What API Gateway reads: a 2.0 response for each event.
    auto answer = [&](const std::string& id) {
      json a = json::parse(inv->responses[id], nullptr, false);
      EXPECT_TRUE(a.is_object() && a.contains("statusCode") && a.contains("body") && a.contains("isBase64Encoded"))
          << id << ": " << inv->responses[id];
      return a;
    };
    for (const char* id : {"req-0", "req-1"}) {
      json a = answer(id);
      EXPECT_EQ(a["statusCode"], 200) << id << ": " << a.dump();
      EXPECT_EQ(a["isBase64Encoded"], false);
      EXPECT_EQ(a["headers"]["content-type"], "application/json");
      const json out = json::parse(a["body"].get<std::string>(), nullptr, false);
      ASSERT_TRUE(out.is_object() && out.contains("outputs")) << id << ": " << a.dump();
      EXPECT_EQ(out["model_name"], "tiny");
      EXPECT_EQ(out["outputs"][0]["shape"][0], 2);
    }
    for (const char* id : {"req-2", "req-3"}) {
      json a = answer(id);
      EXPECT_EQ(a["statusCode"], 400) << id << ": " << a.dump();
      const json err = json::parse(a["body"].get<std::string>(), nullptr, false);
      ASSERT_TRUE(err.is_object() && err["error"].is_string()) << id << ": " << a.dump();
      EXPECT_FALSE(err["error"].get<std::string>().empty());
      EXPECT_EQ(err["errorType"], "INVALID_ARGUMENT") << id << ": " << a.dump();
    }
    // The direct invocation: the v2 response itself.
    const json out = json::parse(inv->responses["req-4"], nullptr, false);
    ASSERT_TRUE(out.is_object() && out.contains("outputs")) << inv->responses["req-4"];
    EXPECT_EQ(out["outputs"][0]["shape"][0], 2) << inv->responses["req-4"];
    EXPECT_EQ(out["model_name"], "tiny") << inv->responses["req-4"];
  }
  (*proc)->Kill();
  (*api)->Stop();
}

}  // namespace
}  // namespace sl::deploy
