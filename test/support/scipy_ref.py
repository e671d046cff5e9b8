"""Reference values from scipy for the statistics tests: JSON cases on stdin, results on stdout."""
import json
import sys

import numpy as np
from scipy import stats
from scipy.spatial import distance


def run(case):
    kind, a = case["fn"], case["args"]
    if kind == "ks_2samp":
        r = stats.ks_2samp(np.array(a[0]), np.array(a[1]))
        return [float(r.statistic), float(r.pvalue)]
    if kind == "kstwo_sf":
        return float(stats.kstwo.sf(a[0], a[1]))
    if kind == "chi2_contingency":
        r = stats.chi2_contingency(np.array(a[0]))
        return [float(r[0]), float(r[1])]
    if kind == "chi2_sf":
        return float(stats.chi2.sf(a[0], a[1]))
    if kind == "wasserstein":
        return float(stats.wasserstein_distance(a[0], a[1]))
    if kind == "jensenshannon":
        return float(distance.jensenshannon(a[0], a[1], base=2))
    if kind == "quantile":
        return float(np.quantile(np.array(a[0]), a[1]))
    raise ValueError(kind)


print(json.dumps([run(c) for c in json.load(sys.stdin)]))
