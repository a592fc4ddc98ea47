#include "faas/front/create_function.h"

#include <map>
#include <mutex>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/http_client.h"
#include "faas/front/lambda_front.h"
#include "faas/front/scripted_invoker.h"

namespace sl::faas {
namespace {

TEST(ParseCreateFunctionTest, ReadsWhatThePlatformUses) {
  auto r = ParseCreateFunctionRequest(R"({
      "FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:job-1-train",
      "Handler": "train-shard", "Runtime": "straightline-builtin", "MemorySize": 1769,
      "Timeout": 120, "Role": "arn:aws:iam::000000000000:role/x", "Description": "d",
      "Environment": {"Variables": {"SL_STORE": "s3://b/p", "N": "1"}},
      "Code": {}, "PackageType": "Zip", "Publish": false, "Tags": {"a": "b"}})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "job-1-train");
  EXPECT_EQ(r->handler, "train-shard");
  EXPECT_EQ(r->memory_mb, 1769);
  EXPECT_EQ(r->timeout_s, 120);
  EXPECT_EQ(r->role, "arn:aws:iam::000000000000:role/x");
  EXPECT_EQ(r->environment, (std::map<std::string, std::string>{{"N", "1"}, {"SL_STORE", "s3://b/p"}}));

  auto minimal = ParseCreateFunctionRequest(R"({"FunctionName": "f", "Handler": "echo"})");
  ASSERT_TRUE(minimal.ok()) << minimal.status().ToString();
  EXPECT_EQ(minimal->memory_mb, 0);
  EXPECT_EQ(minimal->runtime, "");
}

TEST(ParseCreateFunctionTest, RefusesCodeItCannotRunNamingWhatIsUnsupported) {
  auto zip = ParseCreateFunctionRequest(
      R"({"FunctionName": "f", "Handler": "index.handler", "Code": {"ZipFile": "UEsDBA=="}})");
  ASSERT_FALSE(zip.ok());
  EXPECT_EQ(zip.status().code(), Code::kInvalidArgument);
  EXPECT_NE(zip.status().message().find("Code.ZipFile not supported"), std::string::npos);
  EXPECT_NE(zip.status().message().find("only functions that run a straightline built-in handler"),
            std::string::npos);

  auto s3 = ParseCreateFunctionRequest(
      R"({"FunctionName": "f", "Handler": "h", "Code": {"S3Bucket": "b", "S3Key": "k.zip"}})");
  ASSERT_FALSE(s3.ok());
  EXPECT_NE(s3.status().message().find("Code.S3Bucket, Code.S3Key not supported"),
            std::string::npos);

  auto image = ParseCreateFunctionRequest(
      R"({"FunctionName": "f", "PackageType": "Image", "Code": {"ImageUri": "x"}})");
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.status().message().find("PackageType 'Image'"), std::string::npos);

  auto python = ParseCreateFunctionRequest(
      R"({"FunctionName": "f", "Handler": "h", "Runtime": "python3.12"})");
  ASSERT_FALSE(python.ok());
  EXPECT_NE(python.status().message().find("Runtime 'python3.12' is not supported"),
            std::string::npos);
}

TEST(ParseCreateFunctionTest, RefusesMissingOrMistypedMembers) {
  for (const char* body : {
           R"([])",
           R"(not json)",
           R"({"Handler": "echo"})",
           R"({"FunctionName": "f"})",
           R"({"FunctionName": "bad name", "Handler": "echo"})",
           R"({"FunctionName": "f", "Handler": "echo", "MemorySize": "big"})",
           R"({"FunctionName": "f", "Handler": "echo", "Timeout": -1})",
           R"({"FunctionName": "f", "Handler": "echo", "Environment": {"Variables": {"A": 1}}})",
       }) {
    auto r = ParseCreateFunctionRequest(body);
    EXPECT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << body;
  }
}

// The front's CreateFunction / GetFunction / DeleteFunction routes over HTTP, with a catalogue
// kept by the test the way `platform serve` keeps the platform's.
class FunctionAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    invoker_ = ScriptedInvoker::WithStandardFunctions();
    FrontOptions o;
    o.metrics = &registry_;
    o.events.workers = 0;
    o.list_functions = [this] {
      std::lock_guard<std::mutex> lock(mu_);
      std::vector<FunctionSummary> out;
      for (const auto& [name, f] : fns_) out.push_back(f);
      return out;
    };
    o.create_function = [this](const CreateFunctionRequest& r) -> Result<FunctionSummary> {
      if (r.handler != "echo" && r.handler != "noop") {
        return InvalidArgument("Handler '{}' is not a built-in handler (built-ins: echo, noop)",
                               r.handler);
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (fns_.count(r.name)) return AlreadyExists("Function already exist: {}", r.name);
      FunctionSummary f{r.name, "straightline-builtin", r.handler, r.description,
                        r.memory_mb ? r.memory_mb : 128, r.timeout_s ? double(r.timeout_s) : 3,
                        r.environment};
      fns_[r.name] = f;
      return f;
    };
    o.delete_function = [this](const std::string& name) -> Status {
      std::lock_guard<std::mutex> lock(mu_);
      if (fns_.erase(name) == 0) return NotFound("Function not found: {}", name);
      return Status::Ok();
    };
    auto front = LambdaFront::Start(invoker_.get(), o);
    ASSERT_TRUE(front.ok()) << front.status().ToString();
    front_ = std::move(front).value();
    base_ = front_->endpoint() + "/2015-03-31/functions";
  }
  void TearDown() override { front_->Stop(); }

  MetricsRegistry registry_;
  std::unique_ptr<ScriptedInvoker> invoker_;
  std::unique_ptr<LambdaFront> front_;
  std::string base_;
  HttpClient client_;
  std::mutex mu_;
  std::map<std::string, FunctionSummary> fns_;  // GUARDED_BY(mu_)
};

TEST_F(FunctionAdminTest, CreateAnswers201WithConfigurationThenGetShowsEnvironment) {
  auto created = client_.Post(base_, R"({"FunctionName": "job-echo", "Handler": "echo",
      "MemorySize": 512, "Timeout": 30,
      "Environment": {"Variables": {"SL_STORE": "s3://b/j", "STORE_SECRET_KEY": "hunter2"}}})");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->status, 201) << created->body;
  EXPECT_FALSE(created->headers.Get("x-amzn-RequestId").empty());
  auto c = nlohmann::json::parse(created->body);
  EXPECT_EQ(c["FunctionName"], "job-echo");
  EXPECT_EQ(c["FunctionArn"], "arn:aws:lambda:us-east-1:000000000000:function:job-echo");
  EXPECT_EQ(c["Handler"], "echo");
  EXPECT_EQ(c["Runtime"], "straightline-builtin");
  EXPECT_EQ(c["MemorySize"], 512);
  EXPECT_EQ(c["Timeout"], 30);
  EXPECT_EQ(c["State"], "Active");

  auto got = client_.Get(base_ + "/job-echo");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->status, 200) << got->body;
  auto vars = nlohmann::json::parse(got->body)["Configuration"]["Environment"]["Variables"];
  EXPECT_EQ(vars["SL_STORE"], "s3://b/j");
  // Secret-looking values are shown as their hash, never in clear text.
  EXPECT_EQ(vars["STORE_SECRET_KEY"], RedactedEnvValue("hunter2"));
  EXPECT_EQ(got->body.find("hunter2"), std::string::npos);
}

TEST_F(FunctionAdminTest, ExistingNameIs409UnknownHandlerAndZipAre400) {
  ASSERT_EQ(client_.Post(base_, R"({"FunctionName": "f", "Handler": "echo"})")->status, 201);
  auto again = client_.Post(base_, R"({"FunctionName": "f", "Handler": "echo"})");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 409);
  EXPECT_EQ(again->headers.Get("x-amzn-ErrorType"), "ResourceConflictException");

  auto unknown = client_.Post(base_, R"({"FunctionName": "g", "Handler": "resize"})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->status, 400);
  EXPECT_EQ(unknown->headers.Get("x-amzn-ErrorType"), "InvalidParameterValueException");
  EXPECT_NE(unknown->body.find("Handler 'resize' is not a built-in handler (built-ins: echo, noop)"),
            std::string::npos)
      << unknown->body;

  auto zip = client_.Post(base_, R"({"FunctionName": "h", "Handler": "echo",
      "Code": {"ZipFile": "UEsDBA=="}})");
  ASSERT_TRUE(zip.ok());
  EXPECT_EQ(zip->status, 400);
  EXPECT_EQ(zip->headers.Get("x-amzn-ErrorType"), "InvalidParameterValueException");
}

TEST_F(FunctionAdminTest, DeleteAnswers204ThenTheFunctionIsGone) {
  ASSERT_EQ(client_.Post(base_, R"({"FunctionName": "f", "Handler": "noop"})")->status, 201);
  auto del = client_.Send("DELETE", base_ + "/f");
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->status, 204);
  EXPECT_EQ(client_.Get(base_ + "/f")->status, 404);
  auto again = client_.Send("DELETE", base_ + "/f");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->status, 404);
  EXPECT_EQ(again->headers.Get("x-amzn-ErrorType"), "ResourceNotFoundException");
}

}  // namespace
}  // namespace sl::faas
