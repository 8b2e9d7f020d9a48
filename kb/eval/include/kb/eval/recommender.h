// The recommender: applies a checked guideline to one patient. A guideline
// is compiled once (kb/program.h): its rules into one RuleProgram, which
// evaluate() runs once per patient with no patient-dependent branch and no
// allocation (after a thread's first call); its definitions, constraints and
// properties into one stack Program each.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "kb/model/guideline.h"
#include "kb/eval/program.h"

namespace kb {

/** One patient: a value per fact, indexed like Guideline::facts. Bools are
    0/1, ints their value, enums the index of the value. */
using Patient = std::vector<std::int64_t>;

/** Strength bits of an action in an Outcome. */
enum : std::uint8_t { kRecommended = 1, kConsidered = 2, kAvoided = 4 };

/** The Outcome bit of a strength (kRecommended, kConsidered or kAvoided). */
std::uint8_t strength_bit(Strength s);
/** The atom word of one strength bit ("recommended", "considered", "avoided"). */
const char* strength_word(std::uint8_t bit);

/** What the rules give for one patient. */
struct Outcome {
  std::vector<std::uint8_t> fired;    ///< per rule: 1 when its condition holds
  std::vector<std::uint8_t> actions;  ///< per action: kRecommended | kConsidered | kAvoided bits

  /** True when the action is both offered (recommended or considered) and avoided. */
  bool conflict(int action) const {
    return (actions[action] & kAvoided) && (actions[action] & (kRecommended | kConsidered));
  }
};

/** A guideline compiled for evaluation. The guideline must outlive it. */
class Recommender {
 public:
  /** Compiles every definition, constraint, rule and property of `g`. */
  explicit Recommender(const Guideline& g);

  /** The guideline this recommender was compiled from. */
  const Guideline& guideline() const { return *g_; }

  /** Index of the first domain constraint `p` breaks, or -1.
      @pre p has one in-range value per fact */
  int broken_constraint(const Patient& p) const;

  /** Applies every rule to `p`, overwriting `out`.
      @pre p has one in-range value per fact and satisfies the constraints */
  void evaluate(const Patient& p, Outcome& out) const;

  /** The compiled rules, for RuleProgram::run_bounds(). */
  const RuleProgram& rule_program() const { return rules_; }

  /** Evaluates property `index` on `p` and its outcome. */
  bool property_holds(int index, const Patient& p, const Outcome& out) const;

 private:
  // Fills the definition slots after the facts in `slots`.
  void load(const Patient& p, std::vector<std::int64_t>& slots) const;

  const Guideline* g_;
  std::vector<Program> defines_;  // in dependency order, writing slot facts+define_slot_[i]
  std::vector<int> define_order_;
  std::vector<Program> constraints_, properties_;
  RuleProgram rules_;  // every rule, for evaluate()
};

/** A patient read from JSON, or the first problem with it. */
struct PatientResult {
  std::optional<Patient> patient;  ///< the patient, when it was read and is valid
  std::string fact;   ///< the fact the error is about ("" when not about one fact)
  std::string error;  ///< empty on success
};

/** Reads a patient from a JSON object mapping every fact name to a value
    (bool: true/false, int: an integer in range, written without fraction or
    exponent; enum: the value's name), and checks it against the domain
    constraints of `r`. Missing, unknown, mistyped and out-of-range facts
    (an integer beyond 64 bits included), unknown enum values and broken
    constraints are errors naming the fact or constraint. Messages quote at
    most a short excerpt of the input, so their size is bounded. */
PatientResult patient_from_json(const Recommender& r, const nlohmann::json& j);

/** Deepest JSON nesting patient_from_text() reads. A patient is one flat
    object (depth 1); deeper input is rejected while parsing, before it is
    built, so neither memory nor the stack grows with it. */
inline constexpr int kMaxPatientJsonDepth = 8;

/** Parses `text` as one JSON value and reads it with patient_from_json().
    Besides its errors, rejects (error naming the fact when the problem is
    inside one fact's value): text that is not JSON (including strings that
    are not UTF-8, and numbers beyond the range of a double, like 1e400),
    nesting deeper than kMaxPatientJsonDepth, and a key given twice in the
    patient object. Never throws on any input. */
PatientResult patient_from_text(const Recommender& r, std::string_view text);

/** The patient as the JSON object patient_from_json reads. */
nlohmann::json patient_to_json(const Guideline& g, const Patient& p);

/** A short description of a patient ("response_months=4, subtype=her2_pos,
    bone_mets"), listing true bools and non-default values only when
    `compact`, every fact otherwise; only the facts in `only` (indexes, in
    declaration order) when given. */
std::string describe_patient(const Guideline& g, const Patient& p, bool compact = true,
                             const std::vector<int>* only = nullptr);

/** The explanation of an outcome: per offered or avoided action its
    strength, the rules that fired (id@version, strength, rationale, source,
    references), and the conflicts (docs/recommender.md gives the schema). */
nlohmann::json outcome_to_json(const Guideline& g, const Outcome& out);

/** The action bits of an outcome in words: "mdt=considered, surgery=avoided",
    or "no action". */
std::string actions_text(const Guideline& g, const Outcome& o);

/** The same explanation as text for a person. */
std::string outcome_to_text(const Guideline& g, const Outcome& out);

}  // namespace kb
