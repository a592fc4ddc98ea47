#include "faas/sandbox/instance_network.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netdb.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace sl::faas {
namespace {

std::string Describe(const sockaddr_in& a) {
  char ip[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip));
  return fmt::format("{}:{}", ip, ntohs(a.sin_port));
}

Status BringUpLoopback() {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return ErrnoError(errno, "instance network: socket");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) != 0) return ErrnoError(errno, "instance network: get lo flags");
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(s.get(), SIOCSIFFLAGS, &ifr) != 0) return ErrnoError(errno, "instance network: bring lo up");
  return Status::Ok();
}

// Adds addr/32 to lo (rtnetlink RTM_NEWADDR), so that an egress endpoint on another host keeps
// its own address inside the namespace.
Status AddLoopbackAddress(in_addr addr) {
  UniqueFd nl(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!nl.valid()) return ErrnoError(errno, "instance network: netlink socket");
  struct {
    nlmsghdr nh;
    ifaddrmsg ifa;
    char attrs[64];
  } req{};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(ifaddrmsg));
  req.nh.nlmsg_type = RTM_NEWADDR;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
  req.nh.nlmsg_seq = 1;
  req.ifa.ifa_family = AF_INET;
  req.ifa.ifa_prefixlen = 32;
  req.ifa.ifa_scope = RT_SCOPE_HOST;
  req.ifa.ifa_index = ::if_nametoindex("lo");
  for (unsigned short type : {IFA_LOCAL, IFA_ADDRESS}) {
    auto* rta = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&req) + NLMSG_ALIGN(req.nh.nlmsg_len));
    rta->rta_type = type;
    rta->rta_len = RTA_LENGTH(sizeof(addr));
    std::memcpy(RTA_DATA(rta), &addr, sizeof(addr));
    req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
  }
  if (::send(nl.get(), &req, req.nh.nlmsg_len, 0) < 0) return ErrnoError(errno, "instance network: netlink send");
  char reply[4096];
  ssize_t n = ::recv(nl.get(), reply, sizeof(reply), 0);
  if (n < 0) return ErrnoError(errno, "instance network: netlink recv");
  auto* nh = reinterpret_cast<nlmsghdr*>(reply);
  if (NLMSG_OK(nh, static_cast<unsigned>(n)) && nh->nlmsg_type == NLMSG_ERROR) {
    auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(nh));
    if (err->error != 0 && err->error != -EEXIST) {
      char ip[INET_ADDRSTRLEN] = {};
      ::inet_ntop(AF_INET, &addr, ip, sizeof(ip));
      return ErrnoError(-err->error, fmt::format("instance network: add {}/32 to lo", ip));
    }
  }
  return Status::Ok();
}

Result<UniqueFd> Listen(const sockaddr_in& at) {
  UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s.valid()) return ErrnoError(errno, "instance network: socket");
  int one = 1;
  ::setsockopt(s.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(s.get(), reinterpret_cast<const sockaddr*>(&at), sizeof(at)) != 0) {
    return ErrnoError(errno, "instance network: bind " + Describe(at));
  }
  if (::listen(s.get(), 128) != 0) return ErrnoError(errno, "instance network: listen on " + Describe(at));
  return s;
}

bool IsLoopback(in_addr a) { return (ntohl(a.s_addr) >> 24) == 127; }

}  // namespace

Result<sockaddr_in> ParseEgressEndpoint(const std::string& text) {
  std::string rest = text;
  int default_port = 0;
  if (rest.rfind("http://", 0) == 0) {
    rest = rest.substr(7);
    default_port = 80;
  } else if (rest.rfind("https://", 0) == 0) {
    rest = rest.substr(8);
    default_port = 443;
  }
  rest = rest.substr(0, rest.find('/'));
  std::string host = rest;
  int port = default_port;
  if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    char* end = nullptr;
    long p = std::strtol(rest.c_str() + colon + 1, &end, 10);
    if (end == rest.c_str() + colon + 1 || *end != '\0' || p <= 0 || p > 65535) {
      return InvalidArgument("egress endpoint '{}': bad port", text);
    }
    port = static_cast<int>(p);
  }
  if (host.empty() || port == 0) {
    return InvalidArgument("egress endpoint '{}': want host:port or an http(s) URL", text);
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    return InvalidArgument("egress endpoint '{}': cannot resolve '{}' to IPv4: {}", text, host, ::gai_strerror(rc));
  }
  sockaddr_in a = *reinterpret_cast<sockaddr_in*>(res->ai_addr);
  ::freeaddrinfo(res);
  a.sin_port = htons(static_cast<uint16_t>(port));
  return a;
}

InstanceNetwork::~InstanceNetwork() { relay_.Stop(); }

Result<std::unique_ptr<InstanceNetwork>> InstanceNetwork::Create(const std::vector<sockaddr_in>& egress) {
  std::unique_ptr<InstanceNetwork> net(new InstanceNetwork());
  std::vector<std::pair<UniqueFd, sockaddr_in>> listeners;
  Status status;
  // The namespace belongs to a thread of its own: unshare(CLONE_NEWNET) moves only the caller.
  std::thread maker([&] {
    status = [&]() -> Status {
      if (::unshare(CLONE_NEWNET) != 0) return ErrnoError(errno, "instance network: unshare(CLONE_NEWNET)");
      SL_RETURN_IF_ERROR(BringUpLoopback());
      sockaddr_in api{};
      api.sin_family = AF_INET;
      api.sin_port = htons(kSandboxRuntimeApiPort);
      api.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      SL_ASSIGN_OR_RETURN(net->runtime_api_, Listen(api));
      for (const sockaddr_in& target : egress) {
        if (!IsLoopback(target.sin_addr)) SL_RETURN_IF_ERROR(AddLoopbackAddress(target.sin_addr));
        if (target.sin_port == api.sin_port && target.sin_addr.s_addr == api.sin_addr.s_addr) {
          return InvalidArgument("egress endpoint {} is the Runtime API's own address", Describe(target));
        }
        SL_ASSIGN_OR_RETURN(UniqueFd l, Listen(target));
        listeners.emplace_back(std::move(l), target);
      }
      int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
      if (fd < 0) return ErrnoError(errno, "instance network: open /proc/thread-self/ns/net");
      net->netns_ = UniqueFd(fd);
      return Status::Ok();
    }();
  });
  maker.join();
  SL_RETURN_IF_ERROR(status);
  for (auto& [fd, target] : listeners) net->relay_.Add(std::move(fd), target, Describe(target));
  return net;
}

}  // namespace sl::faas
