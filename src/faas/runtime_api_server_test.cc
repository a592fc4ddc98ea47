#include "faas/runtime_api_server.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/http_client.h"

namespace sl::faas {
namespace {

class NullDelegate : public RuntimeApiServer::Delegate {
 public:
  void OnNext(HttpResponder respond) override { respond(HttpResponse::Text(200, "")); }
  void OnResponse(const std::string&, std::string, HttpResponder respond) override {
    respond(RuntimeApiServer::Accepted());
  }
  void OnError(const std::string&, std::string, std::string, HttpResponder respond) override {
    respond(RuntimeApiServer::Accepted());
  }
  void OnInitError(std::string, std::string, HttpResponder respond) override {
    respond(RuntimeApiServer::Accepted());
  }
};

// Found by runtime_api_server_fuzz (issue 16): a path that is not UTF-8 made the 404's JSON
// dump() throw, answered "500 internal error" instead of Lambda's 404 InvalidRequest.
TEST(RuntimeApiServerTest, UnknownRouteWithNonUtf8PathIsA404) {
  auto server = RuntimeApiServer::Start(std::make_shared<NullDelegate>(), 1 << 20);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  HttpResponse r = RuntimeApiServer::Error(404, "InvalidRequest", "no route for /\xff\xfe");
  EXPECT_EQ(r.status, 404);
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["errorType"], "InvalidRequest");

  auto reply = HttpClient().Get("http://" + (*server)->endpoint() + "/2018-06-01/runtime/%FF%FE");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 404) << reply->body;
  EXPECT_EQ(nlohmann::json::parse(reply->body)["errorType"], "InvalidRequest");
}

}  // namespace
}  // namespace sl::faas
