#!/usr/bin/python3
"""Writes the TreeReward / scikit-learn ratio table into bench/README.md between the markers."""
import json
import platform
import sys

ours_path, theirs_path, readme_path = sys.argv[1:4]
ours = json.load(open(ours_path))
theirs = json.load(open(theirs_path))
tasks = theirs.get("tasks", theirs)
# The judge study is timed once per run by sklearn_judges.py (one process, then joblib n_jobs=2).
for path, key in zip(sys.argv[4:6], ["judge_study_1", "judge_study_2"]):
    tasks[key] = {"median_s": json.load(open(path))["seconds"]}

rows = [
    ("fit depth 3, 10k x 5", "fit_10k_x5", "fit_10k_x5"),
    ("fit depth 3, 100k x 5", "fit_100k_x5", "fit_100k_x5"),
    ("fit depth 3, 1M x 20", "fit_1m_x20", "fit_1m_x20"),
    ("predict_proba 1M x 20", "predict_1m", "predict_1m"),
    ("100 bootstrap replicas, 10k x 5 (sklearn: 1 process)", "bootstrap_100_10k_x5", "bootstrap_100_10k_x5"),
    ("100 bootstrap replicas, 10k x 5 (sklearn: joblib n_jobs=2)", "bootstrap_100_10k_x5", "bootstrap_100_10k_x5_joblib2"),
    ("judge study: 9.1k pairs x 36 judges, depths 1-8, 100 replicas (sklearn: 1 process)", "judge_study_9k_x36", "judge_study_1"),
    ("judge study: 9.1k pairs x 36 judges, depths 1-8, 100 replicas (sklearn: joblib n_jobs=2)", "judge_study_9k_x36", "judge_study_2"),
]


def median(d, key):
    v = d.get(key)
    if not isinstance(v, dict):
        return None
    return v.get("median_s")


def same_tree(ok, tk):
    """'identical' when both fitted the same tree (structure, thresholds, importances to 1e-12)."""
    a = (ours.get(ok) or {}).get("detail") or {}
    b = (tasks.get(tk) or {}).get("tree")
    if not b or "feature" not in a:
        return ""
    same = (a["node_count"] == b["node_count"] and list(a["feature"]) == list(b["feature"])
            and list(a["threshold"]) == list(b["threshold"])
            and all(abs(x - y) <= 1e-12 for x, y in zip(a["feature_importances"], b["feature_importances"])))
    return "identical" if same else "DIFFERENT"


lines = ["| task | TreeReward (s) | scikit-learn (s) | speed-up | tree |", "|---|---:|---:|---:|---|"]
for label, ok, tk in rows:
    a, b = median(ours, ok), median(tasks, tk)
    if a is None or b is None:
        continue
    lines.append(f"| {label} | {a:.4f} | {b:.4f} | **{b / a:.1f}x** | {same_tree(ok, tk)} |")
machine = ours.get("machine", {})
versions = theirs.get("versions", {})
lines.append("")
lines.append(f"Median of the timed runs after warm-up; {machine.get('ProcessorCount', '?')} cores, "
             f".NET {machine.get('runtime', '?')}, scikit-learn {versions.get('sklearn', theirs.get('sklearn_version', '?'))}, "
             f"numpy {versions.get('numpy', theirs.get('numpy_version', '?'))}, {platform.platform()}.")
table = "\n".join(lines)

readme = open(readme_path).read()
start, end = "<!-- bench:start -->", "<!-- bench:end -->"
i, j = readme.index(start) + len(start), readme.index(end)
open(readme_path, "w").write(readme[:i] + "\n" + table + "\n" + readme[j:])
print(table)
