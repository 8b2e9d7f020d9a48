// Renderings of a verification report: text for a committee member, JSON
// (schema in docs/kb-verify.md) and JUnit XML (one test case per obligation),
// each finding as one kb::Diagnostic with a source location. SARIF is in
// report/sarif.h, the test-case renderings in report/test_report.h.
#pragma once

#include <string>

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <pugixml.hpp>

#include "kb/lang/diagnostics.h"
#include "verify/harness.h"

namespace verify {

/** Identifies what was checked, for the report headers. */
struct Subject {
  std::string name;          ///< release name, "draft", or the source files
  std::string release_hash;  ///< kb::release_hash of the checked items (a release's sealed hash)
  std::string tool_version;  ///< kb-verify's version (kb::cli::kToolVersion)
  std::string tool = "kb-verify";  ///< the program: "kb-verify" or "kb"
  std::string command;             ///< the program's subcommand ("test", "check"), or ""
};

/** How text for a terminal is written. */
struct TextOptions {
  bool color = false;          ///< ANSI colours on verdict words (only for a terminal, and only without NO_COLOR)
  bool failures_only = false;  ///< leave out obligations that hold (proved properties, passed tests)
};

/** "1 warning", "2 warnings", "0 warnings": `n` and `noun`, with an "s"
    unless `n` is 1. */
std::string plural(std::size_t n, const std::string& noun);

/** `word` in the ANSI colour of `status` (red for failures, yellow for
    warnings and unknowns, green for what holds) when `color`, else `word`. */
std::string colored(const std::string& word, Status status, bool color);

/** Every fact of a patient, as "name=value" (bools true or false): first the
    facts in `first` (those the property and the fired rules read), then,
    after "; other facts: ", the rest, each group in declaration order. */
std::string patient_text(const kb::Guideline& g, const kb::Patient& p, const std::vector<kb::ItemRef>& first);

/** `s` with &, <, > and " replaced by entities, for HTML and XML. */
std::string markup_escape(const std::string& s);

/** One item the verdict rests on, as people read it: "rule MDT-OFFER@3",
    "param min_response_months@2 = 3 (allowed 3..6)". */
std::string rests_on_text(const kb::Guideline& g, kb::ItemRef r);

/** The same as JSON: {kind, name, version ("draft" for files), and for a
    parameter its value and allowed range}. */
nlohmann::json rests_on_json(const kb::Guideline& g, kb::ItemRef r);

/** A location as JSON: {file, line, column, end_line, end_column}. */
nlohmann::json location_json(const kb::Loc& loc);

/** The obligation as a diagnostic: a stable code (the obligation kind,
    "violated-property", "failed-test", or "unknown", "translator-disagreement"),
    the severity (error for violated, conflict, failed, unknown and
    disagreement; warning for lint warnings; note otherwise), its source
    range (location_of), and as related locations the fired rules of a
    witness and the rule a restating property restates. */
kb::Diagnostic finding(const Obligation& o, const kb::Guideline& g);

/** True when the obligation does not hold (anything but proved, no-conflict, ok, passed, waived). */
bool needs_attention(Status s);

/** True when `o` counts against the run: needs_attention(o.status) under
    the chosen readings; only unknown or disagreement under another reading
    (a property failing there is reported, never a failure). */
bool needs_attention(const Obligation& o);

/** Fact ranges for people: "board" / "not board" for a bool, "subtype=her2_pos"
    for an enum, "months=3" or "months in 3..240" for an int; "no fact
    narrower than its range" when empty. */
std::string fact_ranges_text(const kb::Guideline& g, const std::vector<solver::FactRange>& ranges);

/** Deciding facts as JSON: [{"fact": NAME, "value": V}] for a single value
    (typed as in a patient), [{"fact": NAME, "range": [LO, HI]}] for an int range. */
nlohmann::json fact_ranges_json(const kb::Guideline& g, const std::vector<solver::FactRange>& ranges);

/** Deciding facts for people: "every valid patient with board, months in
    3..5", or "every valid patient" when there are none. */
std::string deciding_text(const kb::Guideline& g, const std::vector<solver::FactRange>& deciding);

/** "QUESTION=ALTERNATIVE" of a reading. */
std::string reading_text(const kb::Guideline& g, const Reading& r);

/** The parameter values of a witness that differ from the release's, as
    "min_response_months = 4 (the release sets 3)"; "" when none differ. */
std::string witness_params_text(const Obligation& o, const kb::Guideline& g);

/** The obligations checked under other readings, as text: per reading that
    breaks something, the properties and conflicts that fail with their
    witnesses; one line for the readings under which everything holds; ""
    when the guideline has no question. */
std::string other_readings_text(const Report& r, const kb::Guideline& g, const TextOptions& t);

/** The counts of a report in one line, without a final newline: "30 proved,
    0 violated, 0 conflicts, 0 unknown, 0 disagreements, 2 warnings" (then
    "; 52 tests: 52 passed, 0 failed" when it has test obligations) and
    " (151 obligations, 41.2 ms)". */
std::string summary_line(const Report& r);

/** One obligation as text: "file:line:col: " (when it needs attention), the
    status, id and message; then what a proof rests on, a test's differing
    actions, a witness with every fact (patient_text) and the rules it fires
    with their locations, or both answers of a disagreement. */
std::string obligation_text(const Obligation& o, const kb::Guideline& g, const TextOptions& t);

/** Text for people: a header, one line per property and test (only those
    that fail with `failures_only`) and per other obligation that needs
    attention, then summary_line. */
std::string to_text(const Report& r, const kb::Guideline& g, const Subject& s, const TextOptions& t = {});

/** The report as JSON (docs/kb-verify.md, "JSON report"). */
nlohmann::json to_json(const Report& r, const kb::Guideline& g, const Subject& s);

/** The subject of an obligation as JSON: rests_on_json of its item, or
    {"kind": "test", "name": NAME} for a test. */
nlohmann::json subject_json(const Obligation& o, const kb::Guideline& g);

/** JUnit XML: one <testsuite> named "TOOL [COMMAND] SUBJECT" with one
    <testcase> per obligation (classname "TOOL.KIND", the obligation's time,
    its file and line); violated, conflict, failed, unknown and disagreement
    are failures, warnings are failures only with `deny_warnings`, waived
    findings are <skipped> (with the waiver in the message). A
    failure's text gives the place (file:line:col), the message, every fact
    of the witness patient (false bools included) and the rules it fires
    with their places.
    Written with pugixml; every text goes through xml_text().
    @param extra appends further <testsuite> elements (e.g. the mutation
           suite) to the <testsuites> root */
std::string to_junit(const Report& r, const kb::Guideline& g, const Subject& s, bool deny_warnings,
                     const std::function<void(pugi::xml_node&)>& extra = {});

/** `s` as XML 1.0 character data: every byte that is not well-formed UTF-8,
    and every control character XML 1.0 forbids (C0 but tab, line feed and
    carriage return), becomes '?'. pugixml escapes markup, not these. */
std::string xml_text(const std::string& s);

}  // namespace verify
