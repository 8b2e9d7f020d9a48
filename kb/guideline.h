// A checked guideline: every name resolved, every expression typed. This is
// what the store, the recommender and the solver all consume.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kb/ast.h"
#include "kb/diagnostics.h"

namespace kb {

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
  /// @var actions
  /// Action items, in source order; Expr::index of an Atom points here.
  /// @var rules
  /// Rule items, in source order.
  /// @var properties
  /// Property items, in source order.
  std::vector<Item> references, facts, defines, constraints, params, actions, rules, properties;
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
  /** The items in canonical order (kind, then declaration order). */
  std::vector<const Item*> all_items() const;
};

/** Key of an item in version maps and in the store: "kind:name". */
std::string item_key(const Item& item);

/** Resolves and type-checks `module` (docs/language.md, "What the checker
    rejects"). Reports every error it finds to `diags`.
    @return the checked guideline, or nullopt when any error was reported */
std::optional<Guideline> check(Module module, Diagnostics& diags);

/** Reads, parses and checks source files.
    @param files paths of `.kb` files; "-" reads `in` (named "<stdin>")
    @param sources receives each file's text, for rendering diagnostics
    @param in the stream "-" stands for (required when a file is "-")
    @return the checked guideline, or nullopt (errors, including unreadable
            files, in `diags`) */
std::optional<Guideline> load_files(const std::vector<std::string>& files, SourceMap& sources,
                                    Diagnostics& diags, std::istream* in = nullptr);

}  // namespace kb
