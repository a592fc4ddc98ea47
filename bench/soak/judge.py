#!/usr/bin/env python3
"""Judges whether the resources sampled by sample.py stayed flat.

  judge.py SAMPLES.csv [--warmup-frac 0.1] [--rss-tol 0.10] [--rss-slack-mb 16]
                       [--count-tol 0.2] [--count-slack 8] [--proc-slack 4] [--floor-q 0.1]
                       [--segments 6] [--json OUT]
  judge.py --self-test     (synthetic flat and leaking series: the rules below pass and fail them)

The first --warmup-frac of the run is warm-up (pools, arenas and warm function instances
filling) and not judged. Over the samples after it:

  * every process sampled from (nearly: 90 % of the ticks) the end of warm-up to the last tick,
    i.e. the servers themselves and their long-lived helpers (a platform's template process,
    instances warm the whole time), is judged on rss_kb, fds and threads;
  * every role's tree (the server and all its descendants) is judged on its number of processes
    (leaked instances, zombies); its summed RSS, fds and threads are reported, not judged, since
    they follow how many instances the load of the moment keeps warm.

A series is flat when
  (a) its growth from the first to the last third is at most the allowance:
      - RSS: growth of the median; allowance max(--rss-tol x first median, --rss-slack-mb);
      - counts (fds, threads, a tree's processes): the lesser growth of the median and of the
        floor (the --floor-q quantile, default 0.1). Function instances start and stop with the
        load (each holds descriptors and threads in its server, and processes), so the median
        follows how much of a third fell in bursts, and the floor dips when a client reconnects;
        what leaks stays and raises both. Allowance max(--count-tol x first level,
        --count-slack), --proc-slack for processes;
  (b) it is not rising steadily: the levels of --segments equal segments (each of them, for
      counts) do not rise at every step while rising in total by more than half the allowance.
With the defaults, a 180 MB server may grow by 18 MB between the first and the last third of the
judged period (for 30 min with 3 min of warm-up: 9 min apart in their middles), a server with
50 descriptors at its floor by 10, a tree of 14 processes by 4. Only growth counts; shrinking is
flat. Each role's server (depth 0) must be among the judged processes.

Prints markdown tables (the verdict per series; each server's and tree's values at the start,
after warm-up, in the middle and at the end) and exits 1 if anything judged is not flat.
"""
import argparse
import collections
import csv
import io
import json
import random
import statistics
import sys


def quantile(vals, q):
    s = sorted(vals)
    return s[min(len(s) - 1, int(q * len(s)))]


def judge_series(vals, allow_of, segments, levels):
    """levels: {name: function of a list of values}; the series grows by the least its levels grow."""
    n = len(vals)
    third = max(1, n // 3)
    seg = max(1, n // segments)
    segs = [vals[i * seg:(i + 1) * seg] for i in range(segments) if vals[i * seg:(i + 1) * seg]]
    first = {k: f(vals[:third]) for k, f in levels.items()}
    last = {k: f(vals[-third:]) for k, f in levels.items()}
    allow = allow_of(min(first.values()))
    growth = min(last[k] - first[k] for k in levels)
    seg_levels = {k: [f(v) for v in segs] for k, f in levels.items()}
    rising = len(segs) >= 3 and all(
        all(b > c for c, b in zip(ls, ls[1:])) and ls[-1] - ls[0] > allow / 2 for ls in seg_levels.values())
    flat = growth <= allow and not rising
    return {"first_third": first, "last_third": last, "growth": growth, "min": min(vals), "max": max(vals),
            "allowed_growth": allow, "segment_levels": seg_levels, "steadily_rising": rising, "flat": flat}


def judge(rows, a, out=sys.stdout):
    if not rows:
        print("no samples", file=out)
        return False, {}
    ticks = sorted({float(r["t_s"]) for r in rows})
    t_end = ticks[-1]
    t_warm = ticks[0] + a.warmup_frac * (t_end - ticks[0])
    post = [t for t in ticks if t >= t_warm]
    series = collections.defaultdict(list)   # (role, pid, comm, depth) -> [(t, rss, fds, threads)]
    trees = collections.defaultdict(lambda: collections.defaultdict(lambda: [0, 0, 0, 0]))
    for r in rows:
        t = float(r["t_s"])
        key = (r["role"], int(r["pid"]), r["comm"], int(r["depth"]))
        series[key].append((t, int(r["rss_kb"]), int(r["fds"]), int(r["threads"])))
        tr = trees[r["role"]][t]
        tr[0] += 1
        tr[1] += int(r["rss_kb"])
        tr[2] += max(0, int(r["fds"]))
        tr[3] += int(r["threads"])

    rss_allow = lambda first: max(a.rss_tol * first, a.rss_slack_mb * 1024)
    count_allow = lambda first: max(a.count_tol * first, a.count_slack)
    median = statistics.median
    floor = lambda v: quantile(v, a.floor_q)
    results = []
    ok_all = True
    for key, pts in sorted(series.items()):
        pts = [p for p in pts if p[0] >= t_warm]
        if len(post) < 6 or len(pts) < 0.9 * len(post):
            continue  # not alive for (nearly) the whole measured period
        res = {"role": key[0], "pid": key[1], "comm": key[2], "depth": key[3], "samples": len(pts)}
        for idx, name in ((1, "rss_kb"), (2, "fds"), (3, "threads")):
            res[name] = judge_series([p[idx] for p in pts], rss_allow if name == "rss_kb" else count_allow, a.segments,
                                     {"median": median} if name == "rss_kb" else {"median": median, "floor": floor})
            ok_all &= res[name]["flat"]
        results.append(res)

    tree_out = {}
    for role, by_t in sorted(trees.items()):
        ts = [t for t in sorted(by_t) if t >= t_warm]
        if len(ts) < 6:
            continue
        vals = [by_t[t] for t in ts]
        third = max(1, len(vals) // 3)
        procs = judge_series([v[0] for v in vals], lambda first: max(a.count_tol * first, a.proc_slack), a.segments,
                             {"median": median, "floor": floor})
        ok_all &= procs["flat"]
        tree_out[role] = {
            "processes": procs,
            "rss_mb_first_last_median": [statistics.median(v[1] for v in vals[:third]) / 1024,
                                         statistics.median(v[1] for v in vals[-third:]) / 1024],
            "rss_mb_max": max(v[1] for v in vals) / 1024,
            "fds_first_last_median": [statistics.median(v[2] for v in vals[:third]), statistics.median(v[2] for v in vals[-third:])],
            "threads_first_last_median": [statistics.median(v[3] for v in vals[:third]), statistics.median(v[3] for v in vals[-third:])],
        }

    missing = sorted({k[0] for k in series} - {r["role"] for r in results if r["depth"] == 0})
    print(f"samples: {len(ticks)} ticks over {t_end - ticks[0]:.0f} s; judged after {t_warm - ticks[0]:.0f} s of warm-up; "
          f"allowed growth last vs first third: RSS (median) max({a.rss_tol:g} x, {a.rss_slack_mb:g} MB), "
          f"fds, threads (median and floor q{a.floor_q:g}, the lesser growth) max({a.count_tol:g} x, {a.count_slack:g}), "
          f"tree processes (the same) max({a.count_tol:g} x, {a.proc_slack:g})", file=out)
    print("| role | process (pid, depth) | RSS MB median first → last third (min–max) | fds median/floor first → last (min–max) | threads median/floor first → last (min–max) | flat |", file=out)
    print("|---|---|---|---|---|---|", file=out)
    for r in results:
        rs, fd, th = r["rss_kb"], r["fds"], r["threads"]
        verdict = "yes" if rs["flat"] and fd["flat"] and th["flat"] else "**NO**"
        c = lambda x: f"{x['first_third']['median']:g}/{x['first_third']['floor']:g} → {x['last_third']['median']:g}/{x['last_third']['floor']:g} ({x['min']}–{x['max']})"
        print(f"| {r['role']} | {r['comm']} ({r['pid']}, {r['depth']}) | "
              f"{rs['first_third']['median'] / 1024:.1f} → {rs['last_third']['median'] / 1024:.1f} ({rs['min'] / 1024:.1f}–{rs['max'] / 1024:.1f}) | "
              f"{c(fd)} | {c(th)} | {verdict} |", file=out)
    for role, t in tree_out.items():
        p = t["processes"]
        print(f"tree {role}: processes (median/floor) {p['first_third']['median']:g}/{p['first_third']['floor']:g} → "
              f"{p['last_third']['median']:g}/{p['last_third']['floor']:g} ({p['min']}–{p['max']}) "
              f"{'flat' if p['flat'] else '**NOT FLAT**'}; summed RSS {t['rss_mb_first_last_median'][0]:.0f} → "
              f"{t['rss_mb_first_last_median'][1]:.0f} MB (max {t['rss_mb_max']:.0f}), fds {t['fds_first_last_median'][0]:g} → "
              f"{t['fds_first_last_median'][1]:g}, threads {t['threads_first_last_median'][0]:g} → {t['threads_first_last_median'][1]:g}",
              file=out)

    # each server's and tree's values at the start, after warm-up, in the middle and at the end
    marks = {"start": ticks[0], "warm": post[0] if post else ticks[0],
             "middle": min(ticks, key=lambda t: abs(t - (ticks[0] + t_end) / 2)), "end": t_end}
    milestones = {}
    print("\n| server | " + " | ".join(f"{m} (t={t:.0f} s): RSS MB / fds / threads" for m, t in marks.items()) + " |", file=out)
    print("|---" * (len(marks) + 1) + "|", file=out)
    for key, pts in sorted(series.items()):
        if key[3] != 0:
            continue
        by_t = {p[0]: p for p in pts}
        vals = {m: by_t.get(t) for m, t in marks.items()}
        milestones[f"{key[0]} {key[2]} ({key[1]})"] = {m: (list(v[1:]) if v else None) for m, v in vals.items()}
        print(f"| {key[0]} ({key[1]}) | " + " | ".join(
            f"{v[1] / 1024:.1f} / {v[2]} / {v[3]}" if v else "-" for v in vals.values()) + " |", file=out)
    for role, by_t in sorted(trees.items()):
        vals = {m: by_t.get(t) for m, t in marks.items()}
        milestones[f"{role} tree"] = {m: (list(v) if v else None) for m, v in vals.items()}
        print(f"| {role} tree (processes) | " + " | ".join(
            f"{v[1] / 1024:.0f} / {v[2]} / {v[3]} ({v[0]})" if v else "-" for v in vals.values()) + " |", file=out)

    if not results:
        print("nothing judged: too few samples", file=out)
        ok_all = False
    if missing:
        print(f"server not judged (not alive for the whole run?): {', '.join(missing)}", file=out)
        ok_all = False
    print("verdict:", "FLAT" if ok_all else "NOT FLAT", file=out)
    return ok_all, {"flat": ok_all, "processes": results, "trees": tree_out, "milestones": milestones,
                    "ticks": len(ticks), "seconds": t_end - ticks[0], "warmup_s": t_warm - ticks[0],
                    "tolerances": {"rss_tol": a.rss_tol, "rss_slack_mb": a.rss_slack_mb, "count_tol": a.count_tol,
                                   "count_slack": a.count_slack, "proc_slack": a.proc_slack, "floor_q": a.floor_q, "segments": a.segments, "warmup_frac": a.warmup_frac}}


def synthetic(minutes, interval, server, instances, seed=1):
    """Rows of a fake run: server(t) -> (rss_kb, fds, threads); instances(t) -> how many children
    (each a process, and 3 descriptors and 2 threads in the server)."""
    rnd = random.Random(seed)
    rows = []
    seen_pids = set()
    for k in range(int(minutes * 60 / interval) + 1):
        t = k * interval
        rss, fds, th = server(t)
        fds += 3 * instances(t)
        th += 2 * instances(t)
        rows.append({"t_s": f"{t:.1f}", "role": "gateway", "pid": "100", "comm": "straightline",
                     "rss_kb": str(int(rss + rnd.gauss(0, 2048))), "fds": str(int(fds + rnd.randint(-8, 8))),
                     "threads": str(th + rnd.randint(0, 3)), "depth": "0"})
        for i in range(instances(t)):
            rows.append({"t_s": f"{t:.1f}", "role": "gateway", "pid": str(1000 + i), "comm": "worker",
                         "rss_kb": "60000", "fds": "7", "threads": "1", "depth": "1"})
            seen_pids.add(1000 + i)
    return rows


def self_test(a):
    mb = 1024
    warm = lambda t: min(1.0, t / 60)  # one minute of warm-up: pools filling
    cases = {  # name -> (server, instances, expected flat)
        "flat with noise": (lambda t: (150 * mb + 30 * mb * warm(t), 40, 16), lambda t: 4 + int(4 * warm(t)), True),
        "slow RSS leak, 1.5 MB/min": (lambda t: (180 * mb + 1.5 * mb * t / 60, 40, 16), lambda t: 8, False),
        "fd leak, 1 a minute": (lambda t: (180 * mb, 40 + t // 60, 16), lambda t: 8, False),
        "thread leak, 1 a minute": (lambda t: (180 * mb, 40, 16 + t // 60), lambda t: 8, False),
        "instance leak, 1 every 3 min": (lambda t: (180 * mb, 40, 16), lambda t: 8 + int(t // 180), False),
        "RSS step in warm-up only": (lambda t: (180 * mb + (100 * mb if t > 60 else 0), 40, 16), lambda t: 8, True),
        # 8 instances for 25 s of every minute, more often in the last third (busier machine)
        "instance churn": (lambda t: (180 * mb, 40, 16),
                           lambda t: 4 + (8 if t % 60 < (25 if t < 1200 else 40) else 0), True),
        "instance churn and a leak, 1 every 3 min": (lambda t: (180 * mb, 40, 16),
                                                     lambda t: 4 + int(t // 180) + (8 if t % 60 < 25 else 0), False),
    }
    ok = True
    for name, (server, inst, want) in cases.items():
        got, _ = judge(synthetic(30, 5, server, inst), a, out=io.StringIO())
        print(f"self-test: {name}: {'flat' if got else 'not flat'} ({'ok' if got == want else 'WRONG'})")
        ok &= got == want
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("csv", nargs="?")
    ap.add_argument("--warmup-frac", type=float, default=0.1)
    ap.add_argument("--rss-tol", type=float, default=0.10)
    ap.add_argument("--rss-slack-mb", type=float, default=16)
    ap.add_argument("--count-tol", type=float, default=0.2)
    ap.add_argument("--count-slack", type=float, default=8)
    ap.add_argument("--proc-slack", type=float, default=4)
    ap.add_argument("--floor-q", type=float, default=0.1)
    ap.add_argument("--segments", type=int, default=6)
    ap.add_argument("--json")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test(a)
    if not a.csv:
        ap.error("SAMPLES.csv is required")
    ok, report = judge(list(csv.DictReader(open(a.csv))), a)
    if a.json:
        json.dump(report, open(a.json, "w"), indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
