// The throughput path of `kb recommend --batch` (docs/recommender.md, "Batch
// throughput"): a patient line read without building a JSON tree, and an
// outcome written as the JSON text outcome_to_json() would dump, from
// fragments rendered once per rule set.
//
// The reader accepts only the plainest form of a valid patient line (one flat
// object, every fact exactly once, keys and enum values without escapes,
// integers without fraction or exponent, every value in range, every domain
// constraint kept). It says "not accepted" for everything else, valid or not,
// and the caller then reads the line with patient_from_text(), so every error
// message, and every decision on unusual but valid JSON, is made by the one
// strict reader. What it accepts, patient_from_text() accepts too, with the
// same values.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kb/eval/recommender.h"

namespace kb {

/** Fast reading of patient lines and writing of outcome lines for one rule set.
    Immutable after construction: one instance serves any number of threads,
    each with its own BatchScratch. The recommender must outlive it. */
class BatchCodec {
 public:
  /** Per-thread working space, so that reading allocates nothing per patient. */
  struct Scratch {
    std::vector<std::uint8_t> seen;     ///< per fact: read on this line
    std::vector<std::uint8_t> broken;   ///< per domain constraint: broken by the line's patient
    std::vector<std::uint8_t> actions;  ///< scratch of the constraint program
  };

  /** Precomputes the fact-name index and the output fragments of every
      action, rule and strength set of `r`'s guideline. */
  explicit BatchCodec(const Recommender& r);

  /** Reads `line` into `p` (resized to one value per fact) when it is a
      plain, valid patient (see the file comment); false otherwise, with `p`
      unspecified: the caller must then use patient_from_text(). */
  bool read_patient(std::string_view line, Patient& p, Scratch& s) const;

  /** Appends outcome_to_json(g, o) dumped compactly (invalid UTF-8
      replaced), byte for byte, to `out`. */
  void append_outcome(const Outcome& o, std::string& out) const;

  /** Appends the whole batch output line of a result, with its newline:
      {"line":N,"result":...,"schema":"kb-recommendation-line/1"}. */
  void append_result_line(std::uint64_t line, const Outcome& o, std::string& out) const;

  /** The recommender this codec was built for. */
  const Recommender& recommender() const { return *r_; }

 private:
  int lookup(const char* key, std::size_t len) const;  // fact index, or -1

  const Recommender* r_;
  std::size_t facts_ = 0;
  // The domain constraints compiled like rules (one rule "when not C" each,
  // all for one action), so a patient is checked with one branch-free run.
  RuleProgram constraints_;
  std::size_t constraint_count_ = 0, constraint_actions_ = 0;
  // Open-addressing index of fact names.
  std::vector<std::int32_t> table_;  // fact index + 1, 0 = empty
  std::uint64_t table_mask_ = 0;
  // Fact names in sorted order (the order patient_to_json writes), to guess the next key.
  std::vector<std::int32_t> sorted_, sorted_pos_;
  // Per fact: its name followed by the closing quote; per enum fact, each
  // value name followed by the closing quote (matched in place, no scan).
  std::vector<std::string> key_quoted_;
  std::vector<std::vector<std::string>> values_quoted_;
  // Per action: `{"action":NAME,"conflict":`, `,"description":DESC,"rules":[`,
  // `{"action":NAME,"avoided_by":[`; per strength bits `],"strengths":[...]}`.
  std::vector<std::string> action_head_, action_mid_, conflict_head_;
  std::array<std::string, 8> strengths_tail_;
  // Per action, its rules in guideline order; per rule its dumped object and its dumped "id@version".
  std::vector<std::vector<std::int32_t>> action_rules_;
  std::vector<std::string> rule_json_, rule_id_;
  std::vector<std::uint8_t> rule_avoids_;
};

}  // namespace kb
