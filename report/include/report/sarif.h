// SARIF 2.1.0 logs (docs/sarif.md) for `kb check`, `kb test` and kb-verify,
// for code-scanning tools: one result per finding with a stable rule id (the
// diagnostic code), a level, a repository-relative location, related
// locations and a fingerprint that survives edits moving it to other lines.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kb/lang/diagnostics.h"
#include "report/report.h"

namespace verify {

/** One SARIF result: a finding and what identifies it across runs. */
struct SarifResult {
  kb::Diagnostic finding;  ///< rule id (code), level (severity), message, location and related locations
  std::string item;        ///< what the finding is about as "kind:name" ("property:P", "test:t1"); fingerprint input
  nlohmann::json properties = nlohmann::json::object();  ///< the result's property bag (counterexample, ...)
  std::string suppression;  ///< a waived finding's justification (SARIF `suppressions`); "" when not waived
};

/** What one SARIF run describes: the tool, the rule set, the findings. */
struct SarifRun {
  std::string tool;          ///< tool.driver.name: "kb" or "kb-verify"
  std::string version;       ///< tool.driver.version
  std::string release_hash;  ///< the checked rule set's release hash; "" when there is none (sources that do not check)
  nlohmann::json properties = nlohmann::json::object();  ///< further run properties (subject, command, summary)
  std::vector<SarifResult> results;                       ///< the findings, in report order
};

/** The stable fingerprint of a finding: the first 32 hex digits of the
    SHA-256 of "RULE-ID\nITEM". No line or column goes into it. */
std::string sarif_fingerprint(const std::string& rule_id, const std::string& item);

/** A file name as a SARIF artifact location: a relative path becomes a
    percent-encoded URI relative to uriBaseId "SRCROOT" (the directory the
    tool ran in, normally the repository root); an absolute path a file://
    URI. Names in angle brackets ("<stdin>") are no file: null. */
nlohmann::json sarif_artifact(const std::string& file);

/** The SARIF log of one run: version 2.1.0 and its $schema; the driver with
    name, version and one reporting descriptor per rule id used (id, name,
    short description, default level), without URIs; "SRCROOT" in
    originalUriBaseIds; each result with ruleId, ruleIndex, level, message,
    physical location (region from line/column to end line/column),
    relatedLocations, partialFingerprints {"kbFinding/v1": sarif_fingerprint}
    and its property bag; the release hash in the run's properties
    ("releaseHash"). */
nlohmann::json sarif_log(const SarifRun& run);

/** The findings of a kb-verify or kb test report: every obligation that
    needs attention (violated, conflict, failed, unknown, disagreement,
    warning), with the finding() diagnostic, the subject as fingerprint item
    (the test's name for tests) and the witness patient, the rules fired and
    the obligation id in its property bag. Run properties: the subject's
    name, the command and the summary counts.
    @param coverage also a note (code "untested-rule") for every rule no test case fires */
SarifRun sarif_run(const Report& r, const kb::Guideline& g, const Subject& s, bool coverage = false);

/** The findings of `kb check`: each diagnostic, with the file and the
    message (digits left out) as fingerprint item. */
SarifRun sarif_run(const std::vector<kb::Diagnostic>& diagnostics, const std::string& tool, const std::string& version);

}  // namespace verify
