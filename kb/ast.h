// The abstract syntax of the guideline language (docs/language.md): items as
// the parser produces them, and expressions annotated by the checker.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "kb/diagnostics.h"

namespace kb {

/** Operators of the expression language. */
enum class Op {
  BoolLit, IntLit, Name, EnumValue, Atom,  // leaves
  Not, And, Or, Implies,
  Eq, Ne, Lt, Le, Gt, Ge, In,
  Add, Sub,
};

/** The four atoms a property may use over an action. */
enum class AtomKind { Recommended, Considered, Avoided, Offered };

/** Rule strengths. */
enum class Strength { Recommend, Consider, Avoid };

/** Spelling of a strength in the language ("recommend", ...). */
const char* strength_name(Strength s);
/** Spelling of an atom in the language ("recommended", ...). */
const char* atom_name(AtomKind a);

/** Static type of an expression; `enum_fact` names the fact whose enum it is. */
struct Type {
  enum Kind { Bool, Int, Enum, Error } kind = Error;
  std::string enum_fact;
  bool operator==(const Type&) const = default;
};

/** What a Name leaf resolved to (filled in by the checker). */
enum class NameKind { Unresolved, Fact, Define, Param };

/** One expression node. Children in `args`; leaves use the fields below. */
struct Expr {
  Op op = Op::BoolLit;
  Loc loc;
  std::vector<std::unique_ptr<Expr>> args;
  bool bool_value = false;          // BoolLit
  std::int64_t int_value = 0;       // IntLit; enum index for EnumValue
  std::string name;                 // Name, EnumValue, Atom (action name)
  std::vector<std::string> values;  // In: value names
  std::vector<Loc> value_locs;      // In: where each value is written
  std::vector<int> value_indexes;   // In: enum indexes (checker)
  AtomKind atom = AtomKind::Recommended;
  // Checker annotations.
  Type type;
  NameKind name_kind = NameKind::Unresolved;
  int index = -1;  // fact / define / param index for Name; action index for Atom

  /** Deep copy. */
  std::unique_ptr<Expr> clone() const;
};
using ExprPtr = std::unique_ptr<Expr>;

/** Declared type of a fact. */
struct FactType {
  Type::Kind kind = Type::Bool;
  std::int64_t lo = 0, hi = 1;        // Int range; Bool is 0..1; Enum 0..n-1
  std::vector<std::string> values;    // Enum values in order
};

/** Kinds of items, in canonical export order. */
enum class ItemKind { Reference, Fact, Define, Constraint, Param, Action, Rule, Property };
/** Spelling of an item kind ("fact", "rule", ...), as stored in the database. */
const char* item_kind_name(ItemKind k);
/** Parses an item kind spelling; nullopt when unknown. */
std::optional<ItemKind> item_kind_from_name(const std::string& s);

/** One top-level item. Fields are used according to `kind`. */
struct Item {
  ItemKind kind = ItemKind::Fact;
  std::string name;         // identifier, id, or reference number as text
  Loc loc;                  // where the name is written
  std::string description;  // fact/define/constraint/param/action/property text; reference text
  FactType fact_type;       // Fact
  ExprPtr expr;             // Define body, Constraint, Rule condition, Property formula
  std::int64_t param_value = 0, param_lo = 0, param_hi = 0;  // Param
  Loc value_loc;            // Param value
  Strength strength = Strength::Recommend;  // Rule
  std::string action;       // Rule
  Loc action_loc;
  std::string rationale;    // Rule "because"
  std::string source;       // Rule "source"
  std::vector<int> cites;   // Rule, Property
  std::vector<Loc> cite_locs;

  /** Deep copy. */
  Item clone() const;
};

/** A parsed set of sources: items in source order. */
struct Module {
  std::vector<Item> items;
};

}  // namespace kb
