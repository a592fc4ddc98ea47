#include "runtime/zygote_protocol.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sl::runtime {

nlohmann::json SpawnRequestToJson(const SpawnRequest& r) {
  return nlohmann::json{{"op", "spawn"},       {"id", r.id},
                        {"exec", r.exec},      {"argv", r.argv},
                        {"env", r.env},        {"cwd", r.cwd},
                        {"cgroup_procs", r.cgroup_procs}, {"bash_as_sh", r.bash_as_sh}};
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
  return r;
}

Status SendPacket(int sock, const std::string& data, int pass_fd) {
  if (data.size() > kMaxPacket) return InvalidArgument("zygote packet of {} bytes too large", data.size());
  iovec iov{const_cast<char*>(data.data()), data.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))];
  if (pass_fd >= 0) {
    std::memset(ctrl, 0, sizeof(ctrl));
    msg.msg_control = ctrl;
    msg.msg_controllen = sizeof(ctrl);
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  for (;;) {
    ssize_t n = ::sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n >= 0) return Status::Ok();
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET) return Unavailable("zygote socket closed");
    return ErrnoError(errno, "zygote sendmsg");
  }
}

Result<std::string> RecvPacket(int sock, int* received_fd) {
  *received_fd = -1;
  std::string buf(kMaxPacket, '\0');
  iovec iov{buf.data(), buf.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))];
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
      std::memcpy(received_fd, CMSG_DATA(c), sizeof(int));
    }
  }
  buf.resize(static_cast<size_t>(n));
  return buf;
}

}  // namespace sl::runtime
