// Renderings of a mutation analysis (docs/kb-verify.md, "How strong are the
// properties"): text for a committee, JSON, JUnit.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>
#include <pugixml.hpp>

#include "kb/model/guideline.h"
#include "verify/mutate.h"

namespace verify {

/** The score line, the kills per property, the properties that kill a mutant
    no other does, the restating properties, and every surviving mutant with
    its location, its edit as a line diff and its witness patient.
    @param min_score the --min-score threshold, when given */
std::string mutation_to_text(const MutationReport& r, const kb::Guideline& g, std::optional<double> min_score);

/** The same as JSON (docs/kb-verify.md, "mutation"), with "schema":
    "kb-mutation/1" (schemas/kb-mutation.schema.json). */
nlohmann::json mutation_to_json(const MutationReport& r, const kb::Guideline& g, std::optional<double> min_score);

/** Appends to `testsuites` one JUnit <testsuite> with a test case per
    mutant: a survivor is a failure when `fails` (the score is below
    --min-score), else reported in <system-out>; unknown and disagreement
    mutants are failures. */
void append_mutation_junit(pugi::xml_node& testsuites, const MutationReport& r, const kb::Guideline& g, bool fails);

/** True when `min_score` is given and the score is below it. */
bool mutation_fails(const MutationReport& r, std::optional<double> min_score);

}  // namespace verify
