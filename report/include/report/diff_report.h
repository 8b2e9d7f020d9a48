// Renderings of a semantic diff (docs/diff.md): text for people and JSON.
#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "kb/model/guideline.h"
#include "verify/diff.h"

namespace verify {

/** Boxes of fact ranges for people: "a, b" for one box, "(a, b) or (c)"
    for several (AnswerChange::exact). */
std::string boxes_text(const kb::Guideline& g, const std::vector<std::vector<solver::FactRange>>& boxes);

/** The diff for people: changed items with their text diff, each changed
    answer with its deciding facts, the exact description of the affected
    patients when a few boxes give it, the ranges every affected patient has
    (labelled necessary, not sufficient), its witness and the rules
    responsible; then the proved "no patient affected" answers counted. */
std::string diff_to_text(const Diff& d, const kb::Guideline& after);

/** The diff as JSON (docs/diff.md, schema "kb-diff/2"). */
nlohmann::json diff_to_json(const Diff& d, const kb::Guideline& before, const kb::Guideline& after);

/** The readings impact report for people (docs/readings.md): per question
    its chosen alternative and, per other alternative, every action and
    strength whose answer depends on the choice with a replayed witness and
    the rules either way, and the properties that fail under it. */
std::string readings_to_text(const std::vector<ReadingImpact>& impacts, const kb::Guideline& g);

/** The same as JSON (schema "kb-readings/2"): {"schema", "questions": [{"name",
    "description", "chosen", "because", "alternatives": [{"name", "description",
    "chosen", "diff"}]}]}, "diff" as diff_to_json (absent for the chosen one). */
nlohmann::json readings_to_json(const std::vector<ReadingImpact>& impacts, const kb::Guideline& g);

}  // namespace verify
