// The azure-functions project run as the Functions host runs a custom handler: the process
// host.json names (customHandler.description.defaultExecutablePath + arguments, from the app
// root) with the app settings of local.settings.json and FUNCTIONS_CUSTOMHANDLER_PORT in its
// environment; with enableForwardingHttpRequest, each HTTP-triggered function's request reaches
// it as the caller sent it, on /api/<function>. The Functions host itself is not here (Azure
// Functions Core Tools is not in Debian); this checks the half of the contract the project
// states: that the named executable, arguments and settings serve every function.json.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/http_client.h"
#include "deploy/targets.h"
#include "deploy/testing/descriptor_container.h"
#include "serve/remote/replica_process.h"
#include "serve/serve_test_util.h"

namespace sl::deploy {
namespace {

using nlohmann::json;

TEST(AzureProjectRun, TheCustomHandlerServesEveryFunctionAsTheHostWould) {
  TempDir dir("sl-deploy-azure");
  const std::string model = dir.path() + "/tiny";
  const ml::Dataset raw = serve::testing::WriteTinyModel(model);
  ASSERT_FALSE(raw.features.empty());
  const std::string fns = dir.path() + "/functions.yaml";
  ASSERT_TRUE(WriteFileAtomic(fns, "provider: {name: azure-functions, timeout: 30}\n"
                                   "functions:\n"
                                   "  img_classify:\n"
                                   "    handler: predict\n"
                                   "    environment: {STRAIGHTLINE_MODEL_DIR: " + model + "}\n"
                                   "  echo: {handler: echo}\n").ok());
  FunctionsFlags f;
  f.functions_file = fns;
  auto files = BuildTarget("azure-functions", ServingFlags{}, f);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  const std::string app = dir.path() + "/app";
  ASSERT_TRUE(WriteOutputs(app, *files).ok());

  // The app root holds the worker, as a deployment copies it there.
  const json host = json::parse(ReadFileToString(app + "/host.json").value());
  const json handler = host["customHandler"];
  ASSERT_EQ(handler["enableForwardingHttpRequest"], true);
  const std::string exe = handler["description"]["defaultExecutablePath"];
  std::filesystem::create_symlink(SL_WORKER_BIN, app + "/" + exe);
  // Forwarding applies only to functions whose bindings are exactly an HTTP trigger and an HTTP
  // output: every function.json must be so.
  for (const char* fn : {"img_classify", "echo"}) {
    const json fj = json::parse(ReadFileToString(app + "/" + fn + "/function.json").value());
    ASSERT_EQ(fj["bindings"].size(), 2u) << fn;
    EXPECT_EQ(fj["bindings"][0]["type"], "httpTrigger") << fn;
    EXPECT_EQ(fj["bindings"][1]["type"], "http") << fn;
  }

  const int port = testing::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  std::vector<std::string> argv = {app + "/" + exe};
  for (const auto& a : handler["description"].value("arguments", json::array())) argv.push_back(a);
  std::vector<std::string> env = {"FUNCTIONS_CUSTOMHANDLER_PORT=" + std::to_string(port),
                                  "PATH=/usr/bin:/bin", "TMPDIR=" + dir.path()};
  const json settings = json::parse(ReadFileToString(app + "/local.settings.json").value());
  for (const auto& [k, v] : settings["Values"].items()) env.push_back(k + "=" + v.get<std::string>());
  auto proc = serve::ReplicaProcess::Start(serve::ReplicaMode::kProcess,
                                           "azure-" + std::to_string(getpid()), "", "", argv, env,
                                           dir.path() + "/handler.log");
  ASSERT_TRUE(proc.ok()) << proc.status().ToString();

  HttpClient http(HttpClient::Options::Timeouts(1000, 10000));
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  const std::string body = serve::testing::JsonBody(raw, 0, 2);
  Result<HttpResponse> r = Unavailable("not tried");
  const auto deadline = Clock::Real()->Now() + std::chrono::seconds(60);
  while (Clock::Real()->Now() < deadline && !(*proc)->Exited()) {
    r = http.Post(base + "/api/img_classify", body);
    if (r.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << ReadFileToString(dir.path() + "/handler.log").value_or("");
  ASSERT_EQ(r->status, 200) << r->body;
  const json out = json::parse(r->body);
  EXPECT_EQ(out["outputs"][0]["shape"][0], 2) << r->body;
  EXPECT_EQ(out["model_name"], "tiny") << r->body;

  auto echo = http.Post(base + "/api/echo", R"({"hello":"azure"})");
  ASSERT_TRUE(echo.ok());
  EXPECT_EQ(echo->status, 200) << echo->body;
  EXPECT_NE(echo->body.find("azure"), std::string::npos) << echo->body;
  (*proc)->Kill();
}

}  // namespace
}  // namespace sl::deploy
