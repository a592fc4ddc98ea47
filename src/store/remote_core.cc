#include "store/remote_core.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <random>

#include <fmt/format.h>

#include "store/key.h"

namespace sl::store {

ConditionalPut::ConditionalPut(StoreOptions::ConditionalPut option) {
  if (option == StoreOptions::ConditionalPut::kHeader) mode_ = static_cast<int>(Mode::kHeader);
  if (option == StoreOptions::ConditionalPut::kEmulate) mode_ = static_cast<int>(Mode::kEmulate);
}

Result<ConditionalPut::Mode> ConditionalPut::Get(const std::function<Status(const std::string& key)>& put,
                                                 const std::function<void(const std::string& key)>& remove,
                                                 std::string_view what) {
  int m = mode_.load();
  if (m != static_cast<int>(Mode::kUnknown)) return static_cast<Mode>(m);
  std::lock_guard<std::mutex> lock(probe_mu_);
  m = mode_.load();
  if (m != static_cast<int>(Mode::kUnknown)) return static_cast<Mode>(m);
  const std::string probe =
      fmt::format(".sl-probe-{:016x}", std::random_device{}() * 0x9E3779B97F4A7C15ull ^ ::getpid());
  const std::string context = fmt::format("probing {} support", what);
  Status first = put(probe);
  if (!first.ok() && first.code() != Code::kAlreadyExists) return first.WithContext(context);
  Status second = put(probe);
  Mode mode;
  if (second.code() == Code::kAlreadyExists) {
    mode = Mode::kHeader;
  } else if (second.ok()) {
    mode = Mode::kEmulate;
  } else {
    return second.WithContext(context);
  }
  remove(probe);
  mode_.store(static_cast<int>(mode));
  return mode;
}

Result<bool> ConditionalPut::Prepare(bool if_absent, const std::function<Status(const std::string& key)>& put,
                                     const std::function<void(const std::string& key)>& remove,
                                     std::string_view what, const std::function<Result<ObjectInfo>()>& head,
                                     std::string_view uri, std::string_view key) {
  if (!if_absent) return false;
  SL_ASSIGN_OR_RETURN(Mode mode, Get(put, remove, what));
  if (mode == Mode::kHeader) return true;
  auto found = head();
  if (found.ok()) {
    return AlreadyExists("{}: key '{}': already exists (put-if-absent: the first writer won; emulated check)", uri,
                         PrintableKey(key));
  }
  if (found.status().code() != Code::kNotFound) return found.status();
  return false;
}

Status SettlePut(Status s, const std::function<bool()>& written_by_this_put) {
  if (s.code() != Code::kAlreadyExists && s.code() != Code::kNotFound) return s;
  return written_by_this_put() ? Status::Ok() : s;
}

Result<std::string> RangedGet(std::string_view uri, std::string_view key, uint64_t offset, uint64_t length,
                              const std::function<Result<HttpReply>(const std::string& range)>& get,
                              const std::function<Result<ObjectInfo>()>& head) {
  if (length > 0) {
    const uint64_t max = std::numeric_limits<uint64_t>::max();
    const uint64_t last = length > max - offset ? max - 1 : offset + length - 1;
    auto reply = get(length == ObjectStore::kToEnd ? fmt::format("bytes={}-", offset)
                                                   : fmt::format("bytes={}-{}", offset, last));
    if (reply.ok()) {
      if (reply->status == 200) {  // a server that ignores Range sends it all
        std::string& b = reply->body;
        return offset >= b.size() ? std::string() : b.substr(offset, length);
      }
      return std::move(reply->body);
    }
    if (reply.status().code() != Code::kOutOfRange) return reply.status();
  }
  // Zero-length read, or the range starts at/after the end: decide from the size.
  SL_ASSIGN_OR_RETURN(ObjectInfo info, head());
  if (offset > info.size) {
    return OutOfRange("{}: key '{}': range offset {} is past the end of the object ({} bytes)", uri,
                      PrintableKey(key), offset, info.size);
  }
  return std::string();
}

Result<std::vector<ObjectInfo>> ListAllSorted(ObjectStore& store, std::string_view prefix, int page_size) {
  std::vector<ObjectInfo> out;
  ListOptions options{.prefix = std::string(prefix), .page_token = "", .max_keys = page_size};
  while (true) {
    SL_ASSIGN_OR_RETURN(ListResult page, store.ListPage(options));
    for (auto& o : page.objects) out.push_back(std::move(o));
    if (page.next_page_token.empty()) break;
    options.page_token = std::move(page.next_page_token);
  }
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

std::string NewPutId() {
  thread_local std::mt19937_64 rng(std::random_device{}() ^ (static_cast<uint64_t>(::getpid()) << 32));
  return fmt::format("{:016x}{:016x}", rng(), rng());
}

std::string StripQuotes(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace sl::store
