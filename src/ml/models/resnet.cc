// resnet: the residual network of He et al. (CVPR 2016), built from libtorch modules. The default
// hyperparameters are ResNet-18 exactly as torchvision builds it for 224 x 224 inputs: a 7x7/2
// conv stem with 3x3/2 max pooling, four stages of `blocks` basic blocks (two 3x3 convs with batch
// norm and an identity or 1x1/2 projection shortcut) at width, 2x, 4x and 8x width channels,
// global average pooling and one fully connected layer: 11.2 M parameters for 10 classes, about
// 1.8 GFLOPs per 224 x 224 image. It is the serving workload of issue 21 §4: one request costs
// tens to hundreds of milliseconds of CPU, as the StraightLine paper's Xception requests do,
// instead of the cnn's ~0.1 ms. width=8 or 16 makes a small, fast variant for tests; stem=cifar
// (3x3/1, no pooling) suits 32 x 32 inputs.
// Batch norm keeps running statistics (buffers), which the artifact stores with the weights.
#include "ml/models/models.h"

namespace sl::ml::models {
namespace {

class BasicBlock : public torch::nn::Module {
 public:
  BasicBlock(int64_t in, int64_t out, int64_t stride)
      : conv1_(register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3)
                                                              .stride(stride).padding(1).bias(false)))),
        bn1_(register_module("bn1", torch::nn::BatchNorm2d(out))),
        conv2_(register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(out, out, 3)
                                                              .padding(1).bias(false)))),
        bn2_(register_module("bn2", torch::nn::BatchNorm2d(out))) {
    if (stride != 1 || in != out) {
      down_conv_ = register_module(
          "down_conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)));
      down_bn_ = register_module("down_bn", torch::nn::BatchNorm2d(out));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor h = torch::relu(bn1_->forward(conv1_->forward(x)));
    h = bn2_->forward(conv2_->forward(h));
    torch::Tensor shortcut = down_conv_ ? down_bn_->forward(down_conv_->forward(x)) : x;
    return torch::relu(h + shortcut);
  }

 private:
  torch::nn::Conv2d conv1_;
  torch::nn::BatchNorm2d bn1_;
  torch::nn::Conv2d conv2_;
  torch::nn::BatchNorm2d bn2_;
  torch::nn::Conv2d down_conv_{nullptr};
  torch::nn::BatchNorm2d down_bn_{nullptr};
};

class ResNet : public Net {
 public:
  ResNet(int64_t channels, int64_t width, int64_t blocks, bool imagenet_stem, int64_t classes)
      : imagenet_stem_(imagenet_stem),
        stem_(register_module("stem", torch::nn::Conv2d(
                                          torch::nn::Conv2dOptions(channels, width, imagenet_stem ? 7 : 3)
                                              .stride(imagenet_stem ? 2 : 1)
                                              .padding(imagenet_stem ? 3 : 1)
                                              .bias(false)))),
        stem_bn_(register_module("stem_bn", torch::nn::BatchNorm2d(width))) {
    int64_t in = width;
    for (int64_t stage = 0; stage < 4; ++stage) {
      const int64_t out = width << stage;
      for (int64_t b = 0; b < blocks; ++b) {
        const int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
        blocks_.push_back(register_module(fmt::format("layer{}_{}", stage + 1, b),
                                          std::make_shared<BasicBlock>(in, out, stride)));
        in = out;
      }
    }
    fc_ = register_module("fc", torch::nn::Linear(in, classes));
  }

  torch::Tensor Forward(const Batch& b) override {
    torch::Tensor h = torch::relu(stem_bn_->forward(stem_->forward(b.x)));
    if (imagenet_stem_) h = torch::max_pool2d(h, 3, 2, 1);
    for (auto& block : blocks_) h = block->forward(h);
    return Dense(fc_, h.mean({2, 3}));
  }

 private:
  bool imagenet_stem_;
  torch::nn::Conv2d stem_;
  torch::nn::BatchNorm2d stem_bn_;
  std::vector<std::shared_ptr<BasicBlock>> blocks_;
  torch::nn::Linear fc_{nullptr};
};

}  // namespace

ModelInfo ResNetInfo() {
  return {"resnet",
          "ResNet (He et al. 2016); the defaults are ResNet-18 for 224x224 images (11.2 M "
          "parameters); width shrinks it",
          {SampleKind::kDense},
          {{"width", 64, "channels of the first stage (ResNet-18: 64; doubled per stage)"},
           {"blocks", 2, "basic blocks per stage (ResNet-18: 2)"},
           {"stem", std::string("imagenet"),
            "imagenet (7x7/2 conv + 3x3/2 max pool; inputs >= 64x64) or cifar (3x3/1; >= 16x16)"}}};
}

Result<std::shared_ptr<Net>> MakeResNet(const ModelSpec& spec) {
  const auto& shape = spec.input.shape;
  const std::string stem = spec.hparams.at("stem").get<std::string>();
  if (stem != "imagenet" && stem != "cifar") {
    return InvalidArgument("resnet: stem='{}' is not imagenet or cifar", stem);
  }
  // The last stage must keep at least 2x2 positions: batch norm in training needs more than one
  // value per channel even for a batch of one.
  const int64_t min_side = stem == "imagenet" ? 64 : 16;
  if (shape.size() != 3 || shape[1] < min_side || shape[2] < min_side) {
    return InvalidArgument("resnet: input shape {} is not C×H×W with H, W >= {} (stem={})",
                           spec.input.ShapeString(), min_side, stem);
  }
  const int64_t width = HparamInt(spec, "width"), blocks = HparamInt(spec, "blocks");
  if (width < 1 || width > 512 || blocks < 1 || blocks > 16) {
    return InvalidArgument("resnet: width={} must be in 1..512 and blocks={} in 1..16", width, blocks);
  }
  return std::shared_ptr<Net>(std::make_shared<ResNet>(shape[0], width, blocks, stem == "imagenet",
                                                       spec.num_classes));
}

}  // namespace sl::ml::models
