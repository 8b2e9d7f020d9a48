// Compiled forms of guideline expressions, what the recommender runs.
//
// Program: one expression as flat stack bytecode over a slot array (facts,
// then definition values), parameters folded into constants. Used for
// definitions, domain constraints and properties, one run() per expression.
//
// RuleProgram: every rule of a guideline compiled together for the hot path
// (Recommender::evaluate): one run() per patient, no allocation, and no branch
// that depends on the patient. Int and enum expressions are linear (facts,
// parameters, constants, + and -), so every comparison becomes an "atom": a
// fact or a precomputed sum tested against a constant range, or an enum fact
// tested against a set of values; a bool fact is an atom too. The boolean
// structure becomes "gates", each the AND of literals (atoms or earlier gates,
// possibly negated): `or` and `implies` by De Morgan, nested `and`s and the
// definitions rules use flattened in, identical gates shared. Atoms and gates
// are the bits of a few 64-bit words, filled in order; a gate tests all its
// literals within one word by one xor-and-compare. Each rule finally tests its
// condition the same way and writes fired[] and actions[].
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "kb/lang/ast.h"

namespace kb {

struct Guideline;

/** What RuleProgram::run_bounds() knows of one fact: every value it may take
    lies in lo..hi; when `values` is not 0, every value it may take is in
    0..63 and bit v is set exactly when v is one of them (bools, enums). */
struct FactBounds {
  std::int64_t lo = 0;       ///< least possible value
  std::int64_t hi = 0;       ///< greatest possible value
  std::uint64_t values = 0;  ///< the possible values as bits, or 0 when not given
};

/** One compiled expression. */
class Program {
 public:
  /** Compiles a checked expression of `g`. Facts are slots 0..F-1,
      definition i is slot F+i; atoms read the action bits passed to run().
      Throws std::logic_error on an unchecked expression (a bug). */
  static Program compile(const Expr& e, const Guideline& g);

  /** Evaluates on the slot values and, for properties, the per-action
      strength bits (may be null when the expression has no atoms). */
  std::int64_t run(const std::int64_t* slots, const std::uint8_t* actions) const;

 private:
  struct Instr {
    std::uint8_t op;
    std::int32_t a;
    std::int64_t b;
  };
  void emit(const Expr& e, const Guideline& g, int depth);
  std::vector<Instr> code_;
  int max_depth_ = 0;
};

/** Every rule of a guideline compiled into one program without patient-dependent branches. */
class RuleProgram {
 public:
  /** Compiles the rules of checked guideline `g` (and the definitions they
      use). Throws std::logic_error on an unchecked guideline (a bug). */
  static RuleProgram compile(const Guideline& g);

  /** Applies every rule to the fact values `facts` (one per fact, in range).
      Writes fired[r] = 1 or 0 for every rule and sets actions[a] to the OR of
      the strength bits (kRecommended, ...) of the rules fired for action a.
      `fired` and `actions` must hold one byte per rule and per action.
      Thread-safe: the scratch space is per thread, allocated by its first call. */
  void run(const std::int64_t* facts, std::uint8_t* fired, std::uint8_t* actions) const;

  /** Three-valued run over fact values known only to lie within `facts`
      (one per fact): sets sure[r] = 1 when rule r fires for every patient
      within them and maybe[r] = 1 when it may fire for some, 0 otherwise.
      Sound, not exact: sure[r] only when r fires for every such patient,
      maybe[r] = 0 only when it fires for none; domain constraints are not
      consulted. With one value per fact it equals run(). Thread-safe. */
  void run_bounds(const FactBounds* facts, std::uint8_t* sure, std::uint8_t* maybe) const;

 private:
  // Atoms and gates are evaluated word by word, kind by kind; each shifts its
  // value into the word, so node k of a word of n nodes is bit n - 1 - k.
  struct Bool { std::int32_t fact; };                           // fact != 0
  struct Range { std::int32_t slot; std::uint64_t lo, size; };  // v - lo < size (wrapping): v in lo..lo+size-1
  struct Mask { std::int32_t fact; std::uint64_t mask; };       // bit v of mask (enum value v)
  struct Term { std::int32_t word; std::uint64_t flip, care; };  // its literals hold: ((w ^ flip) & care) == 0
  struct Gate { Term a, b; };                                   // AND of two terms (b {0, 0, 0} for one)
  struct WideGate { std::int32_t terms_end; };                  // AND of wide_terms_ up to terms_end
  struct Sum { std::int32_t terms_end; };                       // sum_terms_ up to terms_end
  struct SumTerm { std::int32_t fact; std::int64_t coeff; };
  // Ends in the node arrays of a word's nodes: bools_, ranges_, sum_ranges_,
  // masks_ for the first atom_words_ words, gates_, wide_gates_ after.
  struct Word { std::int32_t end[4]; };
  // Rule `rule`: the AND of terms a and b (negated when `negate`) into
  // fired[rule], strength `bit` into actions[action]. A rule's own gate,
  // when no other gate reads it, is tested here rather than stored as a bit.
  // Sorted by action; `keep` is 0 on an action's first rule, which starts
  // its strengths afresh, and 0xff on the others.
  struct Fire { Term a, b; std::int32_t rule, action; std::uint8_t negate, bit, keep; };

  std::vector<Sum> sums_;
  std::vector<SumTerm> sum_terms_;
  std::vector<Bool> bools_;
  std::vector<Range> ranges_, sum_ranges_;  // over a fact, over a sum
  std::vector<Mask> masks_;
  std::vector<Gate> gates_;                 // gates reading one or two words
  std::vector<WideGate> wide_gates_;        // more (rare)
  std::vector<Term> wide_terms_;
  std::vector<Word> words_;
  std::size_t atom_words_ = 0;
  std::vector<Fire> fires_;
  std::vector<std::int32_t> unruled_actions_;  // actions no rule gives: cleared by run()
};

}  // namespace kb
