// Debian's AWS CLI (/usr/bin/aws, botocore) against the Lambda front over an in-process
// ScriptedInvoker with SigV4 verification on: proves that real clients sign in a way the front
// verifies (function ARNs with qualifiers included), and parse our responses, errors and headers,
// including the 403s for wrong keys. Loopback only; test keys; an empty config file so no user
// profile leaks in.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "faas/front/lambda_front.h"
#include "faas/front/scripted_invoker.h"

namespace sl::faas {
namespace {

namespace fs = std::filesystem;
constexpr const char* kAws = "/usr/bin/aws";
const AwsCredentials kKeys{"AKIDCLITEST", "cli-test-secret/with+chars", ""};

struct AwsRun {
  int exit_code = -1;
  std::string out, err;
};

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AwsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kAws, X_OK) != 0) GTEST_SKIP() << kAws << " not installed";
    dir_ = fs::temp_directory_path() / ("sl-awscli-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "config").close();  // empty: no profile, no region, no retries config
    invoker_ = ScriptedInvoker::WithStandardFunctions();
    FrontOptions o;
    o.metrics = &registry_;
    auto verifier = SigV4Verifier::Create({kKeys});  // the real clock: the CLI signs with it
    ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
    o.auth = std::move(verifier).value();
    o.list_functions = [] {
      return std::vector<FunctionSummary>{{"echo", "straightline-builtin", "echo", "", 128, 3}};
    };
    auto front = LambdaFront::Start(invoker_.get(), o);
    ASSERT_TRUE(front.ok()) << front.status().ToString();
    front_ = std::move(front).value();
  }
  void TearDown() override {
    if (front_) front_->Stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  AwsRun Aws(const std::string& args, const AwsCredentials& keys = kKeys) {
    std::string env = "env -i PATH=/usr/bin:/bin HOME=" + dir_.string() +
                      " AWS_CONFIG_FILE=" + (dir_ / "config").string() +
                      " AWS_SHARED_CREDENTIALS_FILE=" + (dir_ / "config").string() +
                      " 'AWS_ACCESS_KEY_ID=" + keys.access_key_id + "'" +
                      " 'AWS_SECRET_ACCESS_KEY=" + keys.secret_access_key + "'" +
                      " AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1 AWS_PAGER="
                      " AWS_EC2_METADATA_DISABLED=true ";
    std::string cmd = env + kAws + " --endpoint-url " + front_->endpoint() + " " + args + " >" +
                      (dir_ / "stdout").string() + " 2>" + (dir_ / "stderr").string();
    AwsRun r;
    int rc = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.out = ReadFile(dir_ / "stdout");
    r.err = ReadFile(dir_ / "stderr");
    return r;
  }

  fs::path dir_;
  MetricsRegistry registry_;
  std::unique_ptr<ScriptedInvoker> invoker_;
  std::unique_ptr<LambdaFront> front_;
};

TEST_F(AwsCliTest, InvokeSuccessFunctionErrorNotFoundTailAndEvent) {
  std::string out = (dir_ / "out.json").string();
  AwsRun ok = Aws("lambda invoke --function-name echo --payload '{\"a\":1}' "
               "--cli-binary-format raw-in-base64-out " + out);
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  auto meta = nlohmann::json::parse(ok.out);
  EXPECT_EQ(meta["StatusCode"], 200);
  EXPECT_EQ(meta["ExecutedVersion"], "$LATEST");
  EXPECT_EQ(ReadFile(out), "{\"a\":1}");

  AwsRun failed = Aws("lambda invoke --function-name fail --payload '{}' "
                   "--cli-binary-format raw-in-base64-out " + out);
  ASSERT_EQ(failed.exit_code, 0) << failed.err;
  EXPECT_EQ(nlohmann::json::parse(failed.out)["FunctionError"], "Unhandled");
  EXPECT_EQ(nlohmann::json::parse(ReadFile(out))["errorMessage"], "scripted failure");

  AwsRun missing = Aws("lambda invoke --function-name nope --payload '{}' "
                    "--cli-binary-format raw-in-base64-out " + out);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("(ResourceNotFoundException) when calling the Invoke operation"),
            std::string::npos)
      << missing.err;

  AwsRun tail = Aws("lambda invoke --function-name echo --log-type Tail --payload '{\"t\":2}' "
                 "--cli-binary-format raw-in-base64-out " + out);
  ASSERT_EQ(tail.exit_code, 0) << tail.err;
  auto log = Base64Decode(nlohmann::json::parse(tail.out)["LogResult"].get<std::string>());
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->rfind("START RequestId: ", 0), 0u) << *log;
  EXPECT_NE(log->find("REPORT RequestId: "), std::string::npos);

  AwsRun event = Aws("lambda invoke --function-name echo --invocation-type Event --payload '{}' "
                  "--cli-binary-format raw-in-base64-out " + out);
  ASSERT_EQ(event.exit_code, 0) << event.err;
  EXPECT_EQ(nlohmann::json::parse(event.out)["StatusCode"], 202);

  AwsRun bad = Aws("lambda invoke --function-name echo --payload 'not json' "
                "--cli-binary-format raw-in-base64-out " + out);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("InvalidRequestContentException"), std::string::npos) << bad.err;
}

TEST_F(AwsCliTest, ListFunctions) {
  AwsRun list = Aws("lambda list-functions");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  auto j = nlohmann::json::parse(list.out);
  ASSERT_EQ(j["Functions"].size(), 1u);
  EXPECT_EQ(j["Functions"][0]["FunctionName"], "echo");
}

TEST_F(AwsCliTest, ArnWithQualifierAndQualifierFlagVerify) {
  std::string out = (dir_ / "out.json").string();
  AwsRun arn = Aws("lambda invoke --function-name "
                   "'arn:aws:lambda:us-east-1:000000000000:function:echo:$LATEST' "
                   "--payload '{\"arn\":1}' --cli-binary-format raw-in-base64-out " + out);
  ASSERT_EQ(arn.exit_code, 0) << arn.err;
  EXPECT_EQ(ReadFile(out), "{\"arn\":1}");
  AwsRun partial = Aws("lambda invoke --function-name '000000000000:function:echo' "
                       "--qualifier '$LATEST' --payload '{}' --cli-binary-format "
                       "raw-in-base64-out " + out);
  ASSERT_EQ(partial.exit_code, 0) << partial.err;
}

TEST_F(AwsCliTest, WrongSecretAndUnknownKeyShowLambdasErrorTypes) {
  std::string out = (dir_ / "out.json").string();
  AwsRun wrong = Aws("lambda invoke --function-name echo --payload '{}' "
                     "--cli-binary-format raw-in-base64-out " + out,
                     {kKeys.access_key_id, "not-the-secret", ""});
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.err.find("(InvalidSignatureException) when calling the Invoke operation"),
            std::string::npos)
      << wrong.err;
  EXPECT_NE(wrong.err.find("The request signature we calculated does not match the signature "
                           "you provided"),
            std::string::npos)
      << wrong.err;

  AwsRun unknown = Aws("lambda list-functions", {"AKIDSOMEONEELSE", kKeys.secret_access_key, ""});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.err.find("(UnrecognizedClientException) when calling the ListFunctions "
                             "operation"),
            std::string::npos)
      << unknown.err;
  EXPECT_NE(unknown.err.find("The security token included in the request is invalid."),
            std::string::npos)
      << unknown.err;
  EXPECT_EQ(invoker_->calls("echo"), 0);
}

}  // namespace
}  // namespace sl::faas
