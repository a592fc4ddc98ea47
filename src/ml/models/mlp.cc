// mlp: flattened dense input → `layers` hidden ReLU layers of width `hidden` (dropout between)
// → logits.
#include "ml/models/models.h"

namespace sl::ml::models {
namespace {

class Mlp : public Net {
 public:
  Mlp(int64_t in, int64_t hidden, int64_t layers, double dropout, int64_t classes)
      : dropout_(dropout) {
    int64_t width = in;
    for (int64_t i = 0; i <= layers; ++i) {
      const int64_t out = i < layers ? hidden : classes;
      fcs_.push_back(register_module("fc" + std::to_string(i), torch::nn::Linear(width, out)));
      width = out;
    }
  }
  torch::Tensor Forward(const Batch& b) override {
    torch::Tensor h = b.x.flatten(1);
    for (size_t i = 0; i + 1 < fcs_.size(); ++i) {
      h = torch::relu(Dense(fcs_[i], h));
      if (dropout_ > 0) h = torch::dropout(h, dropout_, is_training());
    }
    return Dense(fcs_.back(), h);
  }

 private:
  std::vector<torch::nn::Linear> fcs_;  // hidden layers, then the output layer
  double dropout_;
};

}  // namespace

ModelInfo MlpInfo() {
  return {"mlp",
          "multi-layer perceptron on flattened dense input",
          {SampleKind::kDense},
          {{"hidden", 256, "width of each hidden layer"},
           {"layers", 2, "number of hidden layers"},
           {"dropout", 0.0, "dropout probability after each hidden layer"}}};
}

Result<std::shared_ptr<Net>> MakeMlp(const ModelSpec& spec) {
  int64_t hidden = HparamInt(spec, "hidden"), layers = HparamInt(spec, "layers");
  double dropout = HparamDouble(spec, "dropout");
  if (hidden < 1) return InvalidArgument("mlp: hidden={} must be >= 1", hidden);
  if (layers < 0 || layers > 16) return InvalidArgument("mlp: layers={} must be in [0, 16]", layers);
  if (dropout < 0 || dropout >= 1) return InvalidArgument("mlp: dropout={} must be in [0, 1)", dropout);
  return std::shared_ptr<Net>(
      std::make_shared<Mlp>(spec.input.Numel(), hidden, layers, dropout, spec.num_classes));
}

}  // namespace sl::ml::models
