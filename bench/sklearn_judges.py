#!/usr/bin/python3
"""The judge study's computation with scikit-learn, for the speed comparison in bench/README.md.

Same inputs as `treereward analyze`: preference-ratings.csv (pairs with the 5 ratings of each response)
and the votes file written by the C# bench (35 synthetic judges, both orders). Per judge and for the human
judge: combine the two answers (consistent choice, else none), drop ties, features = rating differences,
fit depths 1..8 on the train split and score accuracy / log-loss on the validation split, fit the depth-3
tree, and 100 bootstrap replicas of it (importances mean and std). Judges run one after another
(`--jobs 1`) or in a joblib pool (`--jobs 2`).

    /usr/bin/python3 bench/sklearn_judges.py --pairs ../shared/data/helpsteer2-human-ratings/preference-ratings.csv \
        --votes bench/data/judges35.votes.jsonl --jobs 2 --out bench/out/sklearn-judges.json
"""
import argparse
import csv
import json
import os
import time
from collections import defaultdict

import numpy as np
from sklearn.metrics import log_loss
from sklearn.tree import DecisionTreeClassifier

ATTRS = ["helpfulness", "correctness", "coherence", "complexity", "verbosity"]


def load_pairs(path):
    ids, splits, X, strength = [], [], [], []
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            ids.append("%05d" % int(row["preference_row"]))
            splits.append("train" if row["split"] == "train" else "validation")
            X.append([float(row[a + "_1"]) - float(row[a + "_2"]) for a in ATTRS])
            strength.append(int(row["preference_strength"]))
    return ids, np.array(splits), np.array(X, dtype=np.float32), np.array(strength)


def load_votes(path):
    votes = defaultdict(dict)  # judge -> pair -> {order: choice}
    with open(path) as fh:
        for line in fh:
            v = json.loads(line)
            votes[v["judge"]].setdefault(v["pair_id"], {})[v["order"]] = v["choice"]
    return votes


def study_one(name, labels, splits, X, replicas=100):
    keep = labels >= 0
    Xk, yk, sk = X[keep], labels[keep], splits[keep]
    tr, va = sk == "train", sk == "validation"
    scores = []
    for depth in range(1, 9):
        clf = DecisionTreeClassifier(criterion="log_loss", max_depth=depth, random_state=0).fit(Xk[tr], yk[tr])
        p = clf.predict_proba(Xk[va])
        scores.append((depth, float((clf.predict(Xk[va]) == yk[va]).mean()), float(log_loss(yk[va], p, labels=clf.classes_))))
    tree = DecisionTreeClassifier(criterion="log_loss", max_depth=3, random_state=0).fit(Xk[tr], yk[tr])
    n = int(tr.sum())
    imps = []
    Xt, yt = Xk[tr], yk[tr]
    for r in range(replicas):
        idx = np.random.RandomState(r).randint(0, n, n)
        imps.append(DecisionTreeClassifier(criterion="log_loss", max_depth=3, random_state=0).fit(Xt[idx], yt[idx]).feature_importances_)
    imps = np.array(imps)
    return {"judge": name, "root_feature": int(tree.tree_.feature[0]), "root_threshold": float(tree.tree_.threshold[0]),
            "importance_mean": imps.mean(0).tolist(), "importance_std": imps.std(0).tolist(), "depth_scores": scores}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", required=True)
    ap.add_argument("--votes", required=True)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--replicas", type=int, default=100)
    ap.add_argument("--out")
    args = ap.parse_args()
    t0 = time.perf_counter()
    ids, splits, X, strength = load_pairs(args.pairs)
    votes = load_votes(args.votes)
    judges = [("human", np.where(strength < 0, 1, np.where(strength > 0, 0, -1)))]
    for name in sorted(votes):
        lab = np.full(len(ids), -1)
        for i, pid in enumerate(ids):
            v = votes[name].get(pid, {})
            o, s = v.get("original"), v.get("swapped")
            if o is not None and o == s:
                lab[i] = 1 if o == "response_1" else 0
        judges.append((name, lab))
    if args.jobs > 1:
        from joblib import Parallel, delayed
        results = Parallel(n_jobs=args.jobs)(delayed(study_one)(n, l, splits, X, args.replicas) for n, l in judges)
    else:
        results = [study_one(n, l, splits, X, args.replicas) for n, l in judges]
    elapsed = time.perf_counter() - t0
    print(f"scikit-learn judge study: {len(judges)} judges x {args.replicas} replicas, jobs={args.jobs}: {elapsed:.1f} s")
    if args.out:
        os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
        json.dump({"seconds": elapsed, "jobs": args.jobs, "judges": results}, open(args.out, "w"), indent=1)


if __name__ == "__main__":
    main()
