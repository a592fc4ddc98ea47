// Internal (torch): what a Model holds. The net stays in eval mode except inside Train().
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ml/internal/net.h"
#include "ml/model.h"

namespace sl::ml {

struct Model::Impl {
  ModelSpec spec;
  std::shared_ptr<Net> net;
};

// Every parameter and buffer by its dotted name, in registration order: the one order in which
// weights are copied, serialized, loaded and averaged (AverageModelsInto and OrderedAverage must
// walk the same tensors in the same order to give the same bits).
inline std::vector<std::pair<std::string, torch::Tensor>> NamedState(const Net& net) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& p : net.named_parameters()) out.emplace_back(p.key(), p.value());
  for (const auto& b : net.named_buffers()) out.emplace_back(b.key(), b.value());
  return out;
}

}  // namespace sl::ml
