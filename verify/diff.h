// The semantic diff between two rule sets (docs/diff.md): which items
// changed, and, decided by Z3, which patients get a different answer, with a
// witness for each change replayed through both recommenders.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kb/guideline.h"
#include "solver/solver.h"

namespace verify {

/** One item whose text differs between the two sides. */
struct ItemChange {
  std::string change;  ///< added, changed, retired
  kb::ItemKind kind = kb::ItemKind::Rule;
  std::string name;
  std::string before, after;  ///< id@version on each side ("" when absent)
  std::string text_diff;      ///< line diff of the canonical texts ("- " / "+ " / "  ")
};

/** The answer for one action and one strength, compared over every patient. */
struct AnswerChange {
  std::string action;
  std::string atom;  ///< recommended, considered, avoided
  /** changed (a witness), unchanged (proved: no patient is affected),
      unknown (solver gave no answer), disagreement (replay failed) */
  std::string status;
  std::string message;
  std::optional<kb::Patient> patient_before, patient_after;  ///< changed: the witness on each side
  bool answer_before = false, answer_after = false;           ///< changed: the atom on each side
  std::vector<std::string> rules_before, rules_after;  ///< changed: rules of this action and strength that fire
  std::vector<solver::FactRange> ranges;               ///< changed: what every affected patient has
  double millis = 0;
};

/** A property's verdict on each side. */
struct PropertyChange {
  std::string id;
  std::string before, after;  ///< status names, or "absent"
  std::string change;         ///< regression, fixed, new, removed, unchanged
};

/** The whole diff. */
struct Diff {
  std::string before_name, after_name;
  std::vector<ItemChange> items;
  std::vector<AnswerChange> answers;
  std::vector<PropertyChange> properties;

  /** 0 no patient gets a different answer and no property regressed;
      1 semantic changes found; 2 an answer unknown or a replay disagreement. */
  int exit_code() const;
};

/** Compares `before` and `after` item by item and, for every action either
    side declares and every strength, asks Z3 whether some patient valid on
    both sides gets a different answer. Properties are verified on both sides.
    Every witness is replayed through both recommenders. */
Diff semantic_diff(const kb::Guideline& before, const kb::Guideline& after, const std::string& before_name,
                   const std::string& after_name, unsigned timeout_ms);

/** The diff for people: changed items with their text diff, each changed
    answer with its witness, the rules responsible and what every affected
    patient has, then the proved "no patient affected" answers counted. */
std::string diff_to_text(const Diff& d, const kb::Guideline& after);

/** The diff as JSON (docs/diff.md, schema "kb-diff/1"). */
nlohmann::json diff_to_json(const Diff& d, const kb::Guideline& before, const kb::Guideline& after);

}  // namespace verify
