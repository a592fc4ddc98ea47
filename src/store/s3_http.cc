#include "store/s3_http.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <curl/curl.h>

#include "store/transfer_counts.h"

namespace sl::store {
namespace {

std::once_flag g_curl_init;

struct Transfer {
  const HttpCall* call = nullptr;
  HttpReply* reply = nullptr;
  uint64_t sent = 0;
  Status sink_status;
  int read_errno = 0;
};

size_t ReadBody(char* buf, size_t size, size_t nmemb, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
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
int SeekBody(void* userp, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(userp);
  const HttpCall& c = *t->call;
  uint64_t len = c.body_fd >= 0 ? c.body_length : c.body.size();
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > len) return CURL_SEEKFUNC_FAIL;
  t->sent = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t WriteBody(char* data, size_t size, size_t nmemb, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
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

size_t WriteHeader(char* data, size_t size, size_t nmemb, void* userp) {
  auto* t = static_cast<Transfer*>(userp);
  size_t n = size * nmemb;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {  // a new status line (also after 100 Continue): start over
    t->reply->headers.clear();
    size_t sp = line.find(' ');
    t->reply->status = sp == std::string_view::npos ? 0 : std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  t->reply->headers[name] = std::string(value);
  return n;
}

bool IsTransient(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
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

HttpClient::HttpClient(double connect_timeout_seconds, double low_speed_timeout_seconds)
    : connect_timeout_(connect_timeout_seconds), low_speed_timeout_(low_speed_timeout_seconds) {
  std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

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
  CURL* curl = static_cast<CURL*>(Acquire());
  if (curl == nullptr) return ResourceExhausted("{}: curl_easy_init failed", what);
  curl_easy_reset(curl);  // keeps the connection cache, clears options of the previous call
  HttpReply reply;
  Transfer t;
  t.call = &call;
  t.reply = &reply;
  curl_slist* hdrs = nullptr;
  for (const auto& h : call.headers) hdrs = curl_slist_append(hdrs, h.c_str());
  hdrs = curl_slist_append(hdrs, "Expect:");  // no 100-continue round trip before bodies
  bool has_body = call.body_fd >= 0 || !call.body.empty() || call.method == "PUT" || call.method == "POST";
  uint64_t body_len = call.body_fd >= 0 ? call.body_length : call.body.size();

  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout_ * 1000));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(std::max(1.0, low_speed_timeout_)));
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, 2L * 1024 * 1024);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  if (call.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (call.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_len));
  } else if (call.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body_len));
  } else if (call.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  }
  if (has_body) {
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &t);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, SeekBody);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &t);
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(hdrs);
  curl_off_t up = 0, down = 0;
  curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &up);
  curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
  CountTransfer(call.method, call.is_list, static_cast<int64_t>(up), static_cast<int64_t>(down));
  if (rc != CURLE_OK) {
    // Do not reuse a handle whose connection failed mid-transfer.
    curl_easy_cleanup(curl);
    if (rc == CURLE_WRITE_ERROR && !t.sink_status.ok()) return t.sink_status;
    if (rc == CURLE_ABORTED_BY_CALLBACK || t.read_errno != 0) {
      return ErrnoError(t.read_errno != 0 ? t.read_errno : EIO,
                        fmt::format("{}: reading request body at byte {}", what, call.body_offset + t.sent));
    }
    std::string msg = fmt::format("{}: {} {}: {}", what, call.method, call.url, curl_easy_strerror(rc));
    if (IsTransient(rc)) return Unavailable("{}", msg);
    return Internal("{}", msg);
  }
  Release(curl);
  return reply;
}

}  // namespace sl::store
