#include "ml/artifact.h"

#include <stdlib.h>

#include <filesystem>
#include <system_error>

#include "common/file_util.h"
#include "common/sha256.h"

namespace sl::ml {
namespace {

namespace fs = std::filesystem;

std::string FormatName(ArtifactFormat f) {
  return f == ArtifactFormat::kNative ? "native" : "torchscript";
}

Result<std::string> MakeSiblingTempDir(const std::string& dir, std::string_view tag) {
  fs::path target = fs::path(dir).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  SL_RETURN_IF_ERROR(MakeDirs(parent.string()));
  std::string tmpl = (parent / ("." + target.filename().string() + "." + std::string(tag) + "-XXXXXX")).string();
  if (mkdtemp(tmpl.data()) == nullptr) return ErrnoError(errno, tmpl);
  return tmpl;
}

}  // namespace

nlohmann::json Manifest::ToJson() const {
  return {{"format_version", format_version},
          {"format", FormatName(format)},
          {"model", model.ToJson()},
          {"class_names", class_names},
          {"dataset", dataset},
          {"preprocessing", preprocessing},
          {"training", training},
          {"metrics", metrics},
          {"created_at", created_at},
          {"output", output},
          {"weights", {{"file", weights_file}, {"sha256", weights_sha256}, {"bytes", weights_bytes}}}};
}

Result<Manifest> Manifest::FromJson(const nlohmann::json& j, std::string_view where) {
  if (!j.is_object()) return InvalidArgument("{}: not a JSON object", where);
  Manifest m;
  if (!j.contains("format_version") || !j["format_version"].is_number_integer()) {
    return InvalidArgument("{}: format_version: missing or not an integer", where);
  }
  m.format_version = j["format_version"].get<int>();
  if (m.format_version != kArtifactFormatVersion) {
    return InvalidArgument("{}: format_version {} is not supported (this build reads {})", where,
                           m.format_version, kArtifactFormatVersion);
  }
  std::string format = j.value("format", "");
  if (format == "native") m.format = ArtifactFormat::kNative;
  else if (format == "torchscript") m.format = ArtifactFormat::kTorchScript;
  else return InvalidArgument("{}: format: '{}' is not 'native' or 'torchscript'", where, format);
  if (!j.contains("model")) return InvalidArgument("{}: model: missing", where);
  SL_ASSIGN_OR_RETURN(m.model, ModelSpec::FromJson(j["model"], where));
  if (!j.contains("class_names") || !j["class_names"].is_array()) {
    return InvalidArgument("{}: class_names: missing or not an array", where);
  }
  for (const auto& c : j["class_names"]) {
    if (!c.is_string()) return InvalidArgument("{}: class_names: {} is not a string", where, c.dump());
    m.class_names.push_back(c.get<std::string>());
  }
  if (static_cast<int64_t>(m.class_names.size()) != m.model.num_classes) {
    return InvalidArgument("{}: {} class_names for model.num_classes={}", where,
                           m.class_names.size(), m.model.num_classes);
  }
  m.dataset = j.value("dataset", nlohmann::json::object());
  m.preprocessing = j.value("preprocessing", nlohmann::json::object());
  m.training = j.value("training", nlohmann::json::object());
  m.metrics = j.value("metrics", nlohmann::json::object());
  m.created_at = j.value("created_at", "");
  m.output = j.value("output", "logits");
  if (m.output != "logits" && m.output != "probabilities") {
    return InvalidArgument("{}: output: '{}' is not 'logits' or 'probabilities'", where, m.output);
  }
  const auto& w = j.value("weights", nlohmann::json::object());
  if (!w.contains("file") || !w["file"].is_string() || !w.contains("sha256") ||
      !w["sha256"].is_string() || !w.contains("bytes") || !w["bytes"].is_number_integer()) {
    return InvalidArgument("{}: weights: needs string 'file', string 'sha256' and integer 'bytes'", where);
  }
  m.weights_file = w["file"].get<std::string>();
  if (m.weights_file.empty() || m.weights_file.find('/') != std::string::npos || m.weights_file[0] == '.') {
    return InvalidArgument("{}: weights.file: '{}' is not a plain file name", where, m.weights_file);
  }
  m.weights_sha256 = w["sha256"].get<std::string>();
  m.weights_bytes = w["bytes"].get<int64_t>();
  return m;
}

Status WriteArtifact(const std::string& dir, Manifest manifest, std::string_view weights, Clock* clock) {
  if (static_cast<int64_t>(manifest.class_names.size()) != manifest.model.num_classes) {
    return InvalidArgument("{}: {} class names for a model with {} classes", dir,
                           manifest.class_names.size(), manifest.model.num_classes);
  }
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) return AlreadyExists("{}: exists and is not a directory", dir);
    if (!fs::is_empty(dir, ec) && !fs::exists(fs::path(dir) / kManifestFile, ec)) {
      return AlreadyExists("{}: exists, is not empty and holds no {}; refusing to replace it", dir,
                           kManifestFile);
    }
  }
  manifest.format_version = kArtifactFormatVersion;
  manifest.created_at = FormatRfc3339(clock->WallNow());
  manifest.weights_file =
      manifest.format == ArtifactFormat::kNative ? kNativeWeightsFile : kTorchScriptFile;
  manifest.weights_sha256 = Sha256Hex(weights);
  manifest.weights_bytes = static_cast<int64_t>(weights.size());

  SL_ASSIGN_OR_RETURN(std::string tmp, MakeSiblingTempDir(dir, "tmp"));
  auto cleanup_tmp = [&] { fs::remove_all(tmp, ec); };
  Status s = WriteFileAtomic(tmp + "/" + manifest.weights_file, weights);
  if (s.ok()) s = WriteFileAtomic(tmp + "/" + kManifestFile, manifest.ToJson().dump(2) + "\n");
  if (!s.ok()) {
    cleanup_tmp();
    return s;
  }
  // Move the old artifact aside, the new one in, then drop the old one.
  std::string old;
  if (fs::exists(dir, ec)) {
    Result<std::string> aside = MakeSiblingTempDir(dir, "old");
    if (!aside.ok()) {
      cleanup_tmp();
      return aside.status();
    }
    old = *aside;
    fs::remove(old, ec);
    if (::rename(dir.c_str(), old.c_str()) != 0) {
      Status err = ErrnoError(errno, fmt::format("{}: moving the old artifact aside", dir));
      cleanup_tmp();
      return err;
    }
  }
  if (::rename(tmp.c_str(), dir.c_str()) != 0) {
    Status err = ErrnoError(errno, fmt::format("{}: renaming {} into place", dir, tmp));
    if (!old.empty() && ::rename(old.c_str(), dir.c_str()) != 0) old.clear();
    cleanup_tmp();
    return err;
  }
  if (!old.empty()) fs::remove_all(old, ec);
  return Status::Ok();
}

Result<Artifact> ReadArtifact(const std::string& dir) {
  if (!IsDirectory(dir)) return NotFound("{}: no such model directory", dir);
  const std::string manifest_path = dir + "/" + kManifestFile;
  if (!PathExists(manifest_path)) return NotFound("{}: missing (not a model artifact?)", manifest_path);
  SL_ASSIGN_OR_RETURN(std::string text, ReadFileToString(manifest_path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return DataLoss("{}: not valid JSON (corrupted manifest)", manifest_path);
  Artifact a;
  a.dir = dir;
  SL_ASSIGN_OR_RETURN(a.manifest, Manifest::FromJson(j, manifest_path));
  const std::string weights_path = dir + "/" + a.manifest.weights_file;
  if (!PathExists(weights_path)) return NotFound("{}: weights file missing", weights_path);
  SL_ASSIGN_OR_RETURN(a.weights, ReadFileToString(weights_path));
  if (static_cast<int64_t>(a.weights.size()) != a.manifest.weights_bytes) {
    return DataLoss("{}: {} bytes, {} says {} (truncated or replaced)", weights_path,
                    a.weights.size(), kManifestFile, a.manifest.weights_bytes);
  }
  std::string sha = Sha256Hex(a.weights);
  if (sha != a.manifest.weights_sha256) {
    return DataLoss("{}: SHA-256 {} does not match {} ({}): the weights are corrupted", weights_path,
                    sha, kManifestFile, a.manifest.weights_sha256);
  }
  return a;
}

}  // namespace sl::ml
