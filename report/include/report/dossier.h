// The proof dossier a regulator reads and re-checks without trusting this
// tool (docs/dossier.md): index.html, dossier.json, one SMT-LIB 2 file per
// obligation, and MANIFEST.sha256 over every file.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kb/model/guideline.h"
#include "kb/sign/sign.h"
#include "verify/harness.h"
#include "report/dossier_html.h"
#include "report/report.h"

namespace verify {

/** The SMT-LIB 2 script of every obligation of `report` (run on `g`) that
    asked the solver, keyed by obligation id, exactly as the dossier writes
    them into obligations/: Smt2Header comment lines, then Solver::smt2() of
    its query (under its reading, for an obligation checked under another
    alternative). @throws solver::Error when Z3 fails */
std::map<std::string, std::string> obligation_scripts(const Report& report, const kb::Guideline& g, const Subject& s);

/** Writes the dossier of `report` (run on `g`) into `dir` (a trailing '/'
    is ignored). The files are written into a fresh folder made with mkdtemp
    beside `dir` and renamed into place, so `dir` is never half-written. An
    existing `dir` is replaced only when it is an empty folder, or a dossier
    kb-verify wrote whose manifest verifies (check_manifest); it is first
    renamed aside to another fresh name, and afterwards exactly the files its
    manifest lists are removed. Nothing else is ever deleted: on failure only
    the fresh folder this call made is removed.
    @param in the guideline's title, the release's metadata and the diff
           against the previous release (with a changes/ACTION.ATOM.smt2
           file per changed answer), when there are
    @param key when given (a private key), MANIFEST.sha256 is signed with it
           into MANIFEST.sha256.sig (docs/dossier.md, "Signed dossiers")
    @return "" on success, else the error */
std::string write_dossier(const std::string& dir, const Report& report, const kb::Guideline& g, const Subject& s,
                          const DossierInput& in, const kb::sign::Key* key = nullptr);

/** One line of a re-check. */
struct RecheckLine {
  std::string file;      ///< path relative to the dossier
  std::string expected;  ///< recorded answer: sat, unsat, unknown; or "sha256 ..." for manifest lines
  /// @var z3
  /// First line of z3's output ("" when z3 was not run on this file).
  /// @var cvc5
  /// First line of cvc5's output ("" when cvc5 was not run on this file).
  std::string z3, cvc5;
  bool ok = false;       ///< manifest line: file present with its hash; obligation: both solvers gave the recorded answer, or it is unknown
  std::string problem;   ///< why not ok; or a note (a recorded unknown)
};

/** Seconds a solver may run past its own time limit before it is killed. */
inline constexpr unsigned kSolverGraceSeconds = 5;

/** The result of re-checking a dossier. */
struct Recheck {
  /** Manifest lines and unlisted files, then the consistency problems of
      dossier.json, index.html and the obligation files, then one line per
      obligation the solvers re-decided. */
  std::vector<RecheckLine> lines;
  std::string error;         ///< a failure to re-check at all (no manifest, empty manifest, no dossier.json, solver not installed)
  std::string z3_version;    ///< first line of `z3 --version`
  std::string cvc5_version;  ///< first line of `cvc5 --version`
  std::string subject;       ///< the subject name dossier.json records
  std::string release_hash;  ///< the release hash recomputed from dossier.json's source ("" when it does not check)
  std::size_t files_verified = 0;       ///< manifest entries present with their hash
  std::size_t obligations_decided = 0;  ///< obligations both solvers were run on
  /** True when there is no error and every line is ok. */
  bool ok() const;
};

/** Re-checks the dossier in `dir` without trusting it (docs/dossier.md,
    "Re-checking"): the manifest (check_manifest: only regular files inside
    `dir`, each at most 64 MiB); dossier.json, index.html and exactly the
    obligation files dossier.json lists, all listed in the manifest; the
    guideline source in dossier.json re-parsed and re-checked, its release
    hash recomputed and compared; every obligation's SMT-LIB text
    regenerated from that source and compared byte for byte; the recorded
    verdicts consistent with the recorded answers and with index.html. Then
    the `z3` and `cvc5` programs (run without a shell) decide each verified
    obligation and must give the recorded answer; a recorded `unknown`
    claims nothing and is not compared.
    @param timeout_s each solver's own time limit per obligation
    @param grace_s seconds after `timeout_s` when a solver still running is
           killed (SIGKILL) and the obligation fails as a timeout */
Recheck recheck_dossier(const std::string& dir, unsigned timeout_s, unsigned grace_s = kSolverGraceSeconds);

}  // namespace verify
