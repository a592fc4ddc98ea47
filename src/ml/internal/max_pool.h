// 2×2 max pooling with stride 2 (floor mode: an odd last row or column is dropped), as
// torch::max_pool2d(x, 2) computes it, for [N, C, H, W] tensors.
//
// Why not torch::max_pool2d alone: libtorch 1.13 on CPU always runs max_pool2d_with_indices,
// which also finds and stores the argmax of every window for a backward pass. For the cnn's two
// pools that was 2.4 ms of a 3.2 ms forward pass of 32 Fashion-MNIST images, while the maximum of
// the four strided views takes 0.24 ms and gives the same values (bench/serve_flask/
// pool_probe.py; docs/benchmarks.md "Serving: local tier vs Flask"). So without autograd
// (inference, evaluation) it takes the maximum of the views. With autograd on (training) it keeps
// max_pool2d: its gradient goes to one maximum of a window, torch::maximum's is split between
// equal maxima, which ReLU's zeros make common, so training results would change.
// Thread safety: a pure function of its input.
#pragma once

#include <torch/torch.h>

namespace sl::ml::internal {

inline torch::Tensor MaxPool2x2(const torch::Tensor& x) {
  if (torch::GradMode::is_enabled() || x.dim() != 4 || x.size(2) < 2 || x.size(3) < 2) {
    return torch::max_pool2d(x, 2);  // also for its errors (an input smaller than a window)
  }
  using torch::indexing::Slice;
  const int64_t h = x.size(2) - x.size(2) % 2, w = x.size(3) - x.size(3) % 2;
  const torch::Tensor even_rows = x.index({Slice(), Slice(), Slice(0, h, 2), Slice()});
  const torch::Tensor odd_rows = x.index({Slice(), Slice(), Slice(1, h, 2), Slice()});
  const torch::Tensor rows = torch::maximum(even_rows, odd_rows);
  return torch::maximum(rows.index({Slice(), Slice(), Slice(), Slice(0, w, 2)}),
                        rows.index({Slice(), Slice(), Slice(), Slice(1, w, 2)}));
}

}  // namespace sl::ml::internal
