// The guideline's own tests (docs/testing.md): JSON test files, each one
// patient with the advice expected for every action, run through the
// recommender. `kb test` runs them on their own; `kb-verify --tests` runs
// them as obligations of kind "test" beside the proofs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kb/eval/partial.h"
#include "kb/eval/recommender.h"
#include "verify/harness.h"

namespace verify {

/** The advice of an action whose strengths depend on unknown facts (a test
    case with a partial patient); the word "depends". Other advice is the
    strengths that hold for every valid completion, the rest being never. */
inline constexpr std::uint8_t kDependsAdvice = 8;

/** One test case, read from its test file and checked against a guideline. */
struct TestCase {
  std::string name;      ///< unique among the cases of a run; the obligation id is "test:" + name
  std::string sentence;  ///< the guideline sentence the case exercises
  kb::Loc loc;           ///< the case in its file: file, line and column of its "name" member
  kb::Patient patient;   ///< a valid patient of the guideline (empty when `partial`)
  std::optional<kb::PartialPatient> partial;  ///< the patient, when some fact is unknown or narrowed
  std::vector<std::uint8_t> expect;  ///< per action of the guideline: the strength bits expected (0: absent), or kDependsAdvice
  /** Per action: line and column of its entry in "expect", or of "expect" itself when the action is not listed. */
  std::vector<std::pair<int, int>> expect_at;
};

/** Test cases read from files, or every problem found in them. */
struct LoadedTests {
  std::vector<TestCase> cases;      ///< in file order (a folder's files sorted by name)
  std::vector<std::string> errors;  ///< one line each, "FILE:LINE:COL: fact 'x': ...", naming the file; empty on success
};

/** The test files `paths` name: a file as given, a folder as its `.json`
    files (sorted, not recursive). A missing path and a folder without
    `.json` files are errors in `errors`. */
std::vector<std::string> expand_test_paths(const std::vector<std::string>& paths, std::vector<std::string>& errors);

/** Reads the test files `paths` name (expand_test_paths) against the
    guideline of `r`: bad JSON, a missing or unknown member, an unknown fact
    or action (with "did you mean"), a bad value, a patient that breaks a
    domain constraint and a name used twice are errors naming the file, its
    line and the fact or action. Every file is read, so all problems are
    reported at once. */
LoadedTests load_tests(const std::vector<std::string>& paths, const kb::Recommender& r);

/** Runs one case: an obligation of kind Test, Passed when every action gets
    exactly the expected strengths (for a partial patient: the strengths
    that hold for every valid completion, or "depends"; Unknown when the
    advice has no answer), else Failed with one "action: expected
    X, got Y" clause per differing action in its message. The patient is the
    witness (for a partial patient: none when it passed, else a valid
    completion showing the difference), the rules it fires (for every
    completion) are `fired`, and `rests_on` is those rules
    and everything they use. */
Obligation run_test(const kb::Recommender& r, const TestCase& c);

/** Runs every case, in order. */
Report run_tests(const kb::Recommender& r, const std::vector<TestCase>& cases);

/** The strengths of a set of strength bits in test-file words:
    "recommend", "consider", "avoid" joined by "+", "absent" for none, or
    "depends" for kDependsAdvice. */
std::string advice_word(std::uint8_t bits);

/** The differing actions of a test obligation, one "action: expected X,
    got Y" per action in guideline order (empty when it passed). */
std::vector<std::string> advice_diff(const Obligation& o, const kb::Guideline& g);

/** Indexes of the rules none of the test obligations in `r` fires, in rule order. */
std::vector<int> unfired_rules(const Report& r, const kb::Guideline& g);

}  // namespace verify
