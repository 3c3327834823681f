#!/usr/bin/env bash
# Side-by-side benchmark: TreeReward and scikit-learn on the same data, in the same run, on this machine.
# Writes bench/out/{treereward,sklearn}.json and the ratio table between the markers in bench/README.md.
# Needs Debian's python3-sklearn (apt-get install -y python3-sklearn); never run by CI.
# bench/run.sh rater: encoder speed instead (MiniLM next to bare ONNX Runtime, GGUF on a tiny model), each in its own
# process so each peak working set is its own; writes bench/out/{minilm,gguf}.json and the table between the rater
# markers. INPUTS (default 64) and REPEATS (default 3) size it.
# bench/run.sh compare: speed of the decision-tree reward model (models/default): head + tree throughput from cached
# embeddings on one thread, then CompareAsync latency with MiniLM at 2 and 1 threads, each in its own process; writes
# bench/out/compare-*.json and the tables between the compare markers. SECONDS_PER_PATH (default 2, timed per path) and
# COMPARES (default 200) size it.
# bench/run.sh serve: load test of `treereward serve` (models/default, its own process on 127.0.0.1, a free port) with
# CONCURRENCY (default 200) loopback clients for DURATION seconds (default 60), at most MAX_REQUESTS (default 1000000)
# requests, once without and once with the embedding cache (a fresh one in out/serve-cache); writes
# bench/out/serve-*.json and the tables between the serve markers. POOL (default 100 prompt/response pairs) and
# DRAIN (default 120 s for the requests still in flight at the end) size it too.
set -euo pipefail
cd "$(dirname "$0")"
mode="${1:-trees}"
dotnet build TreeReward.Bench -c Release -nologo -v quiet
bench="dotnet TreeReward.Bench/bin/Release/net10.0/TreeReward.Bench.dll"
mkdir -p out

if [ "$mode" = rater ]; then
    $bench minilm --out out/minilm.json --inputs "${INPUTS:-64}" --repeats "${REPEATS:-3}"
    $bench gguf --out out/gguf.json --inputs "${INPUTS:-64}" --repeats "${REPEATS:-3}"
    $bench rater-report out/minilm.json out/gguf.json README.md
    exit 0
fi

if [ "$mode" = compare ]; then
    $bench compare-throughput --out out/compare-throughput.json --seconds "${SECONDS_PER_PATH:-2}"
    $bench compare-latency --out out/compare-latency-2.json --threads 2 --repeats "${COMPARES:-200}"
    $bench compare-latency --out out/compare-latency-1.json --threads 1 --repeats "${COMPARES:-200}"
    $bench compare-report out/compare-throughput.json README.md out/compare-latency-2.json out/compare-latency-1.json
    exit 0
fi

if [ "$mode" = serve ]; then
    ../treereward --help >/dev/null # builds ../artifacts/cli when the sources changed
    load=(--cli ../artifacts/cli/TreeReward.Cli.dll --concurrency "${CONCURRENCY:-200}" --duration "${DURATION:-60}"
        --max-requests "${MAX_REQUESTS:-1000000}" --pool "${POOL:-100}" --drain "${DRAIN:-120}")
    $bench serve "${load[@]}" --out out/serve-nocache.json
    $bench serve "${load[@]}" --cache out/serve-cache --out out/serve-cache.json
    $bench serve-report out/serve-nocache.json out/serve-cache.json README.md
    exit 0
fi

repeats="${REPEATS:-5}"
py=/usr/bin/python3
"$py" -c "import sklearn" 2>/dev/null || { echo "bench/run.sh: needs scikit-learn: apt-get install -y python3-sklearn" >&2; exit 2; }
mkdir -p data
[ -f data/d1m_20.X.f32 ] && [ -f data/judges35.votes.jsonl ] || $bench data --out data

echo "== TreeReward"
$bench run --data data --out out/treereward.json --repeats "$repeats"
echo "== scikit-learn"
"$py" sklearn_bench.py --data-dir data --out out/sklearn.json --repeats "$repeats"
echo "== scikit-learn judge study (one process, then joblib n_jobs=2)"
"$py" sklearn_judges.py --pairs ../../shared/data/helpsteer2-human-ratings/preference-ratings.csv --votes data/judges35.votes.jsonl --jobs 1 --out out/sklearn-judges-1.json
"$py" sklearn_judges.py --pairs ../../shared/data/helpsteer2-human-ratings/preference-ratings.csv --votes data/judges35.votes.jsonl --jobs 2 --out out/sklearn-judges-2.json
"$py" report.py out/treereward.json out/sklearn.json README.md out/sklearn-judges-1.json out/sklearn-judges-2.json
