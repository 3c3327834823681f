#!/usr/bin/python3
"""Time scikit-learn's DecisionTreeClassifier on the TreeReward benchmark tasks.

The datasets are written by the C# benchmark, not generated here.  For each
dataset NAME the data directory holds:

    NAME.json     {"n": int, "d": int}
    NAME.X.f32    float32, little-endian, row-major n x d
    NAME.y.i32    int32, little-endian, n labels

Datasets used: d10k_5, d100k_5, d1m_20 (a task is skipped, and reported as
skipped, when its dataset is missing).

Usage (Debian's interpreter has python3-sklearn):

    /usr/bin/python3 bench/sklearn_bench.py --data-dir DIR [--out FILE] [--repeats 5]

Each task runs once as a warm-up and then --repeats times; the median (and
min / all) wall-clock seconds are reported.  X is passed as a float32
C-contiguous array (scikit-learn's internal dtype) so no conversion is timed.

Tasks:
    fit_10k_x5             DecisionTreeClassifier(criterion="log_loss",
                           max_depth=3, random_state=0).fit on d10k_5
    fit_100k_x5            same on d100k_5
    fit_1m_x20             same on d1m_20
    predict_1m             predict_proba on d1m_20's X, tree fitted on d1m_20
    bootstrap_100_10k_x5   100 bootstrap replicas on d10k_5: for r in
                           range(100): idx = RandomState(r).randint(0, n, n);
                           fit depth-3 log_loss tree on X[idx], y[idx];
                           mean and std of feature_importances_ (single process)
    bootstrap_100_10k_x5_joblib2
                           same, replicas spread with joblib.Parallel(n_jobs=2)
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import sklearn
from sklearn.tree import DecisionTreeClassifier

try:
    import joblib
except ImportError:  # pragma: no cover - joblib ships with scikit-learn
    joblib = None


def load_dataset(data_dir, name):
    meta_path = os.path.join(data_dir, name + ".json")
    x_path = os.path.join(data_dir, name + ".X.f32")
    y_path = os.path.join(data_dir, name + ".y.i32")
    if not (os.path.exists(meta_path) and os.path.exists(x_path) and os.path.exists(y_path)):
        return None
    with open(meta_path) as fh:
        meta = json.load(fh)
    n, d = int(meta["n"]), int(meta["d"])
    X = np.fromfile(x_path, dtype="<f4")
    y = np.fromfile(y_path, dtype="<i4")
    if X.size != n * d:
        raise ValueError("%s: expected %d floats, found %d" % (x_path, n * d, X.size))
    if y.size != n:
        raise ValueError("%s: expected %d labels, found %d" % (y_path, n, y.size))
    X = np.ascontiguousarray(X.reshape(n, d), dtype=np.float32)
    y = np.ascontiguousarray(y, dtype=np.int32)
    return X, y


def make_tree():
    return DecisionTreeClassifier(criterion="log_loss", max_depth=3, random_state=0)


def fit_tree(X, y):
    return make_tree().fit(X, y)


def _bootstrap_one(X, y, r):
    n = X.shape[0]
    rng = np.random.RandomState(r)
    idx = rng.randint(0, n, n)
    return make_tree().fit(X[idx], y[idx]).feature_importances_


def bootstrap_serial(X, y, n_rep=100):
    imps = np.array([_bootstrap_one(X, y, r) for r in range(n_rep)])
    return imps.mean(axis=0), imps.std(axis=0)


def bootstrap_joblib(X, y, n_rep=100, n_jobs=2):
    imps = joblib.Parallel(n_jobs=n_jobs)(
        joblib.delayed(_bootstrap_one)(X, y, r) for r in range(n_rep))
    imps = np.array(imps)
    return imps.mean(axis=0), imps.std(axis=0)


def time_task(fn, repeats):
    t0 = time.perf_counter()
    result = fn()  # warm-up
    once = time.perf_counter() - t0
    # Fast tasks run until about 2 s have been timed (at most 200 runs), as the C# side does.
    runs = max(repeats, min(200, int(2.0 / max(once, 1e-4))))
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "times_s": times,
    }, result


def summarize_tree(clf):
    t = clf.tree_
    return {
        "node_count": int(t.node_count),
        "feature": [int(v) for v in t.feature],
        "threshold": [float(v) for v in t.threshold],
        "feature_importances": [float(v) for v in clf.feature_importances_],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", required=True)
    ap.add_argument("--out", default=None, help="write the JSON result here")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--only", default=None,
                    help="comma-separated task names to run (default: all)")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")
    only = set(args.only.split(",")) if args.only else None

    def wanted(name):
        return only is None or name in only

    datasets = {}

    def data(name):
        if name not in datasets:
            datasets[name] = load_dataset(args.data_dir, name)
        return datasets[name]

    env_keys = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "OPENBLAS_CORETYPE")
    report = {
        "tool": "scikit-learn",
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "joblib_version": getattr(joblib, "__version__", None),
        "python_version": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "usable_cpu_count": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "machine": platform.machine(),
        "platform": platform.platform(),
        "env": {k: os.environ[k] for k in env_keys if k in os.environ},
        "repeats": args.repeats,
        "warmup": 1,
        "tasks": {},
        "skipped": {},
    }

    def run(name, dataset, fn, extra=None):
        if not wanted(name):
            return
        if data(dataset) is None:
            report["skipped"][name] = "dataset %s not found in %s" % (dataset, args.data_dir)
            print("%-30s skipped (no %s)" % (name, dataset), flush=True)
            return
        X, y = data(dataset)
        timing, result = time_task(lambda: fn(X, y), args.repeats)
        entry = {"dataset": dataset, "n": int(X.shape[0]), "d": int(X.shape[1])}
        entry.update(timing)
        if extra is not None:
            entry.update(extra(result))
        report["tasks"][name] = entry
        print("%-30s median %.6f s  (min %.6f, n=%d, d=%d)"
              % (name, timing["median_s"], timing["min_s"], X.shape[0], X.shape[1]), flush=True)

    run("fit_10k_x5", "d10k_5", fit_tree, lambda clf: {"tree": summarize_tree(clf)})
    run("fit_100k_x5", "d100k_5", fit_tree, lambda clf: {"tree": summarize_tree(clf)})
    run("fit_1m_x20", "d1m_20", fit_tree, lambda clf: {"tree": summarize_tree(clf)})

    if wanted("predict_1m"):
        if data("d1m_20") is None:
            report["skipped"]["predict_1m"] = "dataset d1m_20 not found in %s" % args.data_dir
            print("%-30s skipped (no d1m_20)" % "predict_1m", flush=True)
        else:
            X, y = data("d1m_20")
            clf = fit_tree(X, y)  # fitted outside the timed region
            run("predict_1m", "d1m_20", lambda X_, y_: clf.predict_proba(X_),
                lambda p: {"proba_sum_col0": float(p[:, 0].sum(dtype=np.float64)),
                           "proba_shape": list(p.shape)})

    def boot_extra(res):
        mean, std = res
        return {"importance_mean": [float(v) for v in mean],
                "importance_std": [float(v) for v in std],
                "replicas": 100}

    run("bootstrap_100_10k_x5", "d10k_5", bootstrap_serial, boot_extra)
    if joblib is None:
        report["skipped"]["bootstrap_100_10k_x5_joblib2"] = "joblib not importable"
    else:
        run("bootstrap_100_10k_x5_joblib2", "d10k_5",
            lambda X, y: bootstrap_joblib(X, y, n_jobs=2), boot_extra)

    text = json.dumps(report, indent=2)
    if args.out:
        out_dir = os.path.dirname(os.path.abspath(args.out))
        os.makedirs(out_dir, exist_ok=True)
        with open(args.out, "w") as fh:
            fh.write(text + "\n")
        print("wrote", args.out)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
