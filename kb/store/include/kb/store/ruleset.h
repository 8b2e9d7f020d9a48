// The one rule-set loader every command uses: guideline source files or
// folders, a release of the database, or its current draft.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "kb/model/guideline.h"
#include "kb/store/store.h"

namespace kb {

/** Where a rule set comes from, as named on a command line. */
struct RuleSetSource {
  std::vector<std::string> paths;  ///< `.kb` files or folders ("-": standard input); when non-empty the database is not used
  std::string db = "kb.sqlite";    ///< the database, for a release or the draft
  std::optional<std::string> release;  ///< a release name; nullopt: the current draft (when `paths` is empty)
  OpenMode mode = OpenMode::ReadOnly;  ///< how the database is opened (ReadOnly: it is never written)
};

/** A loaded rule set, or why it could not be loaded. */
struct LoadedRuleSet {
  std::optional<Guideline> guideline;  ///< the checked guideline; nullopt when loading failed (see `error`)
  std::string name;          ///< "release r1", "draft", or "files kb/guidelines"
  std::string release_hash;  ///< kb::release_hash of the guideline (empty on failure)
  std::optional<Store> store;  ///< the opened database, when the rule set came from it
  std::string error;         ///< rendered diagnostics or store error, ending in a newline, when !guideline
};

/** Loads `source`. Missing paths, folders without `.kb` files, language
    errors, a missing database and unknown releases are errors.
    @param in the stream "-" stands for */
LoadedRuleSet load_rule_set(const RuleSetSource& source, std::istream* in = nullptr);

/** The source one word names (a side of `kb diff`, `kb-verify --against`):
    "draft", an existing path or a name ending in ".kb" (files), else a
    release name. */
RuleSetSource rule_set_source(const std::string& word, const std::string& db);

}  // namespace kb
