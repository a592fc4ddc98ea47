// Object keys: the one place that decides which keys are safe.
//
// A key is a '/'-separated relative path: 1..1024 bytes, no NUL or other ASCII control bytes,
// no leading '/', no empty segments ("a//b", trailing '/'), no "." or ".." segments, and no
// segment starting with ".sl-" (reserved for the store's own bookkeeping, e.g. the file
// backend's temp directory). Both backends apply the same rule, so a key accepted by one is
// accepted by the other and the file backend can never be steered outside its root by a key.
// Thread safety: stateless.
#pragma once

#include <string_view>

#include "common/status.h"

namespace sl::store {

inline constexpr size_t kMaxKeyBytes = 1024;

// OK, or INVALID_ARGUMENT naming the key and the rule it breaks.
Status ValidateKey(std::string_view key);

// A listing prefix may be empty or end in '/' or mid-segment ("shard/00"); it may not contain
// NUL/control bytes, start with '/', or contain a "." / ".." segment.
Status ValidatePrefix(std::string_view prefix);

// Printable form of a key for error messages: control bytes shown as \xNN.
std::string PrintableKey(std::string_view key);

}  // namespace sl::store
