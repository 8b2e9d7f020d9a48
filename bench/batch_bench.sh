#!/usr/bin/env bash
# Whole-process throughput of `kb recommend --batch` (docs/performance.md, "Batch"):
#
#   bench/batch_bench.sh [N ...]        # default: 100000 1000000
#
# For each N it writes N random valid patients of the bundled guideline with
# build/bin/make_cohort (once, kept in $KB_BENCH_DIR, default /tmp/kb-batch-bench),
# then times `kb recommend --source kb/guidelines --patient FILE --batch` with
# --jobs 1 and --jobs 2, output to /dev/null, and prints wall and CPU time and
# patients per second (per wall second, and per CPU second: per core).
# Run from the repository root after building kb-tool and make_cohort.
set -euo pipefail
bin=${KB_BIN_DIR:-build/bin}
dir=${KB_BENCH_DIR:-/tmp/kb-batch-bench}
mkdir -p "$dir"
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
for n in "${sizes[@]}"; do
  file=$dir/cohort-$n.jsonl
  [ -s "$file" ] || "$bin/make_cohort" "$n" > "$file"
  echo "N=$n ($(stat -c %s "$file") bytes)"
  for jobs in 1 2; do
    times=$( { TIMEFORMAT='%R %U %S'; time "$bin/kb" recommend --source kb/guidelines --patient "$file" --batch \
               --jobs "$jobs" > /dev/null || [ $? -eq 1 ]; } 2>&1 | tail -1)
    read -r real user sys <<< "$times"
    awk -v n="$n" -v j="$jobs" -v r="$real" -v u="$user" -v s="$sys" 'BEGIN {
      printf "  --jobs %d: %.2f s wall, %.2f s user, %.2f s sys; %.0f patients/s wall, %.0f patients/s per CPU second\n",
             j, r, u, s, n / r, n / (u + s) }'
  done
done
