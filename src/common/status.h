// Status and Result<T>: the error type of every layer.
//
// A Status is either OK or carries a Code and a message that names the thing that failed and why
// ("s3://bkt/k: connection reset", "train-images.gz: byte 16: truncated record"). Codes carry
// retry meaning, so callers decide on the code, never on the text:
//   kUnavailable        transient; retry with backoff
//   kResourceExhausted  pool full / throttled / quota; retry later
//   kDeadlineExceeded   timed out
//   kInvalidArgument    the caller's fault; do not retry
//   kDataLoss           stored data is corrupted
// Both types are [[nodiscard]]: dropping an error is a compile error under -Werror.
// Thread safety: plain values; copy freely.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace sl {

enum class Code {
  kOk = 0,
  kCancelled,
  kUnknown,
  kInvalidArgument,
  kDeadlineExceeded,
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kResourceExhausted,
  kFailedPrecondition,
  kAborted,
  kOutOfRange,
  kUnimplemented,
  kInternal,
  kUnavailable,
  kDataLoss,
};

// "INVALID_ARGUMENT", "NOT_FOUND", ... (the gRPC/abseil spellings).
std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "NOT_FOUND: models/x/manifest.json: no such file". "OK" when ok.
  std::string ToString() const;

  // Returns a copy whose message is "context: message" (same code).
  Status WithContext(std::string_view context) const;

  // Marks an error as deliberately ignored.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// Constructors named after the code, taking fmt arguments:
//   return NotFound("{}: no such key", key);
#define SL_DEFINE_STATUS_CTOR(Name, CodeValue)                                   \
  template <typename... Args>                                                    \
  Status Name(fmt::format_string<Args...> f, Args&&... args) {                   \
    return Status(Code::CodeValue, fmt::format(f, std::forward<Args>(args)...)); \
  }
SL_DEFINE_STATUS_CTOR(CancelledError, kCancelled)
SL_DEFINE_STATUS_CTOR(UnknownError, kUnknown)
SL_DEFINE_STATUS_CTOR(InvalidArgument, kInvalidArgument)
SL_DEFINE_STATUS_CTOR(DeadlineExceeded, kDeadlineExceeded)
SL_DEFINE_STATUS_CTOR(NotFound, kNotFound)
SL_DEFINE_STATUS_CTOR(AlreadyExists, kAlreadyExists)
SL_DEFINE_STATUS_CTOR(PermissionDenied, kPermissionDenied)
SL_DEFINE_STATUS_CTOR(ResourceExhausted, kResourceExhausted)
SL_DEFINE_STATUS_CTOR(FailedPrecondition, kFailedPrecondition)
SL_DEFINE_STATUS_CTOR(Aborted, kAborted)
SL_DEFINE_STATUS_CTOR(OutOfRange, kOutOfRange)
SL_DEFINE_STATUS_CTOR(Unimplemented, kUnimplemented)
SL_DEFINE_STATUS_CTOR(Internal, kInternal)
SL_DEFINE_STATUS_CTOR(Unavailable, kUnavailable)
SL_DEFINE_STATUS_CTOR(DataLoss, kDataLoss)
#undef SL_DEFINE_STATUS_CTOR

// An error built from errno: "context: strerror(errno)" with a code chosen from errno
// (ENOENT → NOT_FOUND, EEXIST → ALREADY_EXISTS, EACCES/EPERM → PERMISSION_DENIED,
//  ENOSPC/EMFILE/ENOMEM → RESOURCE_EXHAUSTED, EAGAIN/EINTR → UNAVAILABLE, else INTERNAL).
Status ErrnoError(int err, std::string_view context);

// Result<T>: a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T value_or(T fallback) const& { return ok() ? value() : fallback; }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sl

#define SL_CONCAT_INNER_(a, b) a##b
#define SL_CONCAT_(a, b) SL_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function if it is not OK.
#define SL_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::sl::Status sl_status_ = (expr);         \
    if (!sl_status_.ok()) return sl_status_;  \
  } while (0)

// SL_ASSIGN_OR_RETURN(auto x, MakeX()); — declares x from a Result or returns its error.
#define SL_ASSIGN_OR_RETURN(lhs, expr) \
  SL_ASSIGN_OR_RETURN_IMPL_(SL_CONCAT_(sl_result_, __LINE__), lhs, expr)
#define SL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
