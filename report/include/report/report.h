// Renderings of a verification report: text for a committee member, JSON
// (schema in docs/kb-verify.md) and JUnit XML (one test case per obligation),
// each finding as one kb::Diagnostic with a source location.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "kb/lang/diagnostics.h"
#include "verify/harness.h"

namespace verify {

/** Identifies what was checked, for the report headers. */
struct Subject {
  std::string name;          ///< release name, "draft", or the source files
  std::string release_hash;  ///< kb::release_hash of the checked items (a release's sealed hash)
  std::string tool_version;  ///< kb-verify's version (kb::cli::kToolVersion)
};

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

/** The obligation as a diagnostic: a stable code (the obligation kind, or
    "unknown", "translator-disagreement"), the severity (error for violated,
    conflict, unknown and disagreement; warning for lint warnings; note
    otherwise), the subject item's source range, and, for a witness, the
    fired rules as related locations. */
kb::Diagnostic finding(const Obligation& o, const kb::Guideline& g);

/** Text for people: one line per obligation that needs attention (and a
    summary), counterexamples as short patient descriptions plus fired rules. */
std::string to_text(const Report& r, const kb::Guideline& g, const Subject& s);

/** The report as JSON (docs/kb-verify.md, "JSON report"). */
nlohmann::json to_json(const Report& r, const kb::Guideline& g, const Subject& s);

/** JUnit XML: one <testcase> per obligation; violated, conflict, unknown and
    disagreement are failures, warnings are failures only with `deny_warnings`,
    waived findings are <skipped> (with the waiver in the message).
    @param extra_suites further <testsuite> elements (e.g. the mutation suite), inserted as given */
std::string to_junit(const Report& r, const Subject& s, bool deny_warnings, const std::string& extra_suites = "");

}  // namespace verify
