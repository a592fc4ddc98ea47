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
    if (hidden > 0) {
      head_->push_back(torch::nn::Linear(embed, hidden));
      head_->push_back(torch::nn::ReLU());
      head_->push_back(torch::nn::Linear(hidden, classes));
    } else {
      head_->push_back(torch::nn::Linear(embed, classes));
    }
    register_module("head", head_);
  }
  torch::Tensor Forward(const Batch& b) override {
    return head_->forward(bag_->forward(b.ids, b.offsets));
  }

 private:
  torch::nn::EmbeddingBag bag_;
  torch::nn::Sequential head_;
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
