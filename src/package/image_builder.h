// Builds straightline's two images on an empty base, without a container engine:
//
//   serving image   /usr/local/bin/straightline + its library closure + the model(s) under
//                   /opt/straightline/models/; runs `straightline serve` (KServe v2) on $PORT as
//                   uid 65532, token auth from /var/run/secrets/straightline/token.
//   function image  /usr/local/bin/straightline-worker + its library closure (+ optionally a
//                   model for `predict`, + the custom runtimes of a functions file and the
//                   index of its functions); the AWS Lambda container-image contract: the
//                   entrypoint is the worker's Runtime API client, the handler is the CMD
//                   (and _HANDLER); the worker's HTTP modes answer on $PORT (Knative, Cloud
//                   Run) or FUNCTIONS_CUSTOMHANDLER_PORT (Azure) from the same image.
//
// Layers, bottom-up: (1) the shared libraries at their host paths, (2) the application:
// binary, /etc/passwd and /etc/group with the non-root user, /tmp, /opt/straightline/
// provenance.json (which Debian package and version each library came from), (3) the model(s),
// when given, (4) the functions of a functions file (code folders, functions.json), when given.
// Layers change at different rates, so a registry keeps the library layer across
// model versions.
//
// Ownership: BuildImage writes blobs into the layout directory it is given and owns nothing
// else. Thread safety: none; one build per call. Failure contract: errors name the file or the
// flag-level input that was wrong (a model folder without manifest.json, a library ldd cannot
// find, a binary that is not an executable).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "package/layer.h"
#include "package/oci_image.h"

namespace sl::package {

enum class ImageKind { kServing, kFunction };

inline constexpr uint32_t kImageUid = 65532;  // "nonroot" by the distroless convention
inline constexpr const char* kModelsDir = "/opt/straightline/models";
inline constexpr const char* kTokenFile = "/var/run/secrets/straightline/token";
inline constexpr const char* kProvenanceFile = "/opt/straightline/provenance.json";
// A function image built from a functions file: each custom runtime's code folder goes to
// kFunctionsDir/NAME, and kFunctionsFile lists every function (straightline-worker reads it,
// through $STRAIGHTLINE_FUNCTIONS_FILE, to serve a CMD that names a function, not a handler;
// runtime/run_handler.h).
inline constexpr const char* kFunctionsDir = "/opt/straightline/functions";
inline constexpr const char* kFunctionsFile = "/opt/straightline/functions.json";

// One function of a functions file, as the function image carries it.
struct PackagedFunction {
  std::string name;      // the functions file's name; the image's CMD to run it
  std::string handler;   // built-in: straightline-worker's handler; custom: passed as _HANDLER
  std::string code_dir;  // custom runtime: the host folder with an executable `bootstrap`
                         // (copied whole, modes kept); empty for a built-in handler
  std::map<std::string, std::string> environment;  // defaults; the platform's values win
};

struct PackageOptions {
  ImageKind kind = ImageKind::kServing;
  std::string binary;                // straightline (serving) or straightline-worker (function)
  std::vector<std::string> models;   // model folders (manifest.json + weights), named by folder
  std::string model_repository;      // or a folder of model folders (serving only)
  std::string handler = "predict";   // function image: the default handler (or function name)
  // Function image from a functions file: every function, built-ins checked against the
  // binary's `--list`, custom runtimes' code folders copied (each bootstrap's interpreter or
  // shared libraries added to the closure), and kFunctionsFile written. `handler` is then the
  // name of the function the image runs by default.
  std::vector<PackagedFunction> functions;
  int port = 8080;
  bool strip_debug = true;           // strip --strip-debug the binary (its debug info is ~95 %)
  std::vector<std::string> extra_libraries;  // libraries loaded with dlopen, with their closure
  std::vector<std::string> extra_args;       // appended to the serving Cmd
  std::map<std::string, std::string> labels;
  LayerWriteOptions layer;           // compression, level, mtime
  std::string created = "1970-01-01T00:00:00Z";
  std::string ref_name = "straightline:latest";  // org.opencontainers.image.ref.name
  std::string scratch_dir;           // for the stripped binary
  std::function<void(const std::string&)> progress;  // one line per step; may be empty
};

// Builds the image's blobs into `layout_dir` (created; it must be empty or absent) and writes
// its OCI layout there.
Result<BuiltImage> BuildImage(const PackageOptions& options, const std::string& layout_dir);

// The image config BuildImage writes (exposed for tests and --dry-run).
ImageConfig MakeImageConfig(const PackageOptions& options,
                            const std::vector<std::string>& model_names);

}  // namespace sl::package
