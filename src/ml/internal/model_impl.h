// Internal (torch): what a Model holds. The net stays in eval mode except inside Train().
#pragma once

#include <memory>

#include "ml/internal/net.h"
#include "ml/model.h"

namespace sl::ml {

struct Model::Impl {
  ModelSpec spec;
  std::shared_ptr<Net> net;
};

}  // namespace sl::ml
