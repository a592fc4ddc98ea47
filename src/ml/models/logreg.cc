// logreg: multinomial logistic regression on the flattened dense input (one linear layer).
#include "ml/models/models.h"

namespace sl::ml::models {
namespace {

class LogReg : public Net {
 public:
  LogReg(int64_t in, int64_t classes) : fc_(register_module("fc", torch::nn::Linear(in, classes))) {}
  torch::Tensor Forward(const Batch& b) override { return Dense(fc_, b.x.flatten(1)); }

 private:
  torch::nn::Linear fc_;
};

}  // namespace

ModelInfo LogRegInfo() {
  return {"logreg", "multinomial logistic regression on flattened dense input",
          {SampleKind::kDense}, {}};
}

Result<std::shared_ptr<Net>> MakeLogReg(const ModelSpec& spec) {
  return std::shared_ptr<Net>(std::make_shared<LogReg>(spec.input.Numel(), spec.num_classes));
}

}  // namespace sl::ml::models
