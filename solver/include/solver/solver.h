// Translation of a checked guideline into Z3, and the queries kb-verify asks.
// This is the only component that includes z3++.h; Z3's exceptions become
// solver::Error here. Semantics (docs/architecture.md, "Semantics"):
//  - each query is checked over its slice (cone of influence) only: the
//    rules of the actions it mentions and the facts, parameters and domain
//    constraints they share, closed transitively; a witness is completed to
//    a whole valid patient (docs/architecture.md, "Slicing");
//  - a fact is an Int constant within its range (bools are Bool, enums their
//    value index 0..n-1); definitions are expanded; a parameter is an Int
//    constant free within its allowed range (so a proof covers every value
//    the committee may choose); a question is its chosen alternative's index;
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

#include "kb/model/guideline.h"
#include "kb/eval/recommender.h"
#include "kb/model/guideline.h"

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
  Verdict verdict = Verdict::Unknown;  ///< Unsat, Sat, or Unknown (timeout or Z3 gave up)
  std::vector<kb::ItemRef> core;      ///< Unsat: the rules and constraints whose tracking literals are in the core, sorted
  std::optional<kb::Patient> model;   ///< Sat: the witness patient
  std::optional<kb::Outcome> outcome; ///< Sat under every rule: fired rules and action bits in the same model
  /// @var outcome_rules
  /// With `outcome`: which rules' entries the solver decided (the query's
  /// slice); the other entries are false and claim nothing.
  /// @var outcome_actions
  /// With `outcome`: which actions' entries the solver decided (the query's
  /// slice); the other entries are 0 and claim nothing.
  std::vector<bool> outcome_rules, outcome_actions;
  std::vector<std::int64_t> params;   ///< Sat with a model: each parameter's value in it (Guideline::params order)
  std::string reason;                 ///< Unknown: Z3's reason (e.g. "timeout", "canceled")
  double millis = 0;                  ///< wall time of the check, in milliseconds
};

/** The questions kb-verify asks (docs/kb-verify.md, "Obligations"). */
enum class Query {
  PropertyFails,      ///< property: Sat when a valid patient breaks it (under every rule)
  Conflict,           ///< action: Sat when a valid patient gets it offered and avoided
  RuleFires,          ///< rule: Sat when a valid patient meets its condition (Unsat: dead)
  RuleMatters,        ///< rule: Sat when its condition holds and no other rule of the same
                      ///< action and strength fires (Unsat: redundant)
  PremiseHolds,       ///< property (an implication): Sat when a valid patient meets the premise
  FailsWithoutRules,  ///< property: Sat when it fails with every rule removed (atoms free)
};

/** The values of one parameter for which a query is Sat. */
struct ParamValues {
  std::vector<std::pair<std::int64_t, std::int64_t>> intervals;  ///< sorted, disjoint, inclusive
  /** True when every value was decided; false when the allowed range was too
      large to decide value by value, and `intervals` is one interval from the
      least to the greatest Sat value (values inside it may be Unsat). */
  bool exact = true;
  bool unknown = false;  ///< some check gave no answer: `intervals` are not to be trusted
};

/** Most values of one parameter values_where() decides one by one. */
inline constexpr std::int64_t kMaxEnumeratedValues = 256;

/** A range of values of one fact: the values it takes over every patient a
    change affects (DiffSolver), or a deciding fact of a witness (Solver). */
struct FactRange {
  std::string fact;  ///< the fact's name
  /// @var lo
  /// Lowest value, inclusive (bools 0/1, enums value indexes).
  /// @var hi
  /// Highest value, inclusive (bools 0/1, enums value indexes).
  std::int64_t lo = 0, hi = 0;
};

/** Which rules a query assumes. */
struct RuleSet {
  bool all = true;                ///< every rule (when false, only `only`)
  std::vector<int> only;          ///< rule indexes, when !all
};

/** The items a query's answer can depend on: its slice (docs/architecture.md,
    "Slicing"), by index into the guideline's item lists. */
struct SliceItems {
  bool everything = false;  ///< not sliced (slicing off, or the domain empty or undecided): the whole guideline
  /// @var facts
  /// The facts of the slice, sorted (empty when `everything`).
  /// @var params
  /// The parameters of the slice, sorted.
  /// @var constraints
  /// The domain constraints of the slice, sorted.
  /// @var rules
  /// The rules of the slice, sorted.
  /// @var actions
  /// The actions whose answers the slice defines, sorted.
  std::vector<int> facts, params, constraints, rules, actions;
};

/** A Z3 context and incremental solver holding one guideline's encoding.
    Queries push, check under the tracking literals and pop. */
class Solver {
 public:
  /** Encodes `g` (which must outlive the solver).
      @param g a checked guideline
      @param timeout_ms per-check limit in milliseconds; 0 means none
      @param slicing check each query over its slice only (false: over the
             whole guideline, the reference the slicing tests compare with)
      @throws Error when Z3 fails */
  Solver(const kb::Guideline& g, unsigned timeout_ms, bool slicing = true);
  ~Solver();
  Solver(const Solver&) = delete;
  Solver& operator=(const Solver&) = delete;

  /** Asks `q` about item `index` under every constraint and the rules the
      query needs (all of them, or none for RuleFires and FailsWithoutRules).
      A Sat answer carries the witness `model` except for PremiseHolds and
      FailsWithoutRules, whose witnesses nobody replays (building a model
      costs more than deciding these small queries). With `fixed_params`
      (one value per parameter) the parameters the query can depend on
      (params_read) take those values instead of ranging over their allowed
      values; the others keep their release values in the witness. */
  Answer ask(Query q, int index, const std::vector<std::int64_t>* fixed_params = nullptr);

  /** Whether the premise of property `p` (an implication) can hold while
      rule `r`'s condition does not, under the domain constraints: Unsat
      means every patient meeting the premise meets the rule's condition
      (the restates-rule lint). No model is built.
      @throws Error when `p` is not an implication */
  Answer premise_outside_rule(int p, int r);

  /** Property `p` under only some rules (`RuleSet`): Unsat of
      domain ∧ those rules ∧ ¬p. Used to re-prove from an unsat core. */
  Answer prove_property(int p, const RuleSet& rules);

  /** The rules' answer for a fixed, valid patient, read from a Z3 model:
      fired rules and action strength bits, as the recommender computes them,
      with the parameters at `param_values` (their release values when null). */
  kb::Outcome outcome_for(const kb::Patient& patient, const std::vector<std::int64_t>* param_values = nullptr);

  /** The parameters query `q` about item `index` can depend on (those in its
      cone of influence), in declaration order: any other parameter's value
      cannot change its answer. */
  std::vector<int> params_read(Query q, int index);

  /** For which allowed values of parameter `param` query `q` about `index`
      is Sat (the other parameters free; every rule assumed as ask() does). */
  ParamValues values_where(Query q, int index, int param);

  /** Query `q` about item `index` as a standalone SMT-LIB 2 (QF_LIA)
      script that any solver decides on its own: `comments` as header lines,
      the facts with their ranges, the constraints and the rules the query
      assumes asserted directly (each preceded by a comment naming the item
      and version), the query, and (check-sat). It answers exactly as ask(). */
  std::string smt2(Query q, int index, const std::vector<std::string>& comments);

  /** The deciding facts of `witness`, a patient for which query `q` about
      `index` is Sat (with the parameters at `params`): facts, each kept at
      the witness's value or, for an int, widened to the largest range around
      it, such that every valid patient agreeing with them satisfies the query
      (for PropertyFails: violates the property), and none can be dropped (a
      prime implicant over facts). Facts are tried for dropping first those
      not in `keep_last` (the facts the verdict reads), then those, each in
      declaration order, so the answer is deterministic. The result is
      re-checked. Empty when every valid patient satisfies the query;
      nullopt when a check is unknown or the witness does not satisfy it. */
  std::optional<std::vector<FactRange>> deciding_facts(Query q, int index, const kb::Patient& witness,
                                        const std::vector<std::int64_t>& params, const std::vector<int>& keep_last);

  /** The slice every question about query `q` and item `index` is checked
      within (ask, values_where, deciding_facts; with `read_rule` >= 0 also
      that rule's facts, as premise_outside_rule(index, read_rule) reads):
      an answer depends on these items and on nothing else. */
  SliceItems slice(Query q, int index, int read_rule = -1);

  /** The completing patient: a valid patient (the parameters at their
      release values) whose values complete every slice's witness, sought
      with Z3 the first time it is needed. Nullopt when the domain is empty
      or undecided (then nothing is sliced). */
  std::optional<kb::Patient> completion();

  /** Takes `patient` as the completing patient instead of seeking one (a
      run that reuses every answer then needs no Z3 context at all).
      @pre `patient` is a valid patient of the guideline: every fact within
           its range and every domain constraint holding with the parameters
           at their release values (kb::Recommender::broken_constraint) */
  void use_completion(kb::Patient patient);

  /** Sets every fact of `witness` and parameter of `params` outside `sl` to
      the completing patient's value, as a fresh answer's witness over that
      slice gets them (nothing changes when `sl.everything`). */
  void complete(const SliceItems& sl, kb::Patient& witness, std::vector<std::int64_t>& params);

  /** Z3's version string ("4.8.12"). */
  static std::string z3_version();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/** Whether Z3 reads `script` (SMT-LIB 2, such as Solver::smt2() writes) on
    its own: parsed from no declarations, without deciding it. Thread-safe.
    @return "" when Z3 accepts it, else Z3's error message */
std::string smt2_parse_error(const std::string& script);


/** The answer to "does some patient get a different answer?". */
struct DiffAnswer {
  Verdict verdict = Verdict::Unknown;  ///< Sat: some patient is affected; Unsat: proved none is
  /// @var before
  /// Sat: the witness as a patient of the `before` side.
  /// @var after
  /// Sat: the witness as a patient of the `after` side.
  std::optional<kb::Patient> before, after;
  /// @var answer_before
  /// Sat: whether the atom holds on the `before` side for the witness.
  /// @var answer_after
  /// Sat: whether the atom holds on the `after` side for the witness.
  bool answer_before = false, answer_after = false;
  /** Sat: every fact whose values over all affected patients are narrower
      than its declared range (a bool that is always true or always false). */
  std::vector<FactRange> ranges;
  std::string reason;  ///< Unknown: Z3's reason
  double millis = 0;   ///< wall time of the check in milliseconds (not counting the narrowing of `ranges`)
};

/** Two rule sets over the same patients, for the semantic diff. Facts are
    matched by name and type; a patient must satisfy the ranges and domain
    constraints of both sides. Each side's parameters are its own. */
class DiffSolver {
 public:
  /** Encodes both guidelines (which must outlive the solver) in one context. */
  DiffSolver(const kb::Guideline& before, const kb::Guideline& after, unsigned timeout_ms);
  ~DiffSolver();
  DiffSolver(const DiffSolver&) = delete;
  DiffSolver& operator=(const DiffSolver&) = delete;

  /** How much a differs() answer carries beyond its verdict. */
  enum class Detail {
    Verdict,  ///< the verdict only (no model is built): for equivalence checks
    Witness,  ///< Sat: the witness patients and atom values, no narrowing
    Full,     ///< Sat: witness and the narrowed fact ranges
  };

  /** Whether some valid patient has `atom` (Recommended, Considered or
      Avoided) of `action` on one side and not on the other. An action a side
      does not declare is never given there. */
  DiffAnswer differs(const std::string& action, kb::AtomKind atom, Detail detail = Detail::Full);

  /** As differs(), over the patients outside every box of `outside` (a box:
      fact ranges a patient agrees with, as deciding_facts gives them). */
  DiffAnswer differs_outside(const std::string& action, kb::AtomKind atom,
                             const std::vector<std::vector<FactRange>>& outside, Detail detail);

  /** The deciding facts of a differs() witness (`before` and `after`, the
      same patient on each side, with the answers `answer_before` and
      `answer_after`): facts, each kept at the witness's value or, for an
      int, widened to the largest range around it, such that every patient
      valid on both sides agreeing with them gets exactly these two answers,
      and none can be dropped (Solver::deciding_facts's search, facts in
      declaration order, `after`'s first). Empty when every valid patient
      gets them; nullopt when a check is unknown or the witness does not. */
  std::optional<std::vector<FactRange>> deciding_facts(const std::string& action, kb::AtomKind atom,
                                                       const kb::Patient& before, const kb::Patient& after,
                                                       bool answer_before, bool answer_after);

  /** The question differs() asks as a standalone SMT-LIB 2 script:
      `comments` as header lines, both encodings with every constraint and
      rule asserted, and the two answers differing; sat exactly when some
      valid patient gets a different answer. */
  std::string smt2(const std::string& action, kb::AtomKind atom, const std::vector<std::string>& comments);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/** An answer about one patient that completion queries ask after. */
struct Goal {
  /** What is asked. */
  enum Kind {
    Fires,     ///< rule `index` fires
    Strength,  ///< action `index` has `strength`
    Conflict,  ///< action `index` is both offered and avoided
  };
  Kind kind = Fires;          ///< what is asked
  int index = 0;              ///< the rule (Fires) or the action (Strength, Conflict)
  std::uint8_t strength = 0;  ///< Strength: kb::kRecommended, kb::kConsidered or kb::kAvoided
};

/** Per fact (Guideline::facts order), the values a completion may give it:
    sorted, disjoint inclusive intervals within the fact's range. */
using Within = std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>>;

/** Two valid patients within the same Within, for completions_differ(). */
struct PairAnswer {
  Verdict verdict = Verdict::Unknown;    ///< Sat: `first` and `second` are such a pair; Unsat: none exists
  std::optional<kb::Patient> first;      ///< Sat: the patient where the goal holds
  std::optional<kb::Patient> second;     ///< Sat: the patient where it does not
  std::string reason;                    ///< Unknown: Z3's reason
};

/** Completion queries over one guideline at its release parameter values:
    which valid patients within given fact values (partial patients) have
    an answer. Encodes the guideline once; each query pushes and pops. */
class CompletionSolver {
 public:
  /** Encodes `g` (which must outlive the solver), as Solver does.
      @throws Error when Z3 fails */
  CompletionSolver(const kb::Guideline& g, unsigned timeout_ms);
  ~CompletionSolver();
  CompletionSolver(const CompletionSolver&) = delete;
  CompletionSolver& operator=(const CompletionSolver&) = delete;

  /** Whether some valid patient within `within` has `goal` equal to `value`
      (with no goal: whether any valid patient is within). Sat: the patient
      in `model`. Unsat without a goal: `core` names domain constraints that
      no patient within keeps together. */
  Answer completion(const Within& within, const Goal* goal, bool value);

  /** Whether two valid patients within `within` that agree on every fact
      `same[f]` marks differ on `goal`. */
  PairAnswer completions_differ(const Within& within, const std::vector<bool>& same, const Goal& goal);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace solver
