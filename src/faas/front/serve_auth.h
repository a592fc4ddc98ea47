// How `straightline platform serve` authenticates its Lambda API front, decided once at start-up
// from its flags and environment:
//
//   --auth sigv4 (default)  SigV4 against every key of --credentials-file FILE (AWS shared-
//                           credentials format, every [profile]) and of AWS_ACCESS_KEY_ID /
//                           AWS_SECRET_ACCESS_KEY in the server's environment; at least one
//                           key is required, else start-up fails saying how to give one or
//                           that --auth none exists.
//   --auth none             no verification: for local development only.
//   --host                  127.0.0.1 by default; a non-loopback address with --auth none is
//                           refused unless --insecure is given too.
//
// Failure contract: INVALID_ARGUMENT naming the flag or variable (an unknown --auth, a
// credentials file that cannot be read or parsed, only one of the two AWS_* variables, no key at
// all); FAILED_PRECONDITION for a non-loopback host without authentication and --insecure.
// Messages never contain a secret.
// Thread safety: stateless.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/sigv4_verifier.h"
#include "common/status.h"

namespace sl::faas {

struct ServeAuthFlags {
  std::string auth = "sigv4";  // "sigv4" | "none"
  std::string credentials_file;
  std::string host = "127.0.0.1";
  bool insecure = false;
  bool open_metrics = false;
};

struct ServeAuth {
  std::shared_ptr<const SigV4Verifier> verifier;  // null: --auth none
  std::vector<std::string> sources;               // e.g. "creds.ini [default, ci]", "environment"
  // The start-up log line: which access key ids are accepted and from where (never a secret),
  // or that authentication is off.
  std::string Describe(const ServeAuthFlags& flags) const;
};

// `getenv` looks up the server's environment (::getenv in production); `clock` is the verifier's
// (not owned).
Result<ServeAuth> ConfigureServeAuth(const ServeAuthFlags& flags,
                                     const std::function<const char*(const char*)>& getenv,
                                     Clock* clock);

// 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackHost(std::string_view host);

}  // namespace sl::faas
