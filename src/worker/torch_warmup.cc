#include "worker/torch_warmup.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

namespace sl::runtime {

int WarmUpTorch() {
  // Single-threaded on purpose: intra-op thread pools do not survive fork, so the template
  // must not start them.
  at::set_num_threads(1);
  at::Tensor t = at::ones({4, 4});
  at::Tensor u = at::matmul(t, t);
  return u.numel() > 0 ? 1 : 0;
}

}  // namespace sl::runtime
