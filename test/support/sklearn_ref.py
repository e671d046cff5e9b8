"""Reference values from scikit-learn for the metrics tests: JSON cases on stdin, results on stdout."""
import json
import sys
import warnings

import numpy as np
from scipy import stats
from sklearn import metrics

warnings.simplefilter("ignore")  # zero_division and ill-defined-metric warnings: the values are the point


def or_none(fn):
    """A metric scikit-learn refuses (raises ValueError) comes back as None."""
    try:
        return float(fn())
    except ValueError:
        return None


def ece(y, proba, w, bins=10):
    """Expected calibration error, written out as its textbook sum over equal-width bins."""
    conf = proba.max(axis=1).astype(np.float64)
    correct = (proba.argmax(axis=1) == y).astype(np.float64)
    b = np.minimum(np.floor(conf * bins), bins - 1).astype(int)
    total = w.sum()
    out = 0.0
    for i in range(bins):
        m = b == i
        wb = w[m].sum()
        if wb > 0:
            acc = np.average(correct[m], weights=w[m])
            cb = np.average(conf[m], weights=w[m])
            out += wb / total * abs(acc - cb)
    return out


def classification(y, p, k, proba, dtype, w):
    y, p = np.array(y, dtype=np.int64), np.array(p, dtype=np.int64)
    sw = None if w is None else np.array(w, dtype=np.float64)
    kw = {"sample_weight": sw}
    out = {
        "accuracy": metrics.accuracy_score(y, p, **kw),
        "balanced_accuracy": metrics.balanced_accuracy_score(y, p, **kw),
        "precision_macro": metrics.precision_score(y, p, average="macro", **kw),
        "recall_macro": metrics.recall_score(y, p, average="macro", **kw),
        "f1_macro": metrics.f1_score(y, p, average="macro", **kw),
        "f1_weighted": metrics.f1_score(y, p, average="weighted", **kw),
    }
    out = {name: float(v) for name, v in out.items()}
    labels = list(range(k))
    pr, rc, f1, support = metrics.precision_recall_fscore_support(y, p, labels=labels, average=None, **kw)
    out["per_class"] = [pr.tolist(), rc.tolist(), f1.tolist(), support.astype(np.float64).tolist()]
    out["confusion"] = metrics.confusion_matrix(y, p, labels=labels, **kw).astype(np.float64).tolist()
    if proba is not None:
        P = np.array(proba, dtype=dtype).reshape(len(y), k)
        if k == 2:
            out["roc_auc"] = or_none(lambda: metrics.roc_auc_score(y, P[:, 1], **kw))
        else:
            out["roc_auc"] = or_none(lambda: metrics.roc_auc_score(y, P, multi_class="ovr", **kw))
        out["log_loss"] = float(metrics.log_loss(y, P, labels=labels, **kw))
        out["ece"] = ece(y, P, np.ones(len(y)) if sw is None else sw)
    return out


def regression(y, p, w):
    y, p = np.array(y, dtype=np.float64), np.array(p, dtype=np.float64)
    kw = {"sample_weight": None if w is None else np.array(w, dtype=np.float64)}
    return {
        "mae": float(metrics.mean_absolute_error(y, p, **kw)),
        "rmse": float(np.sqrt(metrics.mean_squared_error(y, p, **kw))),
        "r2": float(metrics.r2_score(y, p, **kw)),
        "mape": float(metrics.mean_absolute_percentage_error(y, p, **kw)),
    }


def run(case):
    kind, a = case["fn"], case["args"]
    if kind == "classification":
        return classification(*a)
    if kind == "regression":
        return regression(*a)
    if kind == "binomtest":
        return float(stats.binomtest(a[0], a[1], 0.5).pvalue)
    raise ValueError(kind)


def finite(v):
    """JSON has no NaN: an undefined value (NaN) comes back as null."""
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, dict):
        return {key: finite(x) for key, x in v.items()}
    if isinstance(v, list):
        return [finite(x) for x in v]
    return v


print(json.dumps([finite(run(c)) for c in json.load(sys.stdin)]))
