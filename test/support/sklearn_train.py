"""Reference models from scikit-learn for the ONNX model tests: one JSON request on stdin, one
JSON answer on stdout (see models.ts for the shapes). Weights come back as features x classes,
the layout modelship's linearClassifier takes, so a test can build the same model in ONNX."""
import csv
import json
import sys

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression


def read_csv(path, label, features):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    names = features or [c for c in rows[0].keys() if c != label]
    x = [[float(r[c]) for c in names] for r in rows]
    y = [r[label] for r in rows] if label and label in rows[0] else None
    return names, x, y


def load(req):
    data = req["data"]
    if "csv" in data:
        names, x, y = read_csv(data["csv"], data["label"], data.get("features"))
    else:
        x, y = data["X"], data["y"]
        names = data.get("features") or [f"x{i}" for i in range(len(x[0]))]
    ev = req.get("evaluate")
    if ev is None:
        ev_x, ev_y = x, y
    elif isinstance(ev, dict):
        _, ev_x, ev_y = read_csv(ev["csv"], data.get("label"), names)
    else:
        ev_x, ev_y = ev, None
    if req["task"] == "regression" and ev_y is not None:
        ev_y = [float(v) for v in ev_y]
    return names, np.array(x, dtype=np.float64), y, np.array(ev_x, dtype=np.float64), ev_y


def classification(req, names, x, y, ev_x):
    model = LogisticRegression(
        multi_class="multinomial", solver="lbfgs", max_iter=1000, C=req.get("C", 1.0), random_state=0
    )
    model.fit(x, y)
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:
        # Binary: sklearn keeps one logit z and predicts softmax([-z, z]); spell that out as two columns.
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    return {
        "features": names,
        "classes": model.classes_.tolist(),
        "weights": coef.T.tolist(),
        "bias": intercept.tolist(),
        "iterations": int(model.n_iter_[0]),
        "proba": model.predict_proba(ev_x).tolist(),
        "predict": model.predict(ev_x).tolist(),
    }


def regression(names, x, y, ev_x):
    model = LinearRegression().fit(x, np.array([float(v) for v in y]))
    return {
        "features": names,
        "weights": model.coef_.tolist(),
        "bias": float(model.intercept_),
        "predict": model.predict(ev_x).tolist(),
    }


def main():
    req = json.load(sys.stdin)
    names, x, y, ev_x, ev_y = load(req)
    if req["task"] == "classification":
        out = classification(req, names, x, y, ev_x)
    elif req["task"] == "regression":
        out = regression(names, x, y, ev_x)
    else:
        raise ValueError(f"unknown task {req['task']!r}")
    out["evaluate"] = {"X": ev_x.tolist(), "y": ev_y}
    print(json.dumps(out))


main()
