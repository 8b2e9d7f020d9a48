// Synthetic guidelines for scale benchmarks and tests: deterministic from a
// seed, with the structure of a real guideline body (sections of facts with
// definitions, bounded ints, enums, sums, domain constraints, a threshold
// parameter per section, actions gated by it, and properties of the bundled
// guideline's forms). docs/performance.md, "Verification at scale".
#pragma once

#include <cstdint>
#include <string>

namespace kb::synth {

/** What to generate. */
struct Options {
  int rules = 100;          ///< number of rules (at least 10); facts = rules / 5, actions = rules / 10
  std::uint32_t seed = 1;   ///< same seed and options, same text
  int conflicts = 0;        ///< actions given an ungated avoid rule (each is a conflict)
  int dead_rules = 0;       ///< rules whose condition no patient meets
  int violations = 0;       ///< offering rules without their threshold gate (each breaks a property)
};

/** The source text of one guideline (one .kb file) built from `o`. Every
    property holds and no rule is dead or conflicting unless injected. */
std::string generate(const Options& o);

}  // namespace kb::synth
