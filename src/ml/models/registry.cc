// The model registry: name → (description, factory). Add a model with one line here.
#include <vector>

#include "ml/models/models.h"

namespace sl::ml::models {
namespace {

struct Entry {
  ModelInfo info;
  NetFactory make;
};

const std::vector<Entry>& Registry() {
  static const std::vector<Entry> entries = {
      {LogRegInfo(), MakeLogReg},
      {MlpInfo(), MakeMlp},
      {CnnInfo(), MakeCnn},
      {ResNetInfo(), MakeResNet},
      {TextClfInfo(), MakeTextClf},
  };
  return entries;
}

}  // namespace

Result<NetFactory> FindFactory(std::string_view name) {
  for (const auto& e : Registry()) {
    if (e.info.name == name) return e.make;
  }
  return NotFound("model '{}' is not registered", name);
}

}  // namespace sl::ml::models

namespace sl::ml {

const std::vector<ModelInfo>& ListModels() {
  static const std::vector<ModelInfo> infos = [] {
    std::vector<ModelInfo> v;
    for (const auto& e : models::Registry()) v.push_back(e.info);
    return v;
  }();
  return infos;
}

}  // namespace sl::ml
