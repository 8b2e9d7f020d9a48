#!/usr/bin/env bash
# Verification at scale: synthetic guidelines (bench/synth) of N rules over
# N/5 facts, whole processes, wall time and peak memory (docs/performance.md,
# "Verification at scale").
# Usage: bench/scale_bench.sh [SIZES...]   (default: 100 1000 3000 10000)
#        bench/scale_bench.sh --check      (ctest: 100 rules, every step must
#                                           succeed; timings printed, never asserted)
# Needs build/bin (or KB_BIN_DIR). Columns: kb import of the file into a new
# database; kb-verify of all obligations from it (sliced, --no-cache); the same unsliced
# (--no-slice, sizes up to 1000 only: it grows about N^2.2); kb diff after one
# threshold change (one avoid rule's `< 3` becomes `< 2`); kb-verify of the
# database after importing that change (reusing the stored answers of every
# obligation whose slice it does not touch); kb-verify again with nothing
# changed (every answer reused).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${KB_BIN_DIR:-build/bin}
check=0
sizes=("$@")
if [ "${1:-}" = "--check" ]; then check=1; sizes=(100); fi
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000 3000 10000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs "$@" and prints its wall time, CPU time and peak memory; any exit code but 0 and 1
# (a finding) fails the benchmark.
measure() {
  local code=0
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out" 2>&1 || code=$?
  if [ "$code" -gt 1 ]; then
    echo "scale_bench: '$*' exited $code" >&2
    tail -5 "$work/out" >&2
    exit 1
  fi
  tail -n 1 "$work/time" | awk '{printf "%.2f s (CPU %.2f s), %.0f MiB", $1, $2 + $3, $4 / 1024}'
}

printf '| rules | kb import | kb-verify (sliced, cold) | kb-verify --no-slice | kb diff after one change | re-verify after it (cache) | re-verify, nothing changed |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for n in "${sizes[@]}"; do
  "$bin/kb-synth" "$n" 1 >"$work/g.kb"
  sed '0,/ < 3 then avoid/s// < 2 then avoid/' "$work/g.kb" >"$work/changed.kb"
  cmp -s "$work/g.kb" "$work/changed.kb" && { echo "scale_bench: no rule changed" >&2; exit 1; }
  db=$work/kb$n.sqlite
  "$bin/kb" init --db "$db" >/dev/null
  import=$(measure "$bin/kb" import --db "$db" --author bench --reason "scale benchmark" "$work/g.kb")
  full=$(measure "$bin/kb-verify" --db "$db" --quiet --no-cache)
  if [ "$n" -le 1000 ]; then whole=$(measure "$bin/kb-verify" "$work/g.kb" --quiet --no-slice); else whole="-"; fi
  diff=$(measure "$bin/kb" diff "$work/g.kb" "$work/changed.kb")
  grep -q "changed" "$work/out" || { echo "scale_bench: kb diff found no changed answer" >&2; exit 1; }
  "$bin/kb" import --db "$db" --author bench --reason "one threshold" "$work/changed.kb" >/dev/null
  again=$(measure "$bin/kb-verify" --db "$db" --quiet)
  grep -q " reused, " "$work/out" || { echo "scale_bench: the re-verify reused no answer" >&2; exit 1; }
  warm=$(measure "$bin/kb-verify" --db "$db" --quiet)
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$n" "$import" "$full" "$whole" "$diff" "$again" "$warm"
done
[ "$check" -eq 0 ] || echo "scale_bench: check mode passed"
