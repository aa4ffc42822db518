#!/usr/bin/env python3
"""Side-by-side timing of two whole-process commands, as alternating pairs (A, B, A, B, ...), so
that machine noise hits both alike. Prints each command's median wall time with its range, and
the ratio of the medians.

Usage: alternate.py [--wait-idle PCT] [--max-wait S] PAIRS 'command A' 'command B'

--wait-idle PCT: before each pair, wait (up to --max-wait seconds, default 60) until the machine
was at least PCT % idle over the last half second, so that a shared machine's bursts (other
builds) fall between pairs rather than inside them. The report says how many pairs ran
without the machine being that idle.
"""
import argparse
import statistics
import subprocess
import time


def cpu_times():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return idle, sum(fields)


def idle_percent(window=0.5):
    i1, t1 = cpu_times()
    time.sleep(window)
    i2, t2 = cpu_times()
    return 100.0 * (i2 - i1) / max(1, t2 - t1)


def wait_idle(pct, max_wait):
    deadline = time.monotonic() + max_wait
    while time.monotonic() < deadline:
        if idle_percent() >= pct:
            return True
    return False


def run(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wait-idle", type=float, default=None)
    ap.add_argument("--max-wait", type=float, default=60.0)
    ap.add_argument("pairs", type=int)
    ap.add_argument("a")
    ap.add_argument("b")
    args = ap.parse_args()
    # One warm-up run each (file cache, dnf's metadata cache).
    run(args.a)
    run(args.b)
    ta, tb, busy = [], [], 0
    for _ in range(args.pairs):
        if args.wait_idle is not None and not wait_idle(args.wait_idle, args.max_wait):
            busy += 1
        ta.append(run(args.a))
        tb.append(run(args.b))
    for name, ts in (("A", ta), ("B", tb)):
        print(f"{name} median {statistics.median(ts)*1000:.1f} ms, range {min(ts)*1000:.1f}-{max(ts)*1000:.1f}"
              f"  (runs: {', '.join(f'{x*1000:.0f}' for x in ts)})")
    print(f"B/A = {statistics.median(tb)/statistics.median(ta):.1f}x")
    if args.wait_idle is not None:
        print(f"pairs started on a machine less than {args.wait_idle:.0f}% idle: {busy} of {args.pairs}")


if __name__ == "__main__":
    main()
