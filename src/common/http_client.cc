#include "common/http_client.h"

#include <curl/curl.h>

#include <mutex>

namespace sl {
namespace {

void GlobalInitOnce() {
  // curl_global_init is not thread-safe; every client goes through here first.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<HttpHeaders*>(user);
  std::string_view line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    headers->items.clear();  // a new status line (after 100 Continue or a redirect) starts over
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;  // the blank line ending the head
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  headers->items.emplace_back(std::string(name), std::string(value));
  return size * n;
}

Status CurlError(CURLcode rc, std::string_view method, const std::string& url,
                 const char* detail) {
  // curl's error buffer can be terse ("Failed "); its code's text says what kind of failure it was.
  std::string why = curl_easy_strerror(rc);
  std::string extra = detail;
  while (!extra.empty() && (extra.back() == ' ' || extra.back() == '\n')) extra.pop_back();
  if (!extra.empty() && extra != why) why += " (" + extra + ")";
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return DeadlineExceeded("{} {}: {}", method, url, why);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return InvalidArgument("{} {}: {}", method, url, why);
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      return Unavailable("{} {}: {}", method, url, why);
    default:
      return Internal("{} {}: {}", method, url, why);
  }
}

}  // namespace

HttpClient::HttpClient() : HttpClient(Options{}) {}

HttpClient::HttpClient(Options options) : options_(options) {
  GlobalInitOnce();
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpResponse> HttpClient::Send(std::string_view method, const std::string& url,
                                      std::string_view body, const HttpHeaders& headers,
                                      std::optional<int64_t> timeout_ms) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return Internal("{} {}: curl_easy_init failed", method, url);
  // reset keeps the connection cache, so keep-alive connections survive between requests.
  curl_easy_reset(curl);
  char error_buf[CURL_ERROR_SIZE];
  error_buf[0] = '\0';
  HttpResponse response;
  std::string method_str(method);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buf);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(timeout_ms.value_or(options_.timeout_ms)));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (method == "GET" && body.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    if (method != "POST") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_str.c_str());
  }
  curl_slist* list = nullptr;
  // No "Expect: 100-continue" round trip, and no default form content type.
  list = curl_slist_append(list, "Expect:");
  if (!headers.Has("Content-Type")) list = curl_slist_append(list, "Content-Type:");
  for (const auto& [name, value] : headers.items) {
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    list = curl_slist_append(list, line.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(list);
  if (rc != CURLE_OK) return CurlError(rc, method, url, error_buf);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace sl
