// The wire protocol between the platform (faas/zygote.h) and the template process
// (runtime/zygote.h): JSON messages over a SOCK_SEQPACKET socketpair, one message per packet,
// with the instance's stdout/stderr pipe passed as SCM_RIGHTS on spawn requests.
//
//   platform → zygote  {"op":"spawn","id":N, ...SpawnRequest}  + fd
//                      {"op":"kill","pid":P}   SIGKILL P's process group if P is still our child
//   zygote → platform  {"op":"ready"}   once, when its initialisation is done
//                      {"op":"spawned","id":N,"pid":P} | {"op":"spawned","id":N,"error":"..."}
//                      {"op":"exit","pid":P,"status":S}   (wait status, after reaping P)
// EOF on the socket means the other side is gone: the zygote then kills its children and exits.
// Thread safety: SendPacket/RecvPacket are plain syscalls; callers serialise per direction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace sl::runtime {

struct SpawnRequest {
  uint64_t id = 0;
  bool exec = false;               // true: execve(argv); false: run the built-in runtime loop
  std::vector<std::string> argv;   // exec only; argv[0] is the path
  std::vector<std::string> env;    // "K=V": the child's entire environment
  std::string cwd;                 // "" = inherit
  std::vector<std::string> cgroup_procs;  // cgroup.procs files the child joins first
  bool bash_as_sh = false;         // exec only: private mount namespace with /bin/sh = bash
};

nlohmann::json SpawnRequestToJson(const SpawnRequest& r);
SpawnRequest SpawnRequestFromJson(const nlohmann::json& j);

inline constexpr size_t kMaxPacket = 1 << 20;

// Sends one packet, with `pass_fd` attached when >= 0.
Status SendPacket(int sock, const std::string& data, int pass_fd = -1);
// Receives one packet; *received_fd gets an attached fd or -1. UNAVAILABLE at EOF.
Result<std::string> RecvPacket(int sock, int* received_fd);

}  // namespace sl::runtime
