#!/usr/bin/python3
"""PyTorch peer of bench/train_throughput: the same `cnn` (src/ml/models/cnn.cc: conv3x3(16)
-> ReLU -> maxpool2 -> conv3x3(32) -> ReLU -> maxpool2 -> fc(128) -> ReLU -> fc(10)), Adam
lr 1e-3, the same batch size, thread count, warm-up and timed steps, on Fashion-MNIST normalised
the same way (per-channel mean/std of the train samples), batches gathered from one contiguous
tensor with a shuffled index, as an idiomatic tuned PyTorch loop would do. The fully connected
layers are plain nn.Linear, as any PyTorch user writes them; straightline computes the same
products as 1x1 oneDNN convolutions because Debian's libtorch multiplies matrices with the
reference BLAS (see docs/benchmarks.md).

Run with Debian's interpreter: /usr/bin/python3 bench/train_throughput_pytorch.py --threads 1
"""
import argparse, gzip, json, struct, time

import torch


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


class Cnn(torch.nn.Module):
    def __init__(self, c1=16, c2=32, hidden=128, classes=10):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, c1, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(c1, c2, 3, padding=1)
        self.fc1 = torch.nn.Linear(c2 * 7 * 7, hidden)
        self.fc2 = torch.nn.Linear(hidden, classes)

    def forward(self, x):
        h = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        h = torch.max_pool2d(torch.relu(self.conv2(h)), 2)
        h = torch.relu(self.fc1(h.flatten(1)))
        return self.fc2(h)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--limit", type=int, default=30000)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x = read_idx(a.data_dir + "/train-images-idx3-ubyte.gz")[: a.limit].float().div_(255).unsqueeze(1)
    y = read_idx(a.data_dir + "/train-labels-idx1-ubyte.gz")[: a.limit].long()
    x = (x - x.mean()) / x.std()
    model = Cnn()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()

    def run(steps):
        done = 0
        samples = 0
        while done < steps:
            order = torch.randperm(x.shape[0])
            for i in range(0, x.shape[0], a.batch_size):
                if done == steps:
                    break
                idx = order[i:i + a.batch_size]
                xb, yb = x.index_select(0, idx), y.index_select(0, idx)
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(xb), yb)
                loss.backward()
                opt.step()
                done += 1
                samples += idx.shape[0]
        return samples

    run(a.warmup)
    t = time.perf_counter()
    samples = run(a.steps)
    secs = time.perf_counter() - t
    if a.json:
        print(json.dumps({"impl": "pytorch", "model": "cnn", "threads": a.threads,
                          "batch_size": a.batch_size, "steps": a.steps, "samples": samples,
                          "seconds": secs, "samples_per_second": samples / secs}))
    else:
        print(f"pytorch cnn threads={a.threads} batch={a.batch_size}: {samples} samples in "
              f"{secs:.2f} s = {samples / secs:.0f} samples/s")


if __name__ == "__main__":
    main()
