// `kb recommend`: apply the rules to one patient (JSON) or to a cohort
// (JSON Lines, --batch). Kept apart from tools/kb_cli.cpp's other commands.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kb/eval/recommender.h"

namespace kb::cli {

/** Longest input read as one patient, in bytes: a --patient file, or one
    line of a --batch file (docs/recommender.md). A longer file is rejected;
    a longer batch line ends the batch (exit 2). */
inline constexpr std::size_t kMaxPatientBytes = std::size_t{1} << 20;

/** The "schema" member of a one-patient JSON answer (schemas/kb-recommendation.schema.json);
    the number goes up when a change could break a reader. */
inline constexpr const char* kRecommendationSchema = "kb-recommendation/1";

/** The "schema" member of each --batch output line (schemas/kb-recommendation-line.schema.json). */
inline constexpr const char* kRecommendationLineSchema = "kb-recommendation-line/1";

/** The "schema" member of the `--batch --summary` answer (schemas/kb-recommendation-summary.schema.json). */
inline constexpr const char* kRecommendationSummarySchema = "kb-recommendation-summary/1";

/** Options of `kb recommend`. */
struct RecommendArgs {
  std::string patient;          ///< file, or "-" for standard input
  std::string format = "text";  ///< text or json (one patient); batch output is always JSON Lines
  bool batch = false;           ///< input is JSON Lines, one patient per line
  unsigned jobs = 1;            ///< batch: threads evaluating lines (output keeps the input order)
  bool summary = false;         ///< batch: one cohort summary instead of one line per patient
  std::string against{};        ///< summary: the rule set to count changed answers against (the "before" side)
  bool partial = false;         ///< an omitted fact is unknown (else an error)
};

/** Cohort totals of a batch (`--summary`): per action, how many patients
    each strength was given to and how many had a conflict on it. */
struct BatchSummary {
  /** Counts for one action. */
  struct ActionCounts {
    std::uint64_t strength[3] = {0, 0, 0};  ///< recommended, considered, avoided
    std::uint64_t conflict = 0;             ///< patients with the action both offered and avoided
  };
  std::uint64_t patients = 0;    ///< lines answered
  std::uint64_t errors = 0;      ///< lines rejected (bad JSON, bad fact, broken constraint)
  std::uint64_t conflicted = 0;  ///< patients with at least one conflict
  std::uint64_t no_action = 0;   ///< patients no rule gives an action
  std::vector<ActionCounts> per_action;  ///< indexed like Guideline::actions
  /// @var changed
  /// With a "before" rule set: patients whose strengths differ for some action.
  /// @var rejected_before
  /// With a "before" rule set: patients that break one of its domain constraints (not compared).
  std::uint64_t changed = 0, rejected_before = 0;
  /** Patients per changed answer: key (action << 16 | before bits << 8 | after bits). */
  std::map<std::uint32_t, std::uint64_t> changes;

  /** Zero counts for the actions of `g`. */
  void reset(const Guideline& g);
  /** Counts one answered patient. */
  void add(const Outcome& o);
  /** Counts the change from `before` (the other rule set's outcome) to `after`. */
  void add_change(const Outcome& before, const Outcome& after);
  /** Adds another worker's counts (same guideline). */
  void merge(const BatchSummary& other);
  /** The kb-recommendation-summary/1 object; `before` names the other rule
      set when changes were counted (else empty). */
  nlohmann::json to_json(const Guideline& g, const std::string& before = "") const;
};

/** Evaluates the patient(s) in `args.patient` with `r`. Batch mode writes
    one whole JSON line per non-blank input line (a result or an error
    object) and carries on after a bad line; a read failure or an over-long
    line ends it. Lines are read in blocks and evaluated by `args.jobs`
    threads; the output lines are built whole and written in input order,
    several lines per call. With `args.summary` it writes one
    kb-recommendation-summary/1 object at the end instead of the lines.
    @return 0 when every patient was read and none has a conflict; 1 when
            some patient has a conflict; 2 when a patient (or line) was bad
            input or the input could not be read, reported on `err` with the
            file, line and fact */
int recommend(const Recommender& r, const RecommendArgs& args, std::istream& in, std::ostream& out,
              std::ostream& err);

/** recommend() with a "before" rule set for `--summary --against`: each
    patient is also evaluated with `before` (same facts, checked by the
    caller) and the changed answers are counted. */
int recommend(const Recommender& r, const RecommendArgs& args, std::istream& in, std::ostream& out,
              std::ostream& err, const Recommender* before);

/** The original batch loop (one line at a time, through nlohmann::json
    trees), kept as the reference the tests compare `recommend(... batch)`
    with, line for line and byte for byte. Same contract as the batch mode of
    recommend(), without `jobs` and `summary`; `name` is the input's name in
    messages; `partial` as RecommendArgs::partial. */
int recommend_batch_reference(const Recommender& r, std::istream& in, const std::string& name, std::ostream& out,
                              std::ostream& err, bool partial = false);

}  // namespace kb::cli
