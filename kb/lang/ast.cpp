// The vocabulary of the language and deep copies of AST nodes.
#include "kb/lang/ast.h"

#include <utility>

namespace kb {
namespace {

constexpr std::pair<Strength, const char*> kStrengthNames[] = {
    {Strength::Recommend, "recommend"}, {Strength::Consider, "consider"}, {Strength::Avoid, "avoid"}};
constexpr std::pair<AtomKind, const char*> kAtomNames[] = {{AtomKind::Recommended, "recommended"},
                                                           {AtomKind::Considered, "considered"},
                                                           {AtomKind::Avoided, "avoided"},
                                                           {AtomKind::Offered, "offered"}};
constexpr std::pair<ItemKind, const char*> kKindNames[] = {
    {ItemKind::Reference, "reference"}, {ItemKind::Fact, "fact"},     {ItemKind::Define, "define"},
    {ItemKind::Constraint, "constraint"}, {ItemKind::Param, "param"}, {ItemKind::Question, "question"}, {ItemKind::Action, "action"},
    {ItemKind::Rule, "rule"},           {ItemKind::Property, "property"}, {ItemKind::Waiver, "waiver"}};
constexpr std::pair<Lint, const char*> kLintNames[] = {
    {Lint::DeadRule, "dead-rule"},           {Lint::RedundantRule, "redundant-rule"},
    {Lint::VacuousProperty, "vacuous-property"}, {Lint::RuleFreeProperty, "rule-free-property"},
    {Lint::UncoveredRule, "uncovered-rule"}, {Lint::RestatesRule, "restates-rule"}};

template <class E, std::size_t N>
const char* name_of(const std::pair<E, const char*> (&table)[N], E value) {
  for (auto [v, name] : table)
    if (v == value) return name;
  return "?";
}

template <class E, std::size_t N>
std::optional<E> value_of(const std::pair<E, const char*> (&table)[N], std::string_view s) {
  for (auto [v, name] : table)
    if (s == name) return v;
  return std::nullopt;
}

}  // namespace

const char* strength_name(Strength s) { return name_of(kStrengthNames, s); }
std::optional<Strength> strength_from_name(std::string_view s) { return value_of(kStrengthNames, s); }
const char* atom_name(AtomKind a) { return name_of(kAtomNames, a); }
std::optional<AtomKind> atom_from_name(std::string_view s) { return value_of(kAtomNames, s); }
const char* item_kind_name(ItemKind k) { return name_of(kKindNames, k); }
std::optional<ItemKind> item_kind_from_name(const std::string& s) { return value_of(kKindNames, s); }
const char* lint_name(Lint l) { return name_of(kLintNames, l); }
std::optional<Lint> lint_from_name(std::string_view s) { return value_of(kLintNames, s); }

ItemKind lint_subject(Lint l) {
  return l == Lint::DeadRule || l == Lint::RedundantRule || l == Lint::UncoveredRule ? ItemKind::Rule
                                                                                      : ItemKind::Property;
}

AtomKind atom_of(Strength s) {
  switch (s) {
    case Strength::Recommend: return AtomKind::Recommended;
    case Strength::Consider: return AtomKind::Considered;
    case Strength::Avoid: return AtomKind::Avoided;
  }
  return AtomKind::Recommended;
}

const char* op_spelling(Op op) {
  switch (op) {
    case Op::Not: return "not";
    case Op::And: return "and";
    case Op::Or: return "or";
    case Op::Implies: return "implies";
    case Op::Eq: return "==";
    case Op::Ne: return "!=";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
    case Op::In: return "in";
    case Op::Add: return "+";
    case Op::Sub: return "-";
    default: return "";
  }
}

std::unique_ptr<Expr> Expr::clone() const {
  auto e = std::make_unique<Expr>();
  e->op = op, e->loc = loc, e->bool_value = bool_value, e->int_value = int_value, e->name = name;
  e->values = values, e->value_locs = value_locs, e->value_indexes = value_indexes, e->atom = atom;
  e->type = type, e->name_kind = name_kind, e->index = index;
  for (const auto& a : args) e->args.push_back(a->clone());
  return e;
}

Item Item::clone() const {
  Item it;
  it.kind = kind, it.name = name, it.loc = loc, it.description = description, it.fact_type = fact_type;
  it.expr = expr ? expr->clone() : nullptr;
  it.param_value = param_value, it.param_lo = param_lo, it.param_hi = param_hi, it.value_loc = value_loc;
  it.strength = strength, it.action = action, it.action_loc = action_loc, it.rationale = rationale;
  it.source = source, it.cites = cites, it.cite_locs = cite_locs, it.action_index = action_index, it.span = span;
  it.because_loc = because_loc, it.source_loc = source_loc, it.lint = lint, it.lint_loc = lint_loc;
  it.target_kind = target_kind, it.target = target, it.target_loc = target_loc, it.agreed = agreed;
  it.agreed_loc = agreed_loc, it.alternative_texts = alternative_texts, it.alternative_locs = alternative_locs;
  it.chosen = chosen, it.chosen_loc = chosen_loc, it.chosen_index = chosen_index;
  return it;
}

}  // namespace kb
