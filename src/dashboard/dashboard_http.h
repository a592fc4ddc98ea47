// DashboardHttp: the dashboard's pages on a server's own port (issue 19 §3).
//
//   GET  /dashboard         the page (HTML with an inline script and style, no external URL;
//                           Content-Security-Policy allows nothing else to load): it polls
//                           /dashboard/state once a second and swaps in each chart's SVG
//   GET  /dashboard/state   Dashboard::StateJson()
//   POST /dashboard/login   form field `token`: the sign-in of the 401 page
//
// Authentication: the server's bearer token (the same TokenAuthenticator as `serve`'s gateway;
// `platform serve` keeps a dashboard token, since a browser cannot sign SigV4). A request is let
// in by
//   * "Authorization: Bearer <token>" or "X-API-Key: <token>" (scripts, curl), or
//   * the session cookie: `GET /dashboard?token=<token>` or the login form exchanges a valid token
//     for a random session id (32 bytes from the CSPRNG) in an HttpOnly, SameSite=Strict cookie
//     with Path=/dashboard, and redirects (303) to /dashboard, so the token leaves the address bar.
// A session only opens the dashboard: no other path of the server accepts the cookie, so a page
// elsewhere cannot make the browser run inferences or invocations with it. Sessions live in
// memory (lost on restart), at most `max_sessions` (the oldest dropped), each `session_ttl` long;
// ids are kept as SHA-256 digests. The cookie's name carries a random per-server suffix, since
// browsers do not separate cookies by port. Everything else under the prefix without credentials
// is 401 (the page: a sign-in form; the state: {"error"}) — never the charts. Tokens and session
// ids are never logged.
// With a null authenticator (`--auth none`) every request is let in.
// Thread safety: Handle from any number of server threads (sessions behind one mutex).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/auth_token.h"
#include "common/clock.h"
#include "common/http_server.h"
#include "dashboard/dashboard.h"

namespace sl::dashboard {

inline constexpr std::string_view kDashboardPath = "/dashboard";

struct DashboardHttpOptions {
  std::shared_ptr<const TokenAuthenticator> auth;  // null: open
  size_t max_sessions = 64;
  std::chrono::seconds session_ttl = std::chrono::hours(12);
  Clock* clock = nullptr;                          // null: Clock::Real(); session expiry
};

class DashboardHttp {
 public:
  // `dashboard` is borrowed and must outlive this object and the server using it.
  static Result<std::unique_ptr<DashboardHttp>> Create(Dashboard* dashboard, DashboardHttpOptions options);

  // Whether `path` is the dashboard's (/dashboard or below it).
  static bool IsDashboardPath(std::string_view path);
  void Handle(HttpRequest&& request, HttpResponder respond);
  // A handler sending the dashboard's paths here and every other request to `next` unchanged.
  // The returned handler borrows this object.
  HttpHandler Wrap(HttpHandler next);
  const std::string& cookie_name() const { return cookie_name_; }
  size_t sessions() const;

 private:
  DashboardHttp(Dashboard* dashboard, DashboardHttpOptions options, std::string cookie_name);
  bool Allowed(const HttpRequest& request);
  bool ValidToken(const std::string& token) const;
  Result<std::string> NewSession();  // the session id (its digest kept)
  HttpResponse SignedIn(const std::string& session_id) const;
  HttpResponse Page() const;
  HttpResponse LoginPage(int status, std::string_view message) const;

  Dashboard* dashboard_;
  DashboardHttpOptions options_;
  Clock* clock_;
  std::string cookie_name_;
  mutable std::mutex mu_;
  std::map<std::string, TimePoint> sessions_;  // GUARDED_BY(mu_) SHA-256 hex of the id → expiry
};

// The page's HTML (the title escaped); dashboard_page.cc.
std::string DashboardPageHtml(std::string_view title);
// The 401 page with the sign-in form; `message` says why (escaped).
std::string DashboardLoginHtml(std::string_view title, std::string_view message);
// The Content-Security-Policy of both pages: nothing but the page itself, its inline script and
// style, and requests to its own origin.
inline constexpr std::string_view kDashboardCsp =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

}  // namespace sl::dashboard
