#include "solver/solver.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <z3++.h>

namespace solver {
namespace {

// Z3's own timeout can be lost when its timer fires before a check starts
// (seen under heavy load: a 1 ms limit ran for minutes). While a check runs,
// a watchdog interrupts the context once the limit has passed, and again
// every 10 ms until the check returns, so a limit always ends a check
// (with Unknown, never a verdict).
class Watchdog {
 public:
  Watchdog(z3::context& ctx, unsigned ms) : ctx_(ctx) {
    if (ms == 0) return;
    thread_ = std::thread([this, ms] {
      std::unique_lock<std::mutex> lock(mutex_);
      if (done_cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return done_; })) return;
      while (!done_) {
        ctx_.interrupt();
        done_cv_.wait_for(lock, std::chrono::milliseconds(10), [this] { return done_; });
      }
    });
  }
  ~Watchdog() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    done_cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  z3::context& ctx_;
  std::mutex mutex_;
  std::condition_variable done_cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

using kb::AtomKind;
using kb::Expr;
using kb::Guideline;
using kb::Op;

// One guideline's encoding in a context shared with the solver it asserts
// into. `prefix` keeps the rule and atom constants of two encodings apart
// (semantic diff); facts are shared by name.
struct Encoding {
  z3::context& ctx;
  z3::solver& s;
  const Guideline& g;
  std::string prefix;
  unsigned timeout_ms = 0;  // per check; enforced by Z3 and by a Watchdog
  // Per parameter: a constant free within its allowed range (proofs), or
  // its release value (the semantic diff compares the answers given).
  std::vector<z3::expr> params;
  std::vector<z3::expr> facts, define_cache;
  std::vector<bool> define_done;
  std::vector<z3::expr> constraint_lits, rule_lits, fires, conds;
  // Per action: recommended, considered, avoided.
  std::vector<z3::expr> rec, con, avo;

  Encoding(z3::context& context, z3::solver& solver, const Guideline& guideline, std::string name_prefix,
           bool free_params)
      : ctx(context), s(solver), g(guideline), prefix(std::move(name_prefix)) {
    for (const kb::Item& p : g.params) {
      if (!free_params) {
        params.push_back(ctx.int_val(p.param_value));
        continue;
      }
      z3::expr x = ctx.int_const((prefix + "param." + p.name).c_str());
      params.push_back(x);
      s.add(x >= ctx.int_val(p.param_lo) && x <= ctx.int_val(p.param_hi));
    }
    for (const kb::Item& f : g.facts) {
      if (f.fact_type.kind == kb::Type::Bool) {
        facts.push_back(ctx.bool_const(("fact." + f.name).c_str()));
      } else {
        z3::expr x = ctx.int_const(("fact." + f.name).c_str());
        facts.push_back(x);
        s.add(x >= ctx.int_val(f.fact_type.lo) && x <= ctx.int_val(f.fact_type.hi));
      }
    }
    define_cache.assign(g.defines.size(), ctx.bool_val(false));
    define_done.assign(g.defines.size(), false);
    for (const kb::Item& c : g.constraints) {
      z3::expr lit = ctx.bool_const((prefix + "constraint:" + c.name).c_str());
      constraint_lits.push_back(lit);
      s.add(z3::implies(lit, translate(*c.expr)));
    }
    for (const kb::Item& r : g.rules) {
      z3::expr lit = ctx.bool_const((prefix + "rule:" + r.name).c_str());
      z3::expr fire = ctx.bool_const((prefix + "fires:" + r.name).c_str());
      z3::expr cond = translate(*r.expr);
      rule_lits.push_back(lit);
      fires.push_back(fire);
      conds.push_back(cond);
      s.add(z3::implies(lit, fire == cond));
    }
    for (const kb::Item& a : g.actions) {
      for (auto [strength, out, kind] :
           {std::tuple{kb::Strength::Recommend, &rec, "recommended:"}, std::tuple{kb::Strength::Consider, &con, "considered:"},
            std::tuple{kb::Strength::Avoid, &avo, "avoided:"}}) {
        z3::expr atom = ctx.bool_const((this->prefix + kind + a.name).c_str());
        s.add(atom == any_fires(static_cast<int>(out->size()), strength, -1));
        out->push_back(atom);
      }
    }
  }

  // Disjunction of fires(r) over rules with this action and strength, except `skip`.
  z3::expr any_fires(int action, kb::Strength strength, int skip) {
    z3::expr_vector v(ctx);
    for (std::size_t r = 0; r < g.rules.size(); ++r)
      if (static_cast<int>(r) != skip && g.rules[r].action_index == action && g.rules[r].strength == strength)
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
        if (e.name_kind == kb::NameKind::Param) return params[e.index];
        if (e.name_kind == kb::NameKind::Question) return ctx.int_val(g.questions[e.index].chosen_index);
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

  std::vector<std::int64_t> param_values(const z3::model& m) {
    std::vector<std::int64_t> out;
    for (const auto& p : params) out.push_back(m.eval(p, true).get_numeral_int64());
    return out;
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
        return {conds[index] && !any_fires(rule.action_index, rule.strength, index), true};
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

  // The atom of a named action, false when this side does not declare it.
  z3::expr atom_named(const std::string& action, AtomKind k) {
    int a = g.action_index(action);
    return a < 0 ? ctx.bool_val(false) : atom(a, k);
  }

  // The constraint or rule whose tracking literal `lit` is.
  kb::ItemRef item_of(const z3::expr& lit) const {
    for (std::size_t i = 0; i < rule_lits.size(); ++i)
      if (z3::eq(lit, rule_lits[i])) return {kb::ItemKind::Rule, static_cast<int>(i)};
    for (std::size_t i = 0; i < constraint_lits.size(); ++i)
      if (z3::eq(lit, constraint_lits[i])) return {kb::ItemKind::Constraint, static_cast<int>(i)};
    throw Error("unsat core holds an unknown literal " + lit.to_string());
  }

  void assume_everything(z3::expr_vector& out) const {
    for (const auto& l : constraint_lits) out.push_back(l);
    for (const auto& l : rule_lits) out.push_back(l);
  }

  // Checks `query` under the constraints and the chosen rules.
  Answer check(const z3::expr& query, const RuleSet* rules, bool want_model = true) {
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
    z3::check_result res = [&] {
      Watchdog dog(ctx, timeout_ms);
      return s.check(assumptions);
    }();
    ans.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (res == z3::unsat) {
      ans.verdict = Verdict::Unsat;
      z3::expr_vector core = s.unsat_core();
      for (unsigned i = 0; i < core.size(); ++i) ans.core.push_back(item_of(core[i]));
      std::sort(ans.core.begin(), ans.core.end());
    } else if (res == z3::sat) {
      ans.verdict = Verdict::Sat;
      if (!want_model) {
        s.pop();
        return ans;  // building a model is the most expensive step of a small query
      }
      z3::model m = s.get_model();
      ans.model = patient(m);
      ans.params = param_values(m);
      if (rules && rules->all) ans.outcome = outcome(m);  // otherwise fires(r) are free, not the rules' answer
    } else {
      ans.verdict = Verdict::Unknown;
      ans.reason = s.reason_unknown();
    }
    s.pop();
    return ans;
  }
};

struct Solver::Impl {
  z3::context ctx;
  z3::solver s;
  Encoding e;

  Impl(const Guideline& g, unsigned timeout_ms) : ctx(), s(ctx), e(ctx, s, g, "", true) {
    e.timeout_ms = timeout_ms;
    z3::params p(ctx);
    if (timeout_ms) p.set("timeout", timeout_ms);
    p.set("core.minimize", true);
    s.set(p);
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

Answer Solver::ask(Query q, int index, const std::vector<std::int64_t>* fixed_params) {
  return guarded([&] {
    RuleSet all;
    auto [query, with_rules] = impl_->e.query(q, index);
    if (fixed_params)
      for (std::size_t i = 0; i < impl_->e.params.size(); ++i)
        query = query && impl_->e.params[i] == impl_->ctx.int_val(fixed_params->at(i));
    bool witness = q != Query::PremiseHolds && q != Query::FailsWithoutRules;
    return impl_->e.check(query, with_rules ? &all : nullptr, witness);
  });
}

Answer Solver::prove_property(int p, const RuleSet& rules) {
  return guarded([&] { return impl_->e.check(!impl_->e.translate(*impl_->e.g.properties.at(p).expr), &rules); });
}

Answer Solver::premise_outside_rule(int p, int r) {
  return guarded([&] {
    Encoding& m = impl_->e;
    const Expr& e = *m.g.properties.at(p).expr;
    if (e.op != Op::Implies) throw Error("property " + m.g.properties[p].name + " is not an implication");
    return m.check(m.translate(*e.args[0]) && !m.conds.at(r), nullptr, false);
  });
}

kb::Outcome Solver::outcome_for(const kb::Patient& patient, const std::vector<std::int64_t>* param_values) {
  return guarded([&] {
    Encoding& m = impl_->e;
    z3::expr_vector fixed(m.ctx);
    for (std::size_t i = 0; i < m.params.size(); ++i)
      fixed.push_back(m.params[i] == m.ctx.int_val(param_values ? param_values->at(i) : m.g.params[i].param_value));
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

std::optional<std::vector<FactRange>> Solver::deciding_facts(Query q, int index, const kb::Patient& witness,
                                              const std::vector<std::int64_t>& params, const std::vector<int>& keep_last) {
  return guarded([&]() -> std::optional<std::vector<FactRange>> {
    Encoding& m = impl_->e;
    const Guideline& g = m.g;
    auto asked = m.query(q, index);  // not a structured binding: the lambdas below capture it (clang 14)
    const z3::expr& query = asked.first;
    const bool with_rules = asked.second;
    z3::expr fixed_params = m.ctx.bool_val(true);
    for (std::size_t i = 0; i < m.params.size(); ++i) fixed_params = fixed_params && m.params[i] == m.ctx.int_val(params.at(i));
    // Per fact: kept or not, and its range when kept.
    const std::size_t n = g.facts.size();
    std::vector<bool> kept(n, true);
    std::vector<std::int64_t> lo(witness.begin(), witness.end()), hi(witness.begin(), witness.end());
    auto fact_in = [&](std::size_t f) {
      const z3::expr& x = m.facts[f];
      if (x.is_bool()) return lo[f] ? x : !x;
      return x >= m.ctx.int_val(lo[f]) && x <= m.ctx.int_val(hi[f]);
    };
    // Unsat: every valid patient within the kept ranges satisfies the query.
    RuleSet all;
    auto decides = [&]() -> std::optional<bool> {
      z3::expr within = fixed_params && !query;
      for (std::size_t f = 0; f < n; ++f)
        if (kept[f]) within = within && fact_in(f);
      Answer a = m.check(within, with_rules ? &all : nullptr, false);
      if (a.verdict == Verdict::Unknown) return std::nullopt;
      return a.verdict == Verdict::Unsat;
    };
    std::optional<bool> start = decides();
    if (!start || !*start) return std::optional<std::vector<FactRange>>{};
    std::vector<std::size_t> order;
    std::vector<bool> last(n, false);
    for (int f : keep_last)
      if (f >= 0 && static_cast<std::size_t>(f) < n) last[static_cast<std::size_t>(f)] = true;
    for (int pass = 0; pass < 2; ++pass)
      for (std::size_t f = 0; f < n; ++f)
        if (last[f] == (pass == 1)) order.push_back(f);
    for (std::size_t f : order) {
      kept[f] = false;
      std::optional<bool> ok = decides();
      if (!ok) return std::optional<std::vector<FactRange>>{};
      if (!*ok) kept[f] = true;
    }
    // Widen each kept int fact: "still decides" is monotone in each bound.
    for (std::size_t f : order) {
      const kb::Item& fact = g.facts[f];
      if (!kept[f] || fact.fact_type.kind != kb::Type::Int) continue;
      for (int side = 0; side < 2; ++side) {
        std::int64_t good = side == 0 ? lo[f] : hi[f];
        std::int64_t bad_end = side == 0 ? fact.fact_type.lo : fact.fact_type.hi;
        if (good == bad_end) continue;
        // Try the whole way first (the common case), then bisect.
        (side == 0 ? lo[f] : hi[f]) = bad_end;
        std::optional<bool> ok = decides();
        if (!ok) return std::optional<std::vector<FactRange>>{};
        if (*ok) continue;
        std::int64_t bad = bad_end;  // good decides, bad does not
        while ((side == 0 ? good - bad : bad - good) > 1) {
          std::int64_t mid = side == 0 ? bad + (good - bad) / 2 : good + (bad - good) / 2;
          (side == 0 ? lo[f] : hi[f]) = mid;
          ok = decides();
          if (!ok) return std::optional<std::vector<FactRange>>{};
          (*ok ? good : bad) = mid;
        }
        (side == 0 ? lo[f] : hi[f]) = good;
      }
    }
    std::optional<bool> final_check = decides();  // re-checked as a whole
    if (!final_check || !*final_check) return std::optional<std::vector<FactRange>>{};
    std::vector<FactRange> out;
    for (std::size_t f = 0; f < n; ++f)
      if (kept[f]) out.push_back({g.facts[f].name, lo[f], hi[f]});
    return out;
  });
}

ParamValues Solver::values_where(Query q, int index, int param) {
  return guarded([&] {
    Encoding& m = impl_->e;
    const kb::Item& p = m.g.params.at(param);
    const z3::expr& x = m.params.at(param);
    auto asked = m.query(q, index);  // not a structured binding: the lambda below captures it (clang 14)
    const z3::expr& query = asked.first;
    const bool with_rules = asked.second;
    RuleSet all;
    ParamValues out;
    // Sat when some value in lo..hi makes the query Sat; nullopt when unknown.
    auto sat_within = [&](std::int64_t lo, std::int64_t hi) -> std::optional<bool> {
      Answer a = m.check(query && x >= m.ctx.int_val(lo) && x <= m.ctx.int_val(hi), with_rules ? &all : nullptr, false);
      if (a.verdict == Verdict::Unknown) return std::nullopt;
      return a.verdict == Verdict::Sat;
    };
    if (p.param_hi - p.param_lo < kMaxEnumeratedValues) {
      for (std::int64_t v = p.param_lo; v <= p.param_hi; ++v) {
        std::optional<bool> sat = sat_within(v, v);
        if (!sat) return out.unknown = true, out;
        if (!*sat) continue;
        if (!out.intervals.empty() && out.intervals.back().second == v - 1) out.intervals.back().second = v;
        else out.intervals.push_back({v, v});
      }
      return out;
    }
    // Too many values to decide one by one: the least and greatest Sat values
    // by bisection ("Sat within lo..m" is monotone in m).
    out.exact = false;
    std::optional<bool> any = sat_within(p.param_lo, p.param_hi);
    if (!any) return out.unknown = true, out;
    if (!*any) return out;
    std::int64_t lo = p.param_lo, hi = p.param_hi;  // least Sat value in lo..hi
    while (lo < hi) {
      std::int64_t mid = lo + (hi - lo) / 2;
      std::optional<bool> sat = sat_within(p.param_lo, mid);
      if (!sat) return out.unknown = true, out;
      if (*sat) hi = mid;
      else lo = mid + 1;
    }
    std::int64_t least = lo;
    lo = least, hi = p.param_hi;  // greatest Sat value in lo..hi
    while (lo < hi) {
      std::int64_t mid = hi - (hi - lo) / 2;
      std::optional<bool> sat = sat_within(mid, p.param_hi);
      if (!sat) return out.unknown = true, out;
      if (*sat) lo = mid;
      else hi = mid - 1;
    }
    out.intervals.push_back({least, lo});
    return out;
  });
}

namespace {

// One SMT-LIB comment line: item text cannot end the comment early, because
// every control character (line breaks included) becomes a space.
std::string comment(const std::string& text) {
  std::string out = "; ";
  for (char c : text) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c;
  return out + "\n";
}

}  // namespace

std::string Solver::smt2(Query q, int index, const std::vector<std::string>& comments) {
  return guarded([&] {
    Encoding& m = impl_->e;
    const Guideline& g = m.g;
    auto [query, with_rules] = m.query(q, index);
    std::string out;
    for (const auto& c : comments) out += comment(c);
    out += "(set-logic QF_LIA)\n";
    for (std::size_t i = 0; i < g.facts.size(); ++i) {
      const kb::Item& f = g.facts[i];
      out += comment("fact " + g.versioned_id(f) + ": " + f.description);
      out += "(declare-const " + m.facts[i].to_string() + (f.fact_type.kind == kb::Type::Bool ? " Bool)\n" : " Int)\n");
      if (f.fact_type.kind != kb::Type::Bool)
        out += "(assert " + (m.facts[i] >= m.ctx.int_val(f.fact_type.lo) && m.facts[i] <= m.ctx.int_val(f.fact_type.hi)).to_string() + ")\n";
    }
    for (std::size_t i = 0; i < g.params.size(); ++i) {
      const kb::Item& p = g.params[i];
      out += comment("param " + g.versioned_id(p) + ": " + p.description + "; any allowed value " +
                     std::to_string(p.param_lo) + ".." + std::to_string(p.param_hi) + " (the release sets " +
                     std::to_string(p.param_value) + ")");
      out += "(declare-const " + m.params[i].to_string() + " Int)\n(assert " +
             (m.params[i] >= m.ctx.int_val(p.param_lo) && m.params[i] <= m.ctx.int_val(p.param_hi)).to_string() + ")\n";
    }
    for (const kb::Item& q : g.questions)
      out += comment("question " + g.versioned_id(q) + ": read as '" + q.chosen + "' (alternative " +
                     std::to_string(q.chosen_index) + ", written as that number below)");
    for (std::size_t c = 0; c < g.constraints.size(); ++c)
      out += comment("constraint " + g.versioned_id(g.constraints[c]) + ": " + g.constraints[c].description) +
             "(assert " + m.translate(*g.constraints[c].expr).to_string() + ")\n";
    for (std::size_t r = 0; r < g.rules.size(); ++r) {
      out += comment("rule " + g.versioned_id(g.rules[r]) + (with_rules ? "" : " (not assumed: its firing is left free)")) +
             "(declare-const " + m.fires[r].to_string() + " Bool)\n";
      if (with_rules) out += "(assert (= " + m.fires[r].to_string() + " " + m.conds[r].to_string() + "))\n";
    }
    for (std::size_t a = 0; a < g.actions.size(); ++a) {
      out += comment("action " + g.versioned_id(g.actions[a]));
      for (auto [atoms, strength] : {std::pair{&m.rec, kb::Strength::Recommend}, std::pair{&m.con, kb::Strength::Consider},
                                     std::pair{&m.avo, kb::Strength::Avoid}}) {
        const z3::expr& atom = (*atoms)[a];
        out += "(declare-const " + atom.to_string() + " Bool)\n(assert (= " + atom.to_string() + " " +
               m.any_fires(static_cast<int>(a), strength, -1).to_string() + "))\n";
      }
    }
    out += "; the query\n(assert " + query.to_string() + ")\n(check-sat)\n";
    return out;
  });
}

struct DiffSolver::Impl {
  z3::context ctx;
  z3::solver s;
  Encoding before, after;
  unsigned timeout_ms;

  Impl(const Guideline& a, const Guideline& b, unsigned timeout)
      : ctx(), s(ctx), before(ctx, s, a, "before.", false), after(ctx, s, b, "after.", false), timeout_ms(timeout) {
    if (timeout_ms) {
      z3::params p(ctx);
      p.set("timeout", timeout_ms);
      s.set(p);
    }
  }

  // Narrows every fact over the patients satisfying `query` (with `assumptions`).
  std::vector<FactRange> ranges(const z3::expr& query, const z3::expr_vector& assumptions) {
    std::vector<FactRange> out;
    std::vector<std::string> seen;
    for (Encoding* e : {&after, &before}) {
      for (std::size_t i = 0; i < e->g.facts.size(); ++i) {
        const kb::Item& f = e->g.facts[i];
        if (std::find(seen.begin(), seen.end(), f.name) != seen.end()) continue;
        seen.push_back(f.name);
        const z3::expr& x = e->facts[i];
        FactRange r{f.name, f.fact_type.lo, f.fact_type.hi};
        if (x.is_bool()) {
          bool can_true = holds(query && x, assumptions), can_false = holds(query && !x, assumptions);
          if (can_true == can_false) continue;
          r.lo = r.hi = can_true ? 1 : 0;
        } else {
          r.lo = optimum(query, assumptions, x, true);
          r.hi = optimum(query, assumptions, x, false);
          if (r.lo == f.fact_type.lo && r.hi == f.fact_type.hi) continue;
        }
        out.push_back(r);
      }
    }
    return out;
  }

  bool holds(const z3::expr& q, const z3::expr_vector& assumptions) {
    s.push();
    s.add(q);
    Watchdog dog(ctx, timeout_ms);
    bool sat = s.check(assumptions) == z3::sat;
    s.pop();
    return sat;
  }

  std::int64_t optimum(const z3::expr& q, const z3::expr_vector& assumptions, const z3::expr& x, bool minimize) {
    z3::optimize opt(ctx);
    if (timeout_ms) {
      z3::params p(ctx);
      p.set("timeout", timeout_ms);
      opt.set(p);
    }
    z3::expr_vector all = s.assertions();
    for (unsigned i = 0; i < all.size(); ++i) opt.add(all[i]);
    for (unsigned i = 0; i < assumptions.size(); ++i) opt.add(assumptions[i]);
    opt.add(q);
    z3::optimize::handle h = minimize ? opt.minimize(x) : opt.maximize(x);
    Watchdog dog(ctx, timeout_ms);
    if (opt.check() != z3::sat) throw Error("optimizer gave no answer while narrowing " + x.to_string());
    return (minimize ? opt.lower(h) : opt.upper(h)).get_numeral_int64();
  }
};

DiffSolver::DiffSolver(const Guideline& before, const Guideline& after, unsigned timeout_ms)
    : impl_(guarded([&] { return std::make_unique<Impl>(before, after, timeout_ms); })) {}
DiffSolver::~DiffSolver() = default;

DiffAnswer DiffSolver::differs(const std::string& action, AtomKind atom, Detail detail) {
  return guarded([&] {
    Impl& m = *impl_;
    z3::expr a = m.before.atom_named(action, atom), b = m.after.atom_named(action, atom);
    z3::expr query = a != b;
    z3::expr_vector assumptions(m.ctx);
    m.before.assume_everything(assumptions);
    m.after.assume_everything(assumptions);
    DiffAnswer ans;
    m.s.push();
    m.s.add(query);
    auto start = std::chrono::steady_clock::now();
    z3::check_result res = [&] {
      Watchdog dog(m.ctx, m.timeout_ms);
      return m.s.check(assumptions);
    }();
    ans.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (res == z3::sat && detail == Detail::Verdict) {
      ans.verdict = Verdict::Sat;
    } else if (res == z3::sat) {
      z3::model model = m.s.get_model();
      ans.verdict = Verdict::Sat;
      ans.before = m.before.patient(model);
      ans.after = m.after.patient(model);
      ans.answer_before = model.eval(a, true).is_true();
      ans.answer_after = model.eval(b, true).is_true();
    } else {
      ans.verdict = res == z3::unsat ? Verdict::Unsat : Verdict::Unknown;
      if (res == z3::unknown) ans.reason = m.s.reason_unknown();
    }
    m.s.pop();
    if (ans.verdict == Verdict::Sat && detail == Detail::Full) ans.ranges = m.ranges(query, assumptions);
    return ans;
  });
}

std::string Solver::z3_version() {
  unsigned major, minor, build, rev;
  Z3_get_version(&major, &minor, &build, &rev);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build);
}

std::string smt2_parse_error(const std::string& script) {
  if (script.find('\0') != std::string::npos) return "the script contains a NUL byte";
  // One context for every call (making one costs far more than a parse),
  // kept for the process; each parse starts from no declarations.
  static std::mutex mutex;
  static z3::context& ctx = *new z3::context;
  std::lock_guard<std::mutex> lock(mutex);
  try {
    ctx.parse_string(script.c_str());
    return "";
  } catch (const z3::exception& e) {
    return e.msg();
  }
}

}  // namespace solver
