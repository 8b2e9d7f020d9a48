#!/usr/bin/env bash
# CI for a guideline repository (docs/ci.md): check the sources, check their
# layout, run the test cases, prove the properties; JUnit and SARIF reports
# go to REPORTS for the CI system (test results, code scanning).
# Usage: ci-guideline.sh [SOURCES [TESTS [REPORTS]]]
#   defaults kb/guidelines, tests/vignettes, reports; kb and kb-verify are
#   taken from KB_BIN_DIR when set, else from PATH.
# Exit: the highest exit code of the steps (0 all pass; 1 a finding: a
# language-clean but unformatted file, a failed test case, a violated
# property or conflict; 2 bad input or no answer; 3 an internal error).
# Every step runs even when an earlier one fails, except after kb check
# finds errors (the others would only repeat them).
set -uo pipefail
sources=${1:-kb/guidelines} tests=${2:-tests/vignettes} reports=${3:-reports}
kb=${KB_BIN_DIR:+$KB_BIN_DIR/}kb
kb_verify=${KB_BIN_DIR:+$KB_BIN_DIR/}kb-verify
mkdir -p "$reports"
worst=0

# step NAME COMMAND...: runs COMMAND, reports its exit code, keeps the highest.
step() {
  local name=$1 code=0
  shift
  "$@" || code=$?
  echo "ci: $name: exit $code" >&2
  if ((code > worst)); then worst=$code; fi
  return "$code"
}

step "kb check" "$kb" check "$sources" --format sarif >"$reports/kb-check.sarif" || exit "$worst"
step "kb fmt --check" "$kb" fmt --check "$sources"
step "kb test" "$kb" test --source "$sources" "$tests" --coverage --format junit --out "$reports/kb-test.xml"
step "kb-verify (JUnit)" "$kb_verify" "$sources" --tests "$tests" --format junit --out "$reports/kb-verify.xml" --quiet
step "kb-verify (SARIF)" "$kb_verify" "$sources" --tests "$tests" --format sarif --out "$reports/kb-verify.sarif" --quiet
echo "ci: exit $worst" >&2
exit "$worst"
