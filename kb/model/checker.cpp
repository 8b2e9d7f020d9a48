// Name resolution and type checking (docs/language.md, "What the checker
// rejects"). One pass reports every error it can find.
#include <algorithm>
#include <map>
#include <optional>

#include "kb/model/checker.h"

namespace kb {

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
        d_.error(p.loc, "empty allowed range " + std::to_string(p.param_lo) + ".." + std::to_string(p.param_hi), "param-range");
      else if (p.param_value < p.param_lo || p.param_value > p.param_hi)
        d_.error(p.value_loc, "value " + std::to_string(p.param_value) + " of parameter '" + p.name +
                                  "' is outside its allowed range " + std::to_string(p.param_lo) + ".." +
                                  std::to_string(p.param_hi), "param-range");
    }
    for (Item& q : g_.questions) {
      const auto& alts = q.fact_type.values;
      auto pos = std::find(alts.begin(), alts.end(), q.chosen);
      if (pos == alts.end()) unknown(q.chosen_loc, "alternative of question " + q.name, q.chosen, alts);
      else q.chosen_index = static_cast<int>(pos - alts.begin());
    }
    define_state_.assign(g_.defines.size(), 0);
    for (std::size_t i = 0; i < g_.defines.size(); ++i) define_type(static_cast<int>(i), g_.defines[i].loc);
    for (Item& c : g_.constraints) expect_bool(*c.expr, false, "a constraint");
    for (Item& r : g_.rules) {
      expect_bool(*r.expr, false, "a rule condition");
      r.action_index = g_.action_index(r.action);
      if (r.action_index < 0) unknown(r.action_loc, "action", r.action, names_of(g_.actions));
      check_cites(r);
    }
    for (Item& p : g_.properties) {
      expect_bool(*p.expr, true, "a property");
      check_cites(p);
    }
    for (const Item& w : g_.waivers) check_waiver(w);
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
                              it->name + "' (first declared at " + pos->second->loc.str() + ")", "duplicate");
      if (it->kind == ItemKind::Fact || it->kind == ItemKind::Define || it->kind == ItemKind::Param ||
          it->kind == ItemKind::Question)
        value_names_.push_back(it->name);
    }
  }

  // A waiver names a known lint and an item of the kind that lint is about.
  void check_waiver(const Item& w) {
    std::optional<Lint> lint = lint_from_name(w.lint);
    if (!lint) {
      std::vector<std::string> lints;
      for (Lint l : kLints) lints.push_back(lint_name(l));
      return unknown(w.lint_loc, "lint", w.lint, lints);
    }
    const ItemKind kind = lint_subject(*lint);
    if (w.target_kind != kind)
      return d_.error(w.target_loc, "the lint " + w.lint + " is about a " + item_kind_name(kind) + ", not a " +
                                        item_kind_name(w.target_kind), "waiver-target");
    if (!g_.find(kind, w.target)) unknown(w.target_loc, item_kind_name(kind), w.target, names_of(g_.of_kind(kind)));
  }

  void check_cites(const Item& it) {
    for (std::size_t i = 0; i < it.cites.size(); ++i)
      if (!g_.find(ItemKind::Reference, std::to_string(it.cites[i])))
        d_.error(it.cite_locs[i], "reference " + std::to_string(it.cites[i]) + " is not declared", "unknown-reference");
  }

  void unknown(const Loc& loc, const std::string& what, const std::string& name,
               const std::vector<std::string>& candidates) {
    std::string msg = "unknown " + what + " '" + name + "'";
    std::string near = closest_name(name, candidates);
    if (!near.empty()) msg += "; did you mean '" + near + "'?";
    d_.error(loc, msg, "unknown-name");
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
      d_.error(use, "cyclic definition: " + cycle + def.name, "cycle");
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
      d_.error(e.loc, what + " must be bool, but this is " + type_name(e.type), "type");
  }

  void expect_type(Expr& e, Type::Kind kind, const std::string& op) {
    if (e.type.kind != kind && e.type.kind != Type::Error)
      d_.error(e.loc, "operand of '" + op + "' must be " + type_name({kind, {}}) + ", but this is " +
                          type_name(e.type), "type");
  }

  bool is_bare_unknown(const Expr& e) const {
    return e.op == Op::Name && std::find(value_names_.begin(), value_names_.end(), e.name) == value_names_.end();
  }

  void enum_value(Expr& e, const Type& enum_type) {
    const auto& values = *g_.enum_values(enum_type.enum_fact);
    auto pos = std::find(values.begin(), values.end(), e.name);
    e.op = Op::EnumValue;
    e.type = enum_type;
    if (pos == values.end()) {
      unknown(e.loc, "value of enum " + enum_type.enum_fact, e.name, values);
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
                          f.name + "'", "range");
  }

  // Types `e` and everything below it; atoms are allowed only in properties.
  void check(Expr& e, bool atoms) {
    switch (e.op) {
      case Op::BoolLit: e.type = {Type::Bool, {}}; return;
      case Op::IntLit: e.type = {Type::Int, {}}; return;
      case Op::EnumValue: return;
      case Op::Name: resolve(e); return;
      case Op::Atom: return atom(e, atoms);
      case Op::Not: case Op::And: case Op::Or: case Op::Implies: return operands(e, atoms, Type::Bool, Type::Bool);
      case Op::Add: case Op::Sub:
        operands(e, atoms, Type::Int, Type::Int);
        return check_magnitude(e);
      case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge:
        operands(e, atoms, Type::Int, Type::Bool);
        check_range(*e.args[0], *e.args[1]);
        return check_range(*e.args[1], *e.args[0]);
      case Op::Eq: case Op::Ne: return equality(e, atoms);
      case Op::In: return membership(e, atoms);
    }
  }

  void atom(Expr& e, bool atoms) {
    e.type = {Type::Bool, {}};
    if (!atoms) {
      d_.error(e.loc, std::string("'") + atom_name(e.atom) + "(...)' may be used only in properties",
               "atom-outside-property");
      return;
    }
    e.index = g_.action_index(e.name);
    if (e.index < 0) unknown(e.loc, "action", e.name, names_of(g_.actions));
  }

  // An operator whose operands all have type `operand` and whose result is `result`.
  void operands(Expr& e, bool atoms, Type::Kind operand, Type::Kind result) {
    for (auto& a : e.args) {
      check(*a, atoms);
      expect_type(*a, operand, op_spelling(e.op));
    }
    e.type = {result, {}};
  }

  // == and !=: a bare name opposite an enum is one of its values.
  void equality(Expr& e, bool atoms) {
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
    if (!(a.type == b.type)) d_.error(e.loc, "cannot compare " + type_name(a.type) + " with " + type_name(b.type), "type");
    check_range(a, b);
    check_range(b, a);
  }

  // `x in { v, ... }`: x an enum, each v one of its values.
  void membership(Expr& e, bool atoms) {
    Expr& a = *e.args[0];
    check(a, atoms);
    e.type = {Type::Bool, {}};
    if (a.type.kind == Type::Error) return;
    if (a.type.kind != Type::Enum) {
      d_.error(e.loc, "'in { ... }' needs an enum on its left, but this is " + type_name(a.type), "type");
      return;
    }
    const auto& values = *g_.enum_values(a.type.enum_fact);
    e.value_indexes.clear();
    for (std::size_t i = 0; i < e.values.size(); ++i) {
      auto pos = std::find(values.begin(), values.end(), e.values[i]);
      if (pos == values.end()) unknown(e.value_locs[i], "value of enum " + a.type.enum_fact, e.values[i], values);
      e.value_indexes.push_back(static_cast<int>(pos - values.begin()));
    }
  }

  void resolve(Expr& e) {
    if (int i = g_.fact_index(e.name); i >= 0) {
      e.name_kind = NameKind::Fact, e.index = i;
      const FactType& t = g_.facts[i].fact_type;
      e.type = {t.kind, t.kind == Type::Enum ? e.name : std::string()};
    } else if (auto d = g_.find(ItemKind::Define, e.name)) {
      e.name_kind = NameKind::Define, e.index = d->index;
      e.type = define_type(d->index, e.loc);
    } else if (auto p = g_.find(ItemKind::Param, e.name)) {
      e.name_kind = NameKind::Param, e.index = p->index;
      e.type = {Type::Int, {}};
    } else if (auto q = g_.find(ItemKind::Question, e.name)) {
      e.name_kind = NameKind::Question, e.index = q->index;
      e.type = {Type::Enum, e.name};
    } else {
      unknown(e.loc, "name", e.name, value_names_);
      e.type = {Type::Error, {}};
    }
  }

  // Integer soundness: a bound on |value| and on every coefficient of an int
  // expression, from its leaves' ranges widened to include -1..1 (so a
  // coefficient counts even on a fact whose range is {0}); saturates far
  // above the safe bound. nullopt for a non-int or erroneous expression.
  __extension__ typedef __int128 Wide;
  static constexpr Wide kSaturate = Wide{1} << 100;

  std::optional<Wide> magnitude(const Expr& e) {
    if (e.type.kind != Type::Int) return std::nullopt;
    auto widen = [](std::int64_t lo, std::int64_t hi) {
      Wide a = lo < 0 ? -Wide{lo} : Wide{lo}, b = hi < 0 ? -Wide{hi} : Wide{hi};
      return std::max({a, b, Wide{1}});
    };
    switch (e.op) {
      case Op::IntLit: return widen(e.int_value, e.int_value);
      case Op::Name:
        if (e.name_kind == NameKind::Fact) return widen(g_.facts[e.index].fact_type.lo, g_.facts[e.index].fact_type.hi);
        if (e.name_kind == NameKind::Param) {
          const Item& p = g_.params[e.index];
          return std::max(widen(p.param_lo, p.param_hi), widen(p.param_value, p.param_value));
        }
        if (e.name_kind == NameKind::Define) return define_magnitude(e.index);
        return std::nullopt;
      case Op::Add: case Op::Sub: {
        auto a = magnitude(*e.args[0]), b = magnitude(*e.args[1]);
        if (!a || !b) return std::nullopt;
        return std::min(*a + *b, kSaturate);
      }
      default: return std::nullopt;
    }
  }

  std::optional<Wide> define_magnitude(int i) {
    if (define_magnitude_.size() != g_.defines.size()) define_magnitude_.assign(g_.defines.size(), std::nullopt);
    if (!define_magnitude_[i] && define_state_[i] == 2) define_magnitude_[i] = magnitude(*g_.defines[i].expr);
    return define_magnitude_[i];
  }

  // Reports a sum or difference whose value or coefficients could leave
  // kSafeIntBound, unless an operand already did (reported there).
  void check_magnitude(const Expr& e) {
    auto over = [this](const Expr& x) {
      auto m = magnitude(x);
      return m && *m > Wide{kSafeIntBound};
    };
    if (!over(e) || over(*e.args[0]) || over(*e.args[1])) return;
    Wide m = *magnitude(e);
    std::string reach;
    for (Wide v = m; v > 0; v /= 10) reach.insert(reach.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    if (m >= kSaturate) reach = "more than 2^100";
    d_.error(e.loc, "integer expression may reach " + reach + " in magnitude, beyond the safe bound 2^60 = " +
                        std::to_string(kSafeIntBound) +
                        " within which the recommender's 64-bit arithmetic and the solver agree; narrow the fact "
                        "ranges it uses",
             "int-range");
  }

  Guideline& g_;
  Diagnostics& d_;
  std::vector<std::optional<Wide>> define_magnitude_;
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
      case ItemKind::Question: g.questions.push_back(std::move(it)); break;
      case ItemKind::Action: g.actions.push_back(std::move(it)); break;
      case ItemKind::Rule: g.rules.push_back(std::move(it)); break;
      case ItemKind::Property: g.properties.push_back(std::move(it)); break;
      case ItemKind::Waiver: g.waivers.push_back(std::move(it)); break;
    }
  }
  Checker(g, diags).run();
  if (!diags.ok()) return std::nullopt;  // errors of this phase or of the parse before it
  return g;
}

}  // namespace kb
