// The verification harness: turns a checked guideline into obligations,
// asks the solver, replays every witness through the recommender, and
// collects the verdicts into a report (docs/kb-verify.md). Obligations carry
// typed item references; text is made by the report library.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "kb/eval/recommender.h"
#include "kb/model/guideline.h"
#include "solver/solver.h"

namespace verify {

/** Outcome of one obligation. */
enum class Status {
  Proved,        ///< property holds for every valid patient
  Violated,      ///< property fails; counterexample attached
  Conflict,      ///< some valid patient gets an action offered and avoided
  NoConflict,    ///< proved that no valid patient gets that conflict
  Unknown,       ///< solver gave no answer (timeout, ...): never counted as proved
  Disagreement,  ///< solver model and recommender disagree: a translator bug
  Warning,       ///< a lint finding (dead, redundant, vacuous, uncovered, restates), or a waiver that matches none
  Ok,            ///< a lint check that found nothing
  Waived,        ///< a lint finding a waiver item keeps on purpose: reported, never a failure
  Passed,        ///< a test case got exactly the advice it expects
  Failed,        ///< a test case got other advice than it expects
};

/** Every status, in declaration order. */
inline constexpr Status kStatuses[] = {Status::Proved,  Status::Violated,     Status::Conflict, Status::NoConflict,
                                       Status::Unknown, Status::Disagreement, Status::Warning,  Status::Ok,
                                       Status::Waived, Status::Passed,  Status::Failed};

/** Spelling of a status in reports ("proved", "violated", ...). */
const char* status_name(Status s);

/** What an obligation checks. */
enum class Kind {
  Property,          ///< a property holds for every valid patient
  Conflict,          ///< no valid patient gets an action both offered and avoided
  DeadRule,          ///< some valid patient meets the rule's condition
  RedundantRule,     ///< removing the rule changes some patient's answer
  VacuousProperty,   ///< some valid patient meets the premise of an implication
  RuleFreeProperty,  ///< the property fails with every rule removed (it tests the rules)
  UncoveredRule,     ///< some proof rests on the rule
  RestatesRule,      ///< the property adds something beyond a single rule (its premise is not a case of the rule's condition)
  UnusedWaiver,      ///< a waiver matches a lint finding (subject: the waiver)
  Test,              ///< a test case's patient gets exactly the advice it expects (verify/testcases.h)
};

/** Spelling of a kind in reports ("property", "dead-rule", ...). */
const char* kind_name(Kind k);
/** The prefix of obligation ids of a kind ("property", "dead", ...). */
const char* id_prefix(Kind k);
/** The obligation kind of a lint (DeadRule for kb::Lint::DeadRule, ...). */
Kind kind_of(kb::Lint l);

/** A reading other than the chosen one: question `question` answered with
    alternative `alternative` (indexes into Guideline::questions and that
    question's alternatives). */
struct Reading {
  int question = -1;     ///< index into Guideline::questions
  int alternative = -1;  ///< index into that question's alternatives (fact_type.values)
  /** Ordered by question, then alternative. */
  auto operator<=>(const Reading&) const = default;
};

/** For which allowed values of one parameter an obligation fails. */
struct ParamFailure {
  int param = -1;             ///< index into Guideline::params
  solver::ParamValues values; ///< the failing values as intervals
};

/** One checked obligation. */
struct Obligation {
  std::string id;  ///< stable: id_prefix(kind) + ":" + the subject's name (the test's name for Kind::Test)
  Kind kind = Kind::Property;  ///< what it checks
  kb::ItemRef subject;         ///< the item checked (property, action or rule); index -1 for Kind::Test, which checks no item
  /** Where the obligation is written when it is not the subject's span: a
      test case's place in its test file (Kind::Test). */
  std::optional<kb::Loc> location;
  std::string description;     ///< what the obligation asks, in words (for a test: the guideline sentence it exercises)
  Status status = Status::Unknown;  ///< the verdict, after replaying any witness through the recommender
  std::string message;              ///< one line for people
  double millis = 0;                ///< solver time
  /** Every item the verdict rests on, in canonical order: the subject, the
      rules and constraints of the solver's unsat core (for an Unsat answer)
      or the rules the witness fires (for a Sat answer), and everything
      those name through kb::dependency_closure (definitions, parameters,
      facts). Re-proving a property under only these rules succeeds. */
  std::vector<kb::ItemRef> rests_on;
  std::vector<int> evidence;           ///< references cited by the subject and by the rules it rests on
  std::optional<kb::Patient> witness;  ///< violated / conflict / disagreement: the patient
  /** With a witness: each parameter's value for it (Guideline::params order).
      A proof covers every allowed value, so a counterexample may need a value
      other than the release's; the replay runs the recommender with these. */
  std::vector<std::int64_t> witness_params;
  /** Violated or conflict: per parameter whose allowed range has more than
      one value and that the obligation can depend on (its cone of
      influence), the values for which some valid patient fails. */
  std::vector<ParamFailure> failing_values;
  /** Violated or conflict: the deciding facts of the witness
      (solver::Solver::deciding_facts): every valid patient agreeing with
      them fails the same way, and none can be dropped (empty: every valid
      patient fails). Nullopt when they could not be decided. */
  std::optional<std::vector<solver::FactRange>> deciding;
  /** Set for an obligation checked under another alternative of a question
      than the chosen one: reported, never part of the exit code. Its id ends
      in "[QUESTION=ALTERNATIVE]". */
  std::optional<Reading> reading;
  std::vector<int> fired;              ///< rule indexes the recommender fires for the witness
  /// @var solver_says
  /// Disagreement: the action bits the solver's model gives, in words ("" when it has none).
  /// @var recommender_says
  /// Disagreement: the action bits the recommender computes for the witness, in words.
  std::string solver_says, recommender_says;
  /// @var expected
  /// Kind::Test: per action, the strength bits the test case expects (kb::kRecommended | ...; 0: absent).
  /// @var actual
  /// Kind::Test: per action, the strength bits the recommender gives its patient.
  std::vector<std::uint8_t> expected, actual;
  std::optional<solver::Query> query;  ///< the solver question asked (none for uncovered-rule and tests)
  int query_index = -1;                ///< the item the query is about
  solver::Verdict answer = solver::Verdict::Unknown;  ///< what the solver said
  std::optional<kb::ItemRef> waived_by;  ///< Waived: the waiver item that keeps the finding
  /** A hash of everything the solver's answers about this obligation can
      depend on (verify/cache.h, cache_key); empty for what is derived, not
      asked (uncovered rules, waivers, tests). */
  std::string cache_key;
  /** Set when the answers were reused from an earlier result instead of
      asked ("run 12", "shard 2/4"); the witness was still replayed. */
  std::optional<std::string> cached_from;
  /** The answers to keep for later runs (verify/cache.h, encode_answer);
      empty when they are not to be reused: unknown, or a disagreement. */
  std::string cache_answer;
};

/** An earlier answer found under a cache key. */
struct CachedAnswer {
  std::string origin;  ///< where it comes from, for Obligation::cached_from ("run 12")
  std::string answer;  ///< what encode_answer() wrote
};

/** Finds the answer stored under a cache key, or nullopt. Called from every
    worker thread of a run: it must be thread-safe. */
using CacheLookup = std::function<std::optional<CachedAnswer>(const std::string& key)>;

/** What to check. */
struct Options {
  unsigned timeout_ms = 10000;     ///< per obligation; 0 for none
  std::vector<kb::ItemRef> only;   ///< when non-empty, only obligations about these properties, actions and rules
  bool lints = true;               ///< dead, redundant, vacuous, uncovered and restates-rule checks, and waivers
  /** Also check the properties and conflicts under every alternative of
      every question other than the chosen one (Obligation::reading). */
  bool readings = true;
  /** Check each obligation over its slice (solver::Solver); false checks
      over the whole guideline (the reference the slicing tests compare with). */
  bool slicing = true;
  /** Workers checking obligations at once, each with its own solver
      context; the report is the same, in the same order, for any number. */
  unsigned jobs = 1;
  /** Reuses the answers found under an obligation's cache key instead of
      asking the solver (docs/kb-verify.md, "Proof cache"); null asks all. */
  CacheLookup cache;
  /** Part of every cache key: the build of the tool, so that answers of
      another build are never reused. */
  std::string tool_id;
  /// @var shard
  /// Checks only the obligations of share `shard` (1-based) of `shards`, by
  /// subject index, and leaves out what needs every obligation's answer
  /// (uncovered rules, waivers): a shard's answers are merged by a run that
  /// reuses them (docs/kb-verify.md, "Sharding").
  /// @var shards
  /// How many shares the obligations are split into (1: all in one run).
  unsigned shard = 1, shards = 1;
};

/** An answer kept for reuse that belongs to no obligation. */
struct Kept {
  std::string name;    ///< "completion" (with the reading's suffix under another reading)
  std::string key;     ///< its cache key
  std::string answer;  ///< the answer (verify/cache.h)
};

/** All obligations of one run. */
struct Report {
  std::vector<Obligation> obligations;  ///< properties, conflicts, then lints (dead/redundant, vacuous, uncovered)
  /** Kept for reuse besides the obligations' answers: the valid patient
      that completed the slices' witnesses, per reading, when the run
      sought it (a run that reused it, or asked nothing, keeps none). */
  std::vector<Kept> kept;
  double total_millis = 0;              ///< wall time of the whole run, in milliseconds
  std::string z3_version;               ///< solver::Solver::z3_version() of the run

  /** Exit code of kb-verify: 2 when any obligation is unknown or a
      disagreement, else 1 when a property is violated, a conflict exists or
      a test case failed, else 1 when `deny_warnings` and a lint warned
      (waived findings do not), else 0. Obligations under other readings
      count only as far as they are unknown or a disagreement. */
  int exit_code(bool deny_warnings) const;
  /** Number of obligations with status `s` under the chosen readings. */
  std::size_t count(Status s) const;
  /** Number of obligations with status `s` under other readings. */
  std::size_t count_other_readings(Status s) const;
};

/** True when the obligation checks an item of the guideline (every kind but Kind::Test). */
inline bool has_subject(const Obligation& o) { return o.subject.index >= 0; }

/** Where a finding about `o` points: its `location` when set, else the
    subject item's span. */
kb::Loc location_of(const Obligation& o, const kb::Guideline& g);

/** Checks every property, conflict and lint of `g` (see docs/kb-verify.md).
    Every satisfying model is replayed through `kb::Recommender`; when the two
    disagree the obligation is a Disagreement, whatever the solver said.
    Throws solver::Error only when Z3 itself fails. */
Report run(const kb::Guideline& g, const Options& options);

/** As run(), but the solver encodes `encoded` while witnesses are replayed
    through a recommender compiled from `replayed`. With two different rule
    sets this stands in for a translator bug, which is how the tests check
    that disagreements are caught. @pre both declare the same facts, actions,
    rules and properties in the same order */
Report run_split(const kb::Guideline& encoded, const kb::Guideline& replayed, const Options& options);

}  // namespace verify
