#!/usr/bin/env python3
"""Writes the "Strength of the properties" section of docs/properties.md from
a kb-verify JSON report made with --mutate:

    build/bin/kb-verify kb/guidelines --mutate --format json > /tmp/m.json
    tools/mutation_doc.py /tmp/m.json docs/properties.md

It replaces the section in place (from its heading to the next "## ").
The last column of the surviving-mutant table ("why no property kills it")
is written by hand; a regeneration keeps it for every survivor whose edit is
unchanged and marks new survivors "(not yet justified)". The mutation test
compares the score, the edits and their count, not that column."""
import json
import sys

HEADING = "## Strength of the properties (mutation analysis)"


UNJUSTIFIED = "(not yet justified)"


def old_reasons(doc):
    """The hand-written last column of the surviving-mutant rows already in the page, by edit."""
    reasons = {}
    for line in doc.splitlines():
        if not line.startswith("| ") or " | kb/guidelines/" not in line:
            continue
        cells = line[2:].rstrip().removesuffix("|").rstrip().split(" | kb/guidelines/", 1)
        rest = cells[1].split(" | ")
        if len(rest) >= 3:
            reasons[cells[0]] = " | ".join(rest[2:]).strip()
    return reasons


def section(m, reasons):
    c = m["counts"]
    esc = lambda s: s.replace("|", "\\|")
    out = [HEADING, "",
           "`kb-verify kb/guidelines --mutate` edits the rules one small step at a time (docs/kb-verify.md, "
           "\"How strong are the properties\") and checks each edit against the properties. "
           "`tests/verify/mutation_test.cpp` keeps this section in step with the bundled guideline: the score line "
           "and every surviving mutant below must match a fresh run (regenerate with `tools/mutation_doc.py`).", "",
           f"Score: **{m['score']:.1f}%** ({m['effective_kills']} of {m['mutants_total'] - c['equivalent']} "
           f"non-equivalent mutants killed by a property that does not restate a rule; {m['mutants_total']} mutants: "
           f"{c['killed']} killed, {c['equivalent']} equivalent, {c['survived']} survived).", "",
           "Restating properties (flagged by the restates-rule lint: each is implied by one rule whose condition is "
           "its premise, so its kills do not count): " + ", ".join(f"`{p}`" for p in m["restating"]) + ".", "",
           "Properties that kill a mutant no other property kills: " +
           ", ".join(f"`{p}`" for p in m["unique_killers"]) + ".", "",
           "### Surviving mutants", "",
           "Each changes some valid patient's advice and no property notices (the change names what differs for a "
           "witness patient). Raising the score means adding properties that pin these behaviours down, or "
           "recording why one should not: the last column says why no property should kill it.", "",
           "| edit | location | advice that changes | why no property kills it |", "| --- | --- | --- | --- |"]
    for x in m["mutants"]:
        if x["status"] == "survived":
            loc = x["location"]
            why = reasons.get(esc(x["summary"]), UNJUSTIFIED)
            out.append(f"| {esc(x['summary'])} | {loc['file']}:{loc['line']} | {x['witness_change']} | {why} |")
    restating_only = [x for x in m["mutants"] if x["status"] == "killed" and x.get("restating_only")]
    if restating_only:
        out += ["", "### Mutants killed only by restating properties", "",
                "These count as not killed in the score: the only properties that notice them restate the rule "
                "they edit.", "", "| edit | killed only by |", "| --- | --- |"]
        for x in restating_only:
            killers = sorted({k.split(":", 1)[-1] if isinstance(k, str) else k.get("name", str(k))
                              for k in x["killed_by"]})
            out.append(f"| {esc(x['summary'])} | " + ", ".join(f"`{k}`" for k in killers) + " |")
    return "\n".join(out) + "\n"


def main():
    report = json.load(open(sys.argv[1]))["mutation"]
    doc = open(sys.argv[2]).read()
    new = section(report, old_reasons(doc))
    if HEADING in doc:
        start = doc.index(HEADING)
        end = doc.find("\n## ", start + len(HEADING))
        doc = doc[:start] + new + (doc[end + 1:] if end >= 0 else "")
    else:
        at = doc.index("## Evidence references")
        doc = doc[:at] + new + "\n" + doc[at:]
    open(sys.argv[2], "w").write(doc)


if __name__ == "__main__":
    main()
