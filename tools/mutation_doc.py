#!/usr/bin/env python3
"""Writes the "Strength of the properties" section of docs/properties.md from
a kb-verify JSON report made with --mutate:

    build/bin/kb-verify kb/guidelines --mutate --format json > /tmp/m.json
    tools/mutation_doc.py /tmp/m.json docs/properties.md

It replaces the section in place (from its heading to the next "## ")."""
import json
import sys

HEADING = "## Strength of the properties (mutation analysis)"


def section(m):
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
           "recording why one should not.", "",
           "| edit | location | advice that changes |", "| --- | --- | --- |"]
    for x in m["mutants"]:
        if x["status"] == "survived":
            loc = x["location"]
            out.append(f"| {esc(x['summary'])} | {loc['file']}:{loc['line']} | {x['witness_change']} |")
    return "\n".join(out) + "\n"


def main():
    report = json.load(open(sys.argv[1]))["mutation"]
    doc = open(sys.argv[2]).read()
    new = section(report)
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
