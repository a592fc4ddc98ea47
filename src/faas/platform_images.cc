// Platform: functions that run from container images (`image:` in a functions file, Lambda's
// PackageType: Image). The image is unpacked once per reference (package/unpacked_image.h);
// each instance is a runc container (package/oci_bundle.h) over the image's read-only root, its
// own PID, mount, IPC and UTS namespaces, the instance's network namespace (where the platform
// serves its Runtime API on 127.0.0.1:9001, as for every sandboxed instance), nested in the
// instance's cgroups (memory limit, OOM counter and peak, CPU quota, pids limit as for any
// instance). The process started through the template is `runc run` in the
// foreground: its exit is the container's. Same ledger, limits and billing as any function.
#include "faas/platform_impl.h"

#include <filesystem>

#include "common/clock.h"
#include "package/oci_bundle.h"
#include "package/subprocess.h"

namespace sl::faas {

namespace {

// runc on PATH (Debian's /usr/sbin/runc), or "".
std::string FindRunc() {
  for (const char* dir : {"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    std::string p = std::string(dir) + "/runc";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// runc runs in another working directory than the platform's and resolves a bundle's root
// against the bundle: every path handed to it is absolute. A relative state dir (the trainer's
// default .straightline/train-platform with an s3:// store) made every image instance fail with
// "runc run failed: chdir .straightline/...: no such file or directory" (issue 17, found by
// scripts/readme-test.py running the README's `train --function-image` example).
std::string Absolute(const std::string& dir) { return std::filesystem::absolute(dir).lexically_normal().string(); }

}  // namespace

Result<std::shared_ptr<const package::UnpackedImage>> Platform::Impl::ImageFor(const FunctionSpec& spec) {
  auto err = [&](const std::string& what) {
    return FailedPrecondition("{}: function '{}': image {}: {}", spec.source, spec.name, spec.image, what);
  };
  if (!isolation_.sandbox) {
    return err("a function image runs in a container, which needs what the sandbox needs (" +
               isolation_.sandbox_detail + ")");
  }
  std::lock_guard<std::mutex> l(images_mu_);
  if (runc_path_.empty()) runc_path_ = FindRunc();
  if (runc_path_.empty()) return err("runc is not installed (scripts/install-deps.sh installs it)");
  if (auto it = images_.find(spec.image); it != images_.end()) return it->second;
  const std::string dir = fmt::format("{}/images/{}", Absolute(options_.state_dir), images_.size());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);  // a previous platform's copy in this state dir
  auto start = Clock::Real()->Now();
  auto unpacked = package::UnpackImage(spec.image, dir);
  if (!unpacked.ok()) {
    return InvalidArgument("{}: function '{}': image: {}", spec.source, spec.name, unpacked.status().message());
  }
  SL_LOG_INFO("faas", "function '{}': image {} unpacked into {} in {:.1f} s", spec.name, spec.image, dir,
              MsBetween(start, Clock::Real()->Now()) / 1000);
  auto image = std::make_shared<const package::UnpackedImage>(std::move(*unpacked));
  images_.emplace(spec.image, image);
  return image;
}

Status Platform::Impl::PrepareImageInstance(const std::shared_ptr<Instance>& inst, runtime::SpawnRequest* req) {
  FunctionState* fn = inst->fn;
  const package::UnpackedImage& image = *fn->image;
  package::BundleSpec b;
  b.dir = fmt::format("{}/runc/bundles/{}", Absolute(options_.state_dir), inst->id);
  b.root_path = image.rootfs;
  // Lambda's ImageConfig.Command: the function's handler replaces the image's Cmd.
  if (fn->spec.handler.empty()) {
    b.args = image.args;
  } else if (!image.entrypoint.empty()) {
    b.args = image.entrypoint;
    b.args.push_back(fn->spec.handler);
  } else {
    b.args = {fn->spec.handler};
  }
  // The image's environment, then the platform's (the Lambda variables), except PATH: the
  // image knows where its programs are.
  b.env = image.env;
  for (const std::string& kv : req->env) {
    const std::string key = kv.substr(0, kv.find('=') + 1);
    if (key == "PATH=" || key == "LAMBDA_TASK_ROOT=" || key == "TMPDIR=") continue;
    std::erase_if(b.env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    b.env.push_back(kv);
  }
  b.env.push_back("LAMBDA_TASK_ROOT=" + image.cwd);
  b.env.push_back("TMPDIR=/tmp");
  b.uid = image.uid;
  b.gid = image.gid;
  b.cwd = image.cwd;
  b.hostname = "localhost";
  // Limits: none in the bundle. The `runc run` process has joined the instance's memory, cpu and
  // pids cgroups (as every instance does), and a relative cgroupsPath makes runc nest the
  // container under the cgroups it runs in, so the instance's memory limit (and its OOM counter
  // and peak, which the platform reads), CPU quota (INIT boost included) and pids.max hold
  // hierarchically; runc removes its nested directories on delete.
  b.tmp_mb = fn->spec.ephemeral_storage_mb;
  // Read-only host mounts (a model directory) at their own paths; the host's permissions apply
  // (the image's user must be able to read them). Writable ones are refused at registration.
  for (const runtime::SandboxMount& m : fn->mounts) {
    if (!m.writable && !m.source.empty()) b.ro_binds.emplace_back(m.source, m.target.empty() ? m.source : m.target);
  }
  b.network_namespace = fmt::format("/proc/{}/fd/{}", ::getpid(), inst->network->netns_fd());
  b.cgroups_path = "sl-" + inst->id;
  SL_RETURN_IF_ERROR(package::WriteOciBundle(b));
  inst->runc_id = "sl-" + inst->id;
  inst->runc_bundle = b.dir;
  req->exec = true;
  req->argv = {runc_path_, "--root", Absolute(options_.state_dir) + "/runc/state", "run", "--bundle", b.dir, inst->runc_id};
  req->cwd = b.dir;
  req->env = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  req->sandbox = runtime::SandboxSpec{};  // runc makes the container's namespaces
  return Status::Ok();
}

void Platform::Impl::RemoveImageContainer(Instance* inst) {
  if (inst->runc_id.empty()) return;
  auto r = package::RunProcess(
      {runc_path_, "--root", Absolute(options_.state_dir) + "/runc/state", "delete", "--force", inst->runc_id});
  if (!r.ok() || (r->exit_code != 0 && r->err.find("does not exist") == std::string::npos)) {
    SL_LOG_DEBUG("faas", "runc delete {}: {}", inst->runc_id, r.ok() ? package::FirstLine(*r) : r.status().ToString());
  }
  std::error_code ec;
  std::filesystem::remove_all(inst->runc_bundle, ec);
  inst->runc_id.clear();
}

}  // namespace sl::faas
