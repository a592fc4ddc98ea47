#!/usr/bin/python3
"""Images/s of a TorchScript model per core under torch.no_grad() and torch.inference_mode(), at
batch sizes in the order given (order matters: with glibc's default malloc thresholds, a batch-1
pass before batch 32 leaves later batch-32 passes page-faulting their activations in).
docs/benchmarks.md, "Serving: local tier vs Flask + PyTorch", cites its output; run it with and
without MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456 in the environment.

  /usr/bin/python3 bench/serve_flask/torch_mode_probe.py MODEL.pt [BATCH ...]   (default 32 1 16 32)
"""
import sys, time, torch

torch.set_num_threads(1)
m = torch.jit.load(sys.argv[1]); m.eval()
batches = [int(b) for b in sys.argv[2:]] or [32, 1, 16, 32]
for name, mode in (("no_grad", torch.no_grad), ("inference_mode", torch.inference_mode)):
    rates = []
    for b in batches:
        x = torch.rand(b, 1, 28, 28)
        with mode():
            for _ in range(3): m(x)
            n, t = 0, time.perf_counter()
            while time.perf_counter() - t < 1.0:
                m(x); n += b
        rates.append(f"batch {b}: {n / (time.perf_counter() - t):.0f}")
    print(f"{name:15} " + ", ".join(rates))
