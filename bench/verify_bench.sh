#!/usr/bin/env bash
# Whole-process benchmark of kb-verify on the bundled guideline, against the
# stock z3 binary deciding the same obligations, and on a database with
# nothing and with everything to reuse (docs/performance.md).
# Usage: bench/verify_bench.sh [RUNS]   (from anywhere; needs build/bin, or
# KB_BIN_DIR). With RUNS=1 it is the check-only mode ctest runs: every step
# must succeed and z3 must answer every obligation; timings are printed, never
# asserted.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
bin=${KB_BIN_DIR:-build/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Median wall time in milliseconds of running "$@" $runs times.
median_ms() {
  local times=()
  for ((i = 0; i < runs; i++)); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    times+=($(((end - start) / 1000)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2) / 1000}'
}

"$bin/kb-verify" kb/guidelines --dossier "$work/dossier" --format json --out "$work/report.json"
obligations=$(ls "$work/dossier/obligations" | wc -l)
# One script with every obligation, separated by (reset): one z3 process, as kb-verify is one process.
for f in "$work"/dossier/obligations/*.smt2; do cat "$f"; echo "(reset)"; done >"$work/all.smt2"
answers=$(z3 "$work/all.smt2" | grep -c -E '^(sat|unsat)$' || true)
if [ "$answers" -ne "$obligations" ]; then
  echo "verify_bench: z3 answered $answers of $obligations obligations" >&2
  exit 1
fi

# The same guideline in a database: a first run stores its answers, and a
# second one must reuse them (the proof cache, docs/kb-verify.md).
db=$work/kb.sqlite
"$bin/kb" init --db "$db" >/dev/null
"$bin/kb" import --db "$db" --author bench --reason "verify benchmark" kb/guidelines >/dev/null
"$bin/kb-verify" --db "$db" --quiet >/dev/null 2>&1
"$bin/kb-verify" --db "$db" --quiet 2>&1 | grep -q " reused, " || {
  echo "verify_bench: a second run on the database reused no answer" >&2
  exit 1
}

# In the sanitizer suite (KB_TEST_SCALE_DOWN set, tests/common/scale.h) the
# checks above are the test; timings of instrumented binaries mean nothing.
if [ "${KB_TEST_SCALE_DOWN:-1}" -gt 1 ]; then
  echo "obligations with a solver query: $obligations (z3 answered $answers); no timings under sanitizers"
  exit 0
fi
kbv=$(median_ms "$bin/kb-verify" kb/guidelines)
z3ms=$(median_ms z3 "$work/all.smt2")
cold=$(median_ms "$bin/kb-verify" --db "$db" --quiet --no-cache)
warm=$(median_ms "$bin/kb-verify" --db "$db" --quiet)
cold1=$(median_ms "$bin/kb-verify" --db "$db" --quiet --no-cache --no-other-readings)
warm1=$(median_ms "$bin/kb-verify" --db "$db" --quiet --no-other-readings)
solver_ms=$(python3 -c "import json;r=json.load(open('$work/report.json'));print(round(sum(o['millis'] for o in r['obligations']),1), round(r['total_millis'],1))")
echo "obligations with a solver query: $obligations (z3 answered $answers)"
echo "kb-verify whole process (median of $runs): $kbv ms"
echo "z3 on the same obligations, one process (median of $runs): $z3ms ms"
echo "kb-verify on the database, cold (--no-cache) / warm (every answer reused) (median of $runs): $cold ms / $warm ms"
echo "the same with --no-other-readings: $cold1 ms / $warm1 ms"
echo "kb-verify in-process: solver time, harness total (ms): $solver_ms"
python3 -c "print('ratio kb-verify / z3: %.2f' % ($kbv / $z3ms))"
