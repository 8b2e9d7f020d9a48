// index.html of the proof dossier (docs/dossier.md, "index.html"): one
// self-contained page for a regulator, built from the report, the guideline
// and what the command line knows about the release.
#pragma once

#include <optional>
#include <string>

#include "kb/model/guideline.h"
#include "report/report.h"
#include "verify/diff.h"

namespace verify {

/** What the store records about the release a dossier checks. */
struct ReleaseMeta {
  std::string author;    ///< who sealed it
  std::string sealed;    ///< when, UTC ("YYYY-MM-DDTHH:MM:SSZ")
  std::string reason;    ///< why (may be empty)
  std::string previous;  ///< the release before it ("" for the first)
};

/** What a dossier shows beyond the report. */
struct DossierInput {
  std::string title;                   ///< the guideline's name (kb-verify --title, else the sources' folder)
  std::optional<ReleaseMeta> release;  ///< set when a stored release is checked
  const Diff* diff = nullptr;          ///< the diff against the previous release (or --against), when there is one
  const kb::Guideline* before = nullptr;  ///< the diff's `before` side; set with `diff`
};

/** "changes/ACTION.ATOM.smt2": the file holding a changed answer's SMT-LIB. */
std::string change_file(const AnswerChange& c);

/** The dossier's index.html: verdict banner, title (guideline, release,
    release hash), metadata, contents, scope and assumptions, properties
    grouped by the guideline part (source file) of the rules they rest on,
    conflicts and lints (what holds collapsed), other readings, the changes
    since the previous release as tables, and how to re-check. Every
    obligation is one html_section; the hash is in html_hash_row. */
std::string dossier_html(const Report& r, const kb::Guideline& g, const Subject& s, const std::string& date,
                         const DossierInput& in);

}  // namespace verify
