// The aws-sam template's function run as Lambda runs a container-image function: the function
// image `straightline package function` builds (unpacked by umoci), its ENTRYPOINT with the
// template's ImageConfig.Command as CMD, the template's Environment.Variables over the image's
// Env plus what Lambda sets (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME,
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE = MemorySize), a memory limit of MemorySize and the CPU
// share AWS Lambda gives it (profiles/aws-lambda.yaml), a read-only root with a writable /tmp,
// a non-root user; one invocation delivered through a Runtime API served here, as Lambda's.
// API Gateway in front (the HttpApi route) is not emulated: the payload is the v2 body the
// route would carry. Skips, saying why, without runc or umoci.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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

// One invocation through the Runtime API (2018-06-01); later polls are left waiting, as
// Lambda's are while no event comes.
struct OneInvocation {
  std::mutex mu;
  std::condition_variable cv;
  std::string payload, response, error;
  bool handed = false, done = false;
  std::vector<HttpResponder> parked;
};

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

  // The Runtime API.
  auto inv = std::make_shared<OneInvocation>();
  inv->payload = serve::testing::JsonBody(raw, 0, 2);
  auto api = HttpServer::Start(HttpServer::Options{}, [inv](HttpRequest&& req, HttpResponder respond) {
    std::unique_lock<std::mutex> lock(inv->mu);
    const std::string prefix = "/2018-06-01/runtime/";
    if (req.method == "GET" && req.path == prefix + "invocation/next") {
      if (inv->handed) {
        inv->parked.push_back(std::move(respond));
        return;
      }
      inv->handed = true;
      HttpResponse r = HttpResponse::Json(200, inv->payload);
      r.headers.Set("Lambda-Runtime-Aws-Request-Id", "req-1");
      r.headers.Set("Lambda-Runtime-Deadline-Ms",
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count() + 10000));
      r.headers.Set("Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:img_classify");
      r.headers.Set("Lambda-Runtime-Trace-Id", "Root=1-0-0");
      respond(std::move(r));
      return;
    }
    if (req.method == "POST" && req.path == prefix + "invocation/req-1/response") {
      inv->response = req.body;
    } else if (req.method == "POST") {
      inv->error = req.path + ": " + req.body;
    } else {
      respond(HttpResponse::Json(404, R"({"errorType":"InvalidRequest"})"));
      return;
    }
    inv->done = true;
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
    inv->cv.wait_for(lock, std::chrono::seconds(60), [&] { return inv->done; });
    ASSERT_TRUE(inv->done) << "no answer; log:\n" << ReadFileToString(dir.path() + "/fn.log").value_or("");
    ASSERT_TRUE(inv->error.empty()) << inv->error;
    const json out = json::parse(inv->response, nullptr, false);
    ASSERT_TRUE(out.is_object() && out.contains("outputs")) << inv->response;
    EXPECT_EQ(out["outputs"][0]["shape"][0], 2) << inv->response;
    EXPECT_EQ(out["model_name"], "tiny") << inv->response;
  }
  (*proc)->Kill();
  (*api)->Stop();
}

}  // namespace
}  // namespace sl::deploy
