#!/usr/bin/python3
"""Trains the small Fashion-MNIST CNN in PyTorch and saves it as ONE TorchScript file that both
servers of bench/serve_vs_flask.sh run: the Flask + PyTorch peer (flask_server.py) loads it with
torch.jit.load, and `straightline model import` wraps the same bytes into a straightline model
artifact (format "torchscript") that `straightline serve` runs through ml::Predictor.

The network is the `cnn` of src/ml/models/cnn.cc: conv3x3(16) -> ReLU -> maxpool2 ->
conv3x3(32) -> ReLU -> maxpool2 -> fc(128) -> ReLU -> fc(10). The module takes float
[n, 1, 28, 28] in the raw [0, 1] scale (pixel / 255) that ml::Predictor feeds (the "raw scale"
of src/ml/predictor.h) and normalises inside forward() with the train set's mean/std, so the
artifact needs no preprocessing block and the Flask peer feeds the same values. It returns
logits [n, 10].

The fully connected layers are nn.Linear parameters. forward() multiplies them with F.linear for
batches under 16 and as 1x1 convolutions of the same weights from 16 up — the trick of
straightline's native Dense layer (docs/benchmarks.md, "Training throughput"): Debian's libtorch
does matrix products with the reference BLAS, convolutions with oneDNN. Single-image requests
(all the Flask peer ever sees) take the F.linear path, which is the faster one at batch 1.

  /usr/bin/python3 bench/serve_flask/make_model.py --out-dir /tmp/slf \
      [--straightline build/straightline] [--epochs 2]
writes OUT/fmnist-cnn.pt, OUT/fmnist-cnn.json (name, input shape, class names, test accuracy)
and, with --straightline, the artifact OUT/models/fmnist-cnn/.
"""
import argparse, gzip, json, os, struct, subprocess, sys, time

import torch
import torch.nn.functional as F

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]
NAME = "fmnist-cnn"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8).reshape(dims)


class Cnn(torch.nn.Module):
    def __init__(self, mean: float, std: float, c1=16, c2=32, hidden=128, classes=10):
        super().__init__()
        self.mean = mean
        self.std = std
        self.conv1 = torch.nn.Conv2d(1, c1, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(c1, c2, 3, padding=1)
        self.fc1 = torch.nn.Linear(c2 * 7 * 7, hidden)
        self.fc2 = torch.nn.Linear(hidden, classes)

    @staticmethod
    def dense(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        if h.shape[0] < 16:
            return F.linear(h, weight, bias)
        w = weight.reshape(weight.shape[0], weight.shape[1], 1, 1)
        return F.conv2d(h.reshape(h.shape[0], h.shape[1], 1, 1), w, bias).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean) / self.std
        h = F.max_pool2d(F.relu(self.conv1(x)), 2)
        h = F.max_pool2d(F.relu(self.conv2(h)), 2)
        h = F.relu(self.dense(h.flatten(1), self.fc1.weight, self.fc1.bias))
        return self.dense(h, self.fc2.weight, self.fc2.bias)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--epochs", type=float, default=2)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--straightline", default="", help="straightline binary: also import the artifact")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    os.makedirs(a.out_dir, exist_ok=True)
    x = read_idx(a.data_dir + "/train-images-idx3-ubyte.gz").float().div_(255).unsqueeze(1)
    y = read_idx(a.data_dir + "/train-labels-idx1-ubyte.gz").long()
    tx = read_idx(a.data_dir + "/t10k-images-idx3-ubyte.gz").float().div_(255).unsqueeze(1)
    ty = read_idx(a.data_dir + "/t10k-labels-idx1-ubyte.gz").long()
    model = Cnn(float(x.mean()), float(x.std()))
    torch.jit.script(model)  # fail before training if the module does not script
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    steps = int(a.epochs * x.shape[0] / a.batch_size)
    t0 = time.perf_counter()
    model.train()
    done = 0
    while done < steps:
        order = torch.randperm(x.shape[0])
        for i in range(0, x.shape[0] - a.batch_size + 1, a.batch_size):
            if done == steps:
                break
            idx = order[i:i + a.batch_size]
            opt.zero_grad()
            F.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx)).backward()
            opt.step()
            done += 1
    train_s = time.perf_counter() - t0
    model.eval()
    scripted = torch.jit.script(model)
    with torch.no_grad():
        acc = float((scripted(tx).argmax(1) == ty).float().mean())
        # Both paths of dense() must agree: batch 1 (F.linear) vs the same image in a batch of 16.
        one = scripted(tx[:1])
        many = scripted(tx[:16])[:1]
        if not torch.allclose(one, many, atol=1e-4):
            sys.exit("make_model: F.linear and 1x1-convolution paths disagree")
    pt = os.path.join(a.out_dir, NAME + ".pt")
    torch.jit.save(scripted, pt + ".tmp")
    os.replace(pt + ".tmp", pt)
    meta = {"name": NAME, "input_shape": [1, 28, 28], "class_names": CLASSES,
            "test_accuracy": acc, "epochs": a.epochs, "train_seconds": train_s}
    with open(os.path.join(a.out_dir, NAME + ".json"), "w") as f:
        json.dump(meta, f)
    print(f"make_model: {pt}: {a.epochs} epochs in {train_s:.1f} s, test accuracy {acc:.4f}")
    if a.straightline:
        out = os.path.join(a.out_dir, "models", NAME)
        subprocess.run([a.straightline, "model", "import", pt, "--input-shape", "1,28,28",
                        "--classes", ",".join(CLASSES), "--out", out], check=True)
        print(f"make_model: imported into {out}")


if __name__ == "__main__":
    main()
