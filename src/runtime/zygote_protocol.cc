#include "runtime/zygote_protocol.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sl::runtime {

namespace {

nlohmann::json SandboxToJson(const SandboxSpec& s) {
  nlohmann::json mounts = nlohmann::json::array();
  for (const auto& m : s.mounts) {
    mounts.push_back({{"source", m.source}, {"target", m.target}, {"writable", m.writable}, {"idmap", m.idmap}});
  }
  return {{"enabled", s.enabled}, {"root_dir", s.root_dir}, {"uid", s.uid}, {"gid", s.gid},
          {"tmp_bytes", s.tmp_bytes}, {"hostname", s.hostname}, {"mounts", mounts},
          {"has_netns", s.has_netns}};
}

SandboxSpec SandboxFromJson(const nlohmann::json& j) {
  SandboxSpec s;
  if (!j.is_object()) return s;
  s.enabled = j.value("enabled", false);
  s.root_dir = j.value("root_dir", std::string());
  s.uid = j.value("uid", uint32_t{0});
  s.gid = j.value("gid", uint32_t{0});
  s.tmp_bytes = j.value("tmp_bytes", uint64_t{0});
  s.hostname = j.value("hostname", std::string());
  s.has_netns = j.value("has_netns", false);
  if (auto it = j.find("mounts"); it != j.end() && it->is_array()) {
    for (const auto& m : *it) {
      if (!m.is_object()) continue;
      s.mounts.push_back({m.value("source", std::string()), m.value("target", std::string()),
                          m.value("writable", false), m.value("idmap", false)});
    }
  }
  return s;
}

}  // namespace

nlohmann::json SpawnRequestToJson(const SpawnRequest& r) {
  return nlohmann::json{{"op", "spawn"},       {"id", r.id},
                        {"exec", r.exec},      {"argv", r.argv},
                        {"env", r.env},        {"cwd", r.cwd},
                        {"cgroup_procs", r.cgroup_procs}, {"bash_as_sh", r.bash_as_sh},
                        {"sandbox", SandboxToJson(r.sandbox)}};
}

SpawnRequest SpawnRequestFromJson(const nlohmann::json& j) {
  SpawnRequest r;
  r.id = j.value("id", uint64_t{0});
  r.exec = j.value("exec", false);
  r.argv = j.value("argv", std::vector<std::string>{});
  r.env = j.value("env", std::vector<std::string>{});
  r.cwd = j.value("cwd", std::string());
  r.cgroup_procs = j.value("cgroup_procs", std::vector<std::string>{});
  r.bash_as_sh = j.value("bash_as_sh", false);
  if (auto it = j.find("sandbox"); it != j.end()) r.sandbox = SandboxFromJson(*it);
  return r;
}

Status SendPacket(int sock, const std::string& data, const std::vector<int>& fds) {
  if (data.size() > kMaxPacket) return InvalidArgument("zygote packet of {} bytes too large", data.size());
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<int> pass;
  for (int fd : fds) {
    if (fd >= 0) pass.push_back(fd);
  }
  if (pass.size() > kMaxPassedFds) return InvalidArgument("zygote packet with {} descriptors", pass.size());
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
  if (!pass.empty()) {
    std::memset(ctrl, 0, sizeof(ctrl));
    msg.msg_control = ctrl;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * pass.size());
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * pass.size());
    std::memcpy(CMSG_DATA(c), pass.data(), sizeof(int) * pass.size());
  }
  for (;;) {
    ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n >= 0) return Status::Ok();
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET) return Unavailable("zygote socket closed");
    return ErrnoError(errno, "zygote sendmsg");
  }
}

Result<std::string> RecvPacket(int sock, std::vector<int>* fds) {
  fds->clear();
  std::string buf(kMaxPacket, '\0');
  iovec iov{buf.data(), buf.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
  msg.msg_control = ctrl;
  msg.msg_controllen = sizeof(ctrl);
  ssize_t n;
  for (;;) {
    n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    if (n >= 0) break;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) return Unavailable("zygote socket closed");
    return ErrnoError(errno, "zygote recvmsg");
  }
  if (n == 0) return Unavailable("zygote socket closed");
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t n_fds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < n_fds; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        fds->push_back(fd);
      }
    }
  }
  buf.resize(static_cast<size_t>(n));
  return buf;
}

}  // namespace sl::runtime
