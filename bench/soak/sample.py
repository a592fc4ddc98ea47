#!/usr/bin/env python3
"""Samples the resources of server processes and their descendants into a CSV, every few seconds.

  sample.py --out FILE.csv --interval 5 ROLE=PID [ROLE=PID ...]

One row per process per tick: t_s (seconds since start), role, pid, ppid, comm, rss_kb, fds,
threads, depth (0: the server process itself, 1: its children, ...). Runs until SIGTERM/SIGINT or
until every root process is gone. Reads /proc only (no ps, no forks), so sampling costs little.
"""
import argparse
import os
import signal
import sys
import time

stop = False


def on_signal(_sig, _frame):
    global stop
    stop = True


def status_fields(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("Name", "PPid", "VmRSS", "Threads"):
                    out[k] = v.strip()
    except OSError:
        return None
    return out


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def children(pid):
    kids = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    kids += [int(x) for x in f.read().split()]
            except OSError:
                pass
    except OSError:
        pass
    return kids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--interval", type=float, default=5.0)
    ap.add_argument("roots", nargs="+", help="ROLE=PID")
    a = ap.parse_args()
    roots = []
    for r in a.roots:
        role, _, pid = r.partition("=")
        roots.append((role, int(pid)))
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    t0 = time.monotonic()
    new = not os.path.exists(a.out)
    with open(a.out, "a", buffering=1) as f:
        if new:
            f.write("t_s,role,pid,ppid,comm,rss_kb,fds,threads,depth\n")
        while not stop:
            t = time.monotonic() - t0
            alive = 0
            for role, root in roots:
                frontier = [(root, 0)]
                seen = set()
                while frontier:
                    pid, depth = frontier.pop()
                    if pid in seen:
                        continue
                    seen.add(pid)
                    st = status_fields(pid)
                    if st is None:
                        continue
                    if depth == 0:
                        alive += 1
                    rss = int(st.get("VmRSS", "0 kB").split()[0]) if "VmRSS" in st else 0
                    comm = st.get("Name", "?").replace(",", "_")
                    f.write(f"{t:.1f},{role},{pid},{st.get('PPid', '0')},{comm},{rss},{fd_count(pid)},"
                            f"{st.get('Threads', '0')},{depth}\n")
                    frontier += [(c, depth + 1) for c in children(pid)]
            if alive == 0:
                break
            end = time.monotonic() + a.interval
            while not stop and time.monotonic() < end:
                time.sleep(min(0.2, end - time.monotonic()) if end > time.monotonic() else 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
