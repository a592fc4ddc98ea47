// What the remote backends — s3_store.cc (s3:// and gs://) and azure_store.cc (az://) — share
// beyond the HTTP client (s3_http.h) and the retrier (retry.h): the protocol-independent halves
// of put-if-absent, lost-reply settling, ranged reads and listing. Each backend supplies its
// requests as callbacks; the decisions live here once.
//
//   ConditionalPut   whether a conditional put is trusted to the server ("header"), emulated by
//                    check-then-write ("emulate"), or decided by one probe ("auto": two
//                    conditional puts of a throwaway key; the server is trusted if it refuses the
//                    second), cached for the store's life.
//   SettlePut        a put refused by what its own earlier attempt did (a lost reply) succeeded.
//   RangedGet        GetRange's contract (clipping, OUT_OF_RANGE past the end, servers that
//                    ignore Range) on top of one ranged request and a Head.
//   ListAllSorted    every page, then bytewise order (not every server lists in it).
// Thread safety: ConditionalPut is safe to share (one probe at a time, then a lock-free read);
// the functions are stateless.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/object_store.h"
#include "store/s3_http.h"

namespace sl::store {

class ConditionalPut {
 public:
  enum class Mode { kUnknown = 0, kHeader = 1, kEmulate = 2 };

  explicit ConditionalPut(StoreOptions::ConditionalPut option);

  // The mode, probing once in "auto". `put(key)` sends one conditional put of a small throwaway
  // object (ALREADY_EXISTS when the server refuses it); `remove(key)` deletes it (best effort; a
  // leftover ".sl-probe-*" object is invisible to List). `what` names the operation in errors.
  Result<Mode> Get(const std::function<Status(const std::string& key)>& put,
                   const std::function<void(const std::string& key)>& remove, std::string_view what);

  // For a put with `if_absent`: whether to send the precondition. When the server cannot be
  // trusted, checks with `head` first: ALREADY_EXISTS (naming `uri` and `key`) if the key is
  // there. A put without if_absent needs neither (false).
  Result<bool> Prepare(bool if_absent, const std::function<Status(const std::string& key)>& put,
                       const std::function<void(const std::string& key)>& remove, std::string_view what,
                       const std::function<Result<ObjectInfo>()>& head, std::string_view uri, std::string_view key);

 private:
  std::mutex probe_mu_;
  std::atomic<int> mode_{static_cast<int>(Mode::kUnknown)};
};

// A put can be refused by its own earlier attempt, one the server carried out but whose reply was
// lost: its retry finds the key taken (ALREADY_EXISTS) or its multipart upload gone (NOT_FOUND).
// If `written_by_this_put()` (the object carries this put's id), the put succeeded, exactly once;
// otherwise `s` stands.
Status SettlePut(Status s, const std::function<bool()>& written_by_this_put);

// GetRange on a remote store: `get(range_header_value)` sends one GET with "bytes=a-b" / "bytes=a-"
// (its 200 means the server ignored the range: the slice is cut here); a zero-length read or one
// the server answers OUT_OF_RANGE is decided from `head()`'s size (OUT_OF_RANGE past the end,
// naming `uri`, `key` and the offset; "" at the end).
Result<std::string> RangedGet(std::string_view uri, std::string_view key, uint64_t offset, uint64_t length,
                              const std::function<Result<HttpReply>(const std::string& range)>& get,
                              const std::function<Result<ObjectInfo>()>& head);

// Every key under `prefix`, following `store`'s pages of `page_size`, in bytewise order.
Result<std::vector<ObjectInfo>> ListAllSorted(ObjectStore& store, std::string_view prefix, int page_size);

// A put's random id (32 hex digits), kept as metadata so the put can recognise its own object.
std::string NewPutId();
// "\"abc\"" -> "abc" (ETags).
std::string StripQuotes(std::string s);
// The environment variable, or "".
std::string EnvOr(const char* name);

}  // namespace sl::store
