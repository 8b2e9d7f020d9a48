// Renderings of a verification report: text for a committee member, JSON
// (schema in docs/kb-verify.md) and JUnit XML (one test case per obligation).
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "verify/harness.h"

namespace verify {

/** Identifies what was checked, for the report headers. */
struct Subject {
  std::string name;          ///< release name, "draft", or the source files
  std::string content_hash;  ///< sha256 of the checked items' canonical text
  std::string tool_version;  ///< kb-verify's version (kb::cli::kToolVersion)
};

/** `s` with &, <, > and " replaced by entities, for HTML and XML. */
std::string markup_escape(const std::string& s);

/** Text for people: one line per obligation that needs attention (and a
    summary), counterexamples as short patient descriptions plus fired rules. */
std::string to_text(const Report& r, const kb::Guideline& g, const Subject& s);

/** The report as JSON (docs/kb-verify.md, "JSON report"). */
nlohmann::json to_json(const Report& r, const kb::Guideline& g, const Subject& s);

/** JUnit XML: one <testcase> per obligation; violated, conflict, unknown and
    disagreement are failures, warnings are failures only with `deny_warnings`. */
std::string to_junit(const Report& r, const Subject& s, bool deny_warnings);

}  // namespace verify
