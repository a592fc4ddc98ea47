// The wire protocol between the platform (faas/zygote.h) and the template process
// (runtime/zygote.h): JSON messages over a SOCK_SEQPACKET socketpair, one message per packet,
// with the instance's stdout/stderr pipe passed as SCM_RIGHTS on spawn requests.
//
//   platform → zygote  {"op":"spawn","id":N, ...SpawnRequest}  + fds: the stdout/stderr pipe,
//                      then (sandboxed with a network) the instance's network namespace
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

// A host path the sandboxed instance sees (runtime/sandbox.h).
struct SandboxMount {
  std::string source;     // host path (directory or file); "" = an empty directory at target
  std::string target;     // path inside the instance; "" = the same as source
  bool writable = false;
  // Presents files the host's root owns as owned by the instance's user (an idmapped mount), so
  // an unprivileged instance can read a root-owned 0700 code directory or write a store.
  bool idmap = false;
};

// How the instance is isolated (runtime/sandbox.h). enabled=false: it runs in the template's
// namespaces, as the template's user (the "none" isolation).
struct SandboxSpec {
  bool enabled = false;
  std::string root_dir;   // an empty host directory the instance's root tmpfs is mounted on
  uint32_t uid = 0;       // the unprivileged user and group the instance runs as
  uint32_t gid = 0;
  uint64_t tmp_bytes = 0; // size of its private /tmp (tmpfs)
  std::string hostname;
  std::vector<SandboxMount> mounts;
  bool has_netns = false; // a network namespace fd is attached after the log pipe
};

struct SpawnRequest {
  uint64_t id = 0;
  bool exec = false;               // true: execve(argv); false: run the built-in runtime loop
  std::vector<std::string> argv;   // exec only; argv[0] is the path
  std::vector<std::string> env;    // "K=V": the child's entire environment
  std::string cwd;                 // "" = inherit
  std::vector<std::string> cgroup_procs;  // cgroup.procs files the child joins first
  bool bash_as_sh = false;         // exec only: private mount namespace with /bin/sh = bash
  SandboxSpec sandbox;
};

nlohmann::json SpawnRequestToJson(const SpawnRequest& r);
SpawnRequest SpawnRequestFromJson(const nlohmann::json& j);

inline constexpr size_t kMaxPacket = 1 << 20;

inline constexpr size_t kMaxPassedFds = 4;

// Sends one packet with `fds` attached (at most kMaxPassedFds; negative entries are skipped).
Status SendPacket(int sock, const std::string& data, const std::vector<int>& fds = {});
// Receives one packet; *fds gets the attached descriptors (close-on-exec), in order.
// UNAVAILABLE at EOF.
Result<std::string> RecvPacket(int sock, std::vector<int>* fds);

}  // namespace sl::runtime
