#include "faas/runtime_api_server.h"

#include <nlohmann/json.hpp>

namespace sl::faas {
namespace {

constexpr std::string_view kInvocation = "/2018-06-01/runtime/invocation/";
constexpr std::string_view kNext = "/2018-06-01/runtime/invocation/next";
constexpr std::string_view kInitError = "/2018-06-01/runtime/init/error";

}  // namespace

HttpResponse RuntimeApiServer::Accepted() {
  return HttpResponse::Json(202, R"({"status":"OK"})");
}

HttpResponse RuntimeApiServer::Error(int status, const std::string& type,
                                     const std::string& message) {
  // Messages quote request paths, which may hold any bytes: invalid UTF-8 is replaced (U+FFFD)
  // instead of making dump() throw (found by runtime_api_server_fuzz: a 500 instead of the 404).
  return HttpResponse::Json(status, nlohmann::json{{"errorMessage", message}, {"errorType", type}}
                                        .dump(-1, ' ', false,
                                              nlohmann::json::error_handler_t::replace));
}

Result<std::unique_ptr<RuntimeApiServer>> RuntimeApiServer::Start(
    std::shared_ptr<Delegate> delegate, uint64_t max_body_bytes, int listen_fd) {
  HttpServer::Options opt;
  opt.listen_fd = listen_fd;
  opt.host = "127.0.0.1";
  opt.port = 0;
  opt.threads = 1;  // one instance polls one request at a time (a few with instance concurrency)
  opt.max_body_bytes = max_body_bytes;
  auto handler = [delegate](HttpRequest&& req, HttpResponder respond) {
    const std::string& path = req.path;
    if (req.method == "GET" && path == kNext) {
      delegate->OnNext(std::move(respond));
      return;
    }
    if (req.method == "POST" && path == kInitError) {
      delegate->OnInitError(std::move(req.body),
                            std::string(req.headers.Get("Lambda-Runtime-Function-Error-Type")),
                            std::move(respond));
      return;
    }
    if (req.method == "POST" && path.size() > kInvocation.size() &&
        path.compare(0, kInvocation.size(), kInvocation) == 0) {
      std::string rest = path.substr(kInvocation.size());  // "{id}/response" | "{id}/error"
      size_t slash = rest.find('/');
      if (slash != std::string::npos) {
        std::string id = rest.substr(0, slash);
        std::string what = rest.substr(slash + 1);
        if (what == "response") {
          delegate->OnResponse(id, std::move(req.body), std::move(respond));
          return;
        }
        if (what == "error") {
          delegate->OnError(id, std::move(req.body),
                            std::string(req.headers.Get("Lambda-Runtime-Function-Error-Type")),
                            std::move(respond));
          return;
        }
      }
    }
    respond(Error(404, "InvalidRequest",
                  "no Runtime API route for " + req.method + " " + req.path));
  };
  auto server = HttpServer::Start(opt, std::move(handler));
  if (!server.ok()) return server.status().WithContext("runtime API server");
  std::unique_ptr<RuntimeApiServer> s(new RuntimeApiServer());
  s->server_ = std::move(*server);
  return s;
}

RuntimeApiServer::~RuntimeApiServer() { Stop(); }

void RuntimeApiServer::Stop() {
  if (server_) server_->Stop();
}

}  // namespace sl::faas
