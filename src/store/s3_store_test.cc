// S3 backend behaviour that needs a misbehaving server: retries of transient failures (503
// SlowDown, 500, connection reset, truncated bodies, a closed port) with backoff on a FakeClock,
// no retries of permanent errors, and put-if-absent on a server that honours If-None-Match.
// The server here is a tiny scripted HTTP/1.1 endpoint on 127.0.0.1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "common/sha256.h"
#include "store/object_store.h"
#include "store/s3_test_server.h"
#include "store/store_test_util.h"

namespace sl::store {
namespace {

struct FakeRequest {
  std::string method, target;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
};

struct FakeResponse {
  enum Action { kRespond, kReset, kTruncate } action = kRespond;
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// A scripted HTTP/1.1 server: every request goes to `handler`, which may also ask for the
// connection to be reset or the body cut short.
class FakeS3Server {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;
  explicit FakeS3Server(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeS3Server() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    {
      std::lock_guard<std::mutex> lock(conn_mu_);
      for (int c : open_conns_) ::shutdown(c, SHUT_RDWR);
    }
    for (auto& t : conn_threads_) t.join();
    ::close(fd_);
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }

 private:
  void Serve() {
    while (!stop_) {
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) return;
      std::lock_guard<std::mutex> lock(conn_mu_);
      open_conns_.insert(c);
      conn_threads_.emplace_back([this, c] {
        HandleConnection(c);
        std::lock_guard<std::mutex> l(conn_mu_);
        open_conns_.erase(c);
      });
    }
  }

  static bool ReadUntil(int c, std::string* buf, size_t want) {
    char tmp[65536];
    while (buf->size() < want) {
      ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
      if (n <= 0) return false;
      buf->append(tmp, static_cast<size_t>(n));
    }
    return true;
  }

  void HandleConnection(int c) {
    std::string buf;
    while (true) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!ReadUntil(c, &buf, buf.size() + 1)) {
          ::close(c);
          return;
        }
      }
      FakeRequest req;
      std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      size_t line_end = head.find("\r\n");
      std::string first = head.substr(0, line_end);
      size_t sp1 = first.find(' '), sp2 = first.rfind(' ');
      req.method = first.substr(0, sp1);
      req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
      size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        size_t colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        size_t v = colon + 1;
        while (v < line.size() && line[v] == ' ') ++v;
        req.headers[name] = line.substr(v);
        pos = e + 2;
      }
      size_t body_len = req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
      if (!ReadUntil(c, &buf, body_len)) {
        ::close(c);
        return;
      }
      req.body = buf.substr(0, body_len);
      buf.erase(0, body_len);
      ++requests_;
      FakeResponse resp = handler_(req);
      if (resp.action == FakeResponse::kReset) {
        linger l{1, 0};  // close with RST
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        ::close(c);
        return;
      }
      std::string out = fmt::format("HTTP/1.1 {} X\r\nContent-Length: {}\r\n", resp.status, resp.body.size());
      for (const auto& [k, v] : resp.headers) out += k + ": " + v + "\r\n";
      out += "\r\n";
      if (req.method != "HEAD") {
        out += resp.action == FakeResponse::kTruncate ? resp.body.substr(0, resp.body.size() / 2) : resp.body;
      }
      ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
      if (resp.action == FakeResponse::kTruncate) {
        ::close(c);
        return;
      }
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
  std::mutex conn_mu_;
  std::set<int> open_conns_;                // GUARDED_BY(conn_mu_)
  std::vector<std::thread> conn_threads_;   // GUARDED_BY(conn_mu_)
};

FakeResponse Ok(std::string body) {
  FakeResponse r;
  r.headers = {{"x-amz-meta-sha256", Sha256Hex(body)}, {"ETag", "\"etag\""}};
  r.body = std::move(body);
  return r;
}

FakeResponse Error(int status, const std::string& code) {
  FakeResponse r;
  r.status = status;
  r.body = fmt::format("<?xml version=\"1.0\"?><Error><Code>{}</Code><Message>scripted {}</Message></Error>", code, code);
  return r;
}

class S3FaultTest : public ::testing::Test {
 protected:
  std::unique_ptr<ObjectStore> OpenAt(const std::string& endpoint, int attempts = 4) {
    StoreOptions o;
    o.endpoint = endpoint;
    o.access_key_id = "AKID";
    o.secret_access_key = "SECRET";
    o.region = "eu-west-1";
    o.clock = &clock_;
    o.retry.max_attempts = attempts;
    o.connect_timeout_seconds = 2;
    auto s = OpenObjectStore("s3://bkt/pre", o);
    EXPECT_TRUE(s.ok()) << s.status();
    return std::move(s).value();
  }
  double FakeSecondsWaited() const { return SecondsBetween(start_, clock_.Now()); }

  FakeClock clock_;
  TimePoint start_ = clock_.Now();
};

TEST_F(S3FaultTest, SlowDownIsRetriedWithBackoffThenSucceeds) {
  std::atomic<int> n{0};
  FakeS3Server server([&](const FakeRequest& req) {
    EXPECT_EQ(req.target, "/bkt/pre/k");
    return ++n <= 2 ? Error(503, "SlowDown") : Ok("payload");
  });
  auto store = OpenAt(server.endpoint());
  TimePoint real0 = Clock::Real()->Now();
  auto got = store->Get("k");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, "payload");
  EXPECT_EQ(server.requests(), 3);
  EXPECT_GT(FakeSecondsWaited(), 0.05);                          // backed off (in fake time)...
  EXPECT_LT(SecondsBetween(real0, Clock::Real()->Now()), 1.0);   // ...without sleeping
}

TEST_F(S3FaultTest, ConnectionResetAndTruncatedBodyAreRetried) {
  std::atomic<int> n{0};
  FakeS3Server server([&](const FakeRequest&) {
    int i = ++n;
    if (i == 1) {
      FakeResponse r;
      r.action = FakeResponse::kReset;
      return r;
    }
    FakeResponse r = Ok(std::string(100'000, 'x'));
    if (i == 2) r.action = FakeResponse::kTruncate;
    return r;
  });
  auto store = OpenAt(server.endpoint());
  TempDir tmp;
  Status s = store->GetToFile("k", tmp.Join("out"));
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(ReadFileToString(tmp.Join("out")).value(), std::string(100'000, 'x'));  // no bytes of the cut attempt
  EXPECT_EQ(server.requests(), 3);
}

TEST_F(S3FaultTest, PersistentServerErrorGivesUpAfterBoundedAttempts) {
  FakeS3Server server([](const FakeRequest&) { return Error(500, "InternalError"); });
  auto store = OpenAt(server.endpoint(), 4);
  Status s = store->Put("out/7", "x");
  EXPECT_EQ(s.code(), Code::kUnavailable) << s;
  EXPECT_EQ(server.requests(), 4);
  EXPECT_NE(s.message().find("s3://bkt/pre: key 'out/7'"), std::string::npos) << s;
  EXPECT_NE(s.message().find("InternalError"), std::string::npos) << s;
  EXPECT_NE(s.message().find("gave up after 4 attempts"), std::string::npos) << s;
  // 3 waits, each at most max_backoff (2 s) and at least half of 50/100/200 ms.
  EXPECT_GE(FakeSecondsWaited(), 0.175);
  EXPECT_LE(FakeSecondsWaited(), 6.0);
}

TEST_F(S3FaultTest, ClosedPortIsUnavailableAfterRetries) {
  int port = testing::FreeLoopbackPort();
  auto store = OpenAt("http://127.0.0.1:" + std::to_string(port), 3);
  auto got = store->Get("k");
  EXPECT_EQ(got.status().code(), Code::kUnavailable) << got.status();
  EXPECT_NE(got.status().message().find("gave up after 3 attempts"), std::string::npos) << got.status();
  EXPECT_GT(FakeSecondsWaited(), 0.0);
}

TEST_F(S3FaultTest, PermanentErrorsAreNotRetried) {
  std::atomic<int> status{403};
  FakeS3Server server([&](const FakeRequest&) {
    int st = status.load();
    return Error(st, st == 403 ? "AccessDenied" : st == 404 ? "NoSuchKey" : "InvalidArgument");
  });
  auto store = OpenAt(server.endpoint());
  EXPECT_EQ(store->Get("k").status().code(), Code::kPermissionDenied);
  EXPECT_EQ(server.requests(), 1);
  status = 404;
  EXPECT_EQ(store->Get("k").status().code(), Code::kNotFound);
  EXPECT_EQ(server.requests(), 2);
  status = 400;
  EXPECT_EQ(store->Put("k", "v").code(), Code::kInvalidArgument);
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(FakeSecondsWaited(), 0.0);
}

TEST_F(S3FaultTest, BytesThatDoNotMatchTheRecordedChecksumAreDataLoss) {
  FakeS3Server server([](const FakeRequest&) {
    FakeResponse r = Ok("original");
    r.body = "tampered";
    return r;
  });
  auto store = OpenAt(server.endpoint());
  auto got = store->Get("model");
  EXPECT_EQ(got.status().code(), Code::kDataLoss) << got.status();
  EXPECT_NE(got.status().message().find("key 'model'"), std::string::npos);
  EXPECT_EQ(server.requests(), 1);
}

// A server that honours If-None-Match (as AWS S3 does): the store detects it with its probe and
// relies on the header, so the race is decided by the server.
TEST_F(S3FaultTest, PutIfAbsentUsesIfNoneMatchWhenTheServerHonoursIt) {
  std::mutex mu;
  std::map<std::string, std::string> objects;
  std::atomic<int> conditional_puts{0};
  FakeS3Server server([&](const FakeRequest& req) {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(req.headers.count("authorization"), 1u);
    EXPECT_TRUE(req.headers.at("authorization").starts_with("AWS4-HMAC-SHA256 Credential=AKID/"));
    EXPECT_NE(req.headers.at("authorization").find("/eu-west-1/s3/aws4_request"), std::string::npos);
    if (req.method == "PUT") {
      EXPECT_EQ(req.headers.at("x-amz-content-sha256"), Sha256Hex(req.body));
      EXPECT_EQ(req.headers.at("x-amz-meta-sha256"), Sha256Hex(req.body));
      if (req.headers.count("if-none-match")) {
        ++conditional_puts;
        if (objects.count(req.target)) return Error(412, "PreconditionFailed");
      }
      objects[req.target] = req.body;
      return FakeResponse{};
    }
    if (req.method == "DELETE") {
      objects.erase(req.target);
      FakeResponse r;
      r.status = 204;
      return r;
    }
    auto it = objects.find(req.target);
    if (it == objects.end()) return Error(404, "NoSuchKey");
    return Ok(it->second);
  });
  auto store = OpenAt(server.endpoint());
  EXPECT_TRUE(store->capabilities().atomic_put_if_absent);
  EXPECT_EQ(conditional_puts.load(), 2);  // the probe
  ASSERT_TRUE(store->PutIfAbsent("shard", "first").ok());
  Status again = store->PutIfAbsent("shard", "second");
  EXPECT_EQ(again.code(), Code::kAlreadyExists) << again;
  EXPECT_EQ(store->Get("shard").value(), "first");
  EXPECT_EQ(conditional_puts.load(), 4);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(objects.size(), 1u);  // the probe object was deleted
  }
}

TEST_F(S3FaultTest, LargePutUploadsPartsConcurrentlyAndCompletesInOrder) {
  std::mutex mu;
  std::map<int, std::string> parts;
  std::string complete_xml, init_sha;
  FakeS3Server server([&](const FakeRequest& req) {
    std::lock_guard<std::mutex> lock(mu);
    FakeResponse r;
    if (req.method == "POST" && req.target == "/bkt/pre/big?uploads=") {
      init_sha = req.headers.at("x-amz-meta-sha256");
      r.body = "<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>";
    } else if (req.method == "PUT") {
      int n = std::stoi(req.target.substr(req.target.find("partNumber=") + 11));
      EXPECT_NE(req.target.find("uploadId=U1"), std::string::npos);
      parts[n] = req.body;
      r.headers = {{"ETag", fmt::format("\"etag-{}\"", n)}};
    } else if (req.method == "POST" && req.target == "/bkt/pre/big?uploadId=U1") {
      complete_xml = req.body;
      r.body = "<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag></CompleteMultipartUploadResult>";
    } else {
      ADD_FAILURE() << req.method << " " << req.target;
    }
    return r;
  });
  StoreOptions o;
  o.endpoint = server.endpoint();
  o.access_key_id = "AKID";
  o.secret_access_key = "SECRET";
  o.multipart_threshold = 5 << 20;
  o.part_size = 5 << 20;
  o.upload_concurrency = 2;
  o.clock = &clock_;
  auto store = OpenObjectStore("s3://bkt/pre", o);
  ASSERT_TRUE(store.ok());
  std::string data = testing::RandomBytes((10 << 20) + 7, 9);
  ASSERT_TRUE((*store)->Put("big", data).ok());
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_TRUE(parts[1] + parts[2] + parts[3] == data);
  EXPECT_EQ(init_sha, Sha256Hex(data));
  EXPECT_EQ(complete_xml,
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;etag-1&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;etag-2&quot;</ETag></Part>"
            "<Part><PartNumber>3</PartNumber><ETag>&quot;etag-3&quot;</ETag></Part></CompleteMultipartUpload>");
}

TEST_F(S3FaultTest, FailedPartAbortsTheMultipartUpload) {
  std::atomic<bool> aborted{false};
  FakeS3Server server([&](const FakeRequest& req) {
    FakeResponse r;
    if (req.method == "POST") {
      r.body = "<InitiateMultipartUploadResult><UploadId>U2</UploadId></InitiateMultipartUploadResult>";
    } else if (req.method == "PUT") {
      return Error(403, "AccessDenied");
    } else if (req.method == "DELETE" && req.target.find("uploadId=U2") != std::string::npos) {
      aborted = true;
      r.status = 204;
    }
    return r;
  });
  StoreOptions o;
  o.endpoint = server.endpoint();
  o.access_key_id = "AKID";
  o.secret_access_key = "SECRET";
  o.multipart_threshold = 5 << 20;
  o.part_size = 5 << 20;
  o.clock = &clock_;
  auto store = OpenObjectStore("s3://bkt/pre", o);
  ASSERT_TRUE(store.ok());
  Status s = (*store)->Put("big", std::string((6 << 20), 'x'));
  EXPECT_EQ(s.code(), Code::kPermissionDenied) << s;
  EXPECT_NE(s.message().find("part "), std::string::npos) << s;
  EXPECT_TRUE(aborted.load());
}

TEST(S3OpenTest, UriAndConfigurationErrorsAreClear) {
  StoreOptions o;
  o.access_key_id = "a";
  o.secret_access_key = "b";
  o.endpoint = "http://127.0.0.1:1";
  EXPECT_EQ(OpenObjectStore("s3://", o).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("s3://bad*bucket", o).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("s3://b/../x", o).status().code(), Code::kInvalidArgument);
  StoreOptions bad_ep = o;
  bad_ep.endpoint = "ftp://host";
  EXPECT_EQ(OpenObjectStore("s3://b", bad_ep).status().code(), Code::kInvalidArgument);
  auto s = OpenObjectStore("s3://b/some/prefix/", o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->uri(), "s3://b/some/prefix");
}

// Pagination on a real server with a small page size, across more keys than one page.
TEST(S3RealServerTest, ListFollowsManySmallPages) {
  auto* server = testing::SharedS3rver();
  StoreOptions o;
  o.endpoint = server->endpoint();
  o.access_key_id = testing::S3rverProcess::kAccessKey;
  o.secret_access_key = testing::S3rverProcess::kSecretKey;
  o.list_page_size = 10;
  auto store = OpenObjectStore(fmt::format("s3://{}/paging-{}", server->bucket(), ::getpid()), o);
  ASSERT_TRUE(store.ok()) << store.status();
  for (int i = 0; i < 95; ++i) ASSERT_TRUE((*store)->Put(fmt::format("k/{:03}", i), "v").ok());
  auto all = (*store)->List("k/");
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 95u);
  for (int i = 0; i < 95; ++i) EXPECT_EQ((*all)[i].key, fmt::format("k/{:03}", i));
}

// s3rver ignores If-None-Match on PUT. The probe must notice (so PutIfAbsent falls back to the
// emulated check and capabilities() admits it), and trusting the header blindly would overwrite.
TEST(S3RealServerTest, ConditionalPutSupportIsProbedNotAssumed) {
  auto* server = testing::SharedS3rver();
  StoreOptions o;
  o.endpoint = server->endpoint();
  o.access_key_id = testing::S3rverProcess::kAccessKey;
  o.secret_access_key = testing::S3rverProcess::kSecretKey;
  std::string uri = fmt::format("s3://{}/cond-{}", server->bucket(), ::getpid());
  auto automatic = OpenObjectStore(uri, o);
  ASSERT_TRUE(automatic.ok());
  EXPECT_FALSE((*automatic)->capabilities().atomic_put_if_absent);
  ASSERT_TRUE((*automatic)->PutIfAbsent("k", "first").ok());
  EXPECT_EQ((*automatic)->PutIfAbsent("k", "second").code(), Code::kAlreadyExists);
  EXPECT_EQ((*automatic)->Get("k").value(), "first");
  EXPECT_TRUE((*automatic)->List("").value().size() == 1u);  // no probe objects left visible

  o.conditional_put = StoreOptions::ConditionalPut::kHeader;  // what a client that trusts the server would do
  auto trusting = OpenObjectStore(uri, o);
  ASSERT_TRUE(trusting.ok());
  EXPECT_TRUE((*trusting)->capabilities().atomic_put_if_absent);
  EXPECT_TRUE((*trusting)->PutIfAbsent("k", "overwritten").ok());  // s3rver let it through
  EXPECT_EQ((*trusting)->Get("k").value(), "overwritten");
}

}  // namespace
}  // namespace sl::store
