#include "dashboard/dashboard_http.h"

#include <fmt/format.h>

#include "common/sha256.h"

namespace sl::dashboard {
namespace {

constexpr std::string_view kStatePath = "/dashboard/state";
constexpr std::string_view kLoginPath = "/dashboard/login";

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "".
std::string CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const size_t eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
  }
  return "";
}

void SetPageHeaders(HttpResponse& r) {
  r.headers.Set("Content-Type", "text/html; charset=utf-8");
  r.headers.Set("Content-Security-Policy", std::string(kDashboardCsp));
  r.headers.Set("X-Content-Type-Options", "nosniff");
  r.headers.Set("Referrer-Policy", "no-referrer");
  r.headers.Set("Cache-Control", "no-store");
}

}  // namespace

Result<std::unique_ptr<DashboardHttp>> DashboardHttp::Create(Dashboard* dashboard, DashboardHttpOptions options) {
  if (dashboard == nullptr) return InvalidArgument("dashboard: no dashboard to serve");
  SL_ASSIGN_OR_RETURN(std::string suffix, GenerateToken());
  return std::unique_ptr<DashboardHttp>(
      new DashboardHttp(dashboard, std::move(options), "sl_dashboard_" + suffix.substr(0, 12)));
}

DashboardHttp::DashboardHttp(Dashboard* dashboard, DashboardHttpOptions options, std::string cookie_name)
    : dashboard_(dashboard), options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : Clock::Real()), cookie_name_(std::move(cookie_name)) {}

bool DashboardHttp::IsDashboardPath(std::string_view path) {
  return path == kDashboardPath ||
         (path.size() > kDashboardPath.size() && path.substr(0, kDashboardPath.size()) == kDashboardPath &&
          path[kDashboardPath.size()] == '/');
}

HttpHandler DashboardHttp::Wrap(HttpHandler next) {
  return [this, next = std::move(next)](HttpRequest&& req, HttpResponder respond) {
    if (IsDashboardPath(req.path)) return Handle(std::move(req), std::move(respond));
    next(std::move(req), std::move(respond));
  };
}

bool DashboardHttp::ValidToken(const std::string& token) const {
  if (options_.auth == nullptr || token.empty()) return false;
  HttpHeaders h;
  h.Set("Authorization", "Bearer " + token);
  return options_.auth->Check(h) == AuthVerdict::kAllowed;
}

bool DashboardHttp::Allowed(const HttpRequest& req) {
  if (options_.auth == nullptr) return true;
  if (req.headers.Has("Authorization") || req.headers.Has(kApiKeyHeader)) {
    return options_.auth->Check(req.headers) == AuthVerdict::kAllowed;
  }
  const std::string id = CookieValue(req.headers.Get("Cookie"), cookie_name_);
  if (id.empty()) return false;
  const std::string digest = Sha256Hex(id);
  const TimePoint now = clock_->Now();
  std::lock_guard<std::mutex> l(mu_);
  auto it = sessions_.find(digest);
  if (it == sessions_.end()) return false;
  if (it->second <= now) {
    sessions_.erase(it);
    return false;
  }
  return true;
}

Result<std::string> DashboardHttp::NewSession() {
  SL_ASSIGN_OR_RETURN(std::string id, GenerateToken());
  const TimePoint now = clock_->Now();
  std::lock_guard<std::mutex> l(mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second <= now ? sessions_.erase(it) : std::next(it);
  }
  while (!sessions_.empty() && sessions_.size() >= options_.max_sessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second < oldest->second) oldest = it;
    }
    sessions_.erase(oldest);
  }
  sessions_[Sha256Hex(id)] = now + options_.session_ttl;
  return id;
}

size_t DashboardHttp::sessions() const {
  std::lock_guard<std::mutex> l(mu_);
  return sessions_.size();
}

HttpResponse DashboardHttp::SignedIn(const std::string& session_id) const {
  HttpResponse r;
  r.status = 303;
  r.headers.Set("Location", std::string(kDashboardPath));
  r.headers.Set("Set-Cookie", fmt::format("{}={}; Path={}; Max-Age={}; HttpOnly; SameSite=Strict", cookie_name_,
                                          session_id, kDashboardPath, options_.session_ttl.count()));
  r.headers.Set("Cache-Control", "no-store");
  r.headers.Set("Referrer-Policy", "no-referrer");
  return r;
}

HttpResponse DashboardHttp::Page() const {
  HttpResponse r;
  r.status = 200;
  r.body = DashboardPageHtml(dashboard_->options().title);
  SetPageHeaders(r);
  return r;
}

HttpResponse DashboardHttp::LoginPage(int status, std::string_view message) const {
  HttpResponse r;
  r.status = status;
  r.body = DashboardLoginHtml(dashboard_->options().title, message);
  SetPageHeaders(r);
  if (status == 401) r.headers.Set("WWW-Authenticate", "Bearer realm=\"straightline dashboard\"");
  return r;
}

void DashboardHttp::Handle(HttpRequest&& req, HttpResponder respond) {
  const bool page = req.path == kDashboardPath || req.path == std::string(kDashboardPath) + "/";
  if (req.path == kLoginPath || (page && !QueryParam(req.query, "token").empty())) {
    if (req.path == kLoginPath && req.method != "POST") {
      HttpResponse r = HttpResponse::Text(405, "POST the form field 'token'\n");
      r.headers.Set("Allow", "POST");
      return respond(std::move(r));
    }
    if (options_.auth == nullptr) {  // nothing to sign in to
      HttpResponse r;
      r.status = 303;
      r.headers.Set("Location", std::string(kDashboardPath));
      return respond(std::move(r));
    }
    const std::string token = QueryParam(req.path == kLoginPath ? std::string_view(req.body) : req.query, "token");
    if (!ValidToken(token)) return respond(LoginPage(401, "That token is not accepted by this server."));
    auto id = NewSession();
    if (!id.ok()) return respond(HttpResponse::Text(500, "dashboard: cannot make a session: " + id.status().message() + "\n"));
    return respond(SignedIn(*id));
  }
  const bool allowed = Allowed(req);
  if (page) {
    if (req.method != "GET" && req.method != "HEAD") {
      HttpResponse r = HttpResponse::Text(405, "GET only\n");
      r.headers.Set("Allow", "GET");
      return respond(std::move(r));
    }
    if (!allowed) return respond(LoginPage(401, "Sign in with this server's token."));
    return respond(Page());
  }
  if (!allowed) {
    HttpResponse r = HttpResponse::Json(401, R"j({"error":"the dashboard needs this server's token (Authorization: Bearer, or sign in at /dashboard)"})j");
    r.headers.Set("WWW-Authenticate", "Bearer realm=\"straightline dashboard\"");
    return respond(std::move(r));
  }
  if (req.path == kStatePath) {
    if (req.method != "GET") {
      HttpResponse r = HttpResponse::Text(405, "GET only\n");
      r.headers.Set("Allow", "GET");
      return respond(std::move(r));
    }
    HttpResponse r = HttpResponse::Json(200, dashboard_->StateJson());
    r.headers.Set("Cache-Control", "no-store");
    return respond(std::move(r));
  }
  respond(HttpResponse::Json(404, fmt::format(R"({{"error":"no such dashboard path; try {} or {}"}})",
                                              kDashboardPath, kStatePath)));
}

}  // namespace sl::dashboard
