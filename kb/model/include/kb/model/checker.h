// The checker: resolves and type-checks parsed items into a Guideline.
#pragma once

#include <optional>

#include "kb/lang/ast.h"
#include "kb/lang/diagnostics.h"
#include "kb/model/guideline.h"

namespace kb {

/** Resolves and type-checks `module` (docs/language.md, "What the checker
    rejects"). Reports every error it finds to `diags`.
    @return the checked guideline, or nullopt when any error was reported */
std::optional<Guideline> check(Module module, Diagnostics& diags);

}  // namespace kb
