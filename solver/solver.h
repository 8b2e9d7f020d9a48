// Translation of a checked guideline into Z3, and the queries kb-verify asks.
// This is the only component that includes z3++.h; Z3's exceptions become
// solver::Error here. Semantics (DESIGN.md, "The model"):
//  - a fact is an Int constant within its range (bools are Bool, enums their
//    value index 0..n-1); definitions are expanded; parameters are constants;
//  - each domain constraint and each rule is guarded by its own tracking
//    literal ("constraint:ID", "rule:ID"), so unsat cores name them;
//  - fires(r) <=> condition(r) under rule r's literal; recommended(a),
//    considered(a), avoided(a) are exactly the disjunction of fires(r) over
//    the rules of that action and strength; offered(a) = recommended or
//    considered. A rule left out of the assumptions has a free fires(r).
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kb/guideline.h"
#include "kb/recommender.h"

namespace solver {

/** A Z3 failure (not a verdict): bad input to Z3 or an internal error. */
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** What the solver said about a query. */
enum class Verdict { Unsat, Sat, Unknown };

/** The answer to one query. */
struct Answer {
  Verdict verdict = Verdict::Unknown;
  std::vector<std::string> core;      ///< Unsat: tracking literals in the core ("rule:ID", "constraint:ID")
  std::optional<kb::Patient> model;   ///< Sat: the witness patient
  std::optional<kb::Outcome> outcome; ///< Sat under every rule: fired rules and action bits in the same model
  std::string reason;                 ///< Unknown: Z3's reason (e.g. "timeout", "canceled")
  double millis = 0;                  ///< wall time of the check
};

/** Which rules a query assumes. */
struct RuleSet {
  bool all = true;                ///< every rule (when false, only `only`)
  std::vector<int> only;          ///< rule indexes, when !all
};

/** A Z3 context and incremental solver holding one guideline's encoding.
    Queries push, check under the tracking literals and pop. */
class Solver {
 public:
  /** Encodes `g` (which must outlive the solver).
      @param timeout_ms per-check limit; 0 means none */
  Solver(const kb::Guideline& g, unsigned timeout_ms);
  ~Solver();
  Solver(const Solver&) = delete;
  Solver& operator=(const Solver&) = delete;

  /** Property `p` holds for every valid patient under `rules`: Unsat of
      domain ∧ rules ∧ ¬p. Sat gives a counterexample patient. */
  Answer prove_property(int p, const RuleSet& rules = {});

  /** Some valid patient gets action `a` both offered and avoided (Sat). */
  Answer find_conflict(int a);

  /** Some valid patient meets the condition of rule `r` (Sat); Unsat: dead. */
  Answer rule_reachable(int r);

  /** Some valid patient's output changes when rule `r` is removed: its
      condition holds and no other rule of the same action and strength fires
      (Sat); Unsat: the rule is redundant. */
  Answer rule_matters(int r);

  /** Some valid patient meets the premise of property `p` (an implication),
      under every rule (Sat); Unsat: the property is vacuous. nullopt when
      the property is not an implication. */
  std::optional<Answer> premise_reachable(int p);

  /** Property `p` holds with every rule removed (atoms unconstrained):
      Unsat means the rules play no part in it. */
  Answer holds_without_rules(int p);

  /** The rules' answer for a fixed, valid patient, read from a Z3 model:
      fired rules and action strength bits, as the recommender computes them. */
  kb::Outcome outcome_for(const kb::Patient& patient);

  /** The query of prove_property as a standalone SMT-LIB 2 script: facts,
      constraints and rules asserted directly (each preceded by a comment
      naming the item and version), the negated property, (check-sat). */
  std::string property_smt2(int p);

  /** Z3's version string ("4.8.12"). */
  static std::string z3_version();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace solver
