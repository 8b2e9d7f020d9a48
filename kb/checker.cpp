// Name resolution and type checking (docs/language.md, "What the checker
// rejects"). One pass reports every error it can find.
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "kb/guideline.h"
#include "kb/parser.h"

namespace kb {

const char* strength_name(Strength s) {
  switch (s) {
    case Strength::Recommend: return "recommend";
    case Strength::Consider: return "consider";
    case Strength::Avoid: return "avoid";
  }
  return "?";
}

const char* atom_name(AtomKind a) {
  switch (a) {
    case AtomKind::Recommended: return "recommended";
    case AtomKind::Considered: return "considered";
    case AtomKind::Avoided: return "avoided";
    case AtomKind::Offered: return "offered";
  }
  return "?";
}

static const std::pair<ItemKind, const char*> kKindNames[] = {
    {ItemKind::Reference, "reference"}, {ItemKind::Fact, "fact"},     {ItemKind::Define, "define"},
    {ItemKind::Constraint, "constraint"}, {ItemKind::Param, "param"}, {ItemKind::Action, "action"},
    {ItemKind::Rule, "rule"},           {ItemKind::Property, "property"}};

const char* item_kind_name(ItemKind k) {
  for (auto [kind, name] : kKindNames)
    if (kind == k) return name;
  return "?";
}

std::optional<ItemKind> item_kind_from_name(const std::string& s) {
  for (auto [kind, name] : kKindNames)
    if (s == name) return kind;
  return std::nullopt;
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
  it.source = source, it.cites = cites, it.cite_locs = cite_locs;
  return it;
}

std::string item_key(const Item& item) { return std::string(item_kind_name(item.kind)) + ":" + item.name; }

static int index_of(const std::vector<Item>& v, const std::string& name) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].name == name) return static_cast<int>(i);
  return -1;
}
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
    case ItemKind::Action: return actions;
    case ItemKind::Rule: return rules;
    case ItemKind::Property: return properties;
  }
  return rules;
}

std::string Guideline::versioned_id(const Item& item) const {
  auto it = versions.find(item_key(item));
  return item.name + "@" + (it == versions.end() ? std::string("draft") : std::to_string(it->second));
}

std::vector<const Item*> Guideline::all_items() const {
  std::vector<const Item*> out;
  for (auto [kind, name] : kKindNames)
    for (const Item& it : of_kind(kind)) out.push_back(&it);
  return out;
}

namespace {

std::string type_name(const Type& t) {
  switch (t.kind) {
    case Type::Bool: return "bool";
    case Type::Int: return "int";
    case Type::Enum: return "enum of " + t.enum_fact;
    default: return "error";
  }
}

class Checker {
 public:
  Checker(Guideline& g, Diagnostics& d) : g_(g), d_(d) {}

  void run() {
    declare_names();
    for (const Item& p : g_.params) {
      if (p.param_lo > p.param_hi)
        d_.error(p.loc, "empty allowed range " + std::to_string(p.param_lo) + ".." + std::to_string(p.param_hi));
      else if (p.param_value < p.param_lo || p.param_value > p.param_hi)
        d_.error(p.value_loc, "value " + std::to_string(p.param_value) + " of parameter '" + p.name +
                                  "' is outside its allowed range " + std::to_string(p.param_lo) + ".." +
                                  std::to_string(p.param_hi));
    }
    define_state_.assign(g_.defines.size(), 0);
    for (std::size_t i = 0; i < g_.defines.size(); ++i) define_type(static_cast<int>(i), g_.defines[i].loc);
    for (Item& c : g_.constraints) expect_bool(*c.expr, false, "a constraint");
    for (Item& r : g_.rules) {
      expect_bool(*r.expr, false, "a rule condition");
      if (g_.action_index(r.action) < 0) unknown(r.action_loc, "action", r.action, names_of(g_.actions));
      check_cites(r);
    }
    for (Item& p : g_.properties) {
      expect_bool(*p.expr, true, "a property");
      check_cites(p);
    }
  }

 private:
  static std::vector<std::string> names_of(const std::vector<Item>& v) {
    std::vector<std::string> out;
    for (const Item& i : v) out.push_back(i.name);
    return out;
  }

  void declare_names() {
    std::map<std::string, const Item*> seen;
    std::map<std::string, const Item*> refs;
    for (const Item* it : g_.all_items()) {
      auto& table = it->kind == ItemKind::Reference ? refs : seen;
      auto [pos, fresh] = table.emplace(it->name, it);
      if (!fresh)
        d_.error(it->loc, std::string("duplicate ") + (it->kind == ItemKind::Reference ? "reference number '" : "name '") +
                              it->name + "' (first declared at " + pos->second->loc.str() + ")");
      if (it->kind == ItemKind::Fact || it->kind == ItemKind::Define || it->kind == ItemKind::Param)
        value_names_.push_back(it->name);
    }
  }

  void check_cites(const Item& it) {
    for (std::size_t i = 0; i < it.cites.size(); ++i)
      if (index_of(g_.references, std::to_string(it.cites[i])) < 0)
        d_.error(it.cite_locs[i], "reference " + std::to_string(it.cites[i]) + " is not declared");
  }

  void unknown(const Loc& loc, const std::string& what, const std::string& name,
               const std::vector<std::string>& candidates) {
    std::string msg = "unknown " + what + " '" + name + "'";
    std::string near = closest_name(name, candidates);
    if (!near.empty()) msg += "; did you mean '" + near + "'?";
    d_.error(loc, msg);
  }

  Type define_type(int i, const Loc& use) {
    Item& def = g_.defines[i];
    if (define_state_[i] == 2) return def.expr->type;
    if (define_state_[i] == 1) {
      std::string cycle;
      bool in = false;
      for (int j : define_stack_) {
        if (j == i) in = true;
        if (in) cycle += g_.defines[j].name + " -> ";
      }
      d_.error(use, "cyclic definition: " + cycle + def.name);
      return {Type::Error, {}};
    }
    define_state_[i] = 1;
    define_stack_.push_back(i);
    check(*def.expr, false);
    define_stack_.pop_back();
    define_state_[i] = 2;
    return def.expr->type;
  }

  void expect_bool(Expr& e, bool atoms, const std::string& what) {
    check(e, atoms);
    if (e.type.kind != Type::Bool && e.type.kind != Type::Error)
      d_.error(e.loc, what + " must be bool, but this is " + type_name(e.type));
  }

  void expect_type(Expr& e, Type::Kind kind, const std::string& op) {
    if (e.type.kind != kind && e.type.kind != Type::Error)
      d_.error(e.loc, "operand of '" + op + "' must be " + type_name({kind, {}}) + ", but this is " +
                          type_name(e.type));
  }

  bool is_bare_unknown(const Expr& e) const {
    return e.op == Op::Name && std::find(value_names_.begin(), value_names_.end(), e.name) == value_names_.end();
  }

  void enum_value(Expr& e, const Type& enum_type) {
    const Item& fact = g_.facts[g_.fact_index(enum_type.enum_fact)];
    const auto& values = fact.fact_type.values;
    auto pos = std::find(values.begin(), values.end(), e.name);
    e.op = Op::EnumValue;
    e.type = enum_type;
    if (pos == values.end()) {
      unknown(e.loc, "value of enum " + fact.name, e.name, values);
      e.type = {Type::Error, {}};
    } else {
      e.int_value = pos - values.begin();
    }
  }

  // Reports an int literal compared with an int fact outside the fact's range.
  void check_range(const Expr& a, const Expr& b) {
    if (a.op != Op::Name || a.name_kind != NameKind::Fact || b.op != Op::IntLit) return;
    const Item& f = g_.facts[a.index];
    if (f.fact_type.kind != Type::Int) return;
    if (b.int_value < f.fact_type.lo || b.int_value > f.fact_type.hi)
      d_.error(b.loc, "constant " + std::to_string(b.int_value) + " is outside the range " +
                          std::to_string(f.fact_type.lo) + ".." + std::to_string(f.fact_type.hi) + " of fact '" +
                          f.name + "'");
  }

  void check(Expr& e, bool atoms) {
    static const char* spell[] = {"", "", "", "", "", "not", "and", "or", "implies", "==", "!=", "<", "<=", ">",
                                  ">=", "in", "+", "-"};
    const std::string op = spell[static_cast<int>(e.op)];
    switch (e.op) {
      case Op::BoolLit: e.type = {Type::Bool, {}}; return;
      case Op::IntLit: e.type = {Type::Int, {}}; return;
      case Op::EnumValue: return;
      case Op::Name: resolve(e); return;
      case Op::Atom:
        e.type = {Type::Bool, {}};
        if (!atoms) {
          d_.error(e.loc, std::string("'") + atom_name(e.atom) + "(...)' may be used only in properties");
          return;
        }
        e.index = g_.action_index(e.name);
        if (e.index < 0) unknown(e.loc, "action", e.name, names_of(g_.actions));
        return;
      case Op::Not:
        check(*e.args[0], atoms);
        expect_type(*e.args[0], Type::Bool, op);
        e.type = {Type::Bool, {}};
        return;
      case Op::And: case Op::Or: case Op::Implies:
        for (auto& a : e.args) {
          check(*a, atoms);
          expect_type(*a, Type::Bool, op);
        }
        e.type = {Type::Bool, {}};
        return;
      case Op::Add: case Op::Sub:
        for (auto& a : e.args) {
          check(*a, atoms);
          expect_type(*a, Type::Int, op);
        }
        e.type = {Type::Int, {}};
        return;
      case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge:
        for (auto& a : e.args) {
          check(*a, atoms);
          expect_type(*a, Type::Int, op);
        }
        check_range(*e.args[0], *e.args[1]);
        check_range(*e.args[1], *e.args[0]);
        e.type = {Type::Bool, {}};
        return;
      case Op::Eq: case Op::Ne: {
        Expr& a = *e.args[0];
        Expr& b = *e.args[1];
        e.type = {Type::Bool, {}};
        if (is_bare_unknown(a) && !is_bare_unknown(b)) {
          check(b, atoms);
          if (b.type.kind == Type::Enum) return enum_value(a, b.type);
          check(a, atoms);
        } else {
          check(a, atoms);
          if (a.type.kind == Type::Enum && is_bare_unknown(b)) return enum_value(b, a.type);
          check(b, atoms);
        }
        if (a.type.kind == Type::Error || b.type.kind == Type::Error) return;
        if (!(a.type == b.type))
          d_.error(e.loc, "cannot compare " + type_name(a.type) + " with " + type_name(b.type));
        check_range(a, b);
        check_range(b, a);
        return;
      }
      case Op::In: {
        Expr& a = *e.args[0];
        check(a, atoms);
        e.type = {Type::Bool, {}};
        if (a.type.kind == Type::Error) return;
        if (a.type.kind != Type::Enum) {
          d_.error(e.loc, "'in { ... }' needs an enum on its left, but this is " + type_name(a.type));
          return;
        }
        const auto& values = g_.facts[g_.fact_index(a.type.enum_fact)].fact_type.values;
        e.value_indexes.clear();
        for (std::size_t i = 0; i < e.values.size(); ++i) {
          auto pos = std::find(values.begin(), values.end(), e.values[i]);
          if (pos == values.end())
            unknown(e.value_locs[i], "value of enum " + a.type.enum_fact, e.values[i], values);
          e.value_indexes.push_back(static_cast<int>(pos - values.begin()));
        }
        return;
      }
    }
  }

  void resolve(Expr& e) {
    if (int i = g_.fact_index(e.name); i >= 0) {
      e.name_kind = NameKind::Fact, e.index = i;
      const FactType& t = g_.facts[i].fact_type;
      e.type = {t.kind, t.kind == Type::Enum ? e.name : std::string()};
    } else if (int d = index_of(g_.defines, e.name); d >= 0) {
      e.name_kind = NameKind::Define, e.index = d;
      e.type = define_type(d, e.loc);
    } else if (int p = index_of(g_.params, e.name); p >= 0) {
      e.name_kind = NameKind::Param, e.index = p;
      e.type = {Type::Int, {}};
    } else {
      unknown(e.loc, "name", e.name, value_names_);
      e.type = {Type::Error, {}};
    }
  }

  Guideline& g_;
  Diagnostics& d_;
  std::vector<std::string> value_names_;
  std::vector<int> define_state_, define_stack_;
};

}  // namespace

std::optional<Guideline> check(Module module, Diagnostics& diags) {
  Guideline g;
  for (Item& it : module.items) {
    switch (it.kind) {
      case ItemKind::Reference: g.references.push_back(std::move(it)); break;
      case ItemKind::Fact: g.facts.push_back(std::move(it)); break;
      case ItemKind::Define: g.defines.push_back(std::move(it)); break;
      case ItemKind::Constraint: g.constraints.push_back(std::move(it)); break;
      case ItemKind::Param: g.params.push_back(std::move(it)); break;
      case ItemKind::Action: g.actions.push_back(std::move(it)); break;
      case ItemKind::Rule: g.rules.push_back(std::move(it)); break;
      case ItemKind::Property: g.properties.push_back(std::move(it)); break;
    }
  }
  std::size_t before = diags.list().size();
  Checker(g, diags).run();
  if (diags.list().size() != before) return std::nullopt;
  return g;
}

std::optional<Guideline> load_files(const std::vector<std::string>& files, SourceMap& sources, Diagnostics& diags,
                                    std::istream* in) {
  Module all;
  for (const auto& file : files) {
    std::stringstream text;
    std::string name = file;
    if (file == "-" && in) {
      name = "<stdin>";
      text << in->rdbuf();
    } else {
      std::ifstream f(file, std::ios::binary);
      if (!f) {
        diags.error({std::make_shared<const std::string>(file), 0, 0}, "cannot read file");
        continue;
      }
      text << f.rdbuf();
    }
    sources[name] = text.str();
    Module m = parse_source(name, sources[name], diags);
    for (Item& it : m.items) all.items.push_back(std::move(it));
  }
  if (!diags.ok()) return std::nullopt;
  return check(std::move(all), diags);
}

}  // namespace kb
