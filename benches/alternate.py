#!/usr/bin/env python3
"""Side-by-side timing of two whole-process commands, as alternating pairs (A, B, A, B, …), so
that machine noise hits both alike. Prints each command's median wall time and the ratio.

Usage: alternate.py PAIRS 'command A' 'command B'
"""
import statistics, subprocess, sys, time

pairs, a, b = int(sys.argv[1]), sys.argv[2], sys.argv[3]
# One warm-up run each (file cache, dnf's metadata cache).
for cmd in (a, b):
    subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ta, tb = [], []
for _ in range(pairs):
    for cmd, out in ((a, ta), (b, tb)):
        t0 = time.perf_counter()
        subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        out.append(time.perf_counter() - t0)
ma, mb = statistics.median(ta), statistics.median(tb)
print(f"A median {ma*1000:.1f} ms  (runs: {', '.join(f'{x*1000:.0f}' for x in ta)})")
print(f"B median {mb*1000:.1f} ms  (runs: {', '.join(f'{x*1000:.0f}' for x in tb)})")
print(f"B/A = {mb/ma:.1f}x")
