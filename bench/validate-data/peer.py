"""What a user would write by hand: pandas + scipy doing validate-data's checks and tests on the
benchmark data. argv: data.csv reference.csv"""
import sys

import numpy as np
import pandas as pd
from scipy.spatial import distance

NUMERIC, CATEGORICAL, CATS = 14, 6, ["a", "b", "c", "d", "e"]
data, ref = pd.read_csv(sys.argv[1]), pd.read_csv(sys.argv[2])
failed = []
if len(data) < 1:
    failed.append("rows")
if data.duplicated().sum() > 0:
    failed.append("duplicates")
profile = {}
for i in range(NUMERIC):
    c, lo, hi = f"n{i}", i * 10, i * 10 + 40
    s = data[c]
    if s.isna().sum():
        failed.append(f"{c}.nullable")
    if (s < lo).sum() or (s > hi).sum():
        failed.append(f"{c}.range")
    profile[c] = (s.count(), s.isna().sum(), s.nunique(), s.min(), s.max(), s.mean(), s.std(),
                  s.quantile([0.05, 0.25, 0.5, 0.75, 0.95]).tolist())
    # PSI over the reference's deciles, smoothed as modelship documents it.
    r = np.sort(ref[c].dropna().to_numpy())
    edges = np.unique(np.quantile(r, np.arange(1, 10) / 10))
    e = np.bincount(np.searchsorted(edges, r, side="left"), minlength=len(edges) + 1)
    a = np.bincount(np.searchsorted(edges, np.sort(s.dropna().to_numpy()), side="left"), minlength=len(edges) + 1)
    pe, pa = (e + 0.5) / (e.sum() + 0.5 * len(e)), (a + 0.5) / (a.sum() + 0.5 * len(a))
    psi = float(np.sum((pa - pe) * np.log(pa / pe)))
    if psi > 0.2:
        failed.append(f"drift.{c}")
for i in range(CATEGORICAL):
    c = f"c{i}"
    s = data[c]
    if s.isna().sum():
        failed.append(f"{c}.nullable")
    if (~s.dropna().isin(CATS)).sum():
        failed.append(f"{c}.allowed")
    profile[c] = (s.count(), s.isna().sum(), s.nunique(), s.min(), s.max(), s.value_counts().head(5).to_dict())
    cats = sorted(set(s.dropna()) | set(ref[c].dropna()))
    p = ref[c].value_counts().reindex(cats, fill_value=0).to_numpy()
    q = s.value_counts().reindex(cats, fill_value=0).to_numpy()
    if distance.jensenshannon(p, q, base=2) > 0.1:
        failed.append(f"drift.{c}")
print(",".join(failed))
