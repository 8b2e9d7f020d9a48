#!/usr/bin/env bash
# Set-up, then build the bundled guideline into build/kb.sqlite, show what it
# holds, and verify it with kb-verify. Safe to run again: an unchanged
# guideline creates no new version.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
bin=build/bin
db=build/kb.sqlite
"$bin/kb" init --db "$db" >/dev/null
"$bin/kb" import --db "$db" --prune --author "${KB_AUTHOR:-${USER:-run.sh}}" \
  --reason "sync with kb/guidelines" kb/guidelines/*.kb
"$bin/kb" show --db "$db"
echo
"$bin/kb-verify" --db "$db"
