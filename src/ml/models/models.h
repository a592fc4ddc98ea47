// Internal: one entry per model file. To add a model: write models/<name>.cc defining
// <Name>Info() and Make<Name>(), declare them here, and add one line to models/registry.cc.
#pragma once

#include "ml/internal/net.h"
#include "ml/model_spec.h"

namespace sl::ml::models {

ModelInfo LogRegInfo();
Result<std::shared_ptr<Net>> MakeLogReg(const ModelSpec& spec);

ModelInfo MlpInfo();
Result<std::shared_ptr<Net>> MakeMlp(const ModelSpec& spec);

ModelInfo CnnInfo();
Result<std::shared_ptr<Net>> MakeCnn(const ModelSpec& spec);

ModelInfo ResNetInfo();
Result<std::shared_ptr<Net>> MakeResNet(const ModelSpec& spec);

ModelInfo TextClfInfo();
Result<std::shared_ptr<Net>> MakeTextClf(const ModelSpec& spec);

// The factory registered for `name` (NOT_FOUND if none). "torchscript" has no factory: imported
// models are run by the Predictor only.
Result<NetFactory> FindFactory(std::string_view name);

}  // namespace sl::ml::models
