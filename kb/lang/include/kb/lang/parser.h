// The parser of the guideline language (docs/language.md): text to items.
// It reports syntax errors only; names and types are the checker's job.
#pragma once

#include <string>

#include "kb/lang/ast.h"
#include "kb/lang/diagnostics.h"

namespace kb {

/** Parses one source text. Syntax errors go to `diags` with file:line:col;
    parsing resumes at the next item so that all of them are reported.
    @param file name used in locations
    @param text the source
    @return the items that parsed completely */
Module parse_source(const std::string& file, const std::string& text, Diagnostics& diags);

}  // namespace kb
