#include "common/http_client.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <curl/curl.h>

namespace sl {
namespace {

void GlobalInitOnce() {
  // curl_global_init is not thread-safe; every client goes through here first.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Transport failures where another attempt may succeed.
bool IsTransient(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_FAIL_REWIND:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

}  // namespace

// The state of one Perform, shared with curl's callbacks.
struct HttpClient::Exchange {
  const HttpCall* call = nullptr;
  HttpReply* reply = nullptr;
  HttpHeaders* raw_headers = nullptr;  // Send(): the headers in their received spelling
  uint64_t sent = 0;
  Status sink_status;
  int read_errno = 0;

  static size_t ReadBody(char* buf, size_t size, size_t nmemb, void* userp) {
    auto* t = static_cast<Exchange*>(userp);
    const HttpCall& c = *t->call;
    size_t want = size * nmemb;
    if (c.body_fd < 0) {
      size_t n = std::min<size_t>(want, c.body.size() - t->sent);
      std::memcpy(buf, c.body.data() + t->sent, n);
      t->sent += n;
      return n;
    }
    uint64_t left = c.body_length - t->sent;
    size_t n = static_cast<size_t>(std::min<uint64_t>(want, left));
    if (n == 0) return 0;
    while (true) {
      ssize_t r = ::pread(c.body_fd, buf, n, static_cast<off_t>(c.body_offset + t->sent));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        t->read_errno = r < 0 ? errno : EIO;  // the file shrank under us
        return CURL_READFUNC_ABORT;
      }
      t->sent += static_cast<uint64_t>(r);
      return static_cast<size_t>(r);
    }
  }

  // libcurl rewinds a request body when it resends the request, e.g. on a fresh connection after
  // the server closed a reused keep-alive one; without this, such a resend fails with
  // CURLE_SEND_FAIL_REWIND.
  static int SeekBody(void* userp, curl_off_t offset, int origin) {
    auto* t = static_cast<Exchange*>(userp);
    const HttpCall& c = *t->call;
    uint64_t len = c.body_fd >= 0 ? c.body_length : c.body.size();
    if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > len) return CURL_SEEKFUNC_FAIL;
    t->sent = static_cast<uint64_t>(offset);
    return CURL_SEEKFUNC_OK;
  }

  static size_t WriteBody(char* data, size_t size, size_t nmemb, void* userp) {
    auto* t = static_cast<Exchange*>(userp);
    size_t n = size * nmemb;
    bool ok_status = t->reply->status >= 200 && t->reply->status < 300;
    if (t->call->sink && ok_status) {
      t->sink_status = t->call->sink(*t->reply, std::string_view(data, n));
      if (!t->sink_status.ok()) return 0;  // aborts with CURLE_WRITE_ERROR
    } else {
      t->reply->body.append(data, n);
    }
    return n;
  }

  static size_t WriteHeader(char* data, size_t size, size_t nmemb, void* userp) {
    auto* t = static_cast<Exchange*>(userp);
    size_t n = size * nmemb;
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {  // a new status line (after 100 Continue or a redirect): start over
      t->reply->headers.clear();
      if (t->raw_headers != nullptr) t->raw_headers->items.clear();
      size_t sp = line.find(' ');
      t->reply->status =
          sp == std::string_view::npos ? 0 : std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
      return n;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return n;  // the blank line ending the head
    std::string name(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    if (t->raw_headers != nullptr) t->raw_headers->items.emplace_back(name, std::string(value));
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    t->reply->headers[name] = std::string(value);
    return n;
  }
};

HttpClient::HttpClient() : HttpClient(Options{}) {}

HttpClient::HttpClient(Options options) : options_(std::move(options)) { GlobalInitOnce(); }

HttpClient::~HttpClient() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpClient::Release(void* handle) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(handle);
}

Result<HttpReply> HttpClient::Perform(const HttpCall& call, std::string_view what) {
  return Run(call, what, std::nullopt, /*keep_default_content_type=*/true, nullptr);
}

Result<HttpResponse> HttpClient::Send(std::string_view method, const std::string& url,
                                      std::string_view body, const HttpHeaders& headers,
                                      std::optional<int64_t> timeout_ms) {
  HttpCall call;
  call.method = std::string(method);
  call.url = url;
  call.body = body;
  for (const auto& [name, value] : headers.items) {
    call.headers.push_back(value.empty() ? name + ";" : name + ": " + value);  // "Name;": sent empty
  }
  HttpResponse response;
  SL_ASSIGN_OR_RETURN(HttpReply reply, Run(call, {}, timeout_ms, headers.Has("Content-Type"), &response.headers));
  response.status = static_cast<int>(reply.status);
  response.body = std::move(reply.body);
  return response;
}

Result<HttpReply> HttpClient::Run(const HttpCall& call, std::string_view what,
                                  std::optional<int64_t> timeout_ms, bool keep_default_content_type,
                                  HttpHeaders* raw_headers) {
  const std::string where = what.empty() ? fmt::format("{} {}", call.method, call.url)
                                         : fmt::format("{}: {} {}", what, call.method, call.url);
  CURL* curl = static_cast<CURL*>(Acquire());
  if (curl == nullptr) return ResourceExhausted("{}: curl_easy_init failed", where);
  curl_easy_reset(curl);  // keeps the connection cache, clears the previous call's options
  HttpReply reply;
  Exchange t;
  t.call = &call;
  t.reply = &reply;
  t.raw_headers = raw_headers;
  char error_buf[CURL_ERROR_SIZE];
  error_buf[0] = '\0';
  curl_slist* hdrs = nullptr;
  hdrs = curl_slist_append(hdrs, "Expect:");  // no 100-continue round trip before bodies
  // libcurl adds a form content type to POSTs; a caller that names none sends none.
  if (!keep_default_content_type) hdrs = curl_slist_append(hdrs, "Content-Type:");
  for (const auto& h : call.headers) hdrs = curl_slist_append(hdrs, h.c_str());
  const bool has_body = call.body_fd >= 0 || !call.body.empty() || call.method == "PUT" || call.method == "POST";
  const uint64_t body_len = call.body_fd >= 0 ? call.body_length : call.body.size();
  const int64_t total_ms = call.timeout_ms > 0 ? call.timeout_ms : timeout_ms.value_or(options_.timeout_ms);

  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buf);
  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(0, total_ms)));
  if (options_.low_speed_timeout_s > 0) {
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(std::max(1.0, options_.low_speed_timeout_s)));
  }
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, Exchange::WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Exchange::WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  if (call.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (call.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_len));
  } else if (call.method == "POST" || (call.method != "GET" && has_body)) {
    // A body with another method (e.g. DELETE with one) goes as a POST under that method's name.
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_len));
    if (call.method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  } else if (call.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  }
  if (has_body) {
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, Exchange::ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, Exchange::SeekBody);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &t);
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(hdrs);
  if (options_.on_attempt) {
    curl_off_t up = 0, down = 0;
    curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &up);
    curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
    options_.on_attempt(call, static_cast<int64_t>(up), static_cast<int64_t>(down));
  }
  if (rc != CURLE_OK) {
    curl_easy_cleanup(curl);  // never reuse a handle whose connection failed mid-transfer
    if (rc == CURLE_WRITE_ERROR && !t.sink_status.ok()) return t.sink_status;
    if (rc == CURLE_ABORTED_BY_CALLBACK || t.read_errno != 0) {
      return ErrnoError(t.read_errno != 0 ? t.read_errno : EIO,
                        fmt::format("{}: reading the request body at byte {}", where, call.body_offset + t.sent));
    }
    // curl's error buffer can be terse ("Failed "); its code's text says what kind of failure it was.
    std::string why = curl_easy_strerror(rc);
    std::string extra = error_buf;
    while (!extra.empty() && (extra.back() == ' ' || extra.back() == '\n')) extra.pop_back();
    if (!extra.empty() && extra != why) why += " (" + extra + ")";
    if (rc == CURLE_OPERATION_TIMEDOUT) return DeadlineExceeded("{}: {}", where, why);
    if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL) return InvalidArgument("{}: {}", where, why);
    if (IsTransient(rc)) return Unavailable("{}: {}", where, why);
    return Internal("{}: {}", where, why);
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status != 0) reply.status = status;
  Release(curl);
  return reply;
}

}  // namespace sl
