#!/usr/bin/python3
"""What 2x2 max pooling costs in PyTorch 1.13 on this CPU, without autograd: torch.max_pool2d
(which runs max_pool2d_with_indices) against the maximum of the four strided views (what
src/ml/internal/max_pool.h does for inference), at the cnn's two pooling shapes, 1 thread; checks
that the results are equal; then times the whole TorchScript cnn at batch 32 for scale.

  /usr/bin/python3 bench/serve_flask/pool_probe.py [MODULE.pt]   (MODULE: bench/serve_flask/make_model.py's output)
"""
import sys, time

import torch

torch.set_num_threads(1)


def micros(f, x, n=200):
    for _ in range(10):
        f(x)
    s = time.perf_counter()
    for _ in range(n):
        f(x)
    return (time.perf_counter() - s) / n * 1e6


def four_way(x):
    return torch.maximum(torch.maximum(x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2]),
                         torch.maximum(x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2]))


with torch.no_grad():
    for shape in [(32, 16, 28, 28), (32, 32, 14, 14), (128, 16, 28, 28)]:
        x = torch.relu(torch.randn(*shape))
        a = micros(lambda t: torch.max_pool2d(t, 2), x)
        b = micros(four_way, x)
        same = torch.equal(torch.max_pool2d(x, 2), four_way(x))
        print(f"{str(shape):18} max_pool2d {a:7.0f} us   four strided views {b:6.0f} us   "
              f"{a / b:5.1f}x   equal: {same}")
    if len(sys.argv) > 1:
        m = torch.jit.load(sys.argv[1])
        m.eval()
        print(f"whole TorchScript cnn, batch 32: {micros(m, torch.rand(32, 1, 28, 28)):.0f} us")
