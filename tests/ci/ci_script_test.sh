#!/usr/bin/env bash
# Runs tools/ci-guideline.sh (the pipeline of docs/ci.md) on the bundled
# guideline (exit 0), on tests/sarif/violated.kb (exit 1: a violated
# property and failed test cases), on an unformatted copy of the bundled
# guideline (exit 1 from kb fmt --check only) and on tests/sarif/broken.kb
# (exit 2, stopped after kb check); checks the reports each run leaves, and
# that docs/ci.md shows the script as it is. Run from the repository root.
# Usage: ci_script_test.sh BIN_DIR
# Exit: 0 all as expected; 1 a problem.
set -euo pipefail
export KB_BIN_DIR=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# ci WANTED_EXIT NAME SOURCES TESTS: runs the script into $work/NAME, fails unless it exits WANTED_EXIT.
ci() {
  local want=$1 name=$2 got=0
  tools/ci-guideline.sh "$3" "$4" "$work/$name" >"$work/$name.out" 2>"$work/$name.err" || got=$?
  [ "$got" = "$want" ] || { cat "$work/$name.out" "$work/$name.err"; fail "ci-guideline.sh on $3 exited $got, expected $want"; }
}
# has FILE TEXT: FILE contains TEXT.
has() { grep -qF -- "$2" "$1" || { cat "$1"; fail "$1 does not contain '$2'"; }; }
# sarif_ids FILE: the rule ids of the SARIF log's results, sorted and unique, on one line.
sarif_ids() { node -e 'const l = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log([...new Set(l.runs[0].results.map(r => r.ruleId))].sort().join(" "))' "$1"; }

ci 0 ok kb/guidelines tests/vignettes
for f in kb-check.sarif kb-test.xml kb-verify.xml kb-verify.sarif; do [ -s "$work/ok/$f" ] || fail "ok: no $f"; done
has "$work/ok/kb-test.xml" 'failures="0"'
has "$work/ok/kb-verify.xml" 'failures="0"'
[ -z "$(sarif_ids "$work/ok/kb-check.sarif")" ] || fail "kb check reported findings on the bundled guideline"
has "$work/ok.err" "ci: kb fmt --check: exit 0"
has "$work/ok.err" "ci: exit 0"

ci 1 violated tests/sarif/violated.kb tests/sarif/cases
has "$work/violated/kb-test.xml" '<failure'
has "$work/violated/kb-verify.xml" 'type="violated"'
has "$work/violated/kb-verify.xml" 'type="failed"'
ids=$(sarif_ids "$work/violated/kb-verify.sarif")
[[ " $ids " == *" violated-property "* && " $ids " == *" failed-test "* ]] || fail "kb-verify.sarif has rule ids '$ids'"
has "$work/violated.err" "ci: kb-verify (SARIF): exit 1"

mkdir -p "$work/unformatted"
cp kb/guidelines/*.kb "$work/unformatted/"
first=$work/unformatted/30_selection_mdt.kb
sed -i '0,/^  when /s//      when /' "$first"
cmp -s "$first" "kb/guidelines/${first##*/}" && fail "the unformatted copy equals the original"
ci 1 unformatted "$work/unformatted" tests/vignettes
has "$work/unformatted.err" "ci: kb fmt --check: exit 1"
has "$work/unformatted.err" "ci: kb test: exit 0"
has "$work/unformatted.err" "ci: kb-verify (JUnit): exit 0"

ci 2 broken tests/sarif/broken.kb tests/sarif/cases
[ -n "$(sarif_ids "$work/broken/kb-check.sarif")" ] || fail "kb check reported nothing on broken.kb"
[ ! -e "$work/broken/kb-test.xml" ] || fail "the script went on after kb check failed"

# docs/ci.md shows the script verbatim (its fenced block that starts with the shebang).
node -e '
  const fs = require("fs");
  const doc = fs.readFileSync("docs/ci.md", "utf8"), script = fs.readFileSync("tools/ci-guideline.sh", "utf8");
  const blocks = [...doc.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map(m => m[1]);
  if (!blocks.some(b => b === script)) { console.log("FAIL: docs/ci.md does not show tools/ci-guideline.sh as it is"); process.exit(1); }
'
echo "ci-guideline.sh: 4 runs as expected"
