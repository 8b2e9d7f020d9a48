#!/usr/bin/env bash
# Validates the SARIF logs of a failing kb-verify run, a kb check error and a
# kb test failure with the SARIF Multitool (npm @microsoft/sarif-multitool,
# installed by tools/setup.sh into the build folder): any error it reports
# (JSON schema or SARIF1xxx rule) fails the test. Run from the repository root.
# Usage: validate.sh BIN_DIR MULTITOOL
# Exit: 0 every log valid; 1 a problem; 77 the multitool is not installed (ctest: skipped).
set -euo pipefail
bin=$1 multitool=$2
if [ ! -x "$multitool" ]; then
  echo "validate.sh: $multitool is not installed (tools/setup.sh installs it); skipped"
  exit 77
fi
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1  # the multitool then needs no ICU
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run WANTED_EXIT COMMAND...: runs the command, fails unless it exits WANTED_EXIT.
run() {
  local want=$1 got=0
  shift
  "$@" 2>"$work/stderr" || got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $* exited $got, expected $want"; cat "$work/stderr"; exit 1
  fi
}
run 1 "$bin/kb-verify" tests/sarif/violated.kb --tests tests/sarif/cases --format sarif --out "$work/kb-verify.sarif"
run 2 sh -c "\"$bin/kb\" check tests/sarif/broken.kb --format sarif >\"$work/kb-check.sarif\""
run 1 "$bin/kb" test --source tests/sarif/violated.kb tests/sarif/cases --coverage --format sarif --out "$work/kb-test.sarif"

# check LOG RULE-ID...: LOG has a result for each RULE-ID, and the multitool reports no error in it.
check() {
  local log=$1
  shift
  node -e '
    const log = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const ids = new Set(log.runs[0].results.map(r => r.ruleId));
    const missing = process.argv.slice(2).filter(id => !ids.has(id));
    if (missing.length) { console.log("FAIL: " + process.argv[1] + " has no result for " + missing.join(", ")); process.exit(1); }
  ' "$work/$log" "$@"
  "$multitool" validate "$work/$log" --output "$work/$log.validation" --quiet >"$work/validate.out" 2>&1 || {
    echo "FAIL: the multitool could not validate $log"; cat "$work/validate.out"; exit 1
  }
  node -e '
    const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const errors = (v.runs[0].results || []).filter(r => r.level === "error");
    for (const e of errors) console.log("FAIL: " + process.argv[2] + ": " + e.ruleId + " " + JSON.stringify(e.message));
    const warnings = (v.runs[0].results || []).filter(r => r.level !== "error").map(r => r.ruleId);
    console.log(process.argv[2] + ": " + errors.length + " errors; warnings and notes: " + (warnings.join(" ") || "none"));
    process.exit(errors.length ? 1 : 0);
  ' "$work/$log.validation" "$log"
}
check kb-verify.sarif violated-property failed-test uncovered-rule redundant-rule
check kb-check.sarif unknown-name unknown-reference
check kb-test.sarif failed-test untested-rule
echo "every SARIF log is valid"
