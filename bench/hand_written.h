// The baseline of the recommender benchmark: the 33 rules of the bundled
// guideline (kb/guidelines/*.kb) written directly in C++. Definitions are
// C++ expressions, parameters constants; facts, enum values, rules and
// actions are read by index, looked up once by name in
// hand_written_init(). recommender_bench checks that it agrees with
// kb::Recommender before timing either.
#pragma once

#include "kb/model/guideline.h"
#include "kb/eval/recommender.h"

namespace kb::bench {

/** Looks up every fact, enum value, rule and action the hand-written rules
    use, and checks the guideline matches them: the same 33 rules, each with
    the same action and strength, and the parameters at the values written
    in as constants. Throws std::runtime_error naming the first mismatch. */
void hand_written_init(const Guideline& g);

/** Applies the 33 rules to `p`, overwriting `out` exactly as
    Recommender::evaluate does (fired per rule in the guideline's rule order,
    strength bits per action).
    @pre hand_written_init succeeded; p is a valid patient of that guideline */
void hand_written(const Patient& p, Outcome& out);

}  // namespace kb::bench
