// The source formatter (docs/language.md, "Formatting"): the canonical item
// layout with long expressions broken at `and`, `or` and `implies`, and the
// source's comments and blank-line grouping kept. `kb fmt` and `kb export`
// use it; formatting never changes an item's canonical text (print_item).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "kb/lang/ast.h"
#include "kb/lang/diagnostics.h"

namespace kb {

/** The line width the formatter breaks expressions at. String literals and
    expressions without `and`, `or` or `implies` may run past it. */
inline constexpr std::size_t kFormatWidth = 100;

/** One item in the formatter's layout, without comments: print_item's
    layout, except that an expression that would run past `width` columns is
    broken before `and`, `or` and `implies` (as many operands per line as
    fit; continuation lines indented 4 spaces, each nested group 2 more).
    Equal to print_item when every line fits. Ends in a newline. */
std::string format_item(const Item& item, std::size_t width = kFormatWidth);

/** A whole source text in canonical layout: its items in source order, each
    as format_item; one blank line where the source had one or more between
    two items or comments, none elsewhere; every comment kept (on its own
    line above the item or line that follows it, or at the end of the line
    it trails). Formatting its result again changes nothing, and it parses to
    items with the same canonical text.
    @param file name used in diagnostics
    @return the formatted text, or nullopt with the syntax errors in `diags` */
std::optional<std::string> format_source(const std::string& file, const std::string& text, Diagnostics& diags,
                                         std::size_t width = kFormatWidth);

}  // namespace kb
