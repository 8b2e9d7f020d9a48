// Lookups on a checked guideline and its dependency graph.
#include "kb/model/guideline.h"

#include <filesystem>
#include <functional>
#include <set>

#include "kb/lang/format.h"
#include "kb/lang/printer.h"

namespace kb {
namespace {

int index_of(const std::vector<Item>& v, const std::string& name) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].name == name) return static_cast<int>(i);
  return -1;
}

constexpr ItemKind kCanonicalOrder[] = {ItemKind::Reference, ItemKind::Fact, ItemKind::Define,
                                        ItemKind::Constraint, ItemKind::Param, ItemKind::Question, ItemKind::Action,
                                        ItemKind::Rule,      ItemKind::Property, ItemKind::Waiver};

// The facts, definitions, parameters and questions `e` names directly.
void names_in(const Expr& e, std::vector<ItemRef>& out) {
  if (e.op == Op::Name && e.index >= 0) {
    static const ItemKind kinds[] = {ItemKind::Fact, ItemKind::Fact, ItemKind::Define, ItemKind::Param,
                                     ItemKind::Question};
    if (e.name_kind != NameKind::Unresolved) out.push_back({kinds[static_cast<int>(e.name_kind)], e.index});
  }
  for (const auto& a : e.args) names_in(*a, out);
}

}  // namespace

std::string item_key(const Item& item) { return std::string(item_kind_name(item.kind)) + ":" + item.name; }

int Guideline::fact_index(const std::string& n) const { return index_of(facts, n); }
int Guideline::action_index(const std::string& n) const { return index_of(actions, n); }
int Guideline::rule_index(const std::string& n) const { return index_of(rules, n); }
int Guideline::property_index(const std::string& n) const { return index_of(properties, n); }

const std::vector<Item>& Guideline::of_kind(ItemKind kind) const {
  switch (kind) {
    case ItemKind::Reference: return references;
    case ItemKind::Fact: return facts;
    case ItemKind::Define: return defines;
    case ItemKind::Constraint: return constraints;
    case ItemKind::Param: return params;
    case ItemKind::Question: return questions;
    case ItemKind::Action: return actions;
    case ItemKind::Rule: return rules;
    case ItemKind::Property: return properties;
    case ItemKind::Waiver: return waivers;
  }
  return rules;
}

const std::vector<std::string>* Guideline::enum_values(const std::string& name) const {
  for (const auto* v : {&facts, &questions})
    if (int i = index_of(*v, name); i >= 0 && (*v)[i].fact_type.kind == Type::Enum) return &(*v)[i].fact_type.values;
  return nullptr;
}

Guideline clone(const Guideline& g) {
  Guideline out;
  for (ItemKind kind : kCanonicalOrder) {
    auto& to = const_cast<std::vector<Item>&>(out.of_kind(kind));
    for (const Item& it : g.of_kind(kind)) to.push_back(it.clone());
  }
  out.versions = g.versions;
  return out;
}

Guideline with_param_values(const Guideline& g, const std::vector<std::int64_t>& values) {
  Guideline out = clone(g);
  for (std::size_t i = 0; i < out.params.size(); ++i) out.params[i].param_value = values.at(i);
  return out;
}

Guideline with_reading(const Guideline& g, int question, int alternative) {
  Guideline out = clone(g);
  Item& q = out.questions.at(static_cast<std::size_t>(question));
  q.chosen_index = alternative;
  q.chosen = q.fact_type.values.at(static_cast<std::size_t>(alternative));
  return out;
}

std::optional<ItemRef> Guideline::find(ItemKind kind, const std::string& name) const {
  int i = index_of(of_kind(kind), name);
  if (i < 0) return std::nullopt;
  return ItemRef{kind, i};
}

int Guideline::version(ItemRef r) const {
  auto it = versions.find(item_key(item(r)));
  return it == versions.end() ? 0 : it->second;
}

std::string Guideline::versioned_id(const Item& item) const {
  auto it = versions.find(item_key(item));
  return item.name + "@" + (it == versions.end() ? std::string("draft") : std::to_string(it->second));
}

std::vector<const Item*> Guideline::all_items() const {
  std::vector<const Item*> out;
  for (ItemKind kind : kCanonicalOrder)
    for (const Item& it : of_kind(kind)) out.push_back(&it);
  return out;
}

std::vector<ItemRef> dependency_closure(const Guideline& g, const std::vector<ItemRef>& roots) {
  std::set<ItemRef> seen;
  std::vector<ItemRef> pending(roots.begin(), roots.end());
  while (!pending.empty()) {
    ItemRef r = pending.back();
    pending.pop_back();
    if (!seen.insert(r).second) continue;
    const Item& it = g.item(r);
    if (it.expr) names_in(*it.expr, pending);
  }
  return {seen.begin(), seen.end()};
}

std::string guideline_text(const Guideline& g) {
  std::string out;
  for (const Item* it : g.all_items()) out += (out.empty() ? "" : "\n") + print_item(*it);
  return out;
}

std::string guideline_layout(const Guideline& g) {
  std::string out;
  for (const Item* it : g.all_items()) out += (out.empty() ? "" : "\n") + format_item(*it);
  return out;
}

std::string display_path(const std::string& path) {
  namespace fs = std::filesystem;
  if (path.empty() || path == "-" || path.front() == '<') return path;
  std::error_code ec;
  fs::path p = fs::path(path);
  if (p.is_absolute()) {
    fs::path rel = p.lexically_relative(fs::current_path(ec));
    if (ec || rel.empty() || *rel.begin() == "..") return path;
    p = rel;
  }
  return p.lexically_normal().generic_string();
}

}  // namespace kb
