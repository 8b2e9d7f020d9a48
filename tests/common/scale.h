// Data volume of the heavy tests. The Release suite runs every test in full.
// The sanitizer suite (KB_SANITIZE=ON, CI's second suite) exists to catch
// memory errors and undefined behaviour, where a run is 10 to 30 times slower:
// there ctest sets KB_TEST_SCALE_DOWN=10 (tests/CMakeLists.txt), and the
// heavy tests take the same code paths over less data: fewer random patients
// or cohort lines, a sample of the bundled guideline's obligations. Their
// assertions stay as they are. (docs/reliability.md, "How it is tested
// continuously".)
#pragma once

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace kb::testing {

/** The divisor in KB_TEST_SCALE_DOWN: 1 (full size) unless it is set to a
    number above 1. */
inline int scale_down() {
  const char* v = std::getenv("KB_TEST_SCALE_DOWN");
  int n = v ? std::atoi(v) : 1;
  return n > 1 ? n : 1;
}

/** True in the scaled-down (sanitizer) suite. */
inline bool scaled_down() { return scale_down() > 1; }

/** `n` in full, or n / KB_TEST_SCALE_DOWN and never below `floor`. */
inline int scaled(int n, int floor = 1) { return scaled_down() ? std::max(floor, n / scale_down()) : n; }

/** kb-verify arguments for a run on the bundled guideline: none in full; in
    the scaled-down suite `--only` a sample that still has every kind of
    obligation the full run has (a property, the conflicts of the mdt action,
    and the dead, redundant, vacuous and rule-free checks of MDT-OFFER), about
    16 obligations instead of 800. */
inline std::vector<std::string> bundled_verify_sample() {
  if (!scaled_down()) return {};
  return {"--only", "NO-MDT-WITHOUT-MINIMUM-RESPONSE", "--only", "mdt", "--only", "MDT-OFFER"};
}

}  // namespace kb::testing
