// The proof dossier a regulator reads and re-checks without trusting this
// tool (docs/dossier.md): index.html, dossier.json, one SMT-LIB 2 file per
// obligation, and MANIFEST.sha256 over every file.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kb/model/guideline.h"
#include "verify/harness.h"
#include "report/report.h"

namespace verify {

/** Writes the dossier of `report` (run on `g`) into `dir`. The files are
    written into a sibling temporary folder first and moved into place, so
    `dir` is never half-written; an existing `dir` is replaced only when it is
    empty or a previous dossier (has MANIFEST.sha256).
    @param diff the semantic diff against the previous release, when there is one
    @return "" on success, else the error */
std::string write_dossier(const std::string& dir, const Report& report, const kb::Guideline& g, const Subject& s,
                          const std::optional<nlohmann::json>& diff);

/** One line of a re-check. */
struct RecheckLine {
  std::string file;      ///< path relative to the dossier
  std::string expected;  ///< recorded answer: sat, unsat, unknown; or "sha256 ..." for manifest lines
  /// @var z3
  /// First line of z3's output ("" for manifest lines).
  /// @var cvc5
  /// First line of cvc5's output ("" for manifest lines).
  std::string z3, cvc5;
  bool ok = false;       ///< manifest line: file present with its hash; obligation: both solvers gave the recorded answer, or it is unknown
  std::string problem;   ///< why not ok; or a note (a recorded unknown)
};

/** The result of re-checking a dossier. */
struct Recheck {
  std::vector<RecheckLine> lines;  ///< manifest files, unlisted files, then one per obligations/*.smt2
  std::string error;  ///< a failure to re-check at all (missing manifest, solver not installed)
  /** True when the manifest verified and both solvers agreed everywhere. */
  bool ok() const;
};

/** Verifies MANIFEST.sha256 (every listed file present with its hash, no
    unlisted file), then runs the `z3` and `cvc5` command-line solvers on
    every obligations/NAME.smt2 file and compares their answers with the recorded
    ones. A recorded `unknown` is not compared (nothing was claimed).
    @param timeout_s per solver call */
Recheck recheck_dossier(const std::string& dir, unsigned timeout_s);

}  // namespace verify
