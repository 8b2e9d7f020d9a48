#!/usr/bin/env bash
# Validates real JSON outputs of kb and kb-verify against the published
# schemas in schemas/ (docs/schemas.md) with ajv-cli (npm ajv-cli, installed
# by tools/setup.sh into the build folder), then checks that deliberately
# broken copies of those outputs are rejected, so the test cannot pass
# vacuously. Every schema in schemas/ must be used by some output.
# Run from the repository root.
# Usage: validate.sh BIN_DIR AJV
# Exit: 0 every output valid and every broken copy rejected; 1 a problem;
#       77 ajv-cli is not installed (ctest: skipped).
set -euo pipefail
bin=$1 ajv=$2
if [ ! -x "$ajv" ]; then
  echo "validate.sh: $ajv is not installed (tools/setup.sh installs it); skipped"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# run WANTED_EXIT COMMAND...: runs the command, fails unless it exits WANTED_EXIT.
run() {
  local want=$1 got=0
  shift
  "$@" >"$work/stdout" 2>"$work/stderr" || got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $* exited $got, expected $want"; cat "$work/stderr"; exit 1
  fi
}

# The outputs, grouped by the schema they must follow (one folder per schema).
schemas=(kb-verify-report kb-diff kb-test-report kb-recommendation kb-recommendation-line kb-recommendation-summary kb-dossier
         kb-readings kb-advice kb-verify-shard)
for s in "${schemas[@]}"; do mkdir -p "$work/$s"; done
out=$work

# A small rule set with a conflict (mdt both offered and avoided for a
# patient with board and bone), for the recommender's conflict output.
cat >"$work/conflict.kb" <<'EOF'
reference 1 "A reference"
fact board: bool "tumour board held"
fact bone: bool "bone metastases"
action mdt "metastasis-directed therapy"
rule OFFER
  when board
  then consider mdt
  because "board"
  source "MDT after a board"
  cites 1
rule AVOID
  when bone
  then avoid mdt
  because "bone"
  source "no MDT for bone"
  cites 1
EOF
# The "after" side of a diff: tests/sarif/violated.kb with MDT from 6 months.
sed 's/months >= 3/months >= 6/' tests/sarif/violated.kb >"$work/after.kb"
cmp -s tests/sarif/violated.kb "$work/after.kb" && { echo "FAIL: the diff's after side equals its before side"; exit 1; }

# kb-verify: the bundled guideline with its vignettes (everything holds);
# the violated guideline with failing test cases, a waived finding, a diff
# against a changed copy and mutation analysis; and a stored release (item
# versions are numbers there, "draft" for files).
run 0 "$bin/kb-verify" kb/guidelines --tests tests/vignettes --format json --quiet --out "$out/kb-verify-report/bundled.json"
run 1 "$bin/kb-verify" tests/sarif/violated.kb --tests tests/sarif/cases --against "$work/after.kb" --mutate \
      --format json --quiet --out "$out/kb-verify-report/violated-against-mutate.json"
run 1 "$bin/kb-verify" tests/schemas/readings.kb --format json --quiet --out "$out/kb-verify-report/readings.json"
run 0 sh -c "\"$bin/kb\" readings tests/schemas/readings.kb --format json >\"$out/kb-readings/readings.json\""
run 0 sh -c "\"$bin/kb\" readings tests/sarif/violated.kb --format json >\"$out/kb-readings/none.json\""
db=$work/kb.sqlite
run 0 "$bin/kb" init --db "$db"
run 0 "$bin/kb" import --db "$db" tests/sarif/violated.kb --author ci --reason "schema test"
run 0 "$bin/kb" release --db "$db" r1 --author ci
run 1 "$bin/kb-verify" --db "$db" --release r1 --against "$work/after.kb" --format json --quiet \
      --out "$out/kb-verify-report/release.json"
# Again: every answer reused from the run before (the proof cache).
run 1 "$bin/kb-verify" --db "$db" --release r1 --format json --quiet --out "$out/kb-verify-report/release-cached.json"
# Two shards of the violated guideline, and of the bundled one.
run 1 "$bin/kb-verify" tests/sarif/violated.kb --shard 1/2 --out "$out/kb-verify-shard/violated-1.json"
run 0 "$bin/kb-verify" tests/sarif/violated.kb --shard 2/2 --out "$out/kb-verify-shard/violated-2.json"
run 0 "$bin/kb-verify" kb/guidelines --shard 1/2 --out "$out/kb-verify-shard/bundled-1.json"

# kb diff: a changed answer (exit 1) and a rule set against itself (exit 0).
run 1 sh -c "\"$bin/kb\" diff tests/sarif/violated.kb \"$work/after.kb\" --format json >\"$out/kb-diff/changed.json\""
run 0 sh -c "\"$bin/kb\" diff tests/sarif/violated.kb tests/sarif/violated.kb --format json >\"$out/kb-diff/same.json\""
run 1 sh -c "\"$bin/kb\" diff --db \"$db\" r1 \"$work/after.kb\" --format json >\"$out/kb-diff/release.json\""

# Proof dossiers: of release r1 (no earlier release), of r2 (the diff
# against r1 inside) and of source files (no stored versions).
run 1 "$bin/kb-verify" --db "$db" --release r1 --dossier "$work/dossier-r1" --quiet
run 0 "$bin/kb" import --db "$db" "$work/after.kb" --author ci --reason "schema test"
run 0 "$bin/kb" release --db "$db" r2 --author ci
run 0 "$bin/kb-verify" --db "$db" --release r2 --dossier "$work/dossier-r2" --quiet
run 1 "$bin/kb-verify" tests/sarif/violated.kb --dossier "$work/dossier-files" --quiet
for d in r1 r2 files; do cp "$work/dossier-$d/dossier.json" "$out/kb-dossier/$d.json"; done

# kb test: every vignette passes with coverage; failing cases.
run 0 "$bin/kb" test --source kb/guidelines tests/vignettes --coverage --format json --out "$out/kb-test-report/vignettes.json"
run 1 "$bin/kb" test --source tests/sarif/violated.kb tests/sarif/cases --format json --out "$out/kb-test-report/failing.json"

# kb recommend: every vignette's patient alone, a conflict, and one batch of
# them all plus a patient with a bad fact, a line that is not JSON and a
# blank line (each output line validated on its own).
node -e '
  const fs = require("fs");
  const [dir, out] = process.argv.slice(1);
  const lines = [];
  for (const f of fs.readdirSync(dir).filter(f => f.endsWith(".json")).sort()) {
    const p = JSON.parse(fs.readFileSync(dir + "/" + f, "utf8")).patient;
    const partial = Object.values(p).some(v => v === null || typeof v === "object");
    fs.writeFileSync(out + (partial ? "/partial-" : "/patient-") + f, JSON.stringify(p));
    lines.push(JSON.stringify(p));
  }
  const bad = JSON.parse(lines[0]); bad.age = 999;
  lines.push(JSON.stringify(bad), "{not json", "");
  fs.writeFileSync(out + "/cohort.jsonl", lines.join("\n") + "\n");
' tests/vignettes "$work"
n=0
for p in "$work"/patient-*.json; do
  run 0 sh -c "\"$bin/kb\" recommend --source kb/guidelines --patient \"$p\" --format json >\"$out/kb-recommendation/${p##*/}\""
  n=$((n + 1))
done
for p in "$work"/partial-*.json; do  # vignettes with unknown facts: advice
  run 0 sh -c "\"$bin/kb\" recommend --source kb/guidelines --patient \"$p\" --format json >\"$out/kb-advice/${p##*/}\""
done
echo '{"board": true, "bone": null}' >"$work/possible-conflict.json"
run 0 sh -c "\"$bin/kb\" recommend --source \"$work/conflict.kb\" --patient \"$work/possible-conflict.json\" --format json >\"$out/kb-advice/possible-conflict.json\""
echo '{"board": true, "bone": true}' >"$work/conflict-patient.json"
run 1 sh -c "\"$bin/kb\" recommend --source \"$work/conflict.kb\" --patient \"$work/conflict-patient.json\" --format json >\"$out/kb-recommendation/conflict.json\""
run 2 sh -c "\"$bin/kb\" recommend --source kb/guidelines --patient \"$work/cohort.jsonl\" --batch >\"$work/batch.jsonl\""
split -l 1 -d -a 3 --additional-suffix=.json "$work/batch.jsonl" "$out/kb-recommendation-line/line-"
# Cohort summaries: the same batch; conflicts, and changed answers against
# a rule set where bone alone no longer avoids mdt.
run 2 sh -c "\"$bin/kb\" recommend --source kb/guidelines --patient \"$work/cohort.jsonl\" --batch --summary --jobs 2 >\"$out/kb-recommendation-summary/cohort.json\""
sed 's/when bone$/when bone and not board/' "$work/conflict.kb" >"$work/no-conflict.kb"
printf '%s\n' '{"board": true, "bone": true}' '{"board": false, "bone": true}' '{"board": true, "bone": false}' >"$work/conflict.jsonl"
run 1 sh -c "\"$bin/kb\" recommend --source \"$work/conflict.kb\" --patient \"$work/conflict.jsonl\" --batch --summary --against \"$work/no-conflict.kb\" >\"$out/kb-recommendation-summary/against.json\""
echo "outputs: $(find "$out"/kb-*/ -name '*.json' | wc -l) JSON documents ($n single patients, $(wc -l <"$work/batch.jsonl") batch lines)"

# The outputs must exercise the optional parts the schemas describe, or
# validating them proves little.
node -e '
  const fs = require("fs");
  const d = process.argv[1];
  const read = f => JSON.parse(fs.readFileSync(d + "/" + f, "utf8"));
  const v = read("kb-verify-report/violated-against-mutate.json");
  const problems = [];
  if (!v.diff || !v.mutation) problems.push("the violated report has no diff or mutation part");
  const st = new Set(v.obligations.map(o => o.status));
  for (const s of ["violated", "failed", "passed", "waived", "warning"]) if (!st.has(s)) problems.push("no " + s + " obligation");
  if (!v.mutation.mutants.some(m => m.status === "survived")) problems.push("no surviving mutant");
  if (!read("kb-diff/changed.json").answers.some(a => a.status === "changed")) problems.push("the diff changes no answer");
  const rd = read("kb-verify-report/readings.json");
  if (!rd.obligations.some(o => o.reading) || !rd.obligations.some(o => o.failing_values) ||
      !rd.obligations.some(o => o.parameters) || !rd.obligations.some(o => o.rests_on.some(r => r.kind === "question")))
    problems.push("the readings report has no reading, failing values, parameters or question");
  if (!read("kb-readings/readings.json").questions.length) problems.push("kb readings shows no question");
  if (!read("kb-verify-report/release.json").obligations.some(o => o.rests_on.some(r => Number.isInteger(r.version))))
    problems.push("the release report has no numbered version");
  if (!read("kb-dossier/r2.json").diff) problems.push("the r2 dossier has no diff");
  if (!read("kb-verify-report/release-cached.json").obligations.some(o => o.cached_from === "run 1"))
    problems.push("the second release report reuses no answer");
  const shard = read("kb-verify-shard/violated-1.json").obligations.concat(read("kb-verify-shard/violated-2.json").obligations);
  if (!shard.some(o => o.answer && o.answer.witness && o.answer.deciding) || !shard.some(o => o.answer && o.answer.core))
    problems.push("the shards keep no witness with deciding facts, or no core");
  if (!read("kb-test-report/vignettes.json").coverage) problems.push("no coverage part");
  if (!read("kb-recommendation/conflict.json").conflicts.length) problems.push("no conflict");
  const lines = fs.readdirSync(d + "/kb-recommendation-line").map(f => read("kb-recommendation-line/" + f));
  if (!lines.some(l => l.fact) || !lines.some(l => l.error && !l.fact) || !lines.some(l => l.result) || !lines.some(l => l.advice))
    problems.push("the batch lacks a result, an advice, a bad fact or a bad line");
  const pc = read("kb-advice/possible-conflict.json");
  if (!pc.actions.some(a => a.conflict.answer === "depends" && a.conflict.depends_on.length) || !pc.ask.some(q => q.settles.length))
    problems.push("the advice has no possible conflict, no deciding fact or no fact to ask");
  const sa = read("kb-recommendation-summary/against.json");
  if (!sa.against || !sa.against.changes.length || !sa.with_conflict) problems.push("the summary has no change or no conflict");
  for (const p of problems) console.log("FAIL: " + p);
  process.exit(problems.length ? 1 : 0);
' "$out"

# ajv_validate SCHEMA ARG...: ajv on schemas/SCHEMA.schema.json (the other
# schemas loaded for its references) with the further arguments (-d FILES).
ajv_validate() {
  local s=$1 r=() f
  shift
  for f in schemas/*.schema.json; do [ "$f" = "schemas/$s.schema.json" ] || r+=(-r "$f"); done
  "$ajv" validate --spec=draft2020 --strict=true --strict-types=false --strict-required=false --all-errors --errors=text \
    -s "schemas/$s.schema.json" "${r[@]}" "$@"
}
used=()
for s in "${schemas[@]}"; do
  if ! ajv_validate "$s" -d "$out/$s/*.json" >"$work/ajv.out" 2>&1; then
    echo "FAIL: an output does not follow schemas/$s.schema.json:"; grep -v ' valid$' "$work/ajv.out" | head -40; exit 1
  fi
  echo "$s: $(grep -c ' valid$' "$work/ajv.out") documents valid"
  used+=("$s")
done
# The embedded parts have schemas of their own; kb-common only holds definitions.
used+=(kb-mutation kb-common)
for f in schemas/*.schema.json; do
  s=${f#schemas/}; s=${s%.schema.json}
  [[ " ${used[*]} " == *" $s "* ]] || { echo "FAIL: schemas/$s.schema.json is checked against no output"; exit 1; }
done

# Broken copies: each must be rejected. "reject SCHEMA SOURCE JS" asks for a
# copy of SOURCE, parsed as j and edited by JS, that must fail SCHEMA. One
# node run writes all the copies and one ajv run per schema validates them
# (node starts slowly); ajv must name each copy invalid.
broken=0
reject() {
  broken=$((broken + 1))
  printf '%s\t%s\t%s\t%s\n' "$broken" "$1" "$2" "$3" >>"$work/broken.tsv"
}
V=kb-verify-report/violated-against-mutate.json
reject kb-verify-report $V 'j.schema = "kb-verify-report/1"'
reject kb-verify-report $V 'delete j.summary.waived'
reject kb-verify-report $V 'j.summary.maybe = 0'
reject kb-verify-report $V 'j.obligations[0].status = "maybe"'
reject kb-verify-report $V 'j.obligations[0].kind = "lemma"'
reject kb-verify-report $V 'delete j.obligations[0].location'
reject kb-verify-report $V 'j.obligations[0].location.line = "7"'
reject kb-verify-report $V 'j.obligations.find(o => o.status === "violated").counterexample = null'
reject kb-verify-report $V 'j.obligations.find(o => o.status === "violated").severity = "note"'
reject kb-verify-report $V 'delete j.obligations.find(o => o.status === "waived").waived_by'
reject kb-verify-report $V 'delete j.obligations.find(o => o.kind === "test").expected'
reject kb-verify-report $V 'j.obligations.find(o => o.kind === "test").expected.mdt = "maybe"'
reject kb-verify-report $V 'j.obligations[0].rests_on.push({kind: "rule", name: "X", version: 0})'
reject kb-verify-report $V 'j.obligations[0].fired.push("OFFER")'
reject kb-verify-report $V 'j.subject.release_hash = "abc"'
reject kb-verify-report $V 'j.diff.answers[0].status = "different"'
reject kb-verify-report $V 'j.mutation.mutants[0].op = "flip"'
reject kb-verify-report $V 'delete j.mutation.schema'
reject kb-verify-report $V 'j.mutation.mutants.find(m => m.status === "survived").killed_by = ["property:X"]'
reject kb-verify-report $V 'j.mutation.score = 120'
R=kb-verify-report/readings.json
reject kb-verify-report $R 'delete j.summary.other_readings'
reject kb-verify-report $R 'j.obligations.find(o => o.reading).reading.alternative = ""'
reject kb-verify-report $R 'j.obligations.find(o => o.reading).id = "property:FLOOR-3"'
reject kb-verify-report $R 'j.obligations.find(o => o.failing_values).failing_values.min_months.intervals = [[3]]'
reject kb-verify-report $R 'delete j.obligations.find(o => o.rests_on.some(r => r.kind === "question")).rests_on.find(r => r.kind === "question").chosen'
reject kb-readings kb-readings/readings.json 'delete j.questions[0].alternatives[1].diff'
reject kb-readings kb-readings/readings.json 'j.questions[0].alternatives[0].diff = j.questions[0].alternatives[1].diff'
reject kb-diff kb-diff/changed.json 'j.exit_code = 3'
reject kb-diff kb-diff/changed.json 'delete j.answers.find(a => a.status === "changed").witness'
reject kb-diff kb-diff/changed.json 'delete j.answers.find(a => a.status === "changed").necessary_ranges'
reject kb-diff kb-diff/changed.json 'j.answers.find(a => a.status === "changed").witness = {before: {}, after: {}}'
reject kb-diff kb-diff/changed.json 'j.items.push({change: "renamed", kind: "rule", name: "X", before: "", after: "X@draft", text_diff: ""})'
reject kb-diff kb-diff/changed.json 'j.properties[0].change = "worse"'
reject kb-test-report kb-test-report/failing.json 'j.tests[0].status = "skipped"'
reject kb-test-report kb-test-report/failing.json 'j.tests.find(t => t.status === "failed").diff = []'
reject kb-test-report kb-test-report/vignettes.json 'delete j.coverage.unfired'
reject kb-test-report kb-test-report/vignettes.json 'j.extra = true'
reject kb-recommendation kb-recommendation/conflict.json 'delete j.schema'
reject kb-recommendation kb-recommendation/conflict.json 'j.actions[0].strengths.push("maybe")'
reject kb-recommendation kb-recommendation/conflict.json 'j.conflicts[0].offered_by = ["OFFER"]'
reject kb-recommendation kb-recommendation/conflict.json 'j.actions[0].rules[0].why = "x"'
reject kb-recommendation-line kb-recommendation-line/line-000.json 'j.error = "bad"'
reject kb-recommendation-line kb-recommendation-line/line-000.json 'j.line = 0'
reject kb-recommendation-line kb-recommendation-line/line-000.json 'delete j.result'
reject kb-recommendation-line kb-recommendation-line/line-000.json 'j.advice = {}'
reject kb-advice kb-advice/possible-conflict.json 'delete j.ask'
reject kb-advice kb-advice/possible-conflict.json 'j.actions[0].conflict.answer = "maybe"'
reject kb-advice kb-advice/possible-conflict.json 'delete j.actions[0].conflict.when_false'
reject kb-advice kb-advice/possible-conflict.json 'j.actions[0].recommended = {"answer": "never", "depends_on": []}'
reject kb-advice kb-advice/possible-conflict.json 'j.ask[0].settles[0].answer = "offered"'
reject kb-advice kb-advice/possible-conflict.json 'j.patient.bone = {"range": [0]}'
reject kb-recommendation-summary kb-recommendation-summary/against.json 'j.against.changes[0].before = ["maybe"]'
reject kb-recommendation-summary kb-recommendation-summary/against.json 'delete j.actions[0].conflicts'
reject kb-recommendation-summary kb-recommendation-summary/cohort.json 'j.patients = -1'
reject kb-dossier kb-dossier/r2.json 'j.schema = "kb-verify-report/3"'
reject kb-dossier kb-dossier/r2.json 'delete j.smt2'
reject kb-dossier kb-dossier/r2.json 'j.smt2[Object.keys(j.smt2)[0]].expect = "proved"'
reject kb-dossier kb-dossier/r2.json 'j.versions[Object.keys(j.versions)[0]] = "1"'
reject kb-dossier kb-dossier/r2.json 'j.date = "29/11/2026"'
reject kb-dossier kb-dossier/r2.json 'j.diff.exit_code = 7'
reject kb-dossier kb-dossier/r2.json 'delete j.release'
reject kb-dossier kb-dossier/r2.json 'j.obligations[0].kind = "test"'
node -e '
  const fs = require("fs");
  const [list, out, dir] = process.argv.slice(1);
  for (const row of fs.readFileSync(list, "utf8").split("\n").filter(Boolean)) {
    const [n, schema, src, edit] = row.split("\t");
    const j = JSON.parse(fs.readFileSync(out + "/" + src, "utf8"));
    eval(edit);
    fs.mkdirSync(dir + "/" + schema, {recursive: true});
    fs.writeFileSync(dir + "/" + schema + "/" + n + ".json", JSON.stringify(j));
    fs.appendFileSync(dir + "/" + schema + ".list", n + ": " + src + " (" + edit + ")\n");
  }
' "$work/broken.tsv" "$out" "$work/broken"
for list in "$work"/broken/*.list; do
  s=${list##*/}; s=${s%.list}
  ajv_validate "$s" -d "$work/broken/$s/*.json" >"$work/ajv.out" 2>&1 || true
  while IFS= read -r line; do
    n=${line%%:*}
    grep -qx "$work/broken/$s/$n.json invalid" "$work/ajv.out" || {
      echo "FAIL: schemas/$s.schema.json accepts a broken ${line#*: }"; grep -F "/$n.json" "$work/ajv.out"; exit 1
    }
  done <"$list"
done
echo "$broken broken outputs rejected"
echo "every JSON output follows its schema"
