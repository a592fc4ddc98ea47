#include "ml/internal/max_pool.h"

#include <gtest/gtest.h>

namespace sl::ml::internal {
namespace {

TEST(MaxPool2x2, WithoutAutogradEqualsMaxPool2dExactlyIncludingOddSizes) {
  torch::manual_seed(3);
  for (auto shape : {std::vector<int64_t>{3, 4, 28, 28}, {2, 3, 7, 9}, {1, 1, 2, 2}, {5, 2, 3, 2}}) {
    // ReLU makes ties (zeros) common, as in the cnn.
    const torch::Tensor x = torch::relu(torch::randn(shape));
    const torch::Tensor want = torch::max_pool2d(x, 2);
    torch::NoGradGuard no_grad;
    const torch::Tensor got = MaxPool2x2(x);
    EXPECT_EQ(got.sizes(), want.sizes()) << x.sizes();
    EXPECT_TRUE(torch::equal(got, want)) << x.sizes();
  }
  // An input smaller than one window is max_pool2d's error, not an empty result.
  torch::NoGradGuard no_grad;
  EXPECT_THROW(MaxPool2x2(torch::zeros({1, 1, 1, 4})), c10::Error);
}

TEST(MaxPool2x2, WithAutogradKeepsMaxPool2dAndItsGradient) {
  torch::manual_seed(4);
  const torch::Tensor x = torch::relu(torch::randn({2, 2, 4, 4})).requires_grad_(true);
  MaxPool2x2(x).sum().backward();
  const torch::Tensor y = x.detach().clone().requires_grad_(true);
  torch::max_pool2d(y, 2).sum().backward();
  // max_pool2d's gradient: exactly one 1 per window, even where a window is all zeros.
  EXPECT_TRUE(torch::equal(x.grad(), y.grad()));
  EXPECT_EQ(x.grad().sum().item<float>(), 2 * 2 * 2 * 2);
}

}  // namespace
}  // namespace sl::ml::internal
