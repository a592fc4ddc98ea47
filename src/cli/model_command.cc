// `straightline model import|show|list`: wrap a TorchScript file into a model artifact, print
// an artifact's manifest, list the registered model architectures and their hyperparameters.
#include <cstdio>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "common/file_util.h"
#include "common/flags.h"
#include "ml/artifact.h"
#include "ml/model_spec.h"
#include "ml/torchscript_import.h"

namespace sl::cli {
namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) out.push_back(part);
  return out;
}

Result<std::vector<float>> ParseFloats(const std::string& flag, const std::string& s) {
  std::vector<float> out;
  for (const auto& p : SplitCommas(s)) {
    char* end = nullptr;
    float v = std::strtof(p.c_str(), &end);
    if (p.empty() || *end != '\0') return InvalidArgument("--{}: '{}' is not a number", flag, p);
    out.push_back(v);
  }
  return out;
}

int Usage(const Status& s) {
  fmt::print(stderr, "{}\n", s.message());
  return 2;
}

int Import(const Args& args) {
  FlagSet flags("straightline model import",
                "Wrap a TorchScript module (torch.jit.save) into a model artifact that predict, "
                "eval and the serving layer run like a native one.");
  std::string path, shape, classes, out, output = "logits", mean, std_;
  flags.Positional("module", &path, "the .pt file written by torch.jit.save");
  flags.String("input-shape", &shape, "per-sample input shape, e.g. 1,28,28 (required)");
  flags.String("classes", &classes, "comma-separated class names, one per output (required)");
  flags.String("out", &out, "artifact directory to write (required)");
  flags.String("output", &output, "what forward() returns: logits | probabilities");
  flags.String("normalize-mean", &mean, "per-channel mean the module expects, e.g. 0.286");
  flags.String("normalize-std", &std_, "per-channel std the module expects, e.g. 0.353");
  Status s = flags.Parse(args);
  if (!s.ok()) return Usage(s);
  if (flags.help_requested()) {
    fmt::print("{}", flags.Help());
    return 0;
  }
  if (shape.empty() || classes.empty() || out.empty()) {
    return Usage(InvalidArgument("--input-shape, --classes and --out are required"));
  }
  ml::TorchScriptImportOptions o;
  o.module_path = path;
  for (const auto& d : SplitCommas(shape)) {
    char* end = nullptr;
    long v = std::strtol(d.c_str(), &end, 10);
    if (d.empty() || *end != '\0' || v < 1) {
      return Usage(InvalidArgument("--input-shape: '{}' is not a positive integer", d));
    }
    o.input_shape.push_back(v);
  }
  o.class_names = SplitCommas(classes);
  o.output = output;
  if (!mean.empty() || !std_.empty()) {
    Result<std::vector<float>> m = ParseFloats("normalize-mean", mean);
    Result<std::vector<float>> sd = ParseFloats("normalize-std", std_);
    if (!m.ok()) return Usage(m.status());
    if (!sd.ok()) return Usage(sd.status());
    o.preprocessing = {{"normalization", {{"mean", *m}, {"std", *sd}}}};
  }
  Status r = ml::ImportTorchScript(o, out);
  if (!r.ok()) {
    fmt::print(stderr, "straightline model import: {}\n", r.ToString());
    return r.code() == Code::kInvalidArgument ? 2 : 1;
  }
  fmt::print("imported {} into {} ({} classes, input {})\n", path, out, o.class_names.size(),
             fmt::join(o.input_shape, "x"));
  return 0;
}

int Show(const Args& args) {
  FlagSet flags("straightline model show", "Verify a model artifact and print its manifest.");
  std::string dir;
  bool json = false;
  flags.Positional("dir", &dir, "model artifact directory");
  flags.Bool("json", &json, "print manifest.json as is");
  Status s = flags.Parse(args);
  if (!s.ok()) return Usage(s);
  if (flags.help_requested()) {
    fmt::print("{}", flags.Help());
    return 0;
  }
  Result<ml::Artifact> a = ml::ReadArtifact(dir);
  if (!a.ok()) {
    fmt::print(stderr, "straightline model show: {}\n", a.status().ToString());
    return 1;
  }
  const ml::Manifest& m = a->manifest;
  if (json) {
    fmt::print("{}\n", m.ToJson().dump(2));
    return 0;
  }
  fmt::print("artifact     {} (format version {}, {}, checksum verified)\n", dir, m.format_version,
             m.format == ml::ArtifactFormat::kNative ? "native" : "torchscript");
  fmt::print("created      {}\n", m.created_at);
  fmt::print("model        {} {}\n", m.model.name, m.model.hparams.dump());
  fmt::print("input        {} {}\n", m.model.input.ShapeString(), m.model.input.dtype());
  fmt::print("classes      {}: {}\n", m.class_names.size(), fmt::join(m.class_names, ", "));
  if (!m.dataset.empty()) fmt::print("dataset      {}\n", m.dataset.dump());
  if (!m.preprocessing.empty()) fmt::print("preprocess   {}\n", m.preprocessing.dump());
  if (m.training.contains("config")) fmt::print("training     {}\n", m.training["config"].dump());
  if (m.training.contains("imported_from")) fmt::print("imported     {}\n", m.training["imported_from"].get<std::string>());
  for (const auto& [split, metrics] : m.metrics.items()) {
    fmt::print("{:<12} accuracy {:.4f} on {} samples\n", split, metrics.value("accuracy", 0.0),
               metrics.value("samples", 0));
  }
  fmt::print("weights      {} {} sha256 {}\n", m.weights_file, HumanBytes(m.weights_bytes), m.weights_sha256);
  return 0;
}

int List(const Args& args) {
  FlagSet flags("straightline model list", "List the model architectures and their hyperparameters.");
  bool json = false;
  flags.Bool("json", &json, "print a JSON array: name, summary, hparams [{name, default, help}]");
  Status s = flags.Parse(args);
  if (!s.ok()) return Usage(s);
  if (flags.help_requested()) {
    fmt::print("{}", flags.Help());
    return 0;
  }
  if (json) {
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : ml::ListModels()) {
      nlohmann::json hparams = nlohmann::json::array();
      for (const auto& h : m.hparams) {
        hparams.push_back({{"name", h.name}, {"default", h.default_value}, {"help", h.help}});
      }
      models.push_back({{"name", m.name}, {"summary", m.summary}, {"hparams", std::move(hparams)}});
    }
    fmt::print("{}\n", models.dump(2));
    return 0;
  }
  for (const auto& m : ml::ListModels()) {
    fmt::print("{:<8} {}\n", m.name, m.summary);
    for (const auto& h : m.hparams) {
      fmt::print("           --hparam {}={}  {}\n", h.name, h.default_value.dump(), h.help);
    }
  }
  return 0;
}

}  // namespace

int RunModel(const Args& args) {
  const std::string usage =
      "usage: straightline model import|show|list ...\n"
      "  import MODULE.pt --input-shape 1,28,28 --classes a,b,... --out DIR\n"
      "  show DIR [--json]\n"
      "  list [--json]\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    fmt::print(args.empty() ? stderr : stdout, "{}", usage);
    return args.empty() ? 2 : 0;
  }
  Args rest(args.begin() + 1, args.end());
  if (args[0] == "import") return Import(rest);
  if (args[0] == "show") return Show(rest);
  if (args[0] == "list") return List(rest);
  fmt::print(stderr, "straightline model: unknown subcommand '{}'\n{}", args[0], usage);
  return 2;
}

}  // namespace sl::cli
