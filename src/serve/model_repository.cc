#include "serve/model_repository.h"

#include <filesystem>

#include <fmt/format.h>

#include "serve/v2/v2_predict.h"

namespace sl::serve {
namespace fs = std::filesystem;

namespace {

Status AddModel(std::string name, const std::string& dir,
                std::map<std::string, std::unique_ptr<ServedModel>, std::less<>>* models) {
  std::error_code ec;
  fs::path abs = fs::absolute(dir, ec).lexically_normal();
  if (abs.filename().empty()) abs = abs.parent_path();  // "models/x/" → "models/x"
  if (name.empty()) name = abs.filename().string();
  if (name.empty() || name.find('/') != std::string::npos) {
    return InvalidArgument("model directory '{}': cannot derive a model name; use NAME=DIR", dir);
  }
  if (models->count(name) != 0) {
    return InvalidArgument("two models are named '{}' (second: {}); use NAME=DIR to rename one",
                           name, abs.string());
  }
  auto model = std::make_unique<ServedModel>();
  model->name = name;
  model->dir = abs.string();
  auto predictor = ml::Predictor::Load(model->dir);
  if (!predictor.ok()) return predictor.status().WithContext(fmt::format("model '{}'", name));
  model->predictor = std::move(*predictor);
  model->input = v2::InputOf(*model->predictor);
  model->num_classes = static_cast<int64_t>(model->predictor->class_names().size());
  model->metadata = ModelMetadata(*model);
  models->emplace(name, std::move(model));
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<ModelRepository>> ModelRepository::Load(
    const std::vector<std::string>& model_dirs, const std::string& repository) {
  auto repo = std::unique_ptr<ModelRepository>(new ModelRepository());
  for (const std::string& spec : model_dirs) {
    std::string name, dir = spec;
    if (auto eq = spec.find('='); eq != std::string::npos) {
      name = spec.substr(0, eq);
      dir = spec.substr(eq + 1);
      if (name.empty() || dir.empty()) {
        return InvalidArgument("--model '{}': expected DIR or NAME=DIR", spec);
      }
    }
    SL_RETURN_IF_ERROR(AddModel(name, dir, &repo->models_));
  }
  if (!repository.empty()) {
    std::error_code ec;
    if (!fs::is_directory(repository, ec)) {
      return NotFound("model repository '{}' is not a directory", repository);
    }
    std::vector<fs::path> dirs;
    for (const auto& entry : fs::directory_iterator(repository, ec)) {
      if (entry.is_directory() && fs::exists(entry.path() / "manifest.json")) {
        dirs.push_back(entry.path());
      }
    }
    if (ec) return ErrnoError(ec.value(), fmt::format("listing model repository '{}'", repository));
    std::sort(dirs.begin(), dirs.end());
    if (dirs.empty()) {
      return NotFound("model repository '{}' holds no model folder (a sub-folder with a "
                      "manifest.json)", repository);
    }
    for (const auto& d : dirs) SL_RETURN_IF_ERROR(AddModel("", d.string(), &repo->models_));
  }
  if (repo->models_.empty()) return InvalidArgument("no model to serve: give --model DIR or --model-repository DIR");
  return repo;
}

const ServedModel* ModelRepository::Find(std::string_view name) const {
  auto it = models_.find(name);
  return it == models_.end() ? nullptr : it->second.get();
}

std::vector<std::string> ModelRepository::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, m] : models_) names.push_back(name);
  return names;
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
        {"class_names", model.predictor->class_names()},
        {"input_scale", model.input.scale},
        {"binary_input", model.input.text ? "none" : "application/octet-stream (raw UINT8 pixels, "
                                                      "FP32 little-endian, or PNG); image/png"}}}};
  return j;
}

}  // namespace sl::serve
