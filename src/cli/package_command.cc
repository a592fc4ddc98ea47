// `straightline package serve|function`: build an OCI image of straightline without a container
// engine (issue 15 §1), as an OCI layout directory, an oci-archive or a docker-archive, and
// optionally push it with skopeo. The image is the binary, its shared-library closure from this
// host (Debian packages, recorded in /opt/straightline/provenance.json) and the model(s), on an
// empty base; the same inputs give the same digest. The work is package/image_builder.h.
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "faas/functions_file.h"
#include "package/image_builder.h"
#include "package/push.h"

namespace sl::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDescription =
    "Build an OCI image without a container engine.\n"
    "\n"
    "  serve     a serving image: `straightline serve` speaking KServe v2 on $PORT (default 8080),\n"
    "            listening on 0.0.0.0, local tier, as uid/gid 65532 on a read-only root. Requests\n"
    "            need a bearer token read from /var/run/secrets/straightline/token: mount a file\n"
    "            with one token per line there (a Kubernetes Secret volume, `runc` bind mount).\n"
    "            /tmp must be writable (an emptyDir/tmpfs) when the root is read-only\n"
    "            (STRAIGHTLINE_STATE_DIR=/tmp/straightline). The model\n"
    "            folders go to /opt/straightline/models/NAME; the Cmd lists the serve flags and\n"
    "            can be overridden (e.g. `--auth none --insecure` on a private network).\n"
    "  function  a function image: the AWS Lambda container-image contract. The entrypoint is\n"
    "            /usr/local/bin/straightline-worker, the Runtime API client of the built-in\n"
    "            handlers (train-preprocess, train-shard, predict, echo, ...); it reads\n"
    "            AWS_LAMBDA_RUNTIME_API; the handler is the Cmd, [--handler], also in _HANDLER\n"
    "            (Lambda's ImageConfig.Command overrides it). The worker picks its mode from the\n"
    "            environment: the same image answers plain HTTP on $PORT (Knative, Cloud Run)\n"
    "            and Azure's FUNCTIONS_CUSTOMHANDLER_PORT. With --model DIR the model is baked\n"
    "            in for `predict` (STRAIGHTLINE_MODEL_DIR). Lambda: the libtorch closure is\n"
    "            ~470 MiB, past the 250 MB .zip limit, so functions ship as images (10 GB).\n"
    "            --functions FILE: one image for every function of a functions file. Built-in\n"
    "            handlers are checked against the worker's; each custom runtime (runtime:\n"
    "            provided.al2023, codeUri) is copied to /opt/straightline/functions/NAME with\n"
    "            its bootstrap's #! interpreter or shared libraries; the index\n"
    "            /opt/straightline/functions.json lets the CMD name a function: the worker\n"
    "            serves a built-in function's handler with its environment, or execs a custom\n"
    "            runtime's bootstrap (_HANDLER, LAMBDA_TASK_ROOT set). The default CMD is\n"
    "            --handler, else the file's first function.\n"
    "\n"
    "Contents: the binary (debug info stripped unless --no-strip), the shared libraries ldd\n"
    "resolves for it at their host paths (plus the dynamic loader, plus --extra-library for\n"
    "what is dlopen'ed), /etc/passwd and /etc/group with the user 65532, /tmp, and\n"
    "/opt/straightline/provenance.json: each library's Debian package and version (dpkg -S).\n"
    "Layers: libraries | binary and /etc | models. Reproducible: sorted tar entries, mtime and\n"
    "config `created` from --source-date-epoch ($SOURCE_DATE_EPOCH, else 0), uid/gid 0, gzip\n"
    "without timestamp at a fixed level; the same inputs give the same digest.\n"
    "\n"
    "Outputs (--format): oci-dir (an OCI image layout directory), oci-archive (the layout as one\n"
    "tar; `skopeo inspect oci-archive:FILE`, `podman load -i FILE`), docker-archive (what\n"
    "`docker save` writes; layers are uncompressed). --push REGISTRY/REPO:TAG copies the image\n"
    "with `skopeo copy` (add --dest-tls-verify=false for a plain-HTTP registry).\n"
    "\n"
    "Examples:\n"
    "  straightline package serve --model models/fmnist-cnn --out fmnist.oci.tar\n"
    "  skopeo inspect oci-archive:fmnist.oci.tar\n"
    "  straightline package function --handler train-shard --format oci-dir --out worker.oci\n"
    "  straightline package function --functions functions.yaml --out fns.oci.tar\n"
    "  straightline package serve --model models/fmnist-cnn --out img.tar \\\n"
    "      --push 127.0.0.1:5000/fmnist:v1 --dest-tls-verify=false";

int Fail(const Status& s) {
  fmt::print(stderr, "straightline package: {}\n", s.ToString());
  return s.code() == Code::kInvalidArgument ? 2 : 1;
}

int Usage(const std::string& message) {
  fmt::print(stderr, "straightline package: {}\n", message);
  return 2;
}

std::string Rfc3339(int64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

int RunPackage(const Args& args) {
  FlagSet flags("straightline package", kDescription);
  std::string kind, out, format = "oci-archive", tag, compression = "gzip", binary, push,
                        authfile, handler, repository, functions_file;
  std::vector<std::string> models, extra_libs, labels, serve_args;
  int64_t gzip_level = 1, port = 8080, epoch = -1;
  bool strip = true, tls_verify = true, json_out = false;
  flags.Positional("kind", &kind, "serve | function");
  flags.List("model", &models, "model folder (manifest.json + weights) to bake in; serve: "
                               "repeat for several, function: one, for predict");
  flags.String("model-repository", &repository, "serve: a folder of model folders, all baked in");
  flags.String("handler", &handler,
               "function: the default handler, _HANDLER (default: predict with --model, else "
               "train-shard)");
  flags.String("functions", &functions_file,
               "function: a functions file; the image carries every function in it (built-ins and "
               "custom runtimes' codeUri) and the CMD can name any of them");
  flags.String("out", &out, "output path: a directory for oci-dir, a file otherwise (required)");
  flags.String("format", &format, "oci-dir | oci-archive | docker-archive");
  flags.String("tag", &tag, "image NAME:TAG: docker-archive RepoTags and the OCI index's "
                            "ref.name (podman load names the image after it; skopeo reads "
                            "oci:DIR:NAME:TAG); default: the --push name, else "
                            "straightline-serve:latest / straightline-function:latest");
  flags.String("compression", &compression,
               "gzip | none: layer compression (docker-archive: always none)");
  flags.Int("gzip-level", &gzip_level, "1 (fastest) .. 9 (smallest); fixed, for reproducibility");
  flags.String("binary", &binary, "the executable to package (default: serve: straightline-ml, "
                                  "installed as straightline; function: straightline-worker; "
                                  "both from this program's folder)");
  flags.Bool("strip", &strip, "strip debug info from the binary (--no-strip keeps it)");
  flags.List("extra-library", &extra_libs,
             "a shared library loaded with dlopen to add, with what it needs (repeatable)");
  flags.List("label", &labels, "KEY=VALUE image label (repeatable)");
  flags.Int("port", &port, "serve: $PORT and the exposed port");
  flags.List("serve-arg", &serve_args, "serve: one more argument appended to the Cmd (repeatable)");
  flags.Int("source-date-epoch", &epoch,
            "mtime of every file and the config's `created` (default: $SOURCE_DATE_EPOCH, else 0)");
  flags.String("push", &push, "REGISTRY/REPO:TAG: push with skopeo copy after building");
  flags.Bool("dest-tls-verify", &tls_verify, "--push: verify the registry's TLS (skopeo)");
  flags.String("authfile", &authfile, "--push: registry credentials file (skopeo --authfile)");
  flags.Bool("json", &json_out, "print the result as JSON");
  if (int rc = ParseFlagsOrExit(flags, args); rc >= 0) return rc;

  package::PackageOptions o;
  if (kind == "serve" || kind == "serving") {
    o.kind = package::ImageKind::kServing;
  } else if (kind == "function") {
    o.kind = package::ImageKind::kFunction;
  } else {
    return Usage(fmt::format("'{}': give serve or function", kind));
  }
  if (out.empty()) return Usage("--out is required");
  if (format != "oci-dir" && format != "oci-archive" && format != "docker-archive") {
    return Usage(fmt::format("--format: '{}' (want oci-dir, oci-archive or docker-archive)", format));
  }
  if (compression != "gzip" && compression != "none") {
    return Usage(fmt::format("--compression: '{}' (want gzip or none)", compression));
  }
  if (gzip_level < 1 || gzip_level > 9) {
    return Usage(fmt::format("--gzip-level: {} is not in 1..9", gzip_level));
  }
  if (port < 1 || port > 65535) return Usage(fmt::format("--port: {} is not a TCP port", port));
  if (epoch < 0) {
    const char* env = std::getenv("SOURCE_DATE_EPOCH");
    epoch = 0;
    if (env != nullptr && *env != '\0') {
      char* end = nullptr;
      epoch = std::strtoll(env, &end, 10);
      if (*end != '\0' || epoch < 0) {
        return Usage(fmt::format("$SOURCE_DATE_EPOCH: '{}' is not a non-negative integer", env));
      }
    }
  }
  o.models = SplitCommaList(models);
  o.model_repository = repository;
  o.handler = !handler.empty() ? handler : (o.models.empty() ? "train-shard" : "predict");
  if (!functions_file.empty()) {
    if (o.kind != package::ImageKind::kFunction) {
      return Usage("--functions: only a function image carries functions (package function --functions FILE)");
    }
    Result<std::vector<faas::FunctionSpec>> specs = faas::LoadFunctionsFile(functions_file);
    if (!specs.ok()) return Fail(specs.status());
    if (specs->empty()) return Usage(fmt::format("--functions {}: declares no functions", functions_file));
    for (const auto& spec : *specs) {
      package::PackagedFunction f;
      f.name = spec.name;
      f.handler = spec.handler;
      if (spec.kind == faas::HandlerKind::kBootstrap) f.code_dir = spec.code_dir;
      f.environment = spec.environment;
      o.functions.push_back(std::move(f));
    }
    if (handler.empty()) o.handler = o.functions.front().name;
  }
  o.port = static_cast<int>(port);
  o.strip_debug = strip;
  o.extra_libraries = extra_libs;
  o.extra_args = serve_args;
  for (const auto& l : labels) {
    size_t eq = l.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Usage(fmt::format("--label: '{}' is not KEY=VALUE", l));
    }
    o.labels[l.substr(0, eq)] = l.substr(eq + 1);
  }
  const bool docker = format == "docker-archive";
  o.layer.compression = (compression == "none" || docker) ? package::Compression::kNone
                                                          : package::Compression::kGzip;
  o.layer.gzip_level = static_cast<int>(gzip_level);
  o.layer.mtime = epoch;
  o.created = Rfc3339(epoch);
  // A serving image ships straightline-ml (every command, in-process) as /usr/local/bin/straightline:
  // the torch-free front would exec a straightline-ml the image does not have.
  o.binary = !binary.empty() ? binary
             : o.kind == package::ImageKind::kServing ? ExecutableDir() + "/straightline-ml"
                                                      : ExecutableDir() + "/straightline-worker";
  if (tag.empty() && !push.empty()) {
    tag = push.substr(push.rfind('/') == std::string::npos ? 0 : push.rfind('/') + 1);
  }
  if (tag.empty()) {
    tag = o.kind == package::ImageKind::kServing ? "straightline-serve:latest"
                                                 : "straightline-function:latest";
  }
  const size_t colon = tag.rfind(':'), slash = tag.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) tag += ":latest";
  // The full name, as buildah writes it: `podman load` names the image after it, and
  // skopeo/umoci take it as the layout reference (oci:DIR:NAME:TAG).
  o.ref_name = tag;
  if (!json_out) {
    o.progress = [](const std::string& line) {
      fmt::print(stderr, "package: {}\n", line);
    };
  }

  // Staging next to the output, so that the final rename stays on one filesystem.
  const fs::path out_path = fs::absolute(out).lexically_normal();
  const std::string staging =
      (out_path.parent_path() / ("." + out_path.filename().string() + ".staging")).string();
  std::error_code ec;
  if (format == "oci-dir" && fs::exists(out_path) &&
      !(fs::is_directory(out_path) && (fs::is_empty(out_path) || fs::exists(out_path / "oci-layout")))) {
    return Usage(fmt::format("--out {}: exists and is not an OCI layout directory; not replacing it",
                             out_path.string()));
  }
  if (Status s = MakeDirs(out_path.parent_path().string()); !s.ok()) return Fail(s);
  fs::remove_all(staging, ec);
  if (Status s = MakeDirs(staging + "/scratch"); !s.ok()) return Fail(s);
  o.scratch_dir = staging + "/scratch";
  const std::string layout = staging + "/layout";
  auto cleanup = [&] { fs::remove_all(staging, ec); };

  auto t0 = Clock::Real()->Now();
  Result<package::BuiltImage> built = package::BuildImage(o, layout);
  if (!built.ok()) {
    cleanup();
    return Fail(built.status());
  }
  double build_s = std::chrono::duration<double>(Clock::Real()->Now() - t0).count();
  uint64_t blob_bytes = built->config.size + built->manifest.size, tar_bytes = 0;
  for (const auto& l : built->layers) {
    blob_bytes += l.size;
    tar_bytes += l.tar_size;
  }

  std::string pushed_digest;
  if (!push.empty()) {
    auto tp = Clock::Real()->Now();
    Result<std::string> d = package::PushImage(*built, {push, tls_verify, authfile});
    if (!d.ok()) {
      cleanup();
      return Fail(d.status());
    }
    pushed_digest = *d;
    if (!json_out) {
      fmt::print(stderr, "package: pushed to {} as {} ({:.1f} s)\n", push, pushed_digest,
                 std::chrono::duration<double>(Clock::Real()->Now() - tp).count());
    }
  }

  uint64_t out_bytes = 0;
  if (format == "oci-dir") {
    fs::remove_all(out_path, ec);
    fs::rename(layout, out_path, ec);
    if (ec) {
      cleanup();
      return Fail(ErrnoError(ec.value(), fmt::format("rename {} -> {}", layout, out_path.string())));
    }
    out_bytes = blob_bytes;
  } else {
    Result<uint64_t> n = docker ? package::WriteDockerArchive(*built, tag, out_path.string(), epoch)
                                : package::WriteOciArchive(*built, out_path.string(), epoch);
    if (!n.ok()) {
      cleanup();
      return Fail(n.status());
    }
    out_bytes = *n;
  }
  cleanup();
  double total_s = std::chrono::duration<double>(Clock::Real()->Now() - t0).count();

  // Lambda ships a function as a .zip up to 250 MB unzipped, or as an image up to 10 GB.
  constexpr uint64_t kLambdaZipLimit = 250ull * 1000 * 1000;
  const bool zip_ok = tar_bytes <= kLambdaZipLimit;
  if (json_out) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : built->layers) {
      layers.push_back({{"digest", l.digest}, {"mediaType", l.media_type}, {"size", l.size},
                        {"diff_id", l.diff_id}, {"uncompressed_size", l.tar_size}});
    }
    nlohmann::json j = {{"out", out_path.string()},       {"format", format},
                        {"tag", tag},                     {"manifest_digest", built->manifest.digest},
                        {"config_digest", built->config.digest}, {"layers", layers},
                        {"compressed_bytes", blob_bytes}, {"uncompressed_bytes", tar_bytes},
                        {"output_bytes", out_bytes},      {"build_seconds", build_s},
                        {"total_seconds", total_s},       {"lambda_zip_fits", zip_ok}};
    if (!pushed_digest.empty()) j["pushed_digest"] = pushed_digest;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }
  fmt::print("image: {} ({})\n", out_path.string(), format);
  fmt::print("tag: {}\n", tag);
  fmt::print("digest: {}\n", built->manifest.digest);
  fmt::print("size: {} uncompressed, {} as blobs, {} output; {} layers; built in {}\n",
             HumanBytes(tar_bytes), HumanBytes(blob_bytes), HumanBytes(out_bytes),
             built->layers.size(), HumanSeconds(total_s));
  if (o.kind == package::ImageKind::kFunction) {
    fmt::print("lambda: {} unzipped {} the 250 MB .zip limit: {}\n", HumanBytes(tar_bytes),
               zip_ok ? "fits" : "exceeds",
               zip_ok ? "a .zip or this image (10 GB limit)" : "ship this image (10 GB limit)");
  }
  if (!pushed_digest.empty()) fmt::print("pushed: {}@{}\n", push, pushed_digest);
  return 0;
}

}  // namespace sl::cli
