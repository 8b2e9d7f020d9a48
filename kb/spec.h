// Where a rule set comes from, as users name it on the command line: a
// release, the current draft, or guideline source files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kb/guideline.h"

namespace kb {

/** A checked guideline and the name to show for it, or an error message. */
struct LoadedSpec {
  std::optional<Guideline> guideline;  ///< the checked guideline; nullopt when loading failed (see `error`)
  std::string name;   ///< "release r1", "draft", or "files kb/guidelines"
  std::string error;  ///< rendered diagnostics or store error when !guideline
};

/** Loads `spec`: "draft" is the current items of the database at `db`; a
    path to a `.kb` file or to a folder (its `*.kb` files, sorted) is read
    from disk; anything else is a release name in `db`. */
LoadedSpec load_spec(const std::string& spec, const std::string& db);

}  // namespace kb
