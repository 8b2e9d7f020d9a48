// The semantic diff between two rule sets (docs/diff.md): which items
// changed, and, decided by Z3, which patients get a different answer, with a
// witness for each change replayed through both recommenders.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kb/model/guideline.h"
#include "solver/solver.h"
#include "verify/harness.h"

namespace verify {

/** How an item differs between the two sides. */
enum class ItemChangeKind { Added, Changed, Retired };
/** "added", "changed", "retired". */
const char* item_change_name(ItemChangeKind k);

/** Most boxes semantic_diff uses to describe the affected patients exactly. */
inline constexpr std::size_t kMaxBoxes = 3;

/** What the diff found for one action and strength. */
enum class AnswerStatus {
  Changed,       ///< some patient gets a different answer (witness attached)
  Unchanged,     ///< proved: no patient is affected
  Unknown,       ///< the solver gave no answer
  Disagreement,  ///< the recommenders do not reproduce the solver's witness
};
/** "changed", "unchanged", "unknown", "disagreement". */
const char* answer_status_name(AnswerStatus s);

/** How a property's verdict moved. */
enum class PropertyMove { Regression, Fixed, New, Removed, Unchanged };
/** "regression", "fixed", "new", "removed", "unchanged". */
const char* property_move_name(PropertyMove m);

/** One item whose text differs between the two sides. */
struct ItemChange {
  ItemChangeKind change = ItemChangeKind::Changed;  ///< added, changed, retired
  kb::ItemKind kind = kb::ItemKind::Rule;  ///< the item's kind
  std::string name;                        ///< the item's name
  /// @var before
  /// id@version on the `before` side ("" when added).
  /// @var after
  /// id@version on the `after` side ("" when retired).
  std::string before, after;
  std::string text_diff;      ///< line diff of the canonical texts ("- " / "+ " / "  ")
};

/** The answer for one action and one strength, compared over every patient. */
struct AnswerChange {
  std::string action;  ///< the action's name (declared on either side)
  kb::AtomKind atom = kb::AtomKind::Recommended;  ///< Recommended, Considered or Avoided
  AnswerStatus status = AnswerStatus::Unknown;    ///< the verdict, after replaying the witness
  std::string message;  ///< one line for people
  /// @var patient_before
  /// Changed or disagreement: the witness as a patient of the `before` side.
  /// @var patient_after
  /// Changed or disagreement: the witness as a patient of the `after` side.
  std::optional<kb::Patient> patient_before, patient_after;
  /// @var answer_before
  /// Changed or disagreement: the solver's value of the atom on the `before` side.
  /// @var answer_after
  /// Changed or disagreement: the solver's value of the atom on the `after` side.
  bool answer_before = false, answer_after = false;
  /// @var rules_before
  /// Changed or disagreement: rules (id@version) of this action and strength the `before` recommender fires.
  /// @var rules_after
  /// Changed or disagreement: rules (id@version) of this action and strength the `after` recommender fires.
  std::vector<std::string> rules_before, rules_after;
  /** Changed: per fact narrower than its range over every affected patient,
      the values they take. Necessary conditions only: a patient inside every
      range need not be affected. */
  std::vector<solver::FactRange> ranges;
  /** Changed: the deciding facts of the witness (solver::DiffSolver::deciding_facts):
      every valid patient agreeing with them gets this change, and none can
      be dropped; nullopt when they could not be decided. */
  std::optional<std::vector<solver::FactRange>> deciding;
  /** Changed: when non-empty, the affected patients exactly: a valid
      patient gets a different answer if and only if it agrees with one of
      these boxes (each the deciding facts of a witness; at most kMaxBoxes). */
  std::vector<std::vector<solver::FactRange>> exact;
  /** Changed: the solver question as a standalone SMT-LIB 2 script
      (solver::DiffSolver::smt2), sat when the answer changes. */
  std::string smt2;
  double millis = 0;                      ///< wall time of the solver check, in milliseconds
};

/** A property's verdict on each side. */
struct PropertyChange {
  std::string id;  ///< the obligation id, "property:ID"
  /// @var before
  /// Status on the `before` side; nullopt when the property is absent there.
  /// @var after
  /// Status on the `after` side; nullopt when the property is absent there.
  std::optional<Status> before, after;
  PropertyMove change = PropertyMove::Unchanged;  ///< how the verdict moved
};

/** The whole diff. */
struct Diff {
  /// @var before_name
  /// Name shown for the `before` side (as given to semantic_diff).
  /// @var after_name
  /// Name shown for the `after` side (as given to semantic_diff).
  std::string before_name, after_name;
  std::vector<ItemChange> items;  ///< changed items: those of `after` in canonical order, then retired ones
  std::vector<AnswerChange> answers;  ///< one per action (of `after`, then only of `before`) and atom
  std::vector<PropertyChange> properties;  ///< one per property of either side

  /** 0 no patient gets a different answer and no property regressed;
      1 semantic changes found; 2 an answer unknown or a replay disagreement. */
  int exit_code() const;
};

/** A line diff of two texts by longest common subsequence: each line
    prefixed "  " (both), "- " (before only) or "+ " (after only). */
std::string line_diff(const std::string& before, const std::string& after);

/** Compares `before` and `after` item by item and, for every action either
    side declares and every strength, asks Z3 whether some patient valid on
    both sides gets a different answer. Properties are verified on both sides.
    Every witness is replayed through both recommenders. */
Diff semantic_diff(const kb::Guideline& before, const kb::Guideline& after, const std::string& before_name,
                   const std::string& after_name, unsigned timeout_ms);

/** What choosing another alternative of a question would change. */
struct ReadingImpact {
  Reading reading;  ///< the question and the alternative compared with the chosen one
  /** The semantic diff from the rule set as released (before) to the same
      rule set with `reading` chosen (after): which patients' advice depends
      on the choice, each with a witness replayed through both recommenders,
      and the properties that regress under the alternative. */
  Diff diff;
};

/** For every question of `g` and every alternative but the chosen one, the
    impact of choosing it (questions and alternatives in declaration order). */
std::vector<ReadingImpact> reading_impacts(const kb::Guideline& g, unsigned timeout_ms);

}  // namespace verify
