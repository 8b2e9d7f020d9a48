// The parser of the guideline language (docs/language.md): text to items.
// It reports syntax errors only; names and types are the checker's job.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kb/lang/ast.h"
#include "kb/lang/diagnostics.h"

namespace kb {

/** The deepest expression the language accepts (docs/language.md,
    "Limits"). A term (name, literal, atom) is 1 deep; every operator and
    every pair of parentheses is one level above what it contains, so a chain
    `a and b and ...` of N terms is N deep and `not (x)` is 3.
    Contract: parse_source() rejects a deeper expression (error at the token
    where the limit is crossed) before building it, and check_nesting()
    rejects one that is deeper with the definitions it uses written out in
    place (the loaders run it before the checker). So every later stage (checker, printer, compiled programs, solver
    translation) may recurse on expressions, and through definitions, without
    exhausting the stack; the canonical text of an accepted expression is
    never deeper than its source, so it parses back. */
inline constexpr int kMaxExpressionDepth = 200;

/** Most digits of an integer literal (so |n| < 10^15); more is an error. */
inline constexpr int kMaxIntegerDigits = 15;

/** Largest reference number, in `reference N` and `cites`; they are 0..this. */
inline constexpr std::int64_t kMaxReferenceNumber = 2147483647;

/** Parses one source text. Syntax errors go to `diags` with file:line:col;
    parsing resumes at the next item so that all of them are reported. The
    text must be UTF-8 (a byte-order mark at its start is skipped); bytes that
    are not UTF-8 are errors. Expressions deeper than kMaxExpressionDepth and
    numbers out of range are errors.
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
/** Reports, in `diags`, every definition, constraint, rule and property of
    `m` that nests deeper than kMaxExpressionDepth with the definitions it
    uses written out in place, a definition's name one level above its body
    (so a chain of N definitions, each naming the previous one, is N + 1
    deep). Only the first item to cross the limit along a chain of
    definitions is reported. Definitions are found by name, as the checker
    resolves them; cycles are left to the checker. Iterative across
    definitions, so any number of them is safe.
    @pre every expression came from parse_source (at most kMaxExpressionDepth deep) */
void check_nesting(const Module& m, Diagnostics& diags);

}  // namespace kb
