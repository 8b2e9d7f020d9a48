// A checked guideline: every name resolved, every expression typed. This is
// what the store, the recommender and the solver all consume.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kb/lang/ast.h"

namespace kb {

/** A typed reference to one item of a Guideline: its kind and its index in
    Guideline::of_kind(kind). Layers pass these, never "kind:name" strings;
    text is made only at the edge (reports, the store). */
struct ItemRef {
  ItemKind kind = ItemKind::Rule;  ///< which vector of the Guideline
  int index = -1;                  ///< position in that vector
  /** Ordered by kind (canonical order), then index. */
  auto operator<=>(const ItemRef&) const = default;
};

/** Items of a well-formed guideline, grouped by kind. Expression nodes carry
    `type`, `name_kind` and `index` into the vectors below. */
struct Guideline {
  /// @var references
  /// Reference items, in source order.
  /// @var facts
  /// Fact items, in source order; Expr::index of a fact Name points here.
  /// @var defines
  /// Define items, in source order; Expr::index of a define Name points here.
  /// @var constraints
  /// Constraint items, in source order.
  /// @var params
  /// Param items, in source order; Expr::index of a param Name points here.
  /// @var questions
  /// Question items, in source order: readings the committee chose among alternatives; Expr::index of a question Name points here.
  /// @var actions
  /// Action items, in source order; Expr::index of an Atom points here.
  /// @var rules
  /// Rule items, in source order.
  /// @var properties
  /// Property items, in source order.
  /// @var waivers
  /// Waiver items, in source order: lint findings kept on purpose.
  std::vector<Item> references, facts, defines, constraints, params, questions, actions, rules, properties, waivers;
  /** Stored version of each item by "kind:name" (absent for items from files). */
  std::map<std::string, int> versions;

  /** Index of the named fact, or -1. */
  int fact_index(const std::string& name) const;
  /** Index of the named action, or -1. */
  int action_index(const std::string& name) const;
  /** Index of the named rule, or -1. */
  int rule_index(const std::string& name) const;
  /** Index of the named property, or -1. */
  int property_index(const std::string& name) const;
  /** The vector of items of `kind`. */
  const std::vector<Item>& of_kind(ItemKind kind) const;
  /** "id@version" for a stored item, "id@draft" for one read from a file. */
  std::string versioned_id(const Item& item) const;
  /** versioned_id of the item `r` refers to. */
  std::string versioned_id(ItemRef r) const { return versioned_id(item(r)); }
  /** The item `r` refers to. @pre r is valid for this guideline */
  const Item& item(ItemRef r) const { return of_kind(r.kind).at(static_cast<std::size_t>(r.index)); }
  /** The item of `kind` named `name`, or nullopt. */
  std::optional<ItemRef> find(ItemKind kind, const std::string& name) const;
  /** Stored version of the item, or 0 for an item read from a file (a draft). */
  int version(ItemRef r) const;
  /** The value names of the enum declared by the fact or question `name`
      (Type::enum_fact), or null when neither declares one. */
  const std::vector<std::string>* enum_values(const std::string& name) const;
  /** The items in canonical order (kind, then declaration order). */
  std::vector<const Item*> all_items() const;
};

/** A deep copy of `g` (expressions included). */
Guideline clone(const Guideline& g);

/** A deep copy of `g` whose parameters take `values` (one per
    Guideline::params, in order) instead of their release values: the rule
    set as the committee could set it. @pre values.size() == g.params.size() */
Guideline with_param_values(const Guideline& g, const std::vector<std::int64_t>& values);

/** A deep copy of `g` in which question `question` has chosen alternative
    `alternative` (an index into its alternatives) instead of its default. */
Guideline with_reading(const Guideline& g, int question, int alternative);

/** Key of an item in version maps and in the store: "kind:name". */
std::string item_key(const Item& item);

/** The items `roots` rest on, with the roots: each rule, definition,
    constraint and property adds the definitions, parameters and facts its
    expression names, transitively through definitions. Sorted (canonical
    order), without duplicates. Actions and references are not followed:
    they carry no semantics. */
std::vector<ItemRef> dependency_closure(const Guideline& g, const std::vector<ItemRef>& roots);

/** Canonical text of a whole guideline: every item in Guideline::all_items
    order, a blank line between items, each as print_item (the text the store
    keeps). Two guidelines mean the same items exactly when their texts are
    equal. */
std::string guideline_text(const Guideline& g);

/** The same items in the same order, each in the formatter's layout
    (kb::format_item: long expressions broken at the line width): what `kb
    export` prints. It parses to items with the same guideline_text, and
    `kb fmt` leaves it unchanged. */
std::string guideline_layout(const Guideline& g);

/** A repository-relative spelling of `path` when it lies under the current
    directory (lexically normal, '/' separators), else `path` unchanged, so
    reports and code-scanning tools can resolve item locations. */
std::string display_path(const std::string& path);

}  // namespace kb
