// Flat bytecode for guideline expressions: what the recommender runs per
// patient. Slots hold fact values, then definition values; parameters are
// folded into constants at compile time.
#pragma once

#include <cstdint>
#include <vector>

#include "kb/ast.h"

namespace kb {

struct Guideline;

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

}  // namespace kb
