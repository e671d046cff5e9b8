"""Reference values for the rank-test unit tests: JSON cases on stdin, results on stdout.

mannwhitneyu is Debian's scipy itself; hodges_lehmann is the direct computation, every pairwise
difference materialised with numpy, and the Moses rank from scipy's normal quantile.
"""
import json
import sys

import numpy as np
from scipy import stats


def hodges_lehmann(x, y, confidence):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    d = np.sort(np.subtract.outer(x, y).ravel())
    m, n = len(x), len(y)
    big_n = m + n
    _, t = np.unique(np.concatenate([x, y]), return_counts=True)
    tie = float((t.astype(float) ** 3 - t).sum())
    sigma = np.sqrt(m * n / 12 * ((big_n + 1) - tie / (big_n * (big_n - 1))))
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    c = int(np.floor(m * n / 2 - z * sigma + 0.5))
    c = min(max(c, 1), int(np.ceil(m * n / 2)))
    return [float(np.median(d)), float(d[c - 1]), float(d[m * n - c]), c]


def run(case):
    kind, a = case["fn"], case["args"]
    if kind == "mannwhitneyu":
        r = stats.mannwhitneyu(a[0], a[1], alternative=a[2], method=a[3])
        return [float(r.statistic), float(r.pvalue)]
    if kind == "hodges_lehmann":
        return hodges_lehmann(a[0], a[1], a[2])
    if kind == "norm":
        return [float(stats.norm.sf(a[0])), float(stats.norm.ppf(a[1]))]
    raise ValueError(kind)


print(json.dumps([run(c) for c in json.load(sys.stdin)]))
