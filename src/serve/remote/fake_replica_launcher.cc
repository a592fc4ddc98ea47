#include "serve/remote/fake_replica_launcher.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/file_util.h"
#include "common/http_server.h"

namespace sl::serve {

struct FakeReplicaLauncher::Replica {
  std::string id;
  std::string token;  // "" = no auth
  std::unique_ptr<HttpServer> server;
  bool ready = true;
  bool reports_port = true;
  bool crashed = false;
  bool killed = false;
  int64_t answered = 0;
  std::vector<std::pair<HttpResponder, HttpResponse>> held;  // GUARDED_BY(launcher mu_)
};

namespace {

HttpResponse JsonError(int status, const std::string& message) {
  return HttpResponse::Json(status, nlohmann::json{{"error", message}}.dump());
}

class FakeHandle final : public ReplicaHandle {
 public:
  FakeHandle(std::mutex* mu, std::shared_ptr<FakeReplicaLauncher::Replica> rep)
      : mu_(mu), rep_(std::move(rep)) {}
  ~FakeHandle() override { Kill(); }
  int pid() const override { return 0; }
  int Port() override {
    std::lock_guard<std::mutex> lock(*mu_);
    return rep_->reports_port && rep_->server ? rep_->server->port() : 0;
  }
  bool Exited() override {
    std::lock_guard<std::mutex> lock(*mu_);
    return rep_->crashed && !rep_->killed;
  }
  void Kill() override {
    std::unique_ptr<HttpServer> server;
    {
      std::lock_guard<std::mutex> lock(*mu_);
      if (rep_->killed) return;
      rep_->killed = true;
      rep_->held.clear();  // their connections close with the server
      server = std::move(rep_->server);
    }
    if (server) server->Stop();
  }

 private:
  std::mutex* mu_;
  std::shared_ptr<FakeReplicaLauncher::Replica> rep_;
};

}  // namespace

FakeReplicaLauncher::FakeReplicaLauncher() = default;

FakeReplicaLauncher::~FakeReplicaLauncher() {
  // Handles normally outlive nothing: the tier kills them at Shutdown. Stop any left.
  std::vector<std::unique_ptr<HttpServer>> servers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : replicas_) {
      r->held.clear();
      if (r->server) servers.push_back(std::move(r->server));
    }
  }
  for (auto& s : servers) s->Stop();
}

Result<std::unique_ptr<ReplicaHandle>> FakeReplicaLauncher::Launch(const ReplicaStart& start) {
  auto rep = std::make_shared<Replica>();
  rep->id = start.id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_launches_ > 0) {
      --fail_launches_;
      return fail_status_.WithContext("fake launcher: " + start.id);
    }
    rep->ready = !start_unready_;
    rep->reports_port = !never_report_port_;
  }
  if (!start.token_file.empty()) {
    SL_ASSIGN_OR_RETURN(std::string token, ReadFileToString(start.token_file));
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    rep->token = token;
  }
  std::weak_ptr<Replica> weak = rep;
  HttpServer::Options options;
  options.threads = 2;
  auto server = HttpServer::Start(options, [this, weak](HttpRequest&& req, HttpResponder respond) {
    auto r = weak.lock();
    if (!r) return respond(JsonError(503, "replica gone"));
    std::unique_lock<std::mutex> lock(mu_);
    if (!r->token.empty() && req.headers.Get("Authorization") != "Bearer " + r->token) {
      lock.unlock();
      return respond(JsonError(401, "replica: missing or wrong token"));
    }
    if (req.method == "GET" && req.path == "/v2/health/ready") {
      const bool ready = r->ready;
      lock.unlock();
      return respond(ready ? HttpResponse::Json(200, R"({"ready":true})")
                           : JsonError(503, "replica: not ready"));
    }
    const std::string prefix = "/v2/models/";
    const std::string suffix = "/infer";
    if (req.method != "POST" || req.path.rfind(prefix, 0) != 0 || req.path.size() < suffix.size() ||
        req.path.compare(req.path.size() - suffix.size(), suffix.size(), suffix) != 0) {
      lock.unlock();
      return respond(JsonError(404, "no route " + req.path));
    }
    const std::string model =
        req.path.substr(prefix.size(), req.path.size() - prefix.size() - suffix.size());
    HttpResponse resp;
    if (model != "m") {
      resp = JsonError(404, "unknown model '" + model + "'");
    } else if (req.body == "bad") {
      resp = JsonError(400, "input__0: wrong shape");
    } else if (req.body == "busy") {
      resp = JsonError(429, "replica: queue full");
    } else if (req.body == "down") {
      resp = JsonError(503, "replica: draining");
    } else if (req.body == "late") {
      resp = JsonError(504, "replica: deadline");
    } else if (req.body == "boom") {
      resp = JsonError(500, "replica: internal");
    } else {
      resp = HttpResponse::Json(
          200, nlohmann::json{{"replica", r->id},
                              {"bytes", req.body.size()},
                              {"content_type", std::string(req.headers.Get("Content-Type"))}}
                   .dump());
    }
    ++r->answered;
    if (hold_) {
      r->held.emplace_back(std::move(respond), std::move(resp));
      return;
    }
    lock.unlock();
    respond(std::move(resp));
  });
  if (!server.ok()) return server.status().WithContext("fake launcher: " + start.id);
  std::lock_guard<std::mutex> lock(mu_);
  rep->server = std::move(*server);
  replicas_.push_back(rep);
  return std::unique_ptr<ReplicaHandle>(std::make_unique<FakeHandle>(&mu_, rep));
}

std::shared_ptr<FakeReplicaLauncher::Replica> FakeReplicaLauncher::Find(const std::string& id) const {
  for (const auto& r : replicas_) {
    if (r->id == id) return r;
  }
  return nullptr;
}

void FakeReplicaLauncher::FailLaunches(int n, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_launches_ = n;
  fail_status_ = std::move(status);
}

void FakeReplicaLauncher::StartUnready(bool unready) {
  std::lock_guard<std::mutex> lock(mu_);
  start_unready_ = unready;
}

void FakeReplicaLauncher::SetReady(const std::string& id, bool ready) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto r = Find(id)) r->ready = ready;
}

void FakeReplicaLauncher::NeverReportPort(bool never) {
  std::lock_guard<std::mutex> lock(mu_);
  never_report_port_ = never;
}

void FakeReplicaLauncher::Hold(bool hold) {
  std::lock_guard<std::mutex> lock(mu_);
  hold_ = hold;
}

void FakeReplicaLauncher::Release() {
  std::vector<std::pair<HttpResponder, HttpResponse>> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& r : replicas_) {
      for (auto& h : r->held) held.push_back(std::move(h));
      r->held.clear();
    }
  }
  for (auto& [respond, resp] : held) respond(std::move(resp));
}

int64_t FakeReplicaLauncher::held() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t n = 0;
  for (const auto& r : replicas_) n += static_cast<int64_t>(r->held.size());
  return n;
}

void FakeReplicaLauncher::Crash(const std::string& id) {
  std::unique_ptr<HttpServer> server;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = Find(id);
    if (!r || r->killed || r->crashed) return;
    r->crashed = true;
    r->held.clear();
    server = std::move(r->server);
  }
  if (server) server->Stop();
}

int64_t FakeReplicaLauncher::launches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(replicas_.size());
}

std::vector<std::string> FakeReplicaLauncher::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> ids;
  for (const auto& r : replicas_) {
    if (!r->killed && !r->crashed) ids.push_back(r->id);
  }
  return ids;
}

int64_t FakeReplicaLauncher::requests(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto r = Find(id);
  return r ? r->answered : 0;
}

}  // namespace sl::serve
