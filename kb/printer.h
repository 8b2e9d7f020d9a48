// The canonical text form of items and expressions (docs/language.md,
// "Canonical form"). Stored versions, hashes and `kb export` all use it, and
// it parses back to the same item.
#pragma once

#include <string>

#include "kb/ast.h"

namespace kb {

struct Guideline;

/** Canonical text of an expression, with the fewest parentheses that keep
    its structure. */
std::string print_expr(const Expr& e);

/** Canonical text of one item, ending in a newline. */
std::string print_item(const Item& item);

/** Canonical text of a whole guideline: every item in Guideline::all_items
    order, a blank line between items. `kb export` prints it; its SHA-256 is
    the content hash kb-verify reports. */
std::string guideline_text(const Guideline& g);

/** A string literal with `"` and `\` escaped. */
std::string quote(const std::string& s);

}  // namespace kb
