// Mutation analysis (docs/kb-verify.md, "How strong are the properties"):
// small edits of the rules' behaviour, each checked against the properties.
// A mutant a property catches is killed; one no patient can tell apart is
// equivalent; any other survived, with a patient whose advice changes and no
// property notices. Properties and domain constraints are never edited: they
// are the specification the rules are measured against.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kb/eval/recommender.h"
#include "kb/model/guideline.h"
#include "verify/harness.h"

namespace verify {

/** The mutation operators. */
enum class MutationOp {
  ShiftBound,       ///< a comparison's constant moved by -1 or +1
  BoundToRangeEnd,  ///< a comparison's constant set to an end of its fact's range
  DropConjunct,     ///< `a and b` replaced by one side
  NegateAtom,       ///< a test (comparison, bool fact, enum test) negated
  SwapAndOr,        ///< `and` replaced by `or`, or `or` by `and`
  ChangeStrength,   ///< a rule's strength replaced (recommend, consider, avoid)
  DeleteRule,       ///< a rule removed (it never fires)
  DefineUseTrue,    ///< one use of a definition in a rule replaced by `true`
  DefineUseFalse,   ///< one use of a definition in a rule replaced by `false`
  ParamToRangeEnd,  ///< a parameter, as the rules use it, set to an end of its allowed range
};

/** Spelling of an operator ("shift-bound", ...). */
const char* mutation_op_name(MutationOp op);

/** One mutant: one edit of one rule, definition or parameter. */
struct Mutant {
  std::string id;             ///< "M1", "M2", ... in generation order (stable for one rule set)
  MutationOp op = MutationOp::ShiftBound;  ///< what kind of edit
  kb::ItemRef site;           ///< the rule, definition or parameter edited
  std::vector<int> path;      ///< child indexes from the site's expression to the edited node; empty for item-level edits
  std::int64_t value = 0;     ///< the new constant (bounds, parameters), kept side (DropConjunct), or strength index
  std::string summary;        ///< one line: "MDT-OFFER: response_months >= 3 -> response_months >= 4"
  kb::Loc loc;                ///< where the edited node (or item) is written
};

/** How a mutant fared. */
enum class MutantStatus {
  Killed,        ///< some property is violated, or a new conflict appears (replayed)
  Survived,      ///< some patient's advice changes, and no property notices
  Equivalent,    ///< proved: no valid patient's advice changes
  Unknown,       ///< the solver gave no answer for some question
  Disagreement,  ///< a witness did not replay through the recommender (a translator bug)
};

/** Spelling of a status ("killed", ...). */
const char* mutant_status_name(MutantStatus s);

/** The verdict on one mutant. */
struct MutantResult {
  Mutant mutant;                        ///< the edit
  MutantStatus status = MutantStatus::Unknown;  ///< the verdict
  std::vector<kb::ItemRef> killed_by;   ///< properties violated, and actions with a new conflict
  bool restating_only = false;          ///< Killed, but only by properties the restates-rule lint flags
  /// @var before_text
  /// Canonical text of the edited item before the edit.
  /// @var after_text
  /// Canonical text of the edited item after the edit.
  std::string before_text, after_text;
  std::optional<kb::Patient> witness;   ///< Survived: a valid patient whose advice changes (replayed)
  std::string witness_change;           ///< Survived: "mdt considered: yes before, no after"
  std::string message;                  ///< one line for people
  double millis = 0;                    ///< wall time spent on this mutant
};

/** What the mutation run measured. */
struct MutationReport {
  std::vector<MutantResult> results;  ///< one per mutant, in generation order
  std::vector<int> restating;         ///< property indexes the restates-rule lint flags
  double total_millis = 0;            ///< wall time of the whole run

  /** Mutants with status `s`. */
  std::size_t count(MutantStatus s) const;
  /** Killed mutants that count for the score: killed by some property the
      restates-rule lint does not flag (or by a new conflict). */
  std::size_t effective_kills() const;
  /** The score in percent: effective kills over the mutants that are not
      equivalent (100 when every mutant is equivalent). Unknown and
      disagreement mutants count as not killed. */
  double score() const;
  /** Per property index: how many mutants it kills. */
  std::vector<std::size_t> kills_per_property(std::size_t properties) const;
  /** Property indexes that kill some mutant no other property kills. */
  std::vector<int> unique_killers() const;
};

/** Every mutant of `g`'s rules, definitions used by rules, and parameters
    used by rules, in a stable order. */
std::vector<Mutant> generate_mutants(const kb::Guideline& g);

/** `g` with mutant `m` applied to the rules only: a mutated definition or
    parameter is inlined into every rule that uses it, while properties and
    constraints keep the original. @pre m came from generate_mutants(g) */
kb::Guideline apply_mutant(const kb::Guideline& g, const Mutant& m);

/** Checks every mutant of `g` against its properties (only those that
    mention an action the mutant touches), then decides equivalence with one
    satisfiability question per touched action and strength; survivors get a
    witness replayed through both recommenders.
    @param restating property indexes whose kills do not count for the score */
MutationReport mutate(const kb::Guideline& g, const std::vector<int>& restating, unsigned timeout_ms);

}  // namespace verify
