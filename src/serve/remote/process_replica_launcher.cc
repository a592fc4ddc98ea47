#include "serve/remote/process_replica_launcher.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>

#include "common/clock.h"
#include "common/file_util.h"
#include "common/log.h"
#include "common/replace_all.h"
#include "serve/remote/oci_bundle.h"
#include "serve/remote/replica_process.h"
#include "serve/remote/serving_image.h"

namespace sl::serve {
namespace {

constexpr const char* kBinaryInContainer = "/opt/straightline/straightline";
constexpr const char* kModelInContainer = "/model";
constexpr const char* kTokenInContainer = "/opt/straightline/token";
// The replica's writable report directory (<dir>/run on the host) and its port file.
constexpr const char* kRunInContainer = "/run/straightline";
constexpr const char* kPortFileInContainer = "/run/straightline/port";

bool Mentions(const std::vector<std::string>& argv, std::string_view key) {
  return std::any_of(argv.begin(), argv.end(),
                     [&](const std::string& a) { return a.find(key) != std::string::npos; });
}

// Only for replica commands that cannot report the port they bind (see the header).
Result<int> PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError(errno, "container tier: socket for a free port");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    return ErrnoError(err, "container tier: bind 127.0.0.1:0 for a free port");
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

// A replica run by ReplicaProcess; its port from the port file once the replica wrote it.
class ProcessReplicaHandle final : public ReplicaHandle {
 public:
  ProcessReplicaHandle(std::unique_ptr<ReplicaProcess> proc, std::string port_file, int port)
      : proc_(std::move(proc)), port_file_(std::move(port_file)), port_(port) {}
  ~ProcessReplicaHandle() override { Kill(); }

  int pid() const override { return static_cast<int>(proc_->pid()); }
  int Port() override {
    if (port_ == 0 && !port_file_.empty()) {
      // The replica writes the file atomically (write + rename) once it listens: a file that
      // exists holds the whole number.
      Result<std::string> text = ReadFileToString(port_file_);
      if (text.ok()) {
        char* end = nullptr;
        long p = std::strtol(text->c_str(), &end, 10);
        if (end != text->c_str() && p > 0 && p < 65536) port_ = static_cast<int>(p);
      }
    }
    return port_;
  }
  bool Exited() override { return proc_->Exited(); }
  void Kill() override { proc_->Kill(); }

 private:
  std::unique_ptr<ReplicaProcess> proc_;
  std::string port_file_;
  int port_;
};

}  // namespace

class ProcessReplicaLauncher::Impl {
 public:
  ContainerTierOptions o;
  std::string token_file;
  ReplicaMode mode = ReplicaMode::kProcess;
  std::string runc_path;
  UnpackedImage image;  // image mode only; image.dir empty otherwise
  bool reports_port = false;  // the command (or image) reports its port through a file

  Status Init();
  Status UnpackImage();
  Status WriteBundle(const ReplicaStart& start, const Command& command) const;
};

Status ProcessReplicaLauncher::Impl::Init() {
  if (o.binary.empty()) {
    std::error_code ec;
    o.binary = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  }
  if (o.command.empty()) {
    // The replica serves the model under the gateway's name for it (the mount point is /model),
    // binds a port of its own and reports it.
    const std::string model_arg = o.models.size() == 1 ? o.models[0] + "={model}" : "{model}";
    o.command = {"{binary}", "serve",         "--tiers", "local",     "--port",
                 "0",        "--port-file",   "{port_file}", "--model", model_arg};
    if (o.replica_auth) {
      o.command.push_back("--auth-token-file");
      o.command.push_back("{token_file}");
    }
  }
  if (Mentions(o.command, "{token_file}") && !o.replica_auth) {
    return InvalidArgument("container tier: the replica command names {{token_file}} but "
                           "replica_auth is off");
  }
  std::error_code ec;
  if (!o.model_dir.empty()) o.model_dir = std::filesystem::absolute(o.model_dir, ec).string();

  if (o.mode == ContainerMode::kProcess) {
    mode = ReplicaMode::kProcess;
    SL_LOG_INFO("serve", "container tier: mode=process requested: replicas run as plain child "
                         "processes, not containers");
  } else {
    RuncProbe probe = ProbeRunc(o.runc);
    if (probe.usable) {
      mode = ReplicaMode::kRunc;
      runc_path = probe.runc_path;
      SL_LOG_INFO("serve", "container tier: replicas are OCI containers run by {}", runc_path);
    } else if (o.mode == ContainerMode::kRunc) {
      return FailedPrecondition("container tier: mode=runc but runc cannot run here: {}",
                                probe.reason);
    } else {
      mode = ReplicaMode::kProcess;
      SL_LOG_WARN("serve",
                  "container tier: runc cannot run here ({}); replicas run the same server as "
                  "plain CHILD PROCESSES instead of containers",
                  probe.reason);
    }
  }
  if (!o.image.empty()) {
    SL_RETURN_IF_ERROR(UnpackImage());
    reports_port = true;
  } else {
    reports_port = Mentions(o.command, "{port_file}");
    if (!reports_port) {
      SL_LOG_WARN("serve", "container tier: the replica command has no {{port_file}}: each replica "
                           "gets a port picked here (racy with other programs binding ports)");
    }
  }
  return Status::Ok();
}

Status ProcessReplicaLauncher::Impl::UnpackImage() {
  if (mode != ReplicaMode::kRunc) {
    return FailedPrecondition("container tier: --container-image {} needs runc (mode {} here); "
                              "without runc use the host bundle mode (no image)",
                              o.image, ReplicaModeName(mode));
  }
  static std::atomic<int64_t> image_seq{0};
  const std::string dir =
      fmt::format("{}/image-{}-{}", o.state_dir, getpid(), image_seq.fetch_add(1));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // a leftover of a crashed run with a recycled pid
  Clock* clock = o.clock ? o.clock : Clock::Real();
  const TimePoint t0 = clock->Now();
  Result<UnpackedImage> img = UnpackServingImage(o.image, dir);
  if (!img.ok()) {
    std::filesystem::remove_all(dir, ec);
    return img.status().WithContext("container tier");
  }
  image = std::move(*img);
  if (o.replica_auth && image.token_path.empty()) {
    // An image whose Cmd reads no token: give it the package's token path.
    image.token_path = "/var/run/secrets/straightline/token";
    image.args.push_back("--auth-token-file");
    image.args.push_back(image.token_path);
  }
  if (!token_file.empty() && ::chown(token_file.c_str(), image.uid, image.gid) != 0) {
    // The replica runs as the image's user and must read its 0600 token: it owns the file.
    return ErrnoError(errno, fmt::format("container tier: chown {} to the image's user {}:{}",
                                         token_file, image.uid, image.gid));
  }
  image.args = BindToLoopback(std::move(image.args));
  for (const auto& a : o.image_args) image.args.push_back(a);
  image.args.push_back("--port-file");
  image.args.push_back(kPortFileInContainer);
  SL_LOG_INFO("serve",
              "container tier: image {} unpacked in {:.0f} ms into {}; replicas run uid {} from "
              "its read-only rootfs, listening on 127.0.0.1 only",
              o.image, std::chrono::duration<double, std::milli>(clock->Now() - t0).count(),
              image.rootfs, image.uid);
  return Status::Ok();
}

Result<ProcessReplicaLauncher::Command> ProcessReplicaLauncher::CommandFor(
    const ReplicaStart& start) const {
  const Impl& m = *impl_;
  const bool runc = m.mode == ReplicaMode::kRunc;
  Command c;
  if (m.reports_port) {
    c.port_file = start.dir + "/run/port";
  } else {
    SL_ASSIGN_OR_RETURN(c.fixed_port, PickFreePort());
  }
  const std::string port = std::to_string(c.fixed_port);  // "0" when the replica reports it
  if (!m.image.dir.empty()) {
    c.argv = m.image.args;
    c.env = SetEnv(m.image.env, "PORT=0");
    if (const char* lvl = std::getenv("STRAIGHTLINE_LOG")) {
      c.env = SetEnv(std::move(c.env), std::string("STRAIGHTLINE_LOG=") + lvl);
    }
    for (const auto& e : m.o.env) c.env = SetEnv(std::move(c.env), e);
    return c;
  }
  for (const auto& a : m.o.command) {
    std::string v = ReplaceAll(a, "{binary}", runc ? kBinaryInContainer : m.o.binary);
    v = ReplaceAll(v, "{model}", runc ? kModelInContainer : m.o.model_dir);
    v = ReplaceAll(v, "{token_file}", runc ? kTokenInContainer : start.token_file);
    v = ReplaceAll(v, "{port_file}", runc ? kPortFileInContainer : c.port_file);
    c.argv.push_back(ReplaceAll(v, "{port}", port));
  }
  c.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/tmp",
           "PORT=" + port};
  if (const char* lvl = std::getenv("STRAIGHTLINE_LOG")) {
    c.env.push_back(std::string("STRAIGHTLINE_LOG=") + lvl);
  }
  for (const auto& e : m.o.env) c.env.push_back(e);
  return c;
}

Status ProcessReplicaLauncher::Impl::WriteBundle(const ReplicaStart& start,
                                                 const Command& command) const {
  BundleSpec spec;
  spec.dir = start.dir;
  spec.args = command.argv;
  spec.env = command.env;
  spec.cpus = o.cpus_per_replica;
  spec.memory_mb = o.memory_mb_per_replica;
  spec.hostname = start.id;
  if (!command.port_file.empty()) spec.rw_binds.emplace_back(start.dir + "/run", kRunInContainer);
  if (!image.dir.empty()) {
    spec.root_path = image.rootfs;
    spec.uid = image.uid;
    spec.gid = image.gid;
    spec.cwd = image.cwd;
    if (!start.token_file.empty()) spec.ro_binds.emplace_back(start.token_file, image.token_path);
  } else {
    spec.ro_binds = HostRuntimeBinds();
    spec.ro_binds.emplace_back(o.binary, kBinaryInContainer);
    if (!o.model_dir.empty()) spec.ro_binds.emplace_back(o.model_dir, kModelInContainer);
    if (!start.token_file.empty()) spec.ro_binds.emplace_back(start.token_file, kTokenInContainer);
    for (const auto& p : o.extra_ro_paths) spec.ro_binds.emplace_back(p, p);
  }
  return WriteOciBundle(spec);
}

ProcessReplicaLauncher::ProcessReplicaLauncher(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

ProcessReplicaLauncher::~ProcessReplicaLauncher() { RemoveUnpackedImage(impl_->image); }

Result<std::unique_ptr<ProcessReplicaLauncher>> ProcessReplicaLauncher::Create(
    const ContainerTierOptions& options, const std::string& token_file) {
  auto impl = std::make_unique<Impl>();
  impl->o = options;
  impl->token_file = token_file;
  std::unique_ptr<ProcessReplicaLauncher> launcher(new ProcessReplicaLauncher(std::move(impl)));
  SL_RETURN_IF_ERROR(launcher->impl_->Init());
  return launcher;
}

std::string_view ProcessReplicaLauncher::mode() const { return ReplicaModeName(impl_->mode); }

Result<std::unique_ptr<ReplicaHandle>> ProcessReplicaLauncher::Launch(const ReplicaStart& start) {
  Impl& m = *impl_;
  SL_ASSIGN_OR_RETURN(Command command, CommandFor(start));
  if (!command.port_file.empty()) {
    const std::string run_dir = start.dir + "/run";
    SL_RETURN_IF_ERROR(MakeDirs(run_dir));
    std::error_code ec;
    std::filesystem::remove(command.port_file, ec);  // never read a previous run's port
    if (!m.image.dir.empty() && ::chown(run_dir.c_str(), m.image.uid, m.image.gid) != 0) {
      // The image's user writes its port file there.
      return ErrnoError(errno, fmt::format("container tier: chown {} to the image's user {}:{}",
                                           run_dir, m.image.uid, m.image.gid));
    }
  }
  if (m.mode == ReplicaMode::kRunc) SL_RETURN_IF_ERROR(m.WriteBundle(start, command));
  SL_ASSIGN_OR_RETURN(auto proc,
                      ReplicaProcess::Start(m.mode, start.id, m.runc_path, start.dir, command.argv,
                                            command.env, start.dir + "/replica.log"));
  return std::unique_ptr<ReplicaHandle>(std::make_unique<ProcessReplicaHandle>(
      std::move(proc), command.port_file, command.fixed_port));
}

}  // namespace sl::serve
