// The abstract syntax of the guideline language (docs/language.md): items as
// the parser produces them, and expressions annotated by the checker.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kb/lang/diagnostics.h"

namespace kb {

/** Operators of the expression language. */
enum class Op {
  BoolLit, IntLit, Name, EnumValue, Atom,  // leaves
  Not, And, Or, Implies,
  Eq, Ne, Lt, Le, Gt, Ge, In,
  Add, Sub,
};

/** Spelling of an operator ("and", "==", "+", ...); "" for leaves. "in" for In. */
const char* op_spelling(Op op);

/** The four atoms a property may use over an action. */
enum class AtomKind { Recommended, Considered, Avoided, Offered };

/** Rule strengths. */
enum class Strength { Recommend, Consider, Avoid };
/** Every strength, in declaration order. */
inline constexpr Strength kStrengths[] = {Strength::Recommend, Strength::Consider, Strength::Avoid};

// The vocabulary of the language: the one place each spelling is written.

/** Spelling of a strength in the language ("recommend", ...). */
const char* strength_name(Strength s);
/** The strength spelled `s`, or nullopt. */
std::optional<Strength> strength_from_name(std::string_view s);
/** Spelling of an atom in the language ("recommended", ...). */
const char* atom_name(AtomKind a);
/** The atom spelled `s`, or nullopt. */
std::optional<AtomKind> atom_from_name(std::string_view s);
/** The atom that holds exactly when a rule of strength `s` fires
    (Recommend -> Recommended, Consider -> Considered, Avoid -> Avoided). */
AtomKind atom_of(Strength s);

/** Static type of an expression; `enum_fact` names the fact whose enum it is. */
struct Type {
  /** The kinds of types; Error marks an expression not yet checked or one
      that failed to check. */
  enum Kind { Bool, Int, Enum, Error } kind = Error;  ///< the kind of this type
  std::string enum_fact;  ///< Enum: name of the fact (or question) that declares the enum; empty otherwise
  /** Same kind and same enum fact. */
  bool operator==(const Type&) const = default;
};

/** What a Name leaf resolved to (filled in by the checker). */
enum class NameKind { Unresolved, Fact, Define, Param, Question };

/** One expression node. Children in `args`; leaves use the fields below. */
struct Expr {
  Op op = Op::BoolLit;  ///< the operator, or the kind of leaf (the checker turns enum-value Names into EnumValue)
  Loc loc;              ///< where the operator (for an operation) or the leaf's token is written
  std::vector<std::unique_ptr<Expr>> args;  ///< operands in source order: one for Not and In, two for binary operators
  bool bool_value = false;          ///< BoolLit: the value
  std::int64_t int_value = 0;       ///< IntLit: the value; EnumValue: the value's index in its enum
  std::string name;                 ///< Name, EnumValue: the identifier as written; Atom: the action name
  std::vector<std::string> values;  ///< In: the value names, as written
  std::vector<Loc> value_locs;      ///< In: where each of `values` is written
  std::vector<int> value_indexes;   ///< In: each value's index in the enum (checker)
  AtomKind atom = AtomKind::Recommended;  ///< Atom: which of the four atoms
  // Checker annotations.
  Type type;                                  ///< static type (checker); Error before checking
  NameKind name_kind = NameKind::Unresolved;  ///< Name: what the name resolved to (checker)
  int index = -1;  ///< Name: fact / define / param / question index (by `name_kind`); Atom: action index; -1 when unresolved

  /** Deep copy. */
  std::unique_ptr<Expr> clone() const;
};
using ExprPtr = std::unique_ptr<Expr>;

/** Declared type of a fact. */
struct FactType {
  Type::Kind kind = Type::Bool;  ///< Bool, Int or Enum
  /// @var lo
  /// Lowest value, inclusive: the Int range's lower bound; 0 for Bool and Enum.
  /// @var hi
  /// Highest value, inclusive: the Int range's upper bound; 1 for Bool; n-1 for an Enum of n values.
  std::int64_t lo = 0, hi = 1;
  std::vector<std::string> values;  ///< Enum: value names in declaration order (a value is its index); else empty
};

/** Kinds of items, in canonical export order. */
enum class ItemKind { Reference, Fact, Define, Constraint, Param, Question, Action, Rule, Property, Waiver };
/** Spelling of an item kind ("fact", "rule", ...), as stored in the database. */
const char* item_kind_name(ItemKind k);
/** Parses an item kind spelling; nullopt when unknown. */
std::optional<ItemKind> item_kind_from_name(const std::string& s);

/** The kb-verify lint findings a waiver may keep (docs/kb-verify.md, "Lints"). */
enum class Lint { DeadRule, RedundantRule, VacuousProperty, RuleFreeProperty, UncoveredRule, RestatesRule };
/** Every lint, in declaration order. */
inline constexpr Lint kLints[] = {Lint::DeadRule,         Lint::RedundantRule, Lint::VacuousProperty,
                                  Lint::RuleFreeProperty, Lint::UncoveredRule, Lint::RestatesRule};
/** Spelling of a lint in the language and in reports ("dead-rule", "restates-rule", ...). */
const char* lint_name(Lint l);
/** The lint spelled `s`, or nullopt. */
std::optional<Lint> lint_from_name(std::string_view s);
/** The kind of item a lint is about: Rule (dead, redundant, uncovered) or Property (the others). */
ItemKind lint_subject(Lint l);

/** One top-level item. Fields are used according to `kind`. */
struct Item {
  ItemKind kind = ItemKind::Fact;  ///< which kind of item; decides the fields below that are used
  std::string name;         ///< identifier, id, or reference number as text
  Loc loc;                  ///< where the name (a reference's number) is written
  std::string description;  ///< fact/define/constraint/param/action/property text; reference text; empty for rules
  FactType fact_type;       ///< Fact: the declared type; Question: an Enum of its alternatives' names
  ExprPtr expr;             ///< Define body, Constraint, Rule condition, Property formula; null for other kinds
  /// @var param_value
  /// Param: the value (the checker requires `param_lo` <= value <= `param_hi`).
  /// @var param_lo
  /// Param: lowest allowed value, inclusive.
  /// @var param_hi
  /// Param: highest allowed value, inclusive.
  std::int64_t param_value = 0, param_lo = 0, param_hi = 0;
  Loc value_loc;            ///< Param: where the value is written
  Strength strength = Strength::Recommend;  ///< Rule: recommend, consider or avoid
  std::string action;       ///< Rule: name of the action it gives (the checker requires it declared)
  Loc action_loc;           ///< Rule: where the action name is written
  std::string rationale;    ///< Rule, Waiver: the "because" text
  std::string source;       ///< Rule: the "source" text (the guideline sentence quoted)
  Loc because_loc;          ///< Rule, Waiver: where `because` is written (the formatter places comments by it)
  Loc source_loc;           ///< Rule: where `source` is written
  std::string lint;         ///< Waiver: the lint it waives, as written (the checker requires a known one)
  Loc lint_loc;             ///< Waiver: where the lint is written
  ItemKind target_kind = ItemKind::Rule;  ///< Waiver: the kind of the item whose finding it waives
  std::string target;       ///< Waiver: that item's name (the checker requires it declared)
  Loc target_loc;           ///< Waiver: where the target's name is written
  std::string agreed;       ///< Waiver: who agreed to keep the finding, and when ("committee 2026-11")
  Loc agreed_loc;           ///< Waiver: where `agreed` is written
  std::vector<std::string> alternative_texts;  ///< Question: what each alternative (fact_type.values) means
  std::vector<Loc> alternative_locs;           ///< Question: where each alternative's name is written
  std::string chosen;       ///< Question: the alternative the release adopts (its default reading)
  Loc chosen_loc;           ///< Question: where `chosen` is written
  int chosen_index = -1;    ///< Question: index of `chosen` in fact_type.values (resolved by the checker)
  std::vector<int> cites;   ///< Rule, Property: cited reference numbers in written order (each must be declared)
  std::vector<Loc> cite_locs;  ///< where each of `cites` is written
  int action_index = -1;    ///< Rule: index of `action` in Guideline::actions (resolved once by the checker)
  /** The whole item, from its keyword to its last token (end_line/end_column
      set). For a stored item: where the version was imported from. */
  Loc span;

  /** Deep copy. */
  Item clone() const;
};

/** A parsed set of sources: items in source order. */
struct Module {
  std::vector<Item> items;  ///< every item that parsed, in source order (files in the order given)
};

}  // namespace kb
