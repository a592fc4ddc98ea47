#include "common/http_connection.h"

#include <gtest/gtest.h>

#include "common/scripted_http_server.h"

namespace sl {
namespace {

using http_testing::kHang;
using http_testing::Script;
using http_testing::ScriptedServer;

HttpConnection::Options To(const ScriptedServer& server, int64_t timeout_ms = 5000) {
  HttpConnection::Options o;
  o.name = "test client";
  SplitHostPort(server.base(), &o.host, &o.port);
  o.timeout_ms = timeout_ms;
  return o;
}

constexpr std::string_view kGet = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";

TEST(HttpConnection, ReadsContentLengthChunkedWithExtensionsAndCloseDelimitedBodies) {
  ScriptedServer server(Script{{
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Tier: local\r\n\r\nhello",
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: Chunked\r\n\r\n3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n",
      "HTTP/1.0 200 OK\r\n\r\nuntil the end",
  }});
  HttpConnection c(To(server));
  HttpConnection::Response r;
  ASSERT_TRUE(c.RoundTrip(kGet, {}, &r).ok());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.Header("x-tier"), "local");  // any case
  EXPECT_EQ(r.Header("X-TIER"), "local");
  EXPECT_EQ(r.Header("missing"), "");
  ASSERT_TRUE(c.RoundTrip(kGet, {}, &r).ok());
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body, "abc0123456789");
  ASSERT_TRUE(c.RoundTrip(kGet, {}, &r).ok());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "until the end");
  EXPECT_EQ(server.connections(), 1);  // keep-alive for the first two, closed by the third
}

TEST(HttpConnection, DiscardsBodiesWhenAskedAndKeepsTheConnection) {
  const std::string big(200000, 'x');
  ScriptedServer server(Script{{"HTTP/1.1 200 OK\r\nContent-Length: 200000\r\n\r\n" + big,
                                "HTTP/1.1 204 No Content\r\n\r\n"}});
  HttpConnection c(To(server));
  HttpConnection::Response r;
  ASSERT_TRUE(c.RoundTrip(kGet, {}, &r, /*keep_body=*/false).ok());
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.empty());
  ASSERT_TRUE(c.RoundTrip(kGet, {}, &r, false).ok());
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpConnection, ReconnectsOnceWhenAReusedConnectionWasClosedBeforeAnswering) {
  // The first connection answers once, then closes on the second request (an idle keep-alive
  // connection the server dropped): the request goes again on a new connection.
  ScriptedServer server(Script{{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na", ""},
                               {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb"}});
  HttpConnection c(To(server));
  HttpConnection::Response r;
  ASSERT_TRUE(c.RoundTrip(kGet, {}, &r).ok());
  EXPECT_EQ(r.body, "a");
  ASSERT_TRUE(c.RoundTrip(kGet, {}, &r).ok());
  EXPECT_EQ(r.body, "b");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(HttpConnection, MalformedResponsesAreInternalErrorsNamingWhatWasWrong) {
  struct Case {
    std::string answer, expect;
  };
  for (const Case& k : std::vector<Case>{
           {"HTTP/2 200 OK\r\n\r\n", "malformed status line 'HTTP/2 200 OK'"},
           {"HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n", "Content-Length '-3' is not a byte count"},
           {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed chunk size 'zz'"},
           {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n", "malformed chunk size"},
           {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY", "chunk of 2 bytes not followed by CRLF"},
           // (found by runtime_api_client_fuzz: a trailer of NUL bytes was taken for one)
           {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: \x01\r\n\r\n", "trailer fields"},
       }) {
    SCOPED_TRACE(k.answer);
    ScriptedServer server(Script{{k.answer}});
    HttpConnection c(To(server));
    HttpConnection::Response r;
    Status s = c.RoundTrip(kGet, {}, &r);
    EXPECT_EQ(s.code(), Code::kInternal) << s.ToString();
    EXPECT_NE(s.message().find(k.expect), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("test client 127.0.0.1:"), std::string::npos) << s.ToString();
  }
}

TEST(HttpConnection, ATimeoutIsDeadlineExceededAndARefusedConnectionUnavailable) {
  {
    ScriptedServer server(Script{{kHang}});
    HttpConnection c(To(server, /*timeout_ms=*/100));
    HttpConnection::Response r;
    Status s = c.RoundTrip(kGet, {}, &r);
    EXPECT_EQ(s.code(), Code::kDeadlineExceeded) << s.ToString();
  }
  HttpConnection::Options o;
  o.name = "test client";
  o.host = "127.0.0.1";
  {
    ScriptedServer gone(Script{});  // bound, then closed: nothing listens on its port afterwards
    SplitHostPort(gone.base(), &o.host, &o.port);
  }
  HttpConnection c(o);
  HttpConnection::Response r;
  Status s = c.RoundTrip(kGet, {}, &r);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("connect"), std::string::npos) << s.ToString();
}

TEST(HttpConnection, SplitHostPortTakesUrlsAndBracketedAddresses) {
  std::string h, p;
  SplitHostPort("http://127.0.0.1:8080", &h, &p);
  EXPECT_EQ(h + " " + p, "127.0.0.1 8080");
  SplitHostPort("localhost:9001", &h, &p);
  EXPECT_EQ(h + " " + p, "localhost 9001");
  SplitHostPort("[::1]:7", &h, &p);
  EXPECT_EQ(h + " " + p, "::1 7");
  SplitHostPort("example", &h, &p);
  EXPECT_EQ(h + " " + p, "example 80");
}

}  // namespace
}  // namespace sl
