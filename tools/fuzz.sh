#!/usr/bin/env bash
# Short libFuzzer runs on the language front end and the patient reader,
# under AddressSanitizer and UndefinedBehaviorSanitizer (clang-14).
# Usage: tools/fuzz.sh [RUNS_PER_TARGET]   (default 20000; CI runs the default)
# Runs are counted, with a fixed seed, so a CI run is reproducible.
# Seeds: the bundled guideline and the vignette patients; any crash, leak or
# sanitizer report fails the script and leaves the reproducer in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20000}
packages=(clang-14 libclang-rt-14-dev)
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
  SETUP_TARGETS="fuzz_language fuzz_patient" ./tools/setup.sh

work=build-fuzz/corpus
rm -rf "$work"
mkdir -p "$work/language" "$work/patient"
cp kb/guidelines/*.kb "$work/language/"
for v in tests/vignettes/*.json; do
  python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["patient"]))' "$v" >"$work/patient/$(basename "$v")"
done
for target in language patient; do
  echo "fuzz: $target, $runs runs"
  # From the repository root: the patient target reads kb/guidelines.
  ./build-fuzz/bin/fuzz_$target -seed=1 -runs="$runs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix=build-fuzz/ -print_final_stats=1 "build-fuzz/corpus/$target" 2>&1 | tail -n 12
done
