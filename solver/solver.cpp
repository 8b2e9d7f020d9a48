#include "solver/solver.h"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <z3++.h>

namespace solver {
namespace {

// The per-check time limit. Z3's own "timeout" starts a timer thread per
// check (measurably slow on small queries) and can be lost when the timer
// fires before a check starts. Instead one thread per context, started on the
// first limited check, interrupts the context once a running check has passed
// its deadline, and again every 10 ms until the check returns, so a limit
// always ends a check (with Unknown, never a verdict).
class Watchdog {
 public:
  Watchdog(z3::context& ctx, unsigned ms) : ctx_(ctx), ms_(ms) {}
  ~Watchdog() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  /** Runs `check` under the limit (none when the limit is 0). */
  template <typename F>
  auto run(F&& check) -> decltype(check()) {
    if (ms_ == 0) return check();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
      deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms_);
      running_ = true;
    }
    cv_.notify_all();
    struct Stop {
      Watchdog& w;
      ~Stop() {
        std::lock_guard<std::mutex> lock(w.mutex_);
        w.running_ = false;
      }
    } stop{*this};
    return check();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!quit_) {
      if (!running_) {
        cv_.wait(lock, [this] { return quit_ || running_; });
      } else if (std::chrono::steady_clock::now() < deadline_) {
        cv_.wait_until(lock, deadline_);
      } else {
        ctx_.interrupt();
        cv_.wait_for(lock, std::chrono::milliseconds(10));
      }
    }
  }

  z3::context& ctx_;
  unsigned ms_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool running_ = false, quit_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::thread thread_;
};

}  // namespace

using kb::AtomKind;
using kb::Expr;
using kb::Guideline;
using kb::Op;

// One guideline's encoding in a context. Every definition (bounds, guarded
// constraints and rules, action atoms) is built once and asserted into a
// solver by the owner: all of them (assert_all) or a query's slice.
// `prefix` keeps the rule and atom constants of two encodings apart
// (semantic diff); facts are shared by name.
struct Encoding {
  z3::context& ctx;
  const Guideline& g;
  std::string prefix;
  // Per parameter: a constant free within its allowed range (proofs), or
  // its release value (the semantic diff compares the answers given).
  std::vector<z3::expr> params;
  std::vector<z3::expr> facts, define_cache;
  std::vector<bool> define_done;
  std::vector<z3::expr> constraint_lits, rule_lits, fires, conds;
  // Per action: recommended, considered, avoided.
  std::vector<z3::expr> rec, con, avo;
  // The assertions: per fact and parameter its range (true when none), per
  // constraint and rule its guarded definition, per action its three atoms'.
  std::vector<z3::expr> fact_bounds, param_bounds, constraint_defs, rule_defs;
  std::vector<std::vector<z3::expr>> atom_defs;

  Encoding(z3::context& context, const Guideline& guideline, std::string name_prefix, bool free_params)
      : ctx(context), g(guideline), prefix(std::move(name_prefix)) {
    for (const kb::Item& p : g.params) {
      if (!free_params) {
        params.push_back(ctx.int_val(p.param_value));
        param_bounds.push_back(ctx.bool_val(true));
        continue;
      }
      z3::expr x = ctx.int_const((prefix + "param." + p.name).c_str());
      params.push_back(x);
      param_bounds.push_back(x >= ctx.int_val(p.param_lo) && x <= ctx.int_val(p.param_hi));
    }
    for (const kb::Item& f : g.facts) {
      if (f.fact_type.kind == kb::Type::Bool) {
        facts.push_back(ctx.bool_const(("fact." + f.name).c_str()));
        fact_bounds.push_back(ctx.bool_val(true));
      } else {
        z3::expr x = ctx.int_const(("fact." + f.name).c_str());
        facts.push_back(x);
        fact_bounds.push_back(x >= ctx.int_val(f.fact_type.lo) && x <= ctx.int_val(f.fact_type.hi));
      }
    }
    define_cache.assign(g.defines.size(), ctx.bool_val(false));
    define_done.assign(g.defines.size(), false);
    for (const kb::Item& c : g.constraints) {
      z3::expr lit = ctx.bool_const((prefix + "constraint:" + c.name).c_str());
      constraint_lits.push_back(lit);
      constraint_defs.push_back(z3::implies(lit, translate(*c.expr)));
    }
    for (const kb::Item& r : g.rules) {
      z3::expr lit = ctx.bool_const((prefix + "rule:" + r.name).c_str());
      z3::expr fire = ctx.bool_const((prefix + "fires:" + r.name).c_str());
      z3::expr cond = translate(*r.expr);
      rule_lits.push_back(lit);
      fires.push_back(fire);
      conds.push_back(cond);
      rule_defs.push_back(z3::implies(lit, fire == cond));
    }
    for (const kb::Item& a : g.actions) {
      atom_defs.emplace_back();
      for (auto [strength, out, kind] :
           {std::tuple{kb::Strength::Recommend, &rec, "recommended:"}, std::tuple{kb::Strength::Consider, &con, "considered:"},
            std::tuple{kb::Strength::Avoid, &avo, "avoided:"}}) {
        z3::expr atom = ctx.bool_const((this->prefix + kind + a.name).c_str());
        atom_defs.back().push_back(atom == any_fires(static_cast<int>(out->size()), strength, -1));
        out->push_back(atom);
      }
    }
  }

  // Asserts every definition into `s`.
  void assert_all(z3::solver& s) const {
    for (const auto* v : {&fact_bounds, &param_bounds, &constraint_defs, &rule_defs})
      for (const z3::expr& e : *v) s.add(e);
    for (const auto& defs : atom_defs)
      for (const z3::expr& e : defs) s.add(e);
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
  kb::ItemRef item_of(const z3::expr& lit) {
    if (lit_items.empty()) {
      for (std::size_t i = 0; i < rule_lits.size(); ++i) lit_items[rule_lits[i].id()] = {kb::ItemKind::Rule, static_cast<int>(i)};
      for (std::size_t i = 0; i < constraint_lits.size(); ++i)
        lit_items[constraint_lits[i].id()] = {kb::ItemKind::Constraint, static_cast<int>(i)};
    }
    auto it = lit_items.find(lit.id());
    if (it == lit_items.end()) throw Error("unsat core holds an unknown literal " + lit.to_string());
    return it->second;
  }
  std::unordered_map<unsigned, kb::ItemRef> lit_items;

  void assume_everything(z3::expr_vector& out) const {
    for (const auto& l : constraint_lits) out.push_back(l);
    for (const auto& l : rule_lits) out.push_back(l);
  }
};

// Pushes `query` on `s`, checks it under `assumptions` within the watchdog's
// limit, and pops: the verdict, an Unsat core as items, and for Sat the
// model handed to `on_sat` (when given). An interrupt that cancels the core
// or model extraction as the check ends is Unknown, never a crash.
Answer checked(z3::solver& s, Watchdog& dog, Encoding& e, const z3::expr& query, const z3::expr_vector& assumptions,
               const std::function<void(const z3::model&, Answer&)>& on_sat) {
  Answer ans;
  s.push();
  s.add(query);
  auto start = std::chrono::steady_clock::now();
  z3::check_result res = dog.run([&] { return s.check(assumptions); });
  ans.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  try {
    if (res == z3::unsat) {
      ans.verdict = Verdict::Unsat;
      z3::expr_vector core = s.unsat_core();
      for (unsigned i = 0; i < core.size(); ++i) ans.core.push_back(e.item_of(core[i]));
      std::sort(ans.core.begin(), ans.core.end());
    } else if (res == z3::sat) {
      ans.verdict = Verdict::Sat;
      if (on_sat) on_sat(s.get_model(), ans);
    } else {
      ans.reason = s.reason_unknown();
    }
  } catch (const z3::exception& x) {
    ans = Answer{};
    ans.reason = std::string("interrupted: ") + x.msg();
  }
  s.pop();
  return ans;
}

// The part of a guideline a query reads, its cone of influence: the rules of
// the actions it mentions, the facts and parameters ("variables") those and
// the query read, and every domain constraint sharing a variable with the
// slice, closed transitively. Every constraint outside shares no variable
// with it, so a valid patient of the slice completes to a valid patient of
// the guideline with any values of the other variables that satisfy the
// other constraints (docs/architecture.md, "Slicing").
struct Slice {
  bool everything = false;                          // no slicing: the whole guideline
  std::vector<int> facts, params, constraints, rules, actions;  // sorted
  std::vector<bool> has_fact, has_param, has_rule, has_action;  // membership, sized to the guideline
};

// The Z3 context, the guideline's encoding and the context's watchdog: made
// when a query first needs Z3 (a run whose answers are all reused, with a
// known completing patient, never makes one).
struct Z3Part {
  z3::context ctx;
  Encoding e;
  Watchdog dog;
  Z3Part(const Guideline& g, unsigned timeout_ms) : ctx(), e(ctx, g, "", true), dog(ctx, timeout_ms) {}
};

struct Solver::Impl {
  const Guideline& g;
  unsigned timeout_ms;
  std::unique_ptr<Z3Part> z3part;
  bool slicing;
  // Variables are facts (0..F-1) then parameters (F..F+P-1).
  std::vector<std::vector<int>> rule_vars, constraint_vars, var_constraints, action_rules;
  std::vector<int> free_constraints;  // constraints reading no variable: in every slice
  std::unique_ptr<z3::solver> full;   // every definition, built on first use
  // The solver of slices, and the slice in its first scope.
  std::unique_ptr<z3::solver> sliced;
  std::vector<int> sliced_key;
  // A valid patient (with the parameters at their release values) whose
  // values complete a slice's witness; `rest_state` 0 not yet sought,
  // 1 found, -1 none (the domain is empty or undecided: no slicing).
  kb::Patient rest;
  std::vector<std::int64_t> rest_params;
  int rest_state = 0;

  Impl(const Guideline& guideline, unsigned timeout, bool slice) : g(guideline), timeout_ms(timeout), slicing(slice) {
    const int nf = static_cast<int>(g.facts.size());
    auto vars_of = [&](kb::ItemRef root) {
      std::vector<int> out;
      for (kb::ItemRef r : kb::dependency_closure(g, {root})) {
        if (r.kind == kb::ItemKind::Fact) out.push_back(r.index);
        if (r.kind == kb::ItemKind::Param) out.push_back(nf + r.index);
      }
      return out;
    };
    var_constraints.resize(g.facts.size() + g.params.size());
    action_rules.resize(g.actions.size());
    for (int r = 0; r < static_cast<int>(g.rules.size()); ++r) {
      rule_vars.push_back(vars_of({kb::ItemKind::Rule, r}));
      action_rules[g.rules[r].action_index].push_back(r);
    }
    for (int c = 0; c < static_cast<int>(g.constraints.size()); ++c) {
      constraint_vars.push_back(vars_of({kb::ItemKind::Constraint, c}));
      if (constraint_vars.back().empty()) free_constraints.push_back(c);
      for (int v : constraint_vars.back()) var_constraints[v].push_back(c);
    }
  }

  Z3Part& z() {
    if (!z3part) z3part = std::make_unique<Z3Part>(g, timeout_ms);
    return *z3part;
  }

  static z3::params solver_params(z3::context& ctx) {
    z3::params p(ctx);
    p.set("core.minimize", true);
    return p;
  }

  z3::solver& full_solver() {
    Z3Part& z3 = z();
    auto& ctx = z3.ctx;
    auto& e = z3.e;
    if (!full) {
      full = std::make_unique<z3::solver>(ctx);
      full->set(solver_params(ctx));
      e.assert_all(*full);
    }
    return *full;
  }

  // The slice of a query reading `vars` and the atoms of `actions`, with
  // those actions' rules (and what they read) when `rules` is true.
  Slice slice(std::vector<int> vars, const std::vector<int>& actions, bool rules) {
    if (!slicing || !completion_ready()) {
      Slice sl;
      sl.everything = true;
      return sl;
    }
    return cone(std::move(vars), actions, rules);
  }

  // The cone of influence itself (whether or not queries are sliced): the
  // items of cone_items(), with their membership marks.
  Slice cone(std::vector<int> vars, const std::vector<int>& actions, bool rules) {
    SliceItems items = cone_items({std::move(vars), actions, rules});
    Slice sl;
    auto mark = [](std::size_t n, const std::vector<int>& in, std::vector<bool>& has) {
      has.assign(n, false);
      for (int i : in) has[static_cast<std::size_t>(i)] = true;
    };
    mark(g.facts.size(), items.facts, sl.has_fact), mark(g.params.size(), items.params, sl.has_param);
    mark(g.rules.size(), items.rules, sl.has_rule), mark(g.actions.size(), items.actions, sl.has_action);
    sl.facts = std::move(items.facts), sl.params = std::move(items.params);
    sl.constraints = std::move(items.constraints), sl.rules = std::move(items.rules);
    sl.actions = std::move(items.actions);
    return sl;
  }

  // What a query's cone grows from: the variables it reads, the actions
  // whose atoms it mentions, and whether those actions' rules belong to it.
  struct Seed {
    std::vector<int> vars, actions;
    bool rules = true;
  };

  // The slice of query `q` about item `index` (`extra_vars` also read); its
  // cone when `whole_cone`, whether or not queries are sliced.
  Slice slice_for(Query q, int index, std::vector<int> extra_vars = {}, bool whole_cone = false) {
    Seed s = seed_for(q, index, std::move(extra_vars));
    return whole_cone ? cone(std::move(s.vars), s.actions, s.rules) : slice(std::move(s.vars), s.actions, s.rules);
  }

  Seed seed_for(Query q, int index, std::vector<int> extra_vars) {
    std::vector<int> actions;
    bool rules = true;
    auto read = [&](kb::ItemRef root) {
      for (kb::ItemRef r : kb::dependency_closure(g, {root})) {
        if (r.kind == kb::ItemKind::Fact) extra_vars.push_back(r.index);
        if (r.kind == kb::ItemKind::Param) extra_vars.push_back(static_cast<int>(g.facts.size()) + r.index);
      }
    };
    switch (q) {
      case Query::PropertyFails: case Query::PremiseHolds: case Query::FailsWithoutRules:
        read({kb::ItemKind::Property, index});
        atoms_in(*g.properties.at(index).expr, actions);
        break;
      case Query::Conflict: actions.push_back(index); break;
      case Query::RuleFires: read({kb::ItemKind::Rule, index}), rules = false; break;
      case Query::RuleMatters: read({kb::ItemKind::Rule, index}), actions.push_back(g.rules.at(index).action_index); break;
    }
    return {std::move(extra_vars), std::move(actions), rules};
  }

  // The cone of influence as sorted item lists: the actions, their rules
  // (when `rules`), the variables those and the seed read, and every domain
  // constraint sharing a variable with them, closed transitively. In time
  // proportional to the cone (marks kept between calls, cleared after each),
  // not to the guideline: a cache key's slice is asked for every obligation.
  std::vector<char> mark_var, mark_rule, mark_action, mark_constraint;
  SliceItems cone_items(Seed s) {
    const int nf = static_cast<int>(g.facts.size());
    mark_var.resize(g.facts.size() + g.params.size()), mark_rule.resize(g.rules.size());
    mark_action.resize(g.actions.size()), mark_constraint.resize(g.constraints.size());
    SliceItems out;
    std::vector<int> vars_seen;
    for (int a : s.actions) {
      if (mark_action[a]) continue;
      mark_action[a] = 1;
      out.actions.push_back(a);
      if (!s.rules) continue;
      for (int r : action_rules[a]) {
        if (!mark_rule[r]) mark_rule[r] = 1, out.rules.push_back(r);
        s.vars.insert(s.vars.end(), rule_vars[r].begin(), rule_vars[r].end());
      }
    }
    for (int c : free_constraints)
      if (!mark_constraint[c]) mark_constraint[c] = 1, out.constraints.push_back(c);
    while (!s.vars.empty()) {
      const int v = s.vars.back();
      s.vars.pop_back();
      if (mark_var[v]) continue;
      mark_var[v] = 1;
      vars_seen.push_back(v);
      for (int c : var_constraints[v]) {
        if (mark_constraint[c]) continue;
        mark_constraint[c] = 1;
        out.constraints.push_back(c);
        s.vars.insert(s.vars.end(), constraint_vars[c].begin(), constraint_vars[c].end());
      }
    }
    for (int v : vars_seen) {
      (v < nf ? out.facts : out.params).push_back(v < nf ? v : v - nf);
      mark_var[v] = 0;
    }
    for (int c : out.constraints) mark_constraint[c] = 0;
    for (int r : out.rules) mark_rule[r] = 0;
    for (int a : out.actions) mark_action[a] = 0;
    for (auto* v : {&out.facts, &out.params, &out.constraints, &out.rules, &out.actions}) std::sort(v->begin(), v->end());
    return out;
  }

  static void atoms_in(const Expr& x, std::vector<int>& out) {
    if (x.op == Op::Atom) out.push_back(x.index);
    for (const auto& a : x.args) atoms_in(*a, out);
  }

  // Seeks the valid patient that completes slices (once).
  bool completion_ready() {
    if (rest_state != 0) return rest_state > 0;
    rest_state = -1;
    Z3Part& z3 = z();
    auto& ctx = z3.ctx;
    auto& e = z3.e;
    auto& dog = z3.dog;
    z3::solver s(ctx);
    for (const z3::expr& b : e.fact_bounds) s.add(b);
    for (const z3::expr& c : e.constraint_defs) s.add(c);
    z3::expr_vector assumptions(ctx);
    for (const auto& l : e.constraint_lits) assumptions.push_back(l);
    for (std::size_t i = 0; i < e.params.size(); ++i)
      assumptions.push_back(e.params[i] == ctx.int_val(e.g.params[i].param_value));
    if (dog.run([&] { return s.check(assumptions); }) != z3::sat) return false;
    z3::model m = s.get_model();
    rest = e.patient(m);
    rest_params = e.param_values(m);
    rest_state = 1;
    return true;
  }

  // The solver holding slice `sl`'s definitions: one solver, the current
  // slice in its first scope (consecutive queries on one slice share it).
  z3::solver& solver_for(const Slice& sl) {
    Z3Part& z3 = z();
    auto& ctx = z3.ctx;
    auto& e = z3.e;
    if (sl.everything) return full_solver();
    std::vector<int> key;
    for (const auto* part : {&sl.facts, &sl.params, &sl.constraints, &sl.rules, &sl.actions}) {
      key.insert(key.end(), part->begin(), part->end());
      key.push_back(-1);
    }
    if (!sliced) {
      sliced = std::make_unique<z3::solver>(ctx);
      sliced->set(solver_params(ctx));
    } else if (key == sliced_key) {
      return *sliced;
    } else {
      sliced->pop();
    }
    z3::solver& s = *sliced;
    s.push();
    for (int f : sl.facts) s.add(e.fact_bounds[f]);
    for (int p : sl.params) s.add(e.param_bounds[p]);
    for (int c : sl.constraints) s.add(e.constraint_defs[c]);
    for (int r : sl.rules) s.add(e.rule_defs[r]);
    for (int a : sl.actions)
      for (const z3::expr& d : e.atom_defs[a]) s.add(d);
    sliced_key = std::move(key);
    return s;
  }

  // Checks `query` under slice `sl`'s constraints and the chosen rules of it.
  Answer check(const z3::expr& query, const RuleSet* rules, const Slice& sl, bool want_model = true) {
    Z3Part& z3 = z();
    auto& ctx = z3.ctx;
    auto& e = z3.e;
    auto& dog = z3.dog;
    z3::expr_vector assumptions(ctx);
    auto assume = [&](const std::vector<z3::expr>& lits, const std::vector<int>& which) {
      if (sl.everything)
        for (const auto& l : lits) assumptions.push_back(l);
      else
        for (int i : which) assumptions.push_back(lits[i]);
    };
    assume(e.constraint_lits, sl.constraints);
    if (rules && rules->all) assume(e.rule_lits, sl.rules);
    if (rules && !rules->all)
      for (int r : rules->only) assumptions.push_back(e.rule_lits.at(r));
    std::function<void(const z3::model&, Answer&)> on_sat;
    if (want_model) on_sat = [&](const z3::model& m, Answer& ans) { witness(m, rules && rules->all, sl, ans); };
    return checked(solver_for(sl), dog, e, query, assumptions, on_sat);
  }

  // The witness of a Sat answer: the slice's facts and parameters from the
  // model, the rest from the completing patient; with every rule assumed,
  // the rules' answer over the slice (marked in outcome_rules/_actions).
  void witness(const z3::model& m, bool all_rules, const Slice& sl, Answer& ans) {
    Z3Part& z3 = z();
    auto& e = z3.e;
    if (sl.everything) {
      ans.model = e.patient(m);
      ans.params = e.param_values(m);
    } else {
      ans.model = rest;
      ans.params = rest_params;
      for (int f : sl.facts) {
        z3::expr v = m.eval(e.facts[f], true);
        (*ans.model)[f] = v.is_bool() ? (v.is_true() ? 1 : 0) : v.get_numeral_int64();
      }
      for (int p : sl.params) ans.params[p] = m.eval(e.params[p], true).get_numeral_int64();
    }
    if (!all_rules) return;  // otherwise fires(r) are free, not the rules' answer
    const std::size_t nr = e.g.rules.size(), na = e.g.actions.size();
    ans.outcome = kb::Outcome{};
    ans.outcome->fired.assign(nr, false);
    ans.outcome->actions.assign(na, 0);
    ans.outcome_rules = sl.everything ? std::vector<bool>(nr, true) : sl.has_rule;
    ans.outcome_actions = sl.everything ? std::vector<bool>(na, true) : sl.has_action;
    for (std::size_t r = 0; r < nr; ++r)
      if (ans.outcome_rules[r]) ans.outcome->fired[r] = m.eval(e.fires[r], true).is_true();
    for (std::size_t a = 0; a < na; ++a) {
      if (!ans.outcome_actions[a]) continue;
      std::uint8_t bits = 0;
      if (m.eval(e.rec[a], true).is_true()) bits |= kb::kRecommended;
      if (m.eval(e.con[a], true).is_true()) bits |= kb::kConsidered;
      if (m.eval(e.avo[a], true).is_true()) bits |= kb::kAvoided;
      ans.outcome->actions[a] = bits;
    }
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

Solver::Solver(const Guideline& g, unsigned timeout_ms, bool slicing)
    : impl_(guarded([&] { return std::make_unique<Impl>(g, timeout_ms, slicing); })) {}
Solver::~Solver() = default;

Answer Solver::ask(Query q, int index, const std::vector<std::int64_t>* fixed_params) {
  return guarded([&] {
    RuleSet all;
    auto [query, with_rules] = impl_->z().e.query(q, index);
    std::vector<int> fixed_vars;  // the parameters a fixed value pins are read
    if (fixed_params) {
      // Only those in the cone: no other can change the answer, and pinning
      // them would widen the slice (over the whole guideline, pin them all).
      Slice cone = impl_->slice_for(q, index, {}, true);
      std::vector<int> pinned = cone.params;
      if (!impl_->slicing || !impl_->completion_ready()) {
        pinned.clear();
        for (std::size_t i = 0; i < impl_->z().e.params.size(); ++i) pinned.push_back(static_cast<int>(i));
      }
      for (int i : pinned) {
        query = query && impl_->z().e.params[i] == impl_->z().ctx.int_val(fixed_params->at(i));
        fixed_vars.push_back(static_cast<int>(impl_->z().e.facts.size()) + i);
      }
    }
    bool witness = q != Query::PremiseHolds && q != Query::FailsWithoutRules;
    return impl_->check(query, with_rules ? &all : nullptr, impl_->slice_for(q, index, fixed_vars), witness);
  });
}

Answer Solver::prove_property(int p, const RuleSet& rules) {
  return guarded([&] {
    return impl_->check(!impl_->z().e.translate(*impl_->z().e.g.properties.at(p).expr), &rules,
                        impl_->slice_for(Query::PropertyFails, p));
  });
}

Answer Solver::premise_outside_rule(int p, int r) {
  return guarded([&] {
    Encoding& m = impl_->z().e;
    const Expr& e = *m.g.properties.at(p).expr;
    if (e.op != Op::Implies) throw Error("property " + m.g.properties[p].name + " is not an implication");
    return impl_->check(m.translate(*e.args[0]) && !m.conds.at(r), nullptr,
                        impl_->slice_for(Query::PremiseHolds, p, impl_->rule_vars.at(r)), false);
  });
}

kb::Outcome Solver::outcome_for(const kb::Patient& patient, const std::vector<std::int64_t>* param_values) {
  return guarded([&] {
    Encoding& m = impl_->z().e;
    z3::expr_vector fixed(m.ctx);
    for (std::size_t i = 0; i < m.params.size(); ++i)
      fixed.push_back(m.params[i] == m.ctx.int_val(param_values ? param_values->at(i) : m.g.params[i].param_value));
    for (std::size_t i = 0; i < m.facts.size(); ++i) {
      if (m.facts[i].is_bool()) fixed.push_back(m.facts[i] == m.ctx.bool_val(patient[i] != 0));
      else fixed.push_back(m.facts[i] == m.ctx.int_val(patient[i]));
    }
    for (const auto& l : m.rule_lits) fixed.push_back(l);
    z3::solver& s = impl_->full_solver();
    s.push();
    s.add(z3::mk_and(fixed));
    if (impl_->z().dog.run([&] { return s.check(); }) != z3::sat) {
      s.pop();
      throw Error("the encoding has no model for a fixed patient (invalid patient or translator bug)");
    }
    kb::Outcome out = m.outcome(s.get_model());
    s.pop();
    return out;
  });
}

namespace {

// One fact the deciding-facts search may keep or drop: its constant, the
// witness's value, its declared range, and whether it is tried last.
struct SearchFact {
  z3::expr x;
  std::string name;
  std::int64_t value, lo, hi;
  bool last;
};

// A prime implicant over `facts` around the witness: `decides(within)` is
// true when every valid patient within `within` meets the goal (nullopt:
// unknown). Facts are dropped first those not `last`, then those, each in
// the given order; kept ints are widened to the largest range around the
// value; the result is re-checked. Nullopt when a check is unknown or the
// witness itself does not decide.
std::optional<std::vector<FactRange>> prime_implicant(
    z3::context& ctx, const std::vector<SearchFact>& facts,
    const std::function<std::optional<bool>(const z3::expr&)>& decides) {
  const std::size_t n = facts.size();
  std::vector<bool> kept(n, true);
  std::vector<std::int64_t> lo, hi;
  for (const SearchFact& f : facts) lo.push_back(f.value), hi.push_back(f.value);
  auto check = [&]() -> std::optional<bool> {
    z3::expr within = ctx.bool_val(true);
    for (std::size_t f = 0; f < n; ++f) {
      if (!kept[f]) continue;
      const z3::expr& x = facts[f].x;
      within = within && (x.is_bool() ? (lo[f] ? x : !x) : x >= ctx.int_val(lo[f]) && x <= ctx.int_val(hi[f]));
    }
    return decides(within);
  };
  std::optional<bool> start = check();
  if (!start || !*start) return std::nullopt;
  std::vector<std::size_t> order;
  for (int pass = 0; pass < 2; ++pass)
    for (std::size_t f = 0; f < n; ++f)
      if (facts[f].last == (pass == 1)) order.push_back(f);
  for (std::size_t f : order) {
    kept[f] = false;
    std::optional<bool> ok = check();
    if (!ok) return std::nullopt;
    if (!*ok) kept[f] = true;
  }
  // Widen each kept int fact: "still decides" is monotone in each bound.
  for (std::size_t f : order) {
    if (!kept[f] || facts[f].x.is_bool() || facts[f].lo == facts[f].hi) continue;
    for (int side = 0; side < 2; ++side) {
      std::int64_t& bound = side == 0 ? lo[f] : hi[f];
      std::int64_t good = bound, bad_end = side == 0 ? facts[f].lo : facts[f].hi;
      if (good == bad_end) continue;
      // Try the whole way first (the common case), then bisect.
      bound = bad_end;
      std::optional<bool> ok = check();
      if (!ok) return std::nullopt;
      if (*ok) continue;
      std::int64_t bad = bad_end;  // good decides, bad does not
      while ((side == 0 ? good - bad : bad - good) > 1) {
        std::int64_t mid = side == 0 ? bad + (good - bad) / 2 : good + (bad - good) / 2;
        bound = mid;
        ok = check();
        if (!ok) return std::nullopt;
        (*ok ? good : bad) = mid;
      }
      bound = good;
    }
  }
  std::optional<bool> final_check = check();  // re-checked as a whole
  if (!final_check || !*final_check) return std::nullopt;
  std::vector<FactRange> out;
  for (std::size_t f = 0; f < n; ++f)
    if (kept[f]) out.push_back({facts[f].name, lo[f], hi[f]});
  return out;
}

// The facts of `e` as search facts at the witness `p`'s values.
std::vector<SearchFact> search_facts(const Encoding& e, const kb::Patient& p, const std::vector<bool>& last) {
  std::vector<SearchFact> out;
  for (std::size_t f = 0; f < e.g.facts.size(); ++f) {
    const kb::FactType& t = e.g.facts[f].fact_type;
    bool widen = t.kind == kb::Type::Int;  // enums and bools keep their value
    out.push_back({e.facts[f], e.g.facts[f].name, p.at(f), widen ? t.lo : p.at(f), widen ? t.hi : p.at(f),
                   f < last.size() && last[f]});
  }
  return out;
}

}  // namespace

std::optional<std::vector<FactRange>> Solver::deciding_facts(Query q, int index, const kb::Patient& witness,
                                              const std::vector<std::int64_t>& params, const std::vector<int>& keep_last) {
  return guarded([&]() -> std::optional<std::vector<FactRange>> {
    Encoding& m = impl_->z().e;
    auto asked = m.query(q, index);  // not a structured binding: the lambda below captures it (clang 14)
    const z3::expr& query = asked.first;
    const bool with_rules = asked.second;
    z3::expr fixed_params = m.ctx.bool_val(true);
    for (std::size_t i = 0; i < m.params.size(); ++i) fixed_params = fixed_params && m.params[i] == m.ctx.int_val(params.at(i));
    std::vector<bool> last(m.g.facts.size(), false);
    for (int f : keep_last)
      if (f >= 0 && static_cast<std::size_t>(f) < last.size()) last[static_cast<std::size_t>(f)] = true;
    // A fact outside the query's slice never decides it: not searched.
    Slice sl = impl_->slice_for(q, index);
    std::vector<SearchFact> facts;
    for (SearchFact& f : search_facts(m, witness, last))
      if (sl.everything || sl.has_fact[static_cast<std::size_t>(m.g.fact_index(f.name))]) facts.push_back(f);
    RuleSet all;
    // Unsat: every valid patient within the kept ranges satisfies the query.
    return prime_implicant(m.ctx, facts, [&](const z3::expr& within) -> std::optional<bool> {
      Answer a = impl_->check(fixed_params && !query && within, with_rules ? &all : nullptr, sl, false);
      if (a.verdict == Verdict::Unknown) return std::nullopt;
      return a.verdict == Verdict::Unsat;
    });
  });
}

SliceItems Solver::slice(Query q, int index, int read_rule) {
  return guarded([&] {
    if (!impl_->slicing || !impl_->completion_ready()) return SliceItems{true, {}, {}, {}, {}, {}};
    return impl_->cone_items(
        impl_->seed_for(q, index, read_rule >= 0 ? impl_->rule_vars.at(read_rule) : std::vector<int>{}));
  });
}

std::optional<kb::Patient> Solver::completion() {
  return guarded([&]() -> std::optional<kb::Patient> {
    if (!impl_->completion_ready()) return std::nullopt;
    return impl_->rest;
  });
}

void Solver::use_completion(kb::Patient patient) {
  impl_->rest = std::move(patient);
  impl_->rest_params.clear();
  for (const kb::Item& p : impl_->g.params) impl_->rest_params.push_back(p.param_value);
  impl_->rest_state = 1;
}

void Solver::complete(const SliceItems& sl, kb::Patient& witness, std::vector<std::int64_t>& params) {
  if (sl.everything || !impl_->completion_ready()) return;
  std::vector<bool> keep_fact(impl_->rest.size(), false), keep_param(impl_->rest_params.size(), false);
  for (int f : sl.facts) keep_fact.at(static_cast<std::size_t>(f)) = true;
  for (int p : sl.params) keep_param.at(static_cast<std::size_t>(p)) = true;
  for (std::size_t f = 0; f < keep_fact.size() && f < witness.size(); ++f)
    if (!keep_fact[f]) witness[f] = impl_->rest[f];
  for (std::size_t p = 0; p < keep_param.size() && p < params.size(); ++p)
    if (!keep_param[p]) params[p] = impl_->rest_params[p];
}

std::vector<int> Solver::params_read(Query q, int index) {
  return guarded([&] { return impl_->slice_for(q, index, {}, true).params; });
}

ParamValues Solver::values_where(Query q, int index, int param) {
  return guarded([&] {
    Encoding& m = impl_->z().e;
    const kb::Item& p = m.g.params.at(param);
    const z3::expr& x = m.params.at(param);
    auto asked = m.query(q, index);  // not a structured binding: the lambda below captures it (clang 14)
    const z3::expr& query = asked.first;
    const bool with_rules = asked.second;
    RuleSet all;
    ParamValues out;
    Slice sl = impl_->slice_for(q, index, {static_cast<int>(m.facts.size()) + param});
    // Sat when some value in lo..hi makes the query Sat; nullopt when unknown.
    auto sat_within = [&](std::int64_t lo, std::int64_t hi) -> std::optional<bool> {
      Answer a = impl_->check(query && x >= m.ctx.int_val(lo) && x <= m.ctx.int_val(hi), with_rules ? &all : nullptr, sl, false);
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
    Encoding& m = impl_->z().e;
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
  Encoding before, after;
  Watchdog dog;
  std::unique_ptr<z3::solver> full;  // both whole encodings: when a slice cannot be completed
  // A patient valid on both sides (by fact name), completing slices' witnesses;
  // rest_state 0 not yet sought, 1 found, -1 none (no slicing).
  std::map<std::string, std::int64_t> rest;
  int rest_state = 0;

  Impl(const Guideline& a, const Guideline& b, unsigned timeout)
      : ctx(), before(ctx, a, "before.", false), after(ctx, b, "after.", false), dog(ctx, timeout) {}

  // What one query asserts and assumes, and the fact names it narrows.
  struct Part {
    std::unique_ptr<z3::solver> own;  // the slice's solver; null when the whole encodings are used
    z3::solver* s = nullptr;
    z3::expr_vector assumptions;
    std::set<std::string> facts;  // the slice's facts (every fact when not sliced)
    explicit Part(z3::context& c) : assumptions(c) {}
  };

  z3::solver& full_solver() {
    if (!full) {
      full = std::make_unique<z3::solver>(ctx);
      before.assert_all(*full);
      after.assert_all(*full);
    }
    return *full;
  }

  bool completion_ready() {
    if (rest_state != 0) return rest_state > 0;
    rest_state = -1;
    z3::solver s(ctx);
    z3::expr_vector assumptions(ctx);
    for (Encoding* e : {&before, &after}) {
      for (const z3::expr& b : e->fact_bounds) s.add(b);
      for (const z3::expr& c : e->constraint_defs) s.add(c);
      for (const auto& l : e->constraint_lits) assumptions.push_back(l);
    }
    if (dog.run([&] { return s.check(assumptions); }) != z3::sat) return false;
    z3::model m = s.get_model();
    for (Encoding* e : {&before, &after}) {
      kb::Patient p = e->patient(m);
      for (std::size_t i = 0; i < p.size(); ++i) rest[e->g.facts[i].name] = p[i];
    }
    rest_state = 1;
    return true;
  }

  // The slice of `action` on both sides: its rules, the facts they read (by
  // name, shared by the sides), and every domain constraint of either side
  // sharing a fact with them, closed transitively (Solver's "Slicing").
  Part part_for(const std::string& action) {
    Part p(ctx);
    if (!completion_ready()) {
      p.s = &full_solver();
      before.assume_everything(p.assumptions);
      after.assume_everything(p.assumptions);
      for (Encoding* e : {&before, &after})
        for (const kb::Item& f : e->g.facts) p.facts.insert(f.name);
      return p;
    }
    std::vector<std::string> pending;
    std::vector<std::vector<int>> rules(2), constraints(2);
    Encoding* sides[] = {&before, &after};
    auto read = [&](const Guideline& g, kb::ItemRef root) {
      for (kb::ItemRef r : kb::dependency_closure(g, {root}))
        if (r.kind == kb::ItemKind::Fact) pending.push_back(g.facts[r.index].name);
    };
    for (int side = 0; side < 2; ++side) {
      const Guideline& g = sides[side]->g;
      int a = g.action_index(action);
      for (int r = 0; r < static_cast<int>(g.rules.size()); ++r)
        if (a >= 0 && g.rules[r].action_index == a) rules[side].push_back(r), read(g, {kb::ItemKind::Rule, r});
    }
    std::vector<std::vector<bool>> has_constraint(2);
    for (int side = 0; side < 2; ++side) {
      const Guideline& g = sides[side]->g;
      has_constraint[side].assign(g.constraints.size(), false);
      for (int c = 0; c < static_cast<int>(g.constraints.size()); ++c) {
        bool reads_fact = false;
        for (kb::ItemRef r : kb::dependency_closure(g, {{kb::ItemKind::Constraint, c}}))
          reads_fact |= r.kind == kb::ItemKind::Fact;
        if (!reads_fact) has_constraint[side][c] = true;
      }
    }
    while (!pending.empty()) {
      std::string name = pending.back();
      pending.pop_back();
      if (!p.facts.insert(name).second) continue;
      for (int side = 0; side < 2; ++side) {
        const Guideline& g = sides[side]->g;
        int f = g.fact_index(name);
        if (f < 0) continue;
        for (int c = 0; c < static_cast<int>(g.constraints.size()); ++c) {
          if (has_constraint[side][c]) continue;
          auto deps = kb::dependency_closure(g, {{kb::ItemKind::Constraint, c}});
          if (std::find(deps.begin(), deps.end(), kb::ItemRef{kb::ItemKind::Fact, f}) == deps.end()) continue;
          has_constraint[side][c] = true;
          read(g, {kb::ItemKind::Constraint, c});
        }
      }
    }
    p.own = std::make_unique<z3::solver>(ctx);
    p.s = p.own.get();
    for (int side = 0; side < 2; ++side) {
      Encoding& e = *sides[side];
      for (std::size_t f = 0; f < e.g.facts.size(); ++f)
        if (p.facts.count(e.g.facts[f].name)) p.s->add(e.fact_bounds[f]);
      for (std::size_t c = 0; c < e.g.constraints.size(); ++c)
        if (has_constraint[side][c]) p.s->add(e.constraint_defs[c]), p.assumptions.push_back(e.constraint_lits[c]);
      for (int r : rules[side]) p.s->add(e.rule_defs[r]), p.assumptions.push_back(e.rule_lits[r]);
      int a = e.g.action_index(action);
      if (a >= 0)
        for (const z3::expr& d : e.atom_defs[a]) p.s->add(d);
    }
    return p;
  }

  // One side's witness: the slice's facts from the model, the others from
  // the completing patient.
  kb::Patient patient(Encoding& e, const z3::model& m, const Part& p) {
    kb::Patient out = e.patient(m);
    if (p.own)
      for (std::size_t i = 0; i < out.size(); ++i)
        if (!p.facts.count(e.g.facts[i].name)) out[i] = rest.at(e.g.facts[i].name);
    return out;
  }

  // The patients agreeing with every range of `box`.
  z3::expr within(const std::vector<FactRange>& box) {
    z3::expr out = ctx.bool_val(true);
    for (const FactRange& r : box) {
      int f = after.g.fact_index(r.fact);
      const z3::expr& x = f >= 0 ? after.facts[f] : before.facts.at(before.g.fact_index(r.fact));
      out = out && (x.is_bool() ? (r.lo ? x : !x) : x >= ctx.int_val(r.lo) && x <= ctx.int_val(r.hi));
    }
    return out;
  }

  // Narrows every fact of the slice over the patients satisfying `query`.
  std::vector<FactRange> ranges(const z3::expr& query, Part& p) {
    std::vector<FactRange> out;
    std::vector<std::string> seen;
    for (Encoding* e : {&after, &before}) {
      for (std::size_t i = 0; i < e->g.facts.size(); ++i) {
        const kb::Item& f = e->g.facts[i];
        if (!p.facts.count(f.name) || std::find(seen.begin(), seen.end(), f.name) != seen.end()) continue;
        seen.push_back(f.name);
        const z3::expr& x = e->facts[i];
        FactRange r{f.name, f.fact_type.lo, f.fact_type.hi};
        if (x.is_bool()) {
          bool can_true = holds(query && x, p), can_false = holds(query && !x, p);
          if (can_true == can_false) continue;
          r.lo = r.hi = can_true ? 1 : 0;
        } else {
          r.lo = optimum(query, p, x, true);
          r.hi = optimum(query, p, x, false);
          if (r.lo == f.fact_type.lo && r.hi == f.fact_type.hi) continue;
        }
        out.push_back(r);
      }
    }
    return out;
  }

  bool holds(const z3::expr& q, Part& p) {
    p.s->push();
    p.s->add(q);
    bool sat = dog.run([&] { return p.s->check(p.assumptions); }) == z3::sat;
    p.s->pop();
    return sat;
  }

  std::int64_t optimum(const z3::expr& q, Part& p, const z3::expr& x, bool minimize) {
    z3::optimize opt(ctx);
    z3::expr_vector all = p.s->assertions();
    for (unsigned i = 0; i < all.size(); ++i) opt.add(all[i]);
    for (unsigned i = 0; i < p.assumptions.size(); ++i) opt.add(p.assumptions[i]);
    opt.add(q);
    z3::optimize::handle h = minimize ? opt.minimize(x) : opt.maximize(x);
    if (dog.run([&] { return opt.check(); }) != z3::sat) throw Error("optimizer gave no answer while narrowing " + x.to_string());
    return (minimize ? opt.lower(h) : opt.upper(h)).get_numeral_int64();
  }
};

DiffSolver::DiffSolver(const Guideline& before, const Guideline& after, unsigned timeout_ms)
    : impl_(guarded([&] { return std::make_unique<Impl>(before, after, timeout_ms); })) {}
DiffSolver::~DiffSolver() = default;

DiffAnswer DiffSolver::differs(const std::string& action, AtomKind atom, Detail detail) {
  return differs_outside(action, atom, {}, detail);
}

DiffAnswer DiffSolver::differs_outside(const std::string& action, AtomKind atom,
                                       const std::vector<std::vector<FactRange>>& outside, Detail detail) {
  return guarded([&] {
    Impl& m = *impl_;
    z3::expr a = m.before.atom_named(action, atom), b = m.after.atom_named(action, atom);
    z3::expr query = a != b;
    for (const auto& box : outside) query = query && !m.within(box);
    Impl::Part part = m.part_for(action);
    z3::solver& s = *part.s;
    DiffAnswer ans;
    s.push();
    s.add(query);
    auto start = std::chrono::steady_clock::now();
    z3::check_result res = m.dog.run([&] { return s.check(part.assumptions); });
    ans.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (res == z3::sat && detail == Detail::Verdict) {
      ans.verdict = Verdict::Sat;
    } else if (res == z3::sat) {
      z3::model model = s.get_model();
      ans.verdict = Verdict::Sat;
      ans.before = m.patient(m.before, model, part);
      ans.after = m.patient(m.after, model, part);
      ans.answer_before = model.eval(a, true).is_true();
      ans.answer_after = model.eval(b, true).is_true();
    } else {
      ans.verdict = res == z3::unsat ? Verdict::Unsat : Verdict::Unknown;
      if (res == z3::unknown) ans.reason = s.reason_unknown();
    }
    s.pop();
    if (ans.verdict == Verdict::Sat && detail == Detail::Full) ans.ranges = m.ranges(query, part);
    return ans;
  });
}

std::optional<std::vector<FactRange>> DiffSolver::deciding_facts(const std::string& action, AtomKind atom,
                                                                  const kb::Patient& before, const kb::Patient& after,
                                                                  bool answer_before, bool answer_after) {
  return guarded([&]() -> std::optional<std::vector<FactRange>> {
    Impl& m = *impl_;
    z3::expr a = m.before.atom_named(action, atom), b = m.after.atom_named(action, atom);
    z3::expr other = !(a == m.ctx.bool_val(answer_before) && b == m.ctx.bool_val(answer_after));
    Impl::Part part = m.part_for(action);
    // The facts of `after`, then those only `before` declares (shared by
    // name); a fact outside the action's slice never decides: not searched.
    std::vector<SearchFact> facts;
    for (SearchFact& f : search_facts(m.after, after, {}))
      if (part.facts.count(f.name)) facts.push_back(f);
    for (SearchFact& f : search_facts(m.before, before, {}))
      if (m.after.g.fact_index(f.name) < 0 && part.facts.count(f.name)) facts.push_back(f);
    // Unsat: every patient valid on both sides within the kept ranges gets this change.
    return prime_implicant(m.ctx, facts, [&](const z3::expr& within) -> std::optional<bool> {
      part.s->push();
      part.s->add(other && within);
      z3::check_result res = m.dog.run([&] { return part.s->check(part.assumptions); });
      part.s->pop();
      if (res == z3::unknown) return std::nullopt;
      return res == z3::unsat;
    });
  });
}

std::string DiffSolver::smt2(const std::string& action, AtomKind atom, const std::vector<std::string>& comments) {
  return guarded([&] {
    Impl& m = *impl_;
    z3::solver script(m.ctx);
    z3::expr_vector all = m.full_solver().assertions();  // unsliced: an independent check of the slicing
    for (unsigned i = 0; i < all.size(); ++i) script.add(all[i]);
    z3::expr_vector assumptions(m.ctx);
    m.before.assume_everything(assumptions);
    m.after.assume_everything(assumptions);
    for (unsigned i = 0; i < assumptions.size(); ++i) script.add(assumptions[i]);
    script.add(m.before.atom_named(action, atom) != m.after.atom_named(action, atom));
    std::string out;
    for (const std::string& c : comments) out += comment(c);
    return out + "(set-logic QF_LIA)\n" + script.to_smt2();
  });
}

std::string Solver::z3_version() {
  unsigned major, minor, build, rev;
  Z3_get_version(&major, &minor, &build, &rev);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build);
}

// ---------------------------------------------------------------- completions

struct CompletionSolver::Impl {
  z3::context ctx;
  z3::solver s;
  Encoding e;  // parameters at their release values
  Watchdog dog;

  Impl(const Guideline& g, unsigned timeout_ms) : ctx(), s(ctx), e(ctx, g, "", false), dog(ctx, timeout_ms) {
    z3::params p(ctx);
    p.set("core.minimize", true);
    s.set(p);
    e.assert_all(s);
  }

  // Checks `q` under every domain constraint and no rule (completions read
  // rule conditions directly); a Sat answer carries the patient.
  Answer check(const z3::expr& q) {
    z3::expr_vector assumptions(ctx);
    for (const auto& l : e.constraint_lits) assumptions.push_back(l);
    return checked(s, dog, e, q, assumptions, [&](const z3::model& m, Answer& ans) {
      ans.model = e.patient(m);
      ans.params = e.param_values(m);
    });
  }

  // The goal over the encoding's facts, from the rule conditions themselves.
  z3::expr goal(const Goal& goal) {
    auto any = [&](int action, std::uint8_t bits) {
      z3::expr_vector v(ctx);
      for (std::size_t r = 0; r < e.g.rules.size(); ++r)
        if (e.g.rules[r].action_index == action && (kb::strength_bit(e.g.rules[r].strength) & bits)) v.push_back(e.conds[r]);
      return v.empty() ? ctx.bool_val(false) : z3::mk_or(v);
    };
    switch (goal.kind) {
      case Goal::Fires: return e.conds.at(goal.index);
      case Goal::Strength: return any(goal.index, goal.strength);
      case Goal::Conflict: return any(goal.index, kb::kRecommended | kb::kConsidered) && any(goal.index, kb::kAvoided);
    }
    throw Error("bad goal");
  }

  // Every fact of `facts` within its values.
  z3::expr within(const Within& w, const z3::expr_vector& facts) {
    if (w.size() != facts.size()) throw Error("a Within needs one entry per fact");
    z3::expr all = ctx.bool_val(true);
    for (unsigned i = 0; i < facts.size(); ++i) {
      z3::expr_vector any(ctx);
      for (const auto& [lo, hi] : w[i]) {
        if (facts[i].is_bool()) {
          if (lo <= 0 && hi >= 1) any.push_back(ctx.bool_val(true));
          else any.push_back(lo >= 1 ? facts[i] : !facts[i]);
        } else if (lo == hi) {
          any.push_back(facts[i] == ctx.int_val(lo));
        } else {
          any.push_back(facts[i] >= ctx.int_val(lo) && facts[i] <= ctx.int_val(hi));
        }
      }
      all = all && (any.empty() ? ctx.bool_val(false) : z3::mk_or(any));
    }
    return all;
  }

  z3::expr_vector fact_vector() {
    z3::expr_vector v(ctx);
    for (const auto& f : e.facts) v.push_back(f);
    return v;
  }

  kb::Patient patient_of(const z3::model& m, const z3::expr_vector& facts) {
    kb::Patient p(facts.size());
    for (unsigned i = 0; i < facts.size(); ++i) {
      z3::expr v = m.eval(facts[i], true);
      p[i] = v.is_bool() ? (v.is_true() ? 1 : 0) : v.get_numeral_int64();
    }
    return p;
  }
};

CompletionSolver::CompletionSolver(const Guideline& g, unsigned timeout_ms)
    : impl_(guarded([&] { return std::make_unique<Impl>(g, timeout_ms); })) {}
CompletionSolver::~CompletionSolver() = default;

Answer CompletionSolver::completion(const Within& within, const Goal* goal, bool value) {
  return guarded([&] {
    z3::expr q = impl_->within(within, impl_->fact_vector());
    if (goal) q = q && (value ? impl_->goal(*goal) : !impl_->goal(*goal));
    return impl_->check(q);
  });
}

PairAnswer CompletionSolver::completions_differ(const Within& within, const std::vector<bool>& same, const Goal& goal) {
  return guarded([&] {
    Impl& m = *impl_;
    // The second patient: a fresh copy of every fact not shared.
    z3::expr_vector first = m.fact_vector(), second(m.ctx);
    for (unsigned i = 0; i < first.size(); ++i) {
      const std::string name = "second.fact." + m.e.g.facts[i].name;
      second.push_back(same.at(i) ? first[i] : first[i].is_bool() ? m.ctx.bool_const(name.c_str()) : m.ctx.int_const(name.c_str()));
    }
    z3::expr_vector from = first, to = second;
    z3::expr valid_second = m.within(within, second);
    for (const kb::Item& c : m.e.g.constraints) valid_second = valid_second && m.e.translate(*c.expr).substitute(from, to);
    z3::expr g1 = m.goal(goal);
    z3::expr g2 = z3::expr(g1).substitute(from, to);
    z3::expr q = m.within(within, first) && valid_second && g1 && !g2;
    z3::expr_vector assumptions(m.ctx);
    for (const auto& l : m.e.constraint_lits) assumptions.push_back(l);
    PairAnswer ans;
    m.s.push();
    m.s.add(q);
    z3::check_result res = m.dog.run([&] { return m.s.check(assumptions); });
    if (res == z3::sat) {
      z3::model model = m.s.get_model();
      ans.verdict = Verdict::Sat;
      ans.first = m.patient_of(model, first);
      ans.second = m.patient_of(model, second);
    } else if (res == z3::unsat) {
      ans.verdict = Verdict::Unsat;
    } else {
      ans.reason = m.s.reason_unknown();
    }
    m.s.pop();
    return ans;
  });
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
