// Renderings of a `kb test` run (docs/testing.md): text with a diff of the
// expected and actual advice per failing case, JSON, and the rules no case
// fires. JUnit and SARIF come from report/report.h and report/sarif.h.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "report/report.h"

namespace verify {

/** The rules no test case of `r` fires, each as a note (code
    "untested-rule") at the rule, about item "rule:NAME". */
std::vector<kb::Diagnostic> coverage_notes(const Report& r, const kb::Guideline& g);

/** "52 tests, 51 passed, 1 failed (3.1 ms)". */
std::string tests_summary(const Report& r);

/** Text: a header naming the rule set, every failed case (obligation_text:
    its place, the sentence, a table of the differing actions with the
    expected and actual advice, every fact of the patient, the rules fired),
    every passed case too unless `t.failures_only`; with `coverage` the
    rules no case fires; then tests_summary. */
std::string tests_to_text(const Report& r, const kb::Guideline& g, const Subject& s, const TextOptions& t,
                          bool coverage);

/** JSON, schema "kb-test-report/1" (docs/testing.md): the subject and its
    release hash, the summary, one entry per case (name, status, location,
    sentence, message, expected and actual advice of every action either
    side gives, the differing actions, the rules fired, the patient,
    millis), and with `coverage` the rules no case fires. */
nlohmann::json tests_to_json(const Report& r, const kb::Guideline& g, const Subject& s, bool coverage);

}  // namespace verify
