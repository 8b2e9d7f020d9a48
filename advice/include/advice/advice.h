// Advice when facts are missing. For a partial patient (kb/eval/partial.h),
// every answer of the recommender (a rule fires, an action has a strength,
// an action is in conflict) is decided over every valid completion: holds
// (every completion), never (none) or depends (some and not others), with
// the unknown facts it depends on and a completion each way, each replayed
// through the two-valued recommender. The rule program's three-valued run
// (RuleProgram::run_bounds) settles what it can; the solver settles only the
// rest. "Ask next" ranks the unknown facts by how many "depends" answers
// knowing each would settle, decided exactly.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kb/eval/partial.h"
#include "kb/eval/recommender.h"
#include "solver/solver.h"

namespace advice {

/** No answer: the patient has no valid completion (the message names the
    domain constraints), the solver gave up, or a witness did not replay. */
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** An answer over every valid completion. */
enum class Truth { Holds, Never, Depends };

/** "holds", "never" or "depends". */
const char* truth_word(Truth t);

/** One answer about the partial patient. */
struct Answer {
  solver::Goal goal;            ///< what is answered
  Truth truth = Truth::Never;   ///< over every valid completion
  /** Depends (strengths and conflicts only): the unknown facts whose value
      alone, every other fact kept, changes the answer for some completion. */
  std::vector<int> depends_on;
  std::optional<kb::Patient> when_true;   ///< Depends: a valid completion where it holds
  std::optional<kb::Patient> when_false;  ///< Depends: a valid completion where it does not
};

/** An unknown fact and the answers knowing it would settle. */
struct Ask {
  int fact = 0;               ///< index in Guideline::facts
  std::vector<int> settles;   ///< indexes into Advice::strengths, then conflicts (strengths.size() + action)
};

/** The advice for one partial patient. */
struct Advice {
  std::vector<Answer> rules;      ///< per rule: it fires
  std::vector<Answer> strengths;  ///< per action a and strength k (recommended, considered, avoided): index 3a+k
  std::vector<Answer> conflicts;  ///< per action: offered and avoided
  std::vector<Ask> ask;           ///< every unknown fact, most answers settled first (then declaration order)
  kb::Patient completion;         ///< a valid completion (the patient itself when complete)
  int solver_queries = 0;         ///< solver checks this advice needed

  /** True when some action is in conflict for every completion. */
  bool certain_conflict() const;
};

/** Computes advice for partial patients of one compiled guideline. Not
    thread-safe: one Advisor per thread. */
class Advisor {
 public:
  /** `r` must outlive the advisor; `timeout_ms` limits each solver check (0: none). */
  explicit Advisor(const kb::Recommender& r, unsigned timeout_ms = 60000);
  ~Advisor();

  /** The advice for `p`, whose values lie in its facts' ranges. A complete
      patient is evaluated once, with no solver.
      @throws Error when no valid completion exists or no answer was found */
  Advice advise(const kb::PartialPatient& p);

 private:
  const kb::Recommender& r_;
  unsigned timeout_ms_;
  std::unique_ptr<solver::CompletionSolver> solver_;  // built on first need
};

/** The advice as JSON, schema kb-advice/1 (schemas/kb-advice.schema.json). */
nlohmann::json advice_to_json(const kb::Guideline& g, const kb::PartialPatient& p, const Advice& a);

/** The advice as text for a person. */
std::string advice_to_text(const kb::Guideline& g, const kb::PartialPatient& p, const Advice& a);

}  // namespace advice
