// The official AWS SDK for JavaScript v3 Lambda client (@aws-sdk/client-lambda, installed into
// .deps/node_modules by scripts/install-deps.sh) against the Lambda front with SigV4 verification
// on, over an in-process ScriptedInvoker: the SDK's own signer must be accepted with the right
// keys (plain names and a function ARN with $LATEST, whose path it signs encoded twice), and its
// errors must carry Lambda's error names with wrong ones. The client is js_sdk_client.cjs, next
// to this file. Skipped, saying why, when node or the package is missing.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "faas/front/lambda_front.h"
#include "faas/front/scripted_invoker.h"

namespace sl::faas {
namespace {

namespace fs = std::filesystem;
const AwsCredentials kKeys{"AKIDJSTEST", "js-test-secret/with+chars", ""};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class JsSdkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    modules_ = fs::path(SL_SOURCE_DIR) / ".deps" / "node_modules";
    script_ = fs::path(SL_SOURCE_DIR) / "src" / "faas" / "front" / "js_sdk_client.cjs";
    if (access("/usr/bin/node", X_OK) != 0) GTEST_SKIP() << "/usr/bin/node not installed";
    if (!fs::exists(modules_ / "@aws-sdk" / "client-lambda" / "package.json")) {
      GTEST_SKIP() << "@aws-sdk/client-lambda not in " << modules_
                   << ": run scripts/install-deps.sh";
    }
    dir_ = fs::temp_directory_path() / ("sl-js-sdk-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    invoker_ = ScriptedInvoker::WithStandardFunctions();
    FrontOptions o;
    o.metrics = &registry_;
    auto verifier = SigV4Verifier::Create({kKeys});  // the real clock: the SDK signs with it
    ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
    o.auth = std::move(verifier).value();
    o.list_functions = [this] {
      std::lock_guard<std::mutex> lock(mu_);
      std::vector<FunctionSummary> out{{"echo", "straightline-builtin", "echo", "", 128, 3}};
      for (const auto& [n, f] : created_) out.push_back(f);
      return out;
    };
    o.create_function = [this](const CreateFunctionRequest& r) -> Result<FunctionSummary> {
      std::lock_guard<std::mutex> lock(mu_);
      if (r.name == "echo" || created_.count(r.name)) {
        return AlreadyExists("Function already exist: {}", r.name);
      }
      FunctionSummary f{r.name, "straightline-builtin", r.handler, "", r.memory_mb,
                        double(r.timeout_s), r.environment};
      created_[r.name] = f;
      return f;
    };
    auto front = LambdaFront::Start(invoker_.get(), o);
    ASSERT_TRUE(front.ok()) << front.status().ToString();
    front_ = std::move(front).value();
  }
  void TearDown() override {
    if (front_) front_->Stop();
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  // Runs the client; returns its JSON line (or fails the test).
  nlohmann::json Node(const std::vector<std::string>& args, const AwsCredentials& keys = kKeys) {
    std::string cmd = "env -i PATH=/usr/bin:/bin HOME=" + Quote(dir_.string()) +
                      " NODE_PATH=" + Quote(modules_.string()) +
                      " AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null"
                      " node " + Quote(script_.string()) + " " + Quote(front_->endpoint()) + " " +
                      Quote(keys.access_key_id) + " " + Quote(keys.secret_access_key);
    for (const auto& a : args) cmd += " " + Quote(a);
    cmd += " >" + Quote((dir_ / "stdout").string()) + " 2>" + Quote((dir_ / "stderr").string());
    int rc = std::system(cmd.c_str());
    std::string out = ReadFile(dir_ / "stdout");
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0)
        << "node exited " << rc << ": " << ReadFile(dir_ / "stderr");
    nlohmann::json j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "stdout: " << out << " stderr: " << ReadFile(dir_ / "stderr");
    return j;
  }

  fs::path dir_, modules_, script_;
  MetricsRegistry registry_;
  std::unique_ptr<ScriptedInvoker> invoker_;
  std::unique_ptr<LambdaFront> front_;
  std::mutex mu_;
  std::map<std::string, FunctionSummary> created_;  // GUARDED_BY(mu_)
};

TEST_F(JsSdkTest, InvokeWithTheRightKeysByNameArnAndQualifier) {
  nlohmann::json r = Node({"invoke", "echo", R"({"js":1})"});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["status"], 200);
  EXPECT_EQ(r["payload"], R"({"js":1})");
  EXPECT_EQ(r["executedVersion"], "$LATEST");

  nlohmann::json arn =
      Node({"invoke", "arn:aws:lambda:us-east-1:000000000000:function:echo:$LATEST", "{}"});
  ASSERT_EQ(arn["ok"], true) << arn.dump();
  nlohmann::json q = Node({"invoke", "echo", "{}", "$LATEST"});
  ASSERT_EQ(q["ok"], true) << q.dump();

  nlohmann::json failed = Node({"invoke", "fail", "{}"});
  ASSERT_EQ(failed["ok"], true) << failed.dump();
  EXPECT_EQ(failed["functionError"], "Unhandled");
}

TEST_F(JsSdkTest, WrongSecretAndUnknownKeyGiveLambdasErrorNames) {
  nlohmann::json wrong = Node({"invoke", "echo", "{}"}, {kKeys.access_key_id, "guessed", ""});
  ASSERT_EQ(wrong["ok"], false) << wrong.dump();
  EXPECT_EQ(wrong["name"], "InvalidSignatureException");
  EXPECT_EQ(wrong["status"], 403);

  nlohmann::json unknown = Node({"invoke", "echo", "{}"}, {"AKIDNOTCONFIGURED", "x", ""});
  ASSERT_EQ(unknown["ok"], false) << unknown.dump();
  EXPECT_EQ(unknown["name"], "UnrecognizedClientException");
  EXPECT_EQ(unknown["status"], 403);
  EXPECT_EQ(unknown["message"], "The security token included in the request is invalid.");
  EXPECT_EQ(invoker_->calls("echo"), 0);
}

// A client whose clock is 10 minutes slow is told "Signature expired" with the server's Date, and
// the SDK corrects its clock from it and succeeds on its second attempt, as it does against AWS.
TEST_F(JsSdkTest, SdkCorrectsItsClockSkewFromTheExpiredAnswer) {
  nlohmann::json r = Node({"invoke-skewed", "echo", R"({"late":1})"});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["payload"], R"({"late":1})");
  EXPECT_EQ(r["attempts"], 2);
  EXPECT_EQ(invoker_->calls("echo"), 1);
}

TEST_F(JsSdkTest, CreateFunctionThenGetFunction) {
  nlohmann::json created = Node({"create", "sdk-made", "echo"});
  ASSERT_EQ(created["ok"], true) << created.dump();
  EXPECT_EQ(created["status"], 201);
  EXPECT_EQ(created["functionArn"], "arn:aws:lambda:us-east-1:000000000000:function:sdk-made");
  EXPECT_EQ(created["state"], "Active");
  EXPECT_EQ(created["memorySize"], 256);

  nlohmann::json got = Node({"get", "sdk-made"});
  ASSERT_EQ(got["ok"], true) << got.dump();
  EXPECT_EQ(got["configuration"]["Handler"], "echo");
  EXPECT_EQ(got["configuration"]["Environment"]["Variables"]["MODE"], "sdk");

  nlohmann::json again = Node({"create", "sdk-made", "echo"});
  ASSERT_EQ(again["ok"], false) << again.dump();
  EXPECT_EQ(again["name"], "ResourceConflictException");
  EXPECT_EQ(again["status"], 409);
}

}  // namespace
}  // namespace sl::faas
