// Renderings of a semantic diff (docs/diff.md): text for people and JSON.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "kb/model/guideline.h"
#include "verify/diff.h"

namespace verify {

/** The diff for people: changed items with their text diff, each changed
    answer with its witness, the rules responsible and what every affected
    patient has, then the proved "no patient affected" answers counted. */
std::string diff_to_text(const Diff& d, const kb::Guideline& after);

/** The diff as JSON (docs/diff.md, schema "kb-diff/1"). */
nlohmann::json diff_to_json(const Diff& d, const kb::Guideline& before, const kb::Guideline& after);

}  // namespace verify
