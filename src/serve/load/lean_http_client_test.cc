#include "serve/load/lean_http_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/scripted_http_server.h"

namespace sl::serve::load {
namespace {

using http_testing::Script;
using http_testing::ScriptedServer;

const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Straightline-Tier: local; reason=x\r\n\r\nhello";
const std::string kChunked =
    "HTTP/1.1 429 Too Many\r\nTransfer-Encoding: chunked\r\nx-straightline-tier: function\r\n\r\n"
    "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";

TEST(LeanHttpClient, KeepsAliveParsesContentLengthAndChunkedAndSendsTheBodyAsIs) {
  ScriptedServer server(Script{{kOk, kChunked, kOk}});
  LeanHttpClient client(server.base(), 5000, "X-Straightline-Tier");
  const std::string body(200000, 'b');  // larger than one socket buffer
  for (int i = 0; i < 3; ++i) {
    auto r = client.Post("/v2/models/m/infer", i == 1 ? std::string_view(body) : "{}",
                         {{"Content-Type", "application/json"}, {"Inference-Header-Content-Length", "2"}});
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
    EXPECT_EQ(r->status, i == 1 ? 429 : 200);
    EXPECT_EQ(r->kept_header, i == 1 ? "function" : "local; reason=x");
  }
  EXPECT_EQ(server.connections(), 1);
  const std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].rfind("POST /v2/models/m/infer HTTP/1.1\r\n", 0), 0u);
  EXPECT_NE(requests[0].find("\r\nInference-Header-Content-Length: 2\r\n"), std::string::npos);
  EXPECT_EQ(requests[1].size() - requests[1].find("\r\n\r\n") - 4, body.size());
}

TEST(LeanHttpClient, ReconnectsAfterCloseAndRetriesAStaleConnectionOnce) {
  // Connection 1: an HTTP/1.0 answer delimited by close; connection 2: answers one request, then
  // closes while the next one is sent (stale keep-alive); connection 3 answers the retry.
  ScriptedServer server(Script{{"HTTP/1.0 200 OK\r\n\r\nbody until close"}, {kOk, ""}, {kOk}});
  LeanHttpClient client(server.base(), 5000, "X-Straightline-Tier");
  for (int i = 0; i < 3; ++i) {
    auto r = client.Post("/x", "{}", {});
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(server.connections(), 3);
}

TEST(LeanHttpClient, ErrorsNameWhatWentWrong) {
  {
    ScriptedServer server(Script{{"garbage\r\n\r\n"}});
    LeanHttpClient client(server.base(), 5000, "");
    auto r = client.Post("/x", "{}", {});
    EXPECT_EQ(r.status().code(), Code::kInternal) << r.status().ToString();
    EXPECT_NE(r.status().message().find("malformed status line"), std::string::npos);
  }
  {
    ScriptedServer server(Script{{"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort"}});  // then closes
    LeanHttpClient client(server.base(), 5000, "");
    auto r = client.Post("/x", "{}", {});
    EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
    EXPECT_NE(r.status().message().find(server.base().substr(7)), std::string::npos) << r.status().ToString();
  }
  // Nothing listens on the port any more: refused.
  std::string base;
  { ScriptedServer gone(Script{}); base = gone.base(); }
  LeanHttpClient client(base, 1000, "");
  auto r = client.Post("/x", "{}", {});
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
}

}  // namespace
}  // namespace sl::serve::load
