#include "common/auth_token.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/file_util.h"

namespace sl {
namespace {

using Digest = std::array<unsigned char, 32>;

Digest Sha256(std::string_view s) {
  Digest d{};
  unsigned int n = 0;
  // EVP_Digest fails only on allocation failure; a zero digest then matches no real token's.
  if (EVP_Digest(s.data(), s.size(), d.data(), &n, EVP_sha256(), nullptr) != 1) d.fill(0);
  return d;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Writes `contents` into a fresh 0600 temporary file next to `path`; returns its name.
Result<std::string> WriteSecretTemp(const std::string& path, std::string_view contents) {
  std::filesystem::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  SL_ASSIGN_OR_RETURN(std::string salt, GenerateToken());
  const std::string tmp =
      fmt::format("{}/.{}.tmp-{}-{}", dir, target.filename().string(), ::getpid(), salt.substr(0, 12));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoError(errno, tmp);
  size_t off = 0;
  while (off < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + off, contents.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return ErrnoError(err, tmp);
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError(err, tmp);
  }
  return tmp;
}

}  // namespace

Result<std::string> GenerateToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return Internal("generate token: the OpenSSL random generator failed");
  }
  std::string hex;
  hex.reserve(2 * sizeof bytes);
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  OPENSSL_cleanse(bytes, sizeof bytes);
  return hex;
}

Result<std::vector<std::string>> ParseTokens(std::string_view text, std::string_view source) {
  std::vector<std::string> tokens;
  int line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    for (char c : line) {
      const auto u = static_cast<unsigned char>(c);
      if (u <= 0x20 || u == 0x7f) {
        return InvalidArgument("{}: line {}: a token may not contain whitespace or control "
                               "characters (one token per line)", source, line_no);
      }
    }
    tokens.emplace_back(line);
  }
  if (tokens.empty()) {
    return InvalidArgument("{}: no token in it (one per line; blank lines and # comments are "
                           "ignored)", source);
  }
  return tokens;
}

Result<std::vector<std::string>> ReadTokenFile(const std::string& path) {
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseTokens(text, path);
}

Status WriteSecretFile(const std::string& path, std::string_view contents) {
  SL_ASSIGN_OR_RETURN(std::string tmp, WriteSecretTemp(path, contents));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoError(err, path);
  }
  return Status::Ok();
}

Result<TokenFile> EnsureTokenFile(const std::string& path) {
  TokenFile out;
  std::error_code ec;
  out.path = std::filesystem::absolute(path, ec).string();
  if (ec) out.path = path;
  if (!PathExists(out.path)) {
    const std::filesystem::path parent = std::filesystem::path(out.path).parent_path();
    if (!parent.empty()) SL_RETURN_IF_ERROR(MakeDirs(parent.string()));
    SL_ASSIGN_OR_RETURN(std::string token, GenerateToken());
    SL_ASSIGN_OR_RETURN(std::string tmp,
                        WriteSecretTemp(out.path, token + "\n"));  // just the token: $(cat FILE)
    // link() publishes the complete file and fails with EEXIST when another process was first:
    // then both use that one.
    const int rc = ::link(tmp.c_str(), out.path.c_str());
    const int err = errno;
    ::unlink(tmp.c_str());
    if (rc == 0) {
      out.token = std::move(token);
      out.created = true;
      return out;
    }
    if (err != EEXIST) return ErrnoError(err, out.path);
  }
  SL_ASSIGN_OR_RETURN(std::vector<std::string> tokens, ReadTokenFile(out.path));
  if (tokens.size() != 1) {
    return InvalidArgument("{}: a generated token file holds one token, this one has {}",
                           out.path, tokens.size());
  }
  out.token = std::move(tokens[0]);
  return out;
}

bool ReadableByOthers(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return false;
  return (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  const Digest da = Sha256(a), db = Sha256(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

TokenAuthenticator::TokenAuthenticator(const std::vector<std::string>& tokens) {
  digests_.reserve(tokens.size());
  for (const std::string& t : tokens) digests_.push_back(Sha256(t));
}

AuthVerdict TokenAuthenticator::Check(const HttpHeaders& headers) const {
  std::string_view presented;
  if (headers.Has("Authorization")) {
    std::string_view v = Trim(headers.Get("Authorization"));
    const size_t sp = v.find(' ');
    if (sp == std::string_view::npos || !IEquals(v.substr(0, sp), "Bearer")) {
      return AuthVerdict::kMalformed;
    }
    presented = Trim(v.substr(sp + 1));
  } else if (headers.Has(kApiKeyHeader)) {
    presented = Trim(headers.Get(kApiKeyHeader));
  } else {
    return AuthVerdict::kMissing;
  }
  if (presented.empty()) return AuthVerdict::kMalformed;
  const Digest d = Sha256(presented);
  int match = 0;
  for (const Digest& t : digests_) {  // every token, no early exit
    match |= CRYPTO_memcmp(d.data(), t.data(), d.size()) == 0 ? 1 : 0;
  }
  return match != 0 ? AuthVerdict::kAllowed : AuthVerdict::kRejected;
}

std::string AuthFailureMessage(AuthVerdict verdict) {
  switch (verdict) {
    case AuthVerdict::kAllowed: return "";
    case AuthVerdict::kMissing:
      return "authentication required: send 'Authorization: Bearer <token>' or 'X-API-Key: "
             "<token>' with a token from the server's token file";
    case AuthVerdict::kMalformed:
      return "malformed credentials: the Authorization header must be 'Bearer <token>' and "
             "X-API-Key must not be empty";
    case AuthVerdict::kRejected:
      return "invalid token: the token sent is not one this server accepts";
  }
  return "unauthorized";
}

std::string WwwAuthenticateFor(AuthVerdict verdict) {
  switch (verdict) {
    case AuthVerdict::kMalformed: return R"(Bearer realm="straightline", error="invalid_request")";
    case AuthVerdict::kRejected: return R"(Bearer realm="straightline", error="invalid_token")";
    default: return R"(Bearer realm="straightline")";
  }
}

std::string_view AuthVerdictName(AuthVerdict verdict) {
  switch (verdict) {
    case AuthVerdict::kAllowed: return "allowed";
    case AuthVerdict::kMissing: return "missing";
    case AuthVerdict::kMalformed: return "malformed";
    case AuthVerdict::kRejected: return "rejected";
  }
  return "?";
}

bool IsLoopbackHost(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (IEquals(host, "localhost")) return true;
  const std::string h(host);
  in_addr v4{};
  if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, h.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace sl
