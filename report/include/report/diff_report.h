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

/** The readings impact report for people (docs/readings.md): per question
    its chosen alternative and, per other alternative, every action and
    strength whose answer depends on the choice with a replayed witness and
    the rules either way, and the properties that fail under it. */
std::string readings_to_text(const std::vector<ReadingImpact>& impacts, const kb::Guideline& g);

/** The same as JSON (schema "kb-readings/1"): {"schema", "questions": [{"name",
    "description", "chosen", "because", "alternatives": [{"name", "description",
    "chosen", "diff"}]}]}, "diff" as diff_to_json (absent for the chosen one). */
nlohmann::json readings_to_json(const std::vector<ReadingImpact>& impacts, const kb::Guideline& g);

}  // namespace verify
