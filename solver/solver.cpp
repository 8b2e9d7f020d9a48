#include "solver/solver.h"

#include <chrono>
#include <z3++.h>

namespace solver {

using kb::AtomKind;
using kb::Expr;
using kb::Guideline;
using kb::Op;

struct Solver::Impl {
  const Guideline& g;
  z3::context ctx;
  z3::solver s;
  unsigned timeout_ms;
  std::vector<z3::expr> facts, define_cache;
  std::vector<bool> define_done;
  std::vector<z3::expr> constraint_lits, rule_lits, fires, conds;
  // Per action: recommended, considered, avoided.
  std::vector<z3::expr> rec, con, avo;

  Impl(const Guideline& guideline, unsigned timeout)
      : g(guideline), ctx(), s(ctx), timeout_ms(timeout) {
    z3::params p(ctx);
    if (timeout_ms) p.set("timeout", timeout_ms);
    p.set("core.minimize", true);
    s.set(p);
    for (const kb::Item& f : g.facts) {
      if (f.fact_type.kind == kb::Type::Bool) {
        facts.push_back(ctx.bool_const(f.name.c_str()));
      } else {
        z3::expr x = ctx.int_const(f.name.c_str());
        facts.push_back(x);
        s.add(x >= ctx.int_val(f.fact_type.lo) && x <= ctx.int_val(f.fact_type.hi));
      }
    }
    define_cache.assign(g.defines.size(), ctx.bool_val(false));
    define_done.assign(g.defines.size(), false);
    for (const kb::Item& c : g.constraints) {
      z3::expr lit = ctx.bool_const(("constraint:" + c.name).c_str());
      constraint_lits.push_back(lit);
      s.add(z3::implies(lit, translate(*c.expr)));
    }
    for (const kb::Item& r : g.rules) {
      z3::expr lit = ctx.bool_const(("rule:" + r.name).c_str());
      z3::expr fire = ctx.bool_const(("fires:" + r.name).c_str());
      z3::expr cond = translate(*r.expr);
      rule_lits.push_back(lit);
      fires.push_back(fire);
      conds.push_back(cond);
      s.add(z3::implies(lit, fire == cond));
    }
    for (const kb::Item& a : g.actions) {
      for (auto [strength, out, prefix] :
           {std::tuple{kb::Strength::Recommend, &rec, "recommended:"}, std::tuple{kb::Strength::Consider, &con, "considered:"},
            std::tuple{kb::Strength::Avoid, &avo, "avoided:"}}) {
        z3::expr atom = ctx.bool_const((prefix + a.name).c_str());
        s.add(atom == any_fires(a.name, strength, -1));
        out->push_back(atom);
      }
    }
  }

  // Disjunction of fires(r) over rules with this action and strength, except `skip`.
  z3::expr any_fires(const std::string& action, kb::Strength strength, int skip) {
    z3::expr_vector v(ctx);
    for (std::size_t r = 0; r < g.rules.size(); ++r)
      if (static_cast<int>(r) != skip && g.rules[r].action == action && g.rules[r].strength == strength)
        v.push_back(fires[r]);
    return v.empty() ? ctx.bool_val(false) : z3::mk_or(v);
  }

  z3::expr atom(int action, AtomKind k) {
    switch (k) {
      case AtomKind::Recommended: return rec[action];
      case AtomKind::Considered: return con[action];
      case AtomKind::Avoided: return avo[action];
      case AtomKind::Offered: return rec[action] || con[action];
    }
    throw Error("bad atom");
  }

  z3::expr translate(const Expr& e) {
    switch (e.op) {
      case Op::BoolLit: return ctx.bool_val(e.bool_value);
      case Op::IntLit: case Op::EnumValue: return ctx.int_val(e.int_value);
      case Op::Name:
        if (e.name_kind == kb::NameKind::Fact) return facts[e.index];
        if (e.name_kind == kb::NameKind::Param) return ctx.int_val(g.params[e.index].param_value);
        if (e.name_kind == kb::NameKind::Define) {
          if (!define_done[e.index]) {
            define_cache[e.index] = translate(*g.defines[e.index].expr);
            define_done[e.index] = true;
          }
          return define_cache[e.index];
        }
        throw Error("unresolved name " + e.name);
      case Op::Atom: return atom(e.index, e.atom);
      case Op::Not: return !translate(*e.args[0]);
      case Op::In: {
        z3::expr x = translate(*e.args[0]);
        z3::expr_vector v(ctx);
        for (int i : e.value_indexes) v.push_back(x == ctx.int_val(i));
        return z3::mk_or(v);
      }
      default: break;
    }
    z3::expr a = translate(*e.args[0]);
    z3::expr b = translate(*e.args[1]);
    switch (e.op) {
      case Op::And: return a && b;
      case Op::Or: return a || b;
      case Op::Implies: return z3::implies(a, b);
      case Op::Eq: return a == b;
      case Op::Ne: return a != b;
      case Op::Lt: return a < b;
      case Op::Le: return a <= b;
      case Op::Gt: return a > b;
      case Op::Ge: return a >= b;
      case Op::Add: return a + b;
      case Op::Sub: return a - b;
      default: throw Error("unexpected operator");
    }
  }

  kb::Patient patient(const z3::model& m) {
    kb::Patient p(facts.size());
    for (std::size_t i = 0; i < facts.size(); ++i) {
      z3::expr v = m.eval(facts[i], true);
      if (v.is_bool()) p[i] = v.is_true() ? 1 : 0;
      else p[i] = v.get_numeral_int64();
    }
    return p;
  }

  kb::Outcome outcome(const z3::model& model) {
    kb::Outcome out;
    for (const auto& f : fires) out.fired.push_back(model.eval(f, true).is_true());
    for (std::size_t a = 0; a < g.actions.size(); ++a) {
      std::uint8_t bits = 0;
      if (model.eval(rec[a], true).is_true()) bits |= kb::kRecommended;
      if (model.eval(con[a], true).is_true()) bits |= kb::kConsidered;
      if (model.eval(avo[a], true).is_true()) bits |= kb::kAvoided;
      out.actions.push_back(bits);
    }
    return out;
  }

  // The formula of a query and whether it assumes every rule.
  std::pair<z3::expr, bool> query(Query q, int index) {
    switch (q) {
      case Query::PropertyFails: return {!translate(*g.properties.at(index).expr), true};
      case Query::Conflict: return {atom(index, AtomKind::Offered) && avo.at(index), true};
      case Query::RuleFires: return {conds.at(index), false};
      case Query::RuleMatters: {
        const kb::Item& rule = g.rules.at(index);
        return {conds[index] && !any_fires(rule.action, rule.strength, index), true};
      }
      case Query::PremiseHolds: {
        const Expr& e = *g.properties.at(index).expr;
        if (e.op != Op::Implies) throw Error("property " + g.properties[index].name + " is not an implication");
        return {translate(*e.args[0]), true};
      }
      case Query::FailsWithoutRules: return {!translate(*g.properties.at(index).expr), false};
    }
    throw Error("bad query");
  }

  // Checks `query` under the constraints and the chosen rules.
  Answer check(const z3::expr& query, const RuleSet* rules) {
    z3::expr_vector assumptions(ctx);
    for (const auto& l : constraint_lits) assumptions.push_back(l);
    if (rules) {
      if (rules->all)
        for (const auto& l : rule_lits) assumptions.push_back(l);
      else
        for (int r : rules->only) assumptions.push_back(rule_lits.at(r));
    }
    Answer ans;
    s.push();
    s.add(query);
    auto start = std::chrono::steady_clock::now();
    z3::check_result res = s.check(assumptions);
    ans.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (res == z3::unsat) {
      ans.verdict = Verdict::Unsat;
      z3::expr_vector core = s.unsat_core();
      for (unsigned i = 0; i < core.size(); ++i) ans.core.push_back(core[i].decl().name().str());
      std::sort(ans.core.begin(), ans.core.end());
    } else if (res == z3::sat) {
      ans.verdict = Verdict::Sat;
      z3::model m = s.get_model();
      ans.model = patient(m);
      if (rules && rules->all) ans.outcome = outcome(m);  // otherwise fires(r) are free, not the rules' answer
    } else {
      ans.verdict = Verdict::Unknown;
      ans.reason = s.reason_unknown();
    }
    s.pop();
    return ans;
  }
};

template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const z3::exception& e) {
    throw Error(std::string("z3: ") + e.msg());
  }
}

Solver::Solver(const Guideline& g, unsigned timeout_ms)
    : impl_(guarded([&] { return std::make_unique<Impl>(g, timeout_ms); })) {}
Solver::~Solver() = default;

Answer Solver::ask(Query q, int index) {
  return guarded([&] {
    RuleSet all;
    auto [query, with_rules] = impl_->query(q, index);
    return impl_->check(query, with_rules ? &all : nullptr);
  });
}

Answer Solver::prove_property(int p, const RuleSet& rules) {
  return guarded([&] { return impl_->check(!impl_->translate(*impl_->g.properties.at(p).expr), &rules); });
}

kb::Outcome Solver::outcome_for(const kb::Patient& patient) {
  return guarded([&] {
    Impl& m = *impl_;
    z3::expr_vector fixed(m.ctx);
    for (std::size_t i = 0; i < m.facts.size(); ++i) {
      if (m.facts[i].is_bool()) fixed.push_back(m.facts[i] == m.ctx.bool_val(patient[i] != 0));
      else fixed.push_back(m.facts[i] == m.ctx.int_val(patient[i]));
    }
    for (const auto& l : m.rule_lits) fixed.push_back(l);
    m.s.push();
    m.s.add(z3::mk_and(fixed));
    if (m.s.check() != z3::sat) {
      m.s.pop();
      throw Error("the encoding has no model for a fixed patient (invalid patient or translator bug)");
    }
    kb::Outcome out = m.outcome(m.s.get_model());
    m.s.pop();
    return out;
  });
}

std::string Solver::smt2(Query q, int index, const std::vector<std::string>& comments) {
  return guarded([&] {
    Impl& m = *impl_;
    const Guideline& g = m.g;
    auto [query, with_rules] = m.query(q, index);
    std::string out;
    for (const auto& c : comments) out += "; " + c + "\n";
    out += "(set-logic QF_LIA)\n";
    for (std::size_t i = 0; i < g.facts.size(); ++i) {
      const kb::Item& f = g.facts[i];
      out += "; fact " + g.versioned_id(f) + ": " + f.description + "\n";
      out += "(declare-const " + m.facts[i].to_string() + (f.fact_type.kind == kb::Type::Bool ? " Bool)\n" : " Int)\n");
      if (f.fact_type.kind != kb::Type::Bool)
        out += "(assert " + (m.facts[i] >= m.ctx.int_val(f.fact_type.lo) && m.facts[i] <= m.ctx.int_val(f.fact_type.hi)).to_string() + ")\n";
    }
    for (std::size_t c = 0; c < g.constraints.size(); ++c)
      out += "; constraint " + g.versioned_id(g.constraints[c]) + ": " + g.constraints[c].description +
             "\n(assert " + m.translate(*g.constraints[c].expr).to_string() + ")\n";
    for (std::size_t r = 0; r < g.rules.size(); ++r) {
      out += "; rule " + g.versioned_id(g.rules[r]) + (with_rules ? "" : " (not assumed: its firing is left free)") +
             "\n(declare-const " + m.fires[r].to_string() + " Bool)\n";
      if (with_rules) out += "(assert (= " + m.fires[r].to_string() + " " + m.conds[r].to_string() + "))\n";
    }
    for (std::size_t a = 0; a < g.actions.size(); ++a) {
      out += "; action " + g.versioned_id(g.actions[a]) + "\n";
      for (auto [atoms, strength] : {std::pair{&m.rec, kb::Strength::Recommend}, std::pair{&m.con, kb::Strength::Consider},
                                     std::pair{&m.avo, kb::Strength::Avoid}}) {
        const z3::expr& atom = (*atoms)[a];
        out += "(declare-const " + atom.to_string() + " Bool)\n(assert (= " + atom.to_string() + " " +
               m.any_fires(g.actions[a].name, strength, -1).to_string() + "))\n";
      }
    }
    out += "; the query\n(assert " + query.to_string() + ")\n(check-sat)\n";
    return out;
  });
}

std::string Solver::z3_version() {
  unsigned major, minor, build, rev;
  Z3_get_version(&major, &minor, &build, &rev);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build);
}

}  // namespace solver
