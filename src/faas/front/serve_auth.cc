#include "faas/front/serve_auth.h"

#include <arpa/inet.h>

#include <fmt/format.h>

#include "common/sigv4_credentials.h"

namespace sl::faas {

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  in_addr v4{};
  if (::inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

Result<ServeAuth> ConfigureServeAuth(const ServeAuthFlags& flags,
                                     const std::function<const char*(const char*)>& getenv,
                                     Clock* clock) {
  ServeAuth out;
  if (flags.auth == "none") {
    if (!IsLoopbackHost(flags.host) && !flags.insecure) {
      return FailedPrecondition(
          "--host {} with --auth none would let anyone who can reach that address run "
          "functions: configure credentials (--credentials-file or AWS_ACCESS_KEY_ID / "
          "AWS_SECRET_ACCESS_KEY), bind a loopback address, or add --insecure if you really mean it",
          flags.host);
    }
    return out;
  }
  if (flags.auth != "sigv4") {
    return InvalidArgument("--auth: '{}' is not sigv4 or none", flags.auth);
  }
  std::vector<AwsCredentials> keys;
  if (!flags.credentials_file.empty()) {
    auto profiles = ReadAwsCredentialsFile(flags.credentials_file);
    if (!profiles.ok()) {
      return InvalidArgument("--credentials-file: {}", profiles.status().message());
    }
    if (profiles->empty()) {
      return InvalidArgument("--credentials-file {}: no [profile] with aws_access_key_id and "
                             "aws_secret_access_key",
                             flags.credentials_file);
    }
    std::vector<std::string> names;
    for (const auto& p : *profiles) {
      keys.push_back(p.credentials);
      names.push_back(p.profile);
    }
    out.sources.push_back(fmt::format("{} [{}]", flags.credentials_file, fmt::join(names, ", ")));
  }
  const char* id = getenv("AWS_ACCESS_KEY_ID");
  const char* secret = getenv("AWS_SECRET_ACCESS_KEY");
  bool has_id = id != nullptr && *id != '\0', has_secret = secret != nullptr && *secret != '\0';
  if (has_id != has_secret) {
    return InvalidArgument("{} is set but {} is not: set both or neither",
                           has_id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                           has_id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
  }
  if (has_id) {
    keys.push_back({id, secret, ""});
    out.sources.push_back("environment");
  }
  if (keys.empty()) {
    return InvalidArgument(
        "no credentials to verify requests against (SigV4 is on by default). Either give the "
        "keys clients sign with: --credentials-file FILE (AWS shared-credentials format; every "
        "[profile]'s key is accepted) and/or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in this "
        "server's environment; or run with --auth none for local development (every request "
        "is accepted)");
  }
  SigV4VerifierOptions vo;
  vo.service = "lambda";
  vo.clock = clock;
  auto verifier = SigV4Verifier::Create(keys, vo);
  if (!verifier.ok()) return verifier.status();
  out.verifier = std::move(verifier).value();
  return out;
}

std::string ServeAuth::Describe(const ServeAuthFlags& flags) const {
  if (!verifier) {
    return fmt::format("AUTHENTICATION IS OFF (--auth none): every request to this endpoint is "
                       "accepted, unsigned or not{}",
                       IsLoopbackHost(flags.host) ? "" : "; listening beyond loopback (--insecure)");
  }
  return fmt::format("SigV4 authentication on: accepting access key id(s) {} (from {}); /healthz "
                     "open, /metrics {}",
                     fmt::join(verifier->access_key_ids(), ", "), fmt::join(sources, "; "),
                     flags.open_metrics ? "open (--open-metrics)" : "signed requests only");
}

}  // namespace sl::faas
