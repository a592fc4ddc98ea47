#include "serve/model_repository.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "serve/v2/v2_predict.h"

namespace sl::serve {
namespace fs = std::filesystem;

namespace {

// The folder's absolute path and the model's name (given, else the folder's name).
Status ResolveName(const std::string& dir, std::string* name, std::string* abs_dir) {
  std::error_code ec;
  fs::path abs = fs::absolute(dir, ec).lexically_normal();
  if (abs.filename().empty()) abs = abs.parent_path();  // "models/x/" → "models/x"
  if (name->empty()) *name = abs.filename().string();
  if (name->empty() || name->find('/') != std::string::npos) {
    return InvalidArgument("model directory '{}': cannot derive a model name; use NAME=DIR", dir);
  }
  *abs_dir = abs.string();
  return Status::Ok();
}

}  // namespace

Result<std::shared_ptr<const ServedModel>> ModelRepository::LoadModel(const ModelDir& dir) {
  auto model = std::make_shared<ServedModel>();
  model->name = dir.name;
  SL_RETURN_IF_ERROR(ResolveName(dir.dir, &model->name, &model->dir));
  model->version = dir.version.empty() ? "1" : dir.version;
  model->source = dir.source;
  auto predictor = ml::Predictor::Load(model->dir);
  if (!predictor.ok()) return predictor.status().WithContext(fmt::format("model '{}'", model->name));
  model->predictor = std::move(*predictor);
  model->input = v2::InputOf(*model->predictor);
  model->num_classes = static_cast<int64_t>(model->predictor->class_names().size());
  model->metadata = ModelMetadata(*model);
  return std::shared_ptr<const ServedModel>(std::move(model));
}

Result<std::unique_ptr<ModelRepository>> ModelRepository::FromModels(
    std::vector<std::shared_ptr<const ServedModel>> models) {
  auto repo = std::unique_ptr<ModelRepository>(new ModelRepository());
  for (auto& m : models) {
    if (m == nullptr) return InvalidArgument("model repository: a null model");
    if (repo->models_.count(m->name) != 0) {
      return InvalidArgument("two models are named '{}' (second: {}); use NAME=DIR to rename one",
                             m->name, m->source.empty() ? m->dir : m->source);
    }
    auto slot = std::make_unique<Slot>();
    const std::string name = m->name;
    slot->model = std::move(m);
    repo->models_.emplace(name, std::move(slot));
  }
  if (repo->models_.empty()) return InvalidArgument("no model to serve: give --model DIR or --model-repository DIR");
  return repo;
}

Result<std::unique_ptr<ModelRepository>> ModelRepository::Load(const std::vector<ModelDir>& dirs) {
  std::vector<std::shared_ptr<const ServedModel>> models;
  std::map<std::string, std::string> seen;  // name → folder: a clash is reported before loading
  for (const ModelDir& d : dirs) {
    ModelDir named = d;
    std::string abs;
    SL_RETURN_IF_ERROR(ResolveName(d.dir, &named.name, &abs));
    if (!seen.emplace(named.name, abs).second) {
      return InvalidArgument("two models are named '{}' (second: {}); use NAME=DIR to rename one",
                             named.name, d.source.empty() ? abs : d.source);
    }
    SL_ASSIGN_OR_RETURN(auto model, LoadModel(named));
    models.push_back(std::move(model));
  }
  return FromModels(std::move(models));
}

Result<std::unique_ptr<ModelRepository>> ModelRepository::Load(
    const std::vector<std::string>& model_dirs, const std::string& repository) {
  std::vector<ModelDir> dirs;
  for (const std::string& spec : model_dirs) {
    ModelDir d;
    d.dir = spec;
    if (auto eq = spec.find('='); eq != std::string::npos) {
      d.name = spec.substr(0, eq);
      d.dir = spec.substr(eq + 1);
      if (d.name.empty() || d.dir.empty()) {
        return InvalidArgument("--model '{}': expected DIR or NAME=DIR", spec);
      }
    }
    dirs.push_back(std::move(d));
  }
  if (!repository.empty()) {
    std::error_code ec;
    if (!fs::is_directory(repository, ec)) {
      return NotFound("model repository '{}' is not a directory", repository);
    }
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(repository, ec)) {
      if (entry.is_directory() && fs::exists(entry.path() / "manifest.json")) {
        found.push_back(entry.path());
      }
    }
    if (ec) return ErrnoError(ec.value(), fmt::format("listing model repository '{}'", repository));
    std::sort(found.begin(), found.end());
    if (found.empty()) {
      return NotFound("model repository '{}' holds no model folder (a sub-folder with a "
                      "manifest.json)", repository);
    }
    for (const auto& d : found) {
      ModelDir md;
      md.dir = d.string();
      dirs.push_back(std::move(md));
    }
  }
  return Load(dirs);
}

std::shared_ptr<const ServedModel> ModelRepository::Find(std::string_view name) const {
  auto it = models_.find(name);
  if (it == models_.end()) return nullptr;
  std::lock_guard<std::mutex> l(it->second->mu);
  return it->second->model;
}

std::vector<std::string> ModelRepository::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, m] : models_) names.push_back(name);
  return names;
}

std::vector<std::shared_ptr<const ServedModel>> ModelRepository::Snapshot() const {
  std::vector<std::shared_ptr<const ServedModel>> out;
  for (const auto& [name, slot] : models_) {
    std::lock_guard<std::mutex> l(slot->mu);
    out.push_back(slot->model);
  }
  return out;
}

Status ModelRepository::Replace(std::shared_ptr<const ServedModel> model) {
  if (model == nullptr) return InvalidArgument("model repository: Replace with no model");
  auto it = models_.find(model->name);
  if (it == models_.end()) {
    return NotFound("model repository: no model named '{}' to replace", model->name);
  }
  std::shared_ptr<const ServedModel> old;
  {
    std::lock_guard<std::mutex> l(it->second->mu);
    old = std::move(it->second->model);
    it->second->model = std::move(model);
  }
  return Status::Ok();  // `old` is released here, outside the lock (or by its last request)
}

nlohmann::json ModelMetadata(const ServedModel& model) {
  std::vector<int64_t> shape = {-1};
  for (int64_t d : model.input.shape) shape.push_back(d);
  if (model.input.text) shape = {-1};
  const ml::Manifest& m = model.predictor->manifest();
  nlohmann::json j = {
      {"name", model.name},
      {"versions", {model.version}},
      {"platform", m.format == ml::ArtifactFormat::kTorchScript ? "straightline_torchscript"
                                                                  : "straightline_libtorch"},
      {"inputs", {{{"name", model.input.name}, {"datatype", model.input.DatatypeName()},
                   {"shape", shape}}}},
      {"outputs",
       {{{"name", v2::kOutputProbabilities}, {"datatype", "FP32"}, {"shape", {-1, model.num_classes}}},
        {{"name", v2::kOutputLabel}, {"datatype", "INT64"}, {"shape", {-1}}},
        {{"name", v2::kOutputClassName}, {"datatype", "BYTES"}, {"shape", {-1}}}}},
      {"parameters",
       {{"model", m.model.name},
        {"version", model.version},
        {"created_at", m.created_at},
        {"class_names", model.predictor->class_names()},
        {"input_scale", model.input.scale},
        {"binary_input", model.input.text ? "none" : "application/octet-stream (raw UINT8 pixels, "
                                                      "FP32 little-endian, PNG or JPEG); image/png; image/jpeg (resized)"}}}};
  // Where a store model came from (a local folder's path is not the clients' business).
  if (!model.source.empty()) j["parameters"]["source"] = model.source;
  return j;
}

}  // namespace sl::serve
