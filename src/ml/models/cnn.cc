// cnn: a small conv net for C×H×W images (28×28×1 Fashion-MNIST, 32×32×3 CIFAR-10, ...):
//   [conv3x3(c1) → ReLU → maxpool2] → [conv3x3(c2) → ReLU → maxpool2] → fc(hidden) → ReLU
//   → dropout → fc(classes).
// The same architecture is written in PyTorch in bench/train_throughput_pytorch.py.
#include "ml/internal/max_pool.h"
#include "ml/models/models.h"

namespace sl::ml::models {
namespace {

class Cnn : public Net {
 public:
  Cnn(int64_t channels, int64_t height, int64_t width, int64_t c1, int64_t c2, int64_t hidden,
      double dropout, int64_t classes)
      : conv1_(register_module(
            "conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, c1, 3).padding(1)))),
        conv2_(register_module("conv2",
                               torch::nn::Conv2d(torch::nn::Conv2dOptions(c1, c2, 3).padding(1)))),
        fc1_(register_module("fc1", torch::nn::Linear(c2 * (height / 4) * (width / 4), hidden))),
        fc2_(register_module("fc2", torch::nn::Linear(hidden, classes))),
        dropout_(dropout) {}

  torch::Tensor Forward(const Batch& b) override {
    torch::Tensor h = internal::MaxPool2x2(torch::relu(conv1_->forward(b.x)));
    h = internal::MaxPool2x2(torch::relu(conv2_->forward(h)));
    h = torch::relu(Dense(fc1_, h.flatten(1)));
    if (dropout_ > 0) h = torch::dropout(h, dropout_, is_training());
    return Dense(fc2_, h);
  }

 private:
  torch::nn::Conv2d conv1_, conv2_;
  torch::nn::Linear fc1_, fc2_;
  double dropout_;
};

}  // namespace

ModelInfo CnnInfo() {
  return {"cnn",
          "two conv3x3+maxpool blocks and two fully connected layers, for C×H×W images",
          {SampleKind::kDense},
          {{"conv1", 16, "channels of the first conv layer"},
           {"conv2", 32, "channels of the second conv layer"},
           {"hidden", 128, "width of the fully connected hidden layer"},
           {"dropout", 0.0, "dropout probability before the output layer"}}};
}

Result<std::shared_ptr<Net>> MakeCnn(const ModelSpec& spec) {
  const auto& shape = spec.input.shape;
  if (shape.size() != 3 || shape[1] < 4 || shape[2] < 4) {
    return InvalidArgument("cnn: input shape {} is not C×H×W with H, W >= 4",
                           spec.input.ShapeString());
  }
  int64_t c1 = HparamInt(spec, "conv1"), c2 = HparamInt(spec, "conv2"),
          hidden = HparamInt(spec, "hidden");
  double dropout = HparamDouble(spec, "dropout");
  if (c1 < 1 || c2 < 1 || hidden < 1) {
    return InvalidArgument("cnn: conv1={}, conv2={}, hidden={} must all be >= 1", c1, c2, hidden);
  }
  if (dropout < 0 || dropout >= 1) return InvalidArgument("cnn: dropout={} must be in [0, 1)", dropout);
  return std::shared_ptr<Net>(std::make_shared<Cnn>(shape[0], shape[1], shape[2], c1, c2, hidden,
                                                    dropout, spec.num_classes));
}

}  // namespace sl::ml::models
