// The parser of the guideline language (docs/language.md): text to items.
// It reports syntax errors only; names and types are the checker's job.
#pragma once

#include <string>
#include <vector>

#include "kb/lang/ast.h"
#include "kb/lang/diagnostics.h"

namespace kb {

/** Parses one source text. Syntax errors go to `diags` with file:line:col;
    parsing resumes at the next item so that all of them are reported.
    @param file name used in locations
    @param text the source
    @return the items that parsed completely */
Module parse_source(const std::string& file, const std::string& text, Diagnostics& diags);

/** A `#` comment of a source text (the formatter keeps them). */
struct Comment {
  Loc loc;                ///< where the `#` is written
  std::string text;       ///< from the `#` to the end of its line, trailing spaces removed
  bool own_line = false;  ///< nothing but spaces before it on its line (else it trails a token)
};

/** As parse_source, and also appends every comment of `text`, in source
    order, to `comments`. */
Module parse_with_comments(const std::string& file, const std::string& text, Diagnostics& diags,
                           std::vector<Comment>& comments);

}  // namespace kb
