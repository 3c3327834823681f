#!/usr/bin/env bash
# Side-by-side benchmark: TreeReward and scikit-learn on the same data, in the same run, on this machine.
# Writes bench/out/{treereward,sklearn}.json and the ratio table between the markers in bench/README.md.
# Needs Debian's python3-sklearn (apt-get install -y python3-sklearn); never run by CI.
set -euo pipefail
cd "$(dirname "$0")"
repeats="${REPEATS:-5}"
py=/usr/bin/python3
"$py" -c "import sklearn" 2>/dev/null || { echo "bench/run.sh: needs scikit-learn: apt-get install -y python3-sklearn" >&2; exit 2; }

dotnet build TreeReward.Bench -c Release -nologo -v quiet
bench="dotnet TreeReward.Bench/bin/Release/net10.0/TreeReward.Bench.dll"
mkdir -p data out
[ -f data/d1m_20.X.f32 ] && [ -f data/judges35.votes.jsonl ] || $bench data --out data

echo "== TreeReward"
$bench run --data data --out out/treereward.json --repeats "$repeats"
echo "== scikit-learn"
"$py" sklearn_bench.py --data-dir data --out out/sklearn.json --repeats "$repeats"
echo "== scikit-learn judge study (one process, then joblib n_jobs=2)"
"$py" sklearn_judges.py --pairs ../../shared/data/helpsteer2-human-ratings/preference-ratings.csv --votes data/judges35.votes.jsonl --jobs 1 --out out/sklearn-judges-1.json
"$py" sklearn_judges.py --pairs ../../shared/data/helpsteer2-human-ratings/preference-ratings.csv --votes data/judges35.votes.jsonl --jobs 2 --out out/sklearn-judges-2.json
"$py" report.py out/treereward.json out/sklearn.json README.md out/sklearn-judges-1.json out/sklearn-judges-2.json
