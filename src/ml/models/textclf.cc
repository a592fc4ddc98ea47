// textclf: token ids → EmbeddingBag(mean) of width `embed` → (optional ReLU hidden layer of
// width `hidden`) → logits. Works with any featurizer that produces ids in [0, vocab_size).
#include "ml/models/models.h"

namespace sl::ml::models {
namespace {

class TextClf : public Net {
 public:
  TextClf(int64_t vocab, int64_t embed, int64_t hidden, int64_t classes)
      : bag_(register_module("bag", torch::nn::EmbeddingBag(torch::nn::EmbeddingBagOptions(vocab, embed)
                                                                .mode(torch::kMean)))) {
    if (hidden > 0) hidden_ = register_module("hidden", torch::nn::Linear(embed, hidden));
    out_ = register_module("out", torch::nn::Linear(hidden > 0 ? hidden : embed, classes));
  }
  torch::Tensor Forward(const Batch& b) override {
    torch::Tensor h = bag_->forward(b.ids, b.offsets);
    if (hidden_) h = torch::relu(Dense(hidden_, h));
    return Dense(out_, h);
  }

 private:
  torch::nn::EmbeddingBag bag_;
  torch::nn::Linear hidden_{nullptr};
  torch::nn::Linear out_{nullptr};
};

}  // namespace

ModelInfo TextClfInfo() {
  return {"textclf",
          "EmbeddingBag (mean) over token ids, then a linear or one-hidden-layer head",
          {SampleKind::kTokens},
          {{"embed", 64, "embedding width"},
           {"hidden", 0, "hidden layer width (0: linear head)"}}};
}

Result<std::shared_ptr<Net>> MakeTextClf(const ModelSpec& spec) {
  int64_t embed = HparamInt(spec, "embed"), hidden = HparamInt(spec, "hidden");
  if (spec.input.vocab_size < 1) {
    return InvalidArgument("textclf: vocab_size={} must be >= 1", spec.input.vocab_size);
  }
  if (embed < 1 || hidden < 0) {
    return InvalidArgument("textclf: embed={} must be >= 1 and hidden={} >= 0", embed, hidden);
  }
  return std::shared_ptr<Net>(
      std::make_shared<TextClf>(spec.input.vocab_size, embed, hidden, spec.num_classes));
}

}  // namespace sl::ml::models
