// The checker: resolves and type-checks parsed items into a Guideline.
#pragma once

#include <cstdint>
#include <optional>

#include "kb/lang/ast.h"
#include "kb/lang/diagnostics.h"
#include "kb/model/guideline.h"

namespace kb {

/** The safe integer bound, 2^60: the checker rejects (code "int-range") any
    sum or difference whose value, or the coefficient of any fact in it,
    could exceed it in magnitude for some patient (bounded from the fact
    ranges, parameter ranges and literals). Within it the recommender's
    64-bit arithmetic, including the differences its compiled comparisons
    take, cannot overflow, so it agrees with the solver's unbounded integers
    (docs/reliability.md). Literals are at most 15 digits, far below it. */
inline constexpr std::int64_t kSafeIntBound = std::int64_t{1} << 60;

/** Resolves and type-checks `module` (docs/language.md, "What the checker
    rejects"). Reports every error it finds to `diags`.
    @return the checked guideline, or nullopt when `diags` holds any error
            (including parse errors reported before the call: a module that
            lost items to syntax errors is never a guideline) */
std::optional<Guideline> check(Module module, Diagnostics& diags);

}  // namespace kb
