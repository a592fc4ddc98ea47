#include "common/http_message.h"

#include <strings.h>

namespace sl {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

}  // namespace

std::string_view HttpHeaders::Get(std::string_view name) const {
  for (const auto& [k, v] : items) {
    if (EqualsIgnoreCase(k, name)) return v;
  }
  return {};
}

bool HttpHeaders::Has(std::string_view name) const {
  for (const auto& kv : items) {
    if (EqualsIgnoreCase(kv.first, name)) return true;
  }
  return false;
}

void HttpHeaders::Set(std::string name, std::string value) {
  bool replaced = false;
  for (auto it = items.begin(); it != items.end();) {
    if (EqualsIgnoreCase(it->first, name)) {
      if (!replaced) {
        it->second = std::move(value);
        replaced = true;
        ++it;
      } else {
        it = items.erase(it);
      }
    } else {
      ++it;
    }
  }
  if (!replaced) items.emplace_back(std::move(name), std::move(value));
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.items.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::Json(int status, std::string json_body) {
  HttpResponse r;
  r.status = status;
  r.headers.items.emplace_back("Content-Type", "application/json");
  r.body = std::move(json_body);
  return r;
}

std::string PercentDecode(std::string_view s) { return Decode(s, /*plus_is_space=*/false); }

std::string QueryParam(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    std::string_view k = pair.substr(0, eq);
    if (Decode(k, true) == key) {
      return eq == std::string_view::npos ? std::string() : Decode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace sl
