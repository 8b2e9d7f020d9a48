#!/usr/bin/env bash
# libFuzzer runs of the fuzz targets (tests/fuzz/) under AddressSanitizer and
# UndefinedBehaviorSanitizer (clang-14), then cvc5 over the SMT-LIB scripts
# the smt2 target exported (docs/reliability.md, "Fuzzing"):
#   language  the language front end: parse, check, print and re-parse
#   patient   one patient JSON object for the bundled guideline
#   batch     JSON Lines cohorts: the fast reader and writer against the strict
#             reader, the batch against the reference loop and --summary
#   smt2      guideline text: every obligation's SMT-LIB as the dossier writes
#             it, parsed in-process by Z3
#   store     `kb import` of arbitrary text, export, re-import, audit
# Usage:
#   tools/fuzz.sh [RUNS] [TARGET...]
#       counted runs with -seed=1, so a run is reproducible; without RUNS each
#       target gets its CI count (below, about a minute each at most, about
#       3 minutes in all)
#   FUZZ_SECONDS=3600 tools/fuzz.sh [TARGET...]
#       each target for that long (-max_total_time), random seed; the corpus
#       in build-fuzz/corpus/ is kept from one such run to the next
# Seeds: the bundled guideline and the vignette patients. Any crash, leak,
# sanitizer report or failed oracle fails the script and leaves the
# reproducer in build-fuzz/ (rerun it: build-fuzz/bin/fuzz_TARGET FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=""
if [[ ${1:-} =~ ^[0-9]+$ ]]; then runs=$1; shift; fi
targets=("$@")
((${#targets[@]})) || targets=(language patient batch smt2 store)
# CI counts per target, each about a minute or less under the sanitizers on
# an idle 2-core machine (measured, wall: language 61 s, patient 10 s, batch
# 46 s, smt2 29 s, store 17 s; then 24 s exporting and cvc5): the language
# target's inputs grow to 36 KiB, so its rate falls to about 130 a second
# (8,000 inputs reach 96% of the coverage 20,000 reach, in a third of the
# time); a patient takes 0.1 ms; the smt2 target decides every obligation of
# each input that checks, the store target makes a database per input, and
# every batch allocates a 5 MiB read buffer, so these run far fewer inputs.
declare -A ci_runs=([language]=8000 [patient]=100000 [batch]=500 [smt2]=60 [store]=600)
# Largest input: a few patient lines for the batch.
declare -A max_len=([language]=65536 [patient]=65536 [batch]=8192 [smt2]=65536 [store]=65536)
# Seconds one input may take: an smt2 input with many obligations takes
# 10 s and more on a loaded machine.
declare -A timeout=([language]=30 [patient]=30 [batch]=30 [smt2]=300 [store]=30)
for t in "${targets[@]}"; do
  [ -n "${ci_runs[$t]:-}" ] || { echo "fuzz: unknown target $t (language patient batch smt2 store)" >&2; exit 2; }
done

packages=(clang-14 libclang-rt-14-dev cvc5)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
BUILD_DIR=build-fuzz BUILD_TYPE=RelWithDebInfo \
  CMAKE_ARGS="-DCMAKE_CXX_COMPILER=clang++-14 -DKB_FUZZ=ON -DKB_SANITIZE=ON -DBUILD_TESTING=ON" \
  SETUP_TARGETS="${targets[*]/#/fuzz_}" ./tools/setup.sh

# seed TARGET: fills build-fuzz/corpus/TARGET with its seeds (kept as they
# are in a timed run, so a long run goes on from the last one's corpus).
seed() {
  local dir=build-fuzz/corpus/$1
  [ -n "${FUZZ_SECONDS:-}" ] || rm -rf "$dir"
  mkdir -p "$dir"
  case $1 in
    language) cp kb/guidelines/*.kb "$dir/" ;;
    patient | batch)
      # Each vignette's patient as the JSON object it is written as; for the
      # batch, also compact lines (the fast reader's form) and the whole cohort.
      python3 - "$1" "$dir" tests/vignettes/*.json <<'EOF'
import json, os, sys
target, out, files = sys.argv[1], sys.argv[2], sys.argv[3:]
lines = []
for f in files:
    patient = json.load(open(f))["patient"]
    name = os.path.join(out, os.path.basename(f))
    if target == "patient":
        open(name, "w").write(json.dumps(patient))
    else:
        lines.append(json.dumps(patient, sort_keys=True, separators=(",", ":")))
        open(name, "w").write(lines[-1] + "\n" + json.dumps(patient) + "\n")
if target == "batch":
    open(os.path.join(out, "cohort.jsonl"), "w").write("\n".join(lines[:4]) + "\n")
EOF
      ;;
    smt2)
      # The small guidelines of the tests, and each bundled file of rules
      # with the references, facts and actions it needs (comment lines
      # left out): the whole guideline has 800 obligations, too slow to fuzz.
      cp tests/schemas/readings.kb tests/sarif/violated.kb "$dir/"
      for f in kb/guidelines/[3-8]0_*.kb; do
        cat kb/guidelines/{00,10,20}_*.kb "$f" | grep -v '^[[:space:]]*#' >"$dir/$(basename "$f")"
      done ;;
    store) cp kb/guidelines/*.kb "$dir/" ;;  # some import on their own, the others are refused
  esac
}

for t in "${targets[@]}"; do
  seed "$t"
  if [ -n "${FUZZ_SECONDS:-}" ]; then
    limit=(-max_total_time="$FUZZ_SECONDS")
    echo "fuzz: $t for $FUZZ_SECONDS s"
  else
    limit=(-seed=1 -runs="${runs:-${ci_runs[$t]}}")
    echo "fuzz: $t, ${runs:-${ci_runs[$t]}} runs"
  fi
  # From the repository root: the patient and batch targets read kb/guidelines.
  ./build-fuzz/bin/fuzz_$t "${limit[@]}" -max_len="${max_len[$t]}" -rss_limit_mb=2048 -timeout="${timeout[$t]}" \
    -artifact_prefix=build-fuzz/ -print_final_stats=1 "build-fuzz/corpus/$t" 2>&1 | tail -n 12
done

# cvc5 over the scripts the smt2 target exports for a sample of its corpus:
# each must parse, and cvc5 must give the answer kb-verify's Z3 gave (the
# ANSWER in HASH.ANSWER.smt2) unless either said unknown.
if [[ " ${targets[*]} " == *" smt2 "* ]]; then
  scripts=build-fuzz/smt2-scripts
  rm -rf "$scripts"
  mkdir -p "$scripts"
  mapfile -t sample < <(find build-fuzz/corpus/smt2 -type f | sort | head -n 20)
  if ! KB_FUZZ_SMT2_OUT=$scripts ./build-fuzz/bin/fuzz_smt2 "${sample[@]}" >"$scripts.log" 2>&1; then
    tail -n 40 "$scripts.log" >&2
    exit 1
  fi
  mapfile -t files < <(find "$scripts" -name '*.smt2' | sort | head -n "${CVC5_SCRIPTS:-200}")
  failed=0
  for f in "${files[@]}"; do
    expect=${f%.smt2}
    expect=${expect##*.}
    got=$(cvc5 --lang smt2 --tlimit=10000 "$f" 2>&1 | head -n 1) || true
    if [[ $got != sat && $got != unsat && $got != unknown ]] ||
       [[ $expect != unknown && $got != unknown && $got != "$expect" ]]; then
      echo "fuzz: cvc5 on $f: $got (z3 said $expect)" >&2
      failed=1
    fi
  done
  echo "fuzz: cvc5 decided ${#files[@]} exported scripts"
  ((failed == 0)) || exit 1
fi
