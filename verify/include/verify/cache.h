// The proof cache (docs/kb-verify.md, "Proof cache"): an obligation's
// answers are keyed by a hash of everything they can depend on (its slice's
// items, each by name, version and canonical text, and the tool's build), so
// an answer stored by an earlier run is reused exactly when nothing in its
// slice changed. Answers are kept as JSON naming items, never by index.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kb/model/guideline.h"
#include "solver/solver.h"
#include "verify/harness.h"

namespace verify {

/** Cache keys of one guideline's obligations. Each key is SHA-256 over the
    key format, the tool's build, Z3's version, the obligation's kind and
    subject, whether it is sliced, and one line per item its slice names,
    closed over kb::dependency_closure, in canonical order (kind, then
    declaration order): kind, name, version and the SHA-256 of the
    canonical text (each item's line made once). */
class CacheKeys {
 public:
  /** Keys for `g` (which must outlive this) under the tool build `tool_id`. */
  CacheKeys(const kb::Guideline& g, std::string tool_id);

  /** The key of an obligation of kind `kind` ("property", ...) about
      `subject`, whose answers are asked within `slice`
      (solver::Solver::slice) and also read the `extra` items. With
      `slice.everything` every item of the guideline is hashed. */
  std::string key(const std::string& kind, kb::ItemRef subject, const solver::SliceItems& slice,
                  const std::vector<kb::ItemRef>& extra = {});

  /** The key of the completing patient (solver::Solver::completion): every
      fact, parameter and domain constraint, and what those read. */
  std::string completion_key();

 private:
  const std::string& line(kb::ItemRef r);

  const kb::Guideline& g_;
  std::string head_;
  std::map<kb::ItemRef, std::string> lines_;
};

/** The answers of a decided obligation `o` as JSON: the solver's verdict;
    for Unsat the core (o.rests_on before tracing); for a witness its values
    of the facts and parameters of `slice` (the rest is completed again on
    reuse); the failing parameter values and the deciding facts. */
std::string encode_answer(const kb::Guideline& g, const Obligation& o, const solver::SliceItems& slice);

/** The completing patient `p` of `g` as an answer: verdict "sat", every
    fact's value as the witness (decode_answer reads it back). */
std::string encode_completion(const kb::Guideline& g, const kb::Patient& p);

/** What decode_answer() reads back, resolved against a guideline. */
struct DecodedAnswer {
  solver::Verdict verdict = solver::Verdict::Unknown;  ///< the solver's verdict
  std::vector<kb::ItemRef> core;                       ///< Unsat: the core's rules and constraints
  /** Sat with a witness: the stored facts at their values, every other 0
      (solver::Solver::complete fills them). */
  std::optional<kb::Patient> witness;
  std::vector<std::int64_t> params;  ///< with a witness: the stored parameters' values, every other 0
  std::vector<ParamFailure> failing;  ///< the failing values per parameter
  std::optional<std::vector<solver::FactRange>> deciding;  ///< the deciding facts, when stored
};

/** A guideline's items by kind and name, for reading answers back in time
    independent of the guideline's size. */
class ItemNames {
 public:
  /** Indexes the items of `g` (which must outlive this). */
  explicit ItemNames(const kb::Guideline& g);
  /** The item of `kind` named `name`, or nullopt. */
  std::optional<kb::ItemRef> find(kb::ItemKind kind, const std::string& name) const;

 private:
  std::map<std::pair<kb::ItemKind, std::string>, int> index_;
};

/** Reads encode_answer()'s JSON against `g`, whose items `names` indexes.
    Nullopt when it does not parse, its verdict is neither "sat" nor
    "unsat", or it names an item, fact or value `g` does not have. */
std::optional<DecodedAnswer> decode_answer(const kb::Guideline& g, const ItemNames& names, const std::string& json);

}  // namespace verify
