#include "ml/model_spec.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace sl::ml {
namespace {

std::string KindName(SampleKind k) { return k == SampleKind::kDense ? "dense" : "tokens"; }

}  // namespace

int64_t InputSpec::Numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string InputSpec::ShapeString() const {
  if (kind == SampleKind::kTokens) return fmt::format("tokens<vocab {}>", vocab_size);
  return fmt::format("{}", fmt::join(shape, "x"));
}

InputSpec InputSpec::Of(const Dataset& data) {
  InputSpec s;
  s.kind = data.kind;
  if (data.kind == SampleKind::kDense) s.shape = data.sample_shape;
  else s.vocab_size = data.vocab_size;
  return s;
}

nlohmann::json InputSpec::ToJson() const {
  nlohmann::json j = {{"kind", KindName(kind)}, {"dtype", dtype()}};
  if (kind == SampleKind::kDense) j["shape"] = shape;
  else j["vocab_size"] = vocab_size;
  return j;
}

Result<InputSpec> InputSpec::FromJson(const nlohmann::json& j, std::string_view where) {
  if (!j.is_object()) return InvalidArgument("{}: input: not an object", where);
  InputSpec s;
  std::string kind = j.value("kind", "");
  if (kind == "dense") {
    s.kind = SampleKind::kDense;
    if (!j.contains("shape") || !j["shape"].is_array() || j["shape"].empty()) {
      return InvalidArgument("{}: input.shape: missing or not a non-empty array", where);
    }
    for (const auto& d : j["shape"]) {
      if (!d.is_number_integer() || d.get<int64_t>() < 1) {
        return InvalidArgument("{}: input.shape: {} is not a positive integer", where, d.dump());
      }
      s.shape.push_back(d.get<int64_t>());
    }
  } else if (kind == "tokens") {
    s.kind = SampleKind::kTokens;
    if (!j.contains("vocab_size") || !j["vocab_size"].is_number_integer() ||
        j["vocab_size"].get<int64_t>() < 1) {
      return InvalidArgument("{}: input.vocab_size: missing or not a positive integer", where);
    }
    s.vocab_size = j["vocab_size"].get<int64_t>();
  } else {
    return InvalidArgument("{}: input.kind: '{}' is not 'dense' or 'tokens'", where, kind);
  }
  return s;
}

nlohmann::json ModelSpec::ToJson() const {
  return {{"name", name},
          {"hparams", hparams.is_null() ? nlohmann::json::object() : hparams},
          {"input", input.ToJson()},
          {"num_classes", num_classes}};
}

Result<ModelSpec> ModelSpec::FromJson(const nlohmann::json& j, std::string_view where) {
  if (!j.is_object()) return InvalidArgument("{}: model: not an object", where);
  ModelSpec s;
  if (!j.contains("name") || !j["name"].is_string()) {
    return InvalidArgument("{}: model.name: missing or not a string", where);
  }
  s.name = j["name"].get<std::string>();
  s.hparams = j.value("hparams", nlohmann::json::object());
  if (!s.hparams.is_object()) return InvalidArgument("{}: model.hparams: not an object", where);
  if (!j.contains("input")) return InvalidArgument("{}: model.input: missing", where);
  SL_ASSIGN_OR_RETURN(s.input, InputSpec::FromJson(j["input"], where));
  if (!j.contains("num_classes") || !j["num_classes"].is_number_integer() ||
      j["num_classes"].get<int64_t>() < 1) {
    return InvalidArgument("{}: model.num_classes: missing or not a positive integer", where);
  }
  s.num_classes = j["num_classes"].get<int64_t>();
  return s;
}

Result<ModelSpec> MakeModelSpec(std::string_view name, const nlohmann::json& hparams,
                                const InputSpec& input, int64_t num_classes) {
  const auto& models = ListModels();
  auto it = std::find_if(models.begin(), models.end(),
                         [&](const ModelInfo& m) { return m.name == name; });
  if (it == models.end()) {
    std::vector<std::string> names;
    for (const auto& m : models) names.push_back(m.name);
    return InvalidArgument("unknown model '{}' (known: {})", name, fmt::join(names, ", "));
  }
  if (std::find(it->accepts.begin(), it->accepts.end(), input.kind) == it->accepts.end()) {
    return InvalidArgument("model '{}' cannot take {} input ({})", name, KindName(input.kind),
                           input.ShapeString());
  }
  if (num_classes < 2) return InvalidArgument("model '{}': num_classes={} must be >= 2", name, num_classes);
  if (!hparams.is_null() && !hparams.is_object()) {
    return InvalidArgument("model '{}': hyperparameters must be a JSON object", name);
  }
  ModelSpec spec{std::string(name), nlohmann::json::object(), input, num_classes};
  for (const auto& h : it->hparams) spec.hparams[h.name] = h.default_value;
  if (hparams.is_object()) {
    for (const auto& [key, value] : hparams.items()) {
      auto h = std::find_if(it->hparams.begin(), it->hparams.end(),
                            [&](const HparamInfo& x) { return x.name == key; });
      if (h == it->hparams.end()) {
        return InvalidArgument("model '{}' has no hyperparameter '{}'", name, key);
      }
      bool ok = h->default_value.is_number_integer() ? value.is_number_integer()
                : h->default_value.is_number()       ? value.is_number()
                                                     : value.type() == h->default_value.type();
      if (!ok) {
        return InvalidArgument("model '{}': hyperparameter '{}'={} has the wrong type (default {})",
                               name, key, value.dump(), h->default_value.dump());
      }
      spec.hparams[key] = h->default_value.is_number_float() ? nlohmann::json(value.get<double>()) : value;
    }
  }
  return spec;
}

Result<nlohmann::json> ParseHparams(std::string_view model, const std::vector<std::string>& pairs) {
  const auto& models = ListModels();
  auto it = std::find_if(models.begin(), models.end(),
                         [&](const ModelInfo& m) { return m.name == model; });
  if (it == models.end()) return InvalidArgument("unknown model '{}'", model);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& pair : pairs) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument("hyperparameter '{}': expected key=value", pair);
    }
    std::string key = pair.substr(0, eq), text = pair.substr(eq + 1);
    auto h = std::find_if(it->hparams.begin(), it->hparams.end(),
                          [&](const HparamInfo& x) { return x.name == key; });
    if (h == it->hparams.end()) {
      return InvalidArgument("model '{}' has no hyperparameter '{}'", model, key);
    }
    errno = 0;
    char* end = nullptr;
    if (h->default_value.is_number_integer()) {
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno != 0) {
        return InvalidArgument("hyperparameter '{}': '{}' is not an integer", key, text);
      }
      out[key] = static_cast<int64_t>(v);
    } else if (h->default_value.is_number()) {
      double v = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0' || errno != 0) {
        return InvalidArgument("hyperparameter '{}': '{}' is not a number", key, text);
      }
      out[key] = v;
    } else {
      out[key] = text;
    }
  }
  return out;
}

}  // namespace sl::ml
