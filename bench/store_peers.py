#!/usr/bin/env python3
"""Peers for bench/store_bench.sh, printed in store_throughput's table format.

  store_peers.py cp  WORKDIR SIZES OPS   plain `cp`, one process per object (put: source -> a
                                         directory tree; get: back out)
  store_peers.py aws WORKDIR SIZES OPS   /usr/bin/aws s3 cp against $AWS_ENDPOINT_URL: the N objects
                                         of a size in one `--recursive` invocation (the CLI's own
                                         10-way concurrency, one Python start-up); per-op latency
                                         from three single-object copies
"""
import os
import random
import shutil
import subprocess
import sys
import time

AWS = "/usr/bin/aws"  # the Debian awscli; a different `aws` may be first on PATH


def name(n):
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n >> 10} KiB"
    return f"{n} B"


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]


def row(peer, op, size, n, wall, lat):
    print(f"{peer:<10} {op:<4} {name(size):>8} {n:>5} {1:>4} {size * n / wall / 1e6:>10.3f} "
          f"{pct(lat, .5) * 1e3:>10.3f} {pct(lat, .95) * 1e3:>10.3f} {max(lat) * 1e3:>10.3f}", flush=True)


def run(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def timed(cmds):
    t0 = time.perf_counter()
    lat = [run(c) for c in cmds]
    return time.perf_counter() - t0, lat


def main():
    mode, work = sys.argv[1], sys.argv[2]
    sizes = [int(x) for x in sys.argv[3].split(",")]
    ops = [int(x) for x in sys.argv[4].split(",")]
    print(f"{'peer':<10} {'op':<4} {'size':>8} {'ops':>5} {'thr':>4} {'MB/s':>10} {'p50 ms':>10} {'p95 ms':>10} {'max ms':>10}")
    for size, n in zip(sizes, ops):
        src = os.path.join(work, f"peer-src-{size}")
        with open(src, "wb") as f:
            f.write(random.randbytes(size))
        if mode == "cp":
            tree = os.path.join(work, "cp-store", str(size))
            os.makedirs(tree, exist_ok=True)
            wall, lat = timed([["cp", src, os.path.join(tree, f"{i:05}")] for i in range(n)])
            row("cp", "put", size, n, wall, lat)
            # Every get writes a new file (see store_throughput.cc): removed after the size.
            dsts = [os.path.join(work, f"cp-dst-{size}-{i % 64}") for i in range(n)]
            wall, lat = timed([["cp", os.path.join(tree, f"{i:05}"), dsts[i]] for i in range(n)])
            row("cp", "get", size, n, wall, lat)
            shutil.rmtree(tree)
            for d in set(dsts):
                os.remove(d)
            continue
        ep = ["--endpoint-url", os.environ["AWS_ENDPOINT_URL"]]
        up = os.path.join(work, f"aws-up-{size}")
        os.makedirs(up, exist_ok=True)
        for i in range(n):
            os.link(src, os.path.join(up, f"{i:05}"))
        wall = run([AWS, *ep, "s3", "cp", "--recursive", "--quiet", up, f"s3://bench/awscli/{size}/"])
        _, lat = timed([[AWS, *ep, "s3", "cp", "--quiet", src, f"s3://bench/awscli-one/{size}/{i}"] for i in range(3)])
        row("aws-cli", "put", size, n, wall, lat)
        down = os.path.join(work, f"aws-down-{size}")
        wall = run([AWS, *ep, "s3", "cp", "--recursive", "--quiet", f"s3://bench/awscli/{size}/", down])
        _, lat = timed([[AWS, *ep, "s3", "cp", "--quiet", f"s3://bench/awscli-one/{size}/{i}", os.path.join(work, "aws-dst")]
                        for i in range(3)])
        row("aws-cli", "get", size, n, wall, lat)
        shutil.rmtree(up)
        shutil.rmtree(down)
        subprocess.run([AWS, *ep, "s3", "rm", "--recursive", "--quiet", "s3://bench/"], check=True)


if __name__ == "__main__":
    main()
