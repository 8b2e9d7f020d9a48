// The canonical text form of items and expressions (docs/language.md,
// "Canonical form"). Stored versions, hashes and `kb export` all use it, and
// it parses back to the same item.
#pragma once

#include <string>

#include "kb/lang/ast.h"

namespace kb {

/** How tightly the operator of `e` binds: 1 for `implies`, 2 `or`, 3 `and`,
    4 `not`, 5 comparisons and `in`, 6 `+` and `-`, 7 for leaves. */
int precedence(const Expr& e);

/** Canonical text of an expression, with the fewest parentheses that keep
    its structure. */
std::string print_expr(const Expr& e);

/** Canonical text of one item, ending in a newline. */
std::string print_item(const Item& item);

/** A string literal with `"` and `\` escaped. */
std::string quote(const std::string& s);

}  // namespace kb
