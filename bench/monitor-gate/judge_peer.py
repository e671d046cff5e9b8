"""The peer of bench/monitor-gate/judge.ts: scipy.stats.mannwhitneyu on the same two samples, in one
process, timing only the call, in CPU time and wall time (medians).
stdin: {"canary": [...], "stable": [...], "reps": N}; stdout: JSON."""
import json
import statistics
import sys
import time

import numpy as np
from scipy import stats

case = json.load(sys.stdin)
x, y = np.asarray(case["canary"], dtype=float), np.asarray(case["stable"], dtype=float)
result = stats.mannwhitneyu(x, y)  # warm-up: imports and caches out of the timing
cpu, wall = [], []
for _ in range(case["reps"]):
    c0, t0 = time.process_time(), time.perf_counter()
    stats.mannwhitneyu(x, y)
    cpu.append((time.process_time() - c0) * 1000)
    wall.append((time.perf_counter() - t0) * 1000)
print(json.dumps({
    "cpu_ms": statistics.median(cpu),
    "wall_ms": statistics.median(wall),
    "u": float(result.statistic),
    "p": float(result.pvalue),
}))
