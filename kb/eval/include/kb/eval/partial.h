// Partial patients: facts that are unknown (JSON null, or omitted when the
// caller says so), narrowed to a range ({"range": [lo, hi]}) or to a set of
// values ({"one_of": [...]}). A completion fills every fact with one of its
// values; docs/recommender.md ("Missing facts") describes the format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kb/eval/program.h"
#include "kb/eval/recommender.h"

namespace kb {

/** The values one fact may take: sorted, disjoint, non-adjacent inclusive
    intervals of value codes (bools 0/1, ints, enum value indexes); never empty. */
using FactValues = std::vector<std::pair<std::int64_t, std::int64_t>>;

/** A patient whose facts may be unknown or narrowed: per fact, in
    Guideline::facts order, the values it may take. */
struct PartialPatient {
  std::vector<FactValues> facts;  ///< one entry per fact

  /** True when fact `i` has exactly one possible value. */
  bool known(std::size_t i) const { return facts[i].size() == 1 && facts[i][0].first == facts[i][0].second; }
  /** The patient, when every fact is known. */
  std::optional<Patient> complete() const;
  /** True when `p` (one value per fact) is a completion: each value is one of its fact's. */
  bool admits(const Patient& p) const;
  /** The facts as RuleProgram::run_bounds() reads them. */
  std::vector<FactBounds> bounds() const;
};

/** A partial patient read from JSON, or the first problem with it. */
struct PartialPatientResult {
  std::optional<PartialPatient> patient;  ///< the patient, when it was read
  std::string fact;   ///< the fact the error is about ("" when not about one fact)
  std::string error;  ///< empty on success
};

/** Reads a partial patient: as patient_from_json(), but a fact's value may
    also be null (unknown), {"range": [lo, hi]} (an int fact, lo <= hi, both
    in its range) or {"one_of": [v, ...]} (a non-empty list of values). An
    omitted fact is an error unless `omitted_unknown`. A complete patient is
    checked against the domain constraints; one with unknown facts is not
    (whether some completion keeps them needs a solver). */
PartialPatientResult partial_patient_from_json(const Recommender& r, const nlohmann::json& j, bool omitted_unknown);

/** Parses `text` as patient_from_text() does and reads it with
    partial_patient_from_json(). Never throws. */
PartialPatientResult partial_patient_from_text(const Recommender& r, std::string_view text, bool omitted_unknown);

/** The partial patient as JSON: known facts as values, unknown ones as
    null, narrowed ones as {"range": ...} or {"one_of": ...}. */
nlohmann::json partial_patient_to_json(const Guideline& g, const PartialPatient& p);

}  // namespace kb
