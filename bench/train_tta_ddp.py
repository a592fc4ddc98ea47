#!/usr/bin/python3
"""PyTorch DistributedDataParallel peer of the issue-5 time-to-accuracy benchmark
(bench/train_tta.sh): the same `cnn` as straightline's (src/ml/models/cnn.cc, the class is
shared with bench/train_throughput_pytorch.py: conv3x3(16) -> ReLU -> maxpool2 -> conv3x3(32)
-> ReLU -> maxpool2 -> fc(128) -> ReLU -> fc(10), no dropout), Adam lr 1e-3, batch 64 per
process, on Fashion-MNIST from the Debian dataset files, normalised with the train mean/std.
The train pool is split like straightline's (the last 10 % held out for validation is not
trained on). WORLD processes (default 2), gloo backend, 1 intra-op thread each, each training on
its DistributedSampler half; gradients are all-reduced every step (DDP).

After every epoch rank 0 evaluates the test set (not timed). It stops at the first epoch whose
test accuracy reaches --target and prints one JSON line: seconds from launch (process spawn,
data load, process-group set-up and training; evaluation excluded), epochs, test accuracy.

Run: /usr/bin/python3 bench/train_tta_ddp.py --world 2 --target 0.88
"""
import argparse, json, os, sys, time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_throughput_pytorch import Cnn, read_idx  # noqa: E402


def load(data_dir, validation_fraction):
    x = read_idx(data_dir + "/train-images-idx3-ubyte.gz").float().div_(255).unsqueeze(1)
    y = read_idx(data_dir + "/train-labels-idx1-ubyte.gz").long()
    tx = read_idx(data_dir + "/t10k-images-idx3-ubyte.gz").float().div_(255).unsqueeze(1)
    ty = read_idx(data_dir + "/t10k-labels-idx1-ubyte.gz").long()
    keep = x.shape[0] - int(x.shape[0] * validation_fraction)
    x, y = x[:keep], y[:keep]
    mean, std = x.mean(), x.std()
    return (x - mean) / std, y, (tx - mean) / std, ty


def worker(rank, a, t0, out):
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(a.port)
    dist.init_process_group("gloo", rank=rank, world_size=a.world)
    torch.manual_seed(a.seed)
    x, y, tx, ty = load(a.data_dir, a.validation_fraction)
    model = torch.nn.parallel.DistributedDataParallel(Cnn())
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    g = torch.Generator()
    eval_s = 0.0
    for epoch in range(1, a.max_epochs + 1):
        g.manual_seed(a.seed * 1000 + epoch)
        order = torch.randperm(x.shape[0], generator=g)[rank::a.world]
        model.train()
        for i in range(0, order.shape[0], a.batch_size):
            idx = order[i:i + a.batch_size]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx))
            loss.backward()
            opt.step()
        dist.barrier()
        e0 = time.time()
        acc = torch.zeros(1)
        if rank == 0:
            model.eval()
            with torch.no_grad():
                correct = 0
                for i in range(0, tx.shape[0], 1000):
                    correct += (model.module(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum().item()
            acc[0] = correct / tx.shape[0]
        dist.broadcast(acc, 0)
        eval_s += time.time() - e0
        if rank == 0:
            print(f"ddp epoch {epoch}: test accuracy {acc.item():.4f}, "
                  f"{time.time() - t0 - eval_s:.1f} s", file=sys.stderr, flush=True)
        if acc.item() >= a.target or epoch == a.max_epochs:
            if rank == 0:
                out.put({"impl": "pytorch-ddp", "world": a.world, "backend": "gloo",
                         "seconds": time.time() - t0 - eval_s, "epochs": epoch,
                         "test_accuracy": round(acc.item(), 4), "reached": acc.item() >= a.target})
            break
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--world", type=int, default=2)
    p.add_argument("--target", type=float, default=0.88)
    p.add_argument("--max-epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--validation-fraction", type=float, default=0.1)
    p.add_argument("--port", type=int, default=29517)
    a = p.parse_args()
    t0 = time.time()
    ctx = mp.get_context("spawn")
    out = ctx.SimpleQueue()
    mp.start_processes(worker, args=(a, t0, out), nprocs=a.world, start_method="spawn")
    print(json.dumps(out.get()))


if __name__ == "__main__":
    main()
