#include "verify/mutate.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "kb/lang/printer.h"
#include "kb/model/checker.h"
#include "solver/solver.h"

namespace verify {

const char* mutation_op_name(MutationOp op) {
  switch (op) {
    case MutationOp::ShiftBound: return "shift-bound";
    case MutationOp::BoundToRangeEnd: return "bound-to-range-end";
    case MutationOp::DropConjunct: return "drop-conjunct";
    case MutationOp::NegateAtom: return "negate-atom";
    case MutationOp::SwapAndOr: return "swap-and-or";
    case MutationOp::ChangeStrength: return "change-strength";
    case MutationOp::DeleteRule: return "delete-rule";
    case MutationOp::DefineUseTrue: return "definition-true";
    case MutationOp::DefineUseFalse: return "definition-false";
    case MutationOp::ParamToRangeEnd: return "param-to-range-end";
  }
  return "?";
}

const char* mutant_status_name(MutantStatus s) {
  switch (s) {
    case MutantStatus::Killed: return "killed";
    case MutantStatus::Survived: return "survived";
    case MutantStatus::Equivalent: return "equivalent";
    case MutantStatus::Unknown: return "unknown";
    case MutantStatus::Disagreement: return "translator-disagreement";
  }
  return "?";
}

std::size_t MutationReport::count(MutantStatus s) const {
  return static_cast<std::size_t>(
      std::count_if(results.begin(), results.end(), [s](const MutantResult& r) { return r.status == s; }));
}

std::size_t MutationReport::effective_kills() const {
  return static_cast<std::size_t>(std::count_if(results.begin(), results.end(), [](const MutantResult& r) {
    return r.status == MutantStatus::Killed && !r.restating_only;
  }));
}

double MutationReport::score() const {
  std::size_t counted = results.size() - count(MutantStatus::Equivalent);
  return counted == 0 ? 100.0 : 100.0 * static_cast<double>(effective_kills()) / static_cast<double>(counted);
}

std::vector<std::size_t> MutationReport::kills_per_property(std::size_t properties) const {
  std::vector<std::size_t> out(properties);
  for (const MutantResult& r : results)
    for (kb::ItemRef k : r.killed_by)
      if (k.kind == kb::ItemKind::Property) ++out.at(static_cast<std::size_t>(k.index));
  return out;
}

std::vector<int> MutationReport::unique_killers() const {
  std::set<int> out;
  for (const MutantResult& r : results)
    if (r.killed_by.size() == 1 && r.killed_by[0].kind == kb::ItemKind::Property) out.insert(r.killed_by[0].index);
  return {out.begin(), out.end()};
}

namespace {

using kb::Expr;
using kb::ExprPtr;
using kb::ItemKind;
using kb::ItemRef;
using kb::Op;

bool is_comparison(Op op) {
  return op == Op::Lt || op == Op::Le || op == Op::Gt || op == Op::Ge || op == Op::Eq || op == Op::Ne;
}

// A test the rules branch on: a comparison, a bool fact, an enum test.
bool is_test(const Expr& e) {
  return is_comparison(e.op) || e.op == Op::In ||
         (e.op == Op::Name && e.name_kind == kb::NameKind::Fact && e.type.kind == kb::Type::Bool);
}

Expr* node_at(Expr* root, const std::vector<int>& path) {
  for (int k : path) root = root->args.at(static_cast<std::size_t>(k)).get();
  return root;
}

ExprPtr leaf(Op op, const Expr& at, kb::Type::Kind type) {
  auto e = std::make_unique<Expr>();
  e->op = op;
  e->loc = at.loc;
  e->type = {type, {}};
  return e;
}

// Generates the mutants of one expression tree (a rule's condition or a
// definition body), walking it with its path.
class Generator {
 public:
  Generator(const kb::Guideline& g, std::vector<Mutant>& out) : g_(g), out_(out) {}

  void walk(ItemRef site, const Expr& e, std::vector<int>& path) {
    const std::string where = g_.item(site).name + ": ";
    if (is_comparison(e.op)) bounds(site, e, path, where);
    if (e.op == Op::And) {
      for (int keep = 0; keep < 2; ++keep)
        add(site, path, MutationOp::DropConjunct, keep,
            where + "drop `" + kb::print_expr(*e.args[1 - keep]) + "` from `" + kb::print_expr(e) + "`", e.loc);
    }
    if (e.op == Op::And || e.op == Op::Or)
      add(site, path, MutationOp::SwapAndOr, 0,
          where + "`" + kb::op_spelling(e.op) + "` -> `" + (e.op == Op::And ? "or" : "and") + "` in `" +
              kb::print_expr(e) + "`",
          e.loc);
    if (is_test(e)) add(site, path, MutationOp::NegateAtom, 0, where + "`" + kb::print_expr(e) + "` negated", e.loc);
    if (e.op == Op::Name && e.name_kind == kb::NameKind::Define && e.type.kind == kb::Type::Bool) {
      add(site, path, MutationOp::DefineUseTrue, 1, where + "`" + e.name + "` -> `true`", e.loc);
      add(site, path, MutationOp::DefineUseFalse, 0, where + "`" + e.name + "` -> `false`", e.loc);
    }
    for (std::size_t k = 0; k < e.args.size(); ++k) {
      path.push_back(static_cast<int>(k));
      walk(site, *e.args[k], path);
      path.pop_back();
    }
  }

  void add(ItemRef site, const std::vector<int>& path, MutationOp op, std::int64_t value, std::string summary,
           const kb::Loc& loc) {
    Mutant m;
    m.id = "M" + std::to_string(out_.size() + 1);
    m.op = op;
    m.site = site;
    m.path = path;
    m.value = value;
    m.summary = std::move(summary);
    m.loc = loc.file && loc.line ? loc : g_.item(site).span;
    out_.push_back(std::move(m));
  }

 private:
  // A comparison with a constant on one side: the constant +-1, and the ends
  // of the fact's range when the other side is a fact (values the checker
  // would accept, and different from the current one).
  void bounds(ItemRef site, const Expr& e, std::vector<int>& path, const std::string& where) {
    for (int side = 0; side < 2; ++side) {
      const Expr& k = *e.args[static_cast<std::size_t>(side)];
      const Expr& other = *e.args[static_cast<std::size_t>(1 - side)];
      if (k.op != Op::IntLit || other.type.kind != kb::Type::Int) continue;
      std::int64_t lo = -kb::kSafeIntBound / 2, hi = kb::kSafeIntBound / 2;
      bool fact = other.op == Op::Name && other.name_kind == kb::NameKind::Fact;
      if (fact) lo = g_.facts[other.index].fact_type.lo, hi = g_.facts[other.index].fact_type.hi;
      std::set<std::int64_t> seen{k.int_value};
      auto try_value = [&](std::int64_t v, MutationOp op) {
        if (v < lo || v > hi || !seen.insert(v).second) return;
        Expr copy_k;
        copy_k.op = Op::IntLit;
        copy_k.int_value = v;
        std::string after = side == 0 ? kb::print_expr(copy_k) + " " + kb::op_spelling(e.op) + " " + kb::print_expr(other)
                                      : kb::print_expr(other) + " " + kb::op_spelling(e.op) + " " + kb::print_expr(copy_k);
        add(site, path, op, v, where + "`" + kb::print_expr(e) + "` -> `" + after + "`", k.loc);
      };
      try_value(k.int_value - 1, MutationOp::ShiftBound);
      try_value(k.int_value + 1, MutationOp::ShiftBound);
      if (fact) {
        try_value(lo, MutationOp::BoundToRangeEnd);
        try_value(hi, MutationOp::BoundToRangeEnd);
      }
    }
  }

  const kb::Guideline& g_;
  std::vector<Mutant>& out_;
};

// The definitions and parameters rule conditions use, directly or through definitions.
std::set<ItemRef> used_by_rules(const kb::Guideline& g) {
  std::vector<ItemRef> roots;
  for (int r = 0; r < static_cast<int>(g.rules.size()); ++r) roots.push_back({ItemKind::Rule, r});
  std::set<ItemRef> out;
  for (ItemRef ref : kb::dependency_closure(g, roots))
    if (ref.kind == ItemKind::Define || ref.kind == ItemKind::Param) out.insert(ref);
  return out;
}

// Rules' conditions with every definition expanded, one definition body
// replaced (`define`, `body`) and one parameter replaced by a constant.
class Inliner {
 public:
  Inliner(const kb::Guideline& g, int define, const Expr* body, int param, std::int64_t value)
      : g_(g), define_(define), body_(body), param_(param), value_(value) {}

  ExprPtr operator()(const Expr& e) const {
    if (e.op == Op::Name && e.name_kind == kb::NameKind::Define)
      return (*this)(e.index == define_ ? *body_ : *g_.defines[static_cast<std::size_t>(e.index)].expr);
    if (e.op == Op::Name && e.name_kind == kb::NameKind::Param && e.index == param_) {
      ExprPtr k = leaf(Op::IntLit, e, kb::Type::Int);
      k->int_value = value_;
      return k;
    }
    ExprPtr out = e.clone();
    out->args.clear();
    for (const auto& a : e.args) out->args.push_back((*this)(*a));
    return out;
  }

 private:
  const kb::Guideline& g_;
  int define_;
  const Expr* body_;
  int param_;
  std::int64_t value_;
};

// Applies a node-level edit to the node at `m.path` under `root`.
void edit(ExprPtr& root, const Mutant& m) {
  Expr* n = node_at(root.get(), m.path);
  switch (m.op) {
    case MutationOp::ShiftBound: case MutationOp::BoundToRangeEnd:
      for (auto& a : n->args)
        if (a->op == Op::IntLit) {
          a->int_value = m.value;
          break;
        }
      return;
    case MutationOp::DropConjunct: {
      ExprPtr kept = std::move(n->args.at(static_cast<std::size_t>(m.value)));
      *n = std::move(*kept);
      return;
    }
    case MutationOp::NegateAtom: {
      ExprPtr inner = std::make_unique<Expr>(std::move(*n));
      *n = Expr{};
      n->op = Op::Not;
      n->loc = inner->loc;
      n->type = {kb::Type::Bool, {}};
      n->args.push_back(std::move(inner));
      return;
    }
    case MutationOp::SwapAndOr: n->op = n->op == Op::And ? Op::Or : Op::And; return;
    case MutationOp::DefineUseTrue: case MutationOp::DefineUseFalse: {
      ExprPtr b = leaf(Op::BoolLit, *n, kb::Type::Bool);
      b->bool_value = m.op == MutationOp::DefineUseTrue;
      *n = std::move(*b);
      return;
    }
    default: return;
  }
}

}  // namespace

std::vector<Mutant> generate_mutants(const kb::Guideline& g) {
  std::vector<Mutant> out;
  Generator gen(g, out);
  std::vector<int> path;
  for (int r = 0; r < static_cast<int>(g.rules.size()); ++r) {
    const kb::Item& rule = g.rules[static_cast<std::size_t>(r)];
    gen.walk({ItemKind::Rule, r}, *rule.expr, path);
    for (kb::Strength s : kb::kStrengths)
      if (s != rule.strength)
        gen.add({ItemKind::Rule, r}, {}, MutationOp::ChangeStrength, static_cast<std::int64_t>(s),
                rule.name + ": `" + kb::strength_name(rule.strength) + "` -> `" + kb::strength_name(s) + "`",
                rule.span);
    gen.add({ItemKind::Rule, r}, {}, MutationOp::DeleteRule, 0, rule.name + ": deleted", rule.span);
  }
  for (ItemRef ref : used_by_rules(g)) {
    const kb::Item& it = g.item(ref);
    if (ref.kind == ItemKind::Define) {
      gen.walk(ref, *it.expr, path);
      continue;
    }
    for (std::int64_t v : {it.param_lo, it.param_hi})
      if (v != it.param_value && (v == it.param_lo || it.param_hi != it.param_lo))
        gen.add(ref, {}, MutationOp::ParamToRangeEnd, v,
                it.name + ": " + std::to_string(it.param_value) + " -> " + std::to_string(v) + " (in the rules)",
                it.span);
  }
  return out;
}

kb::Guideline apply_mutant(const kb::Guideline& g, const Mutant& m) {
  kb::Guideline out = kb::clone(g);
  if (m.site.kind == ItemKind::Rule) {
    kb::Item& rule = out.rules.at(static_cast<std::size_t>(m.site.index));
    if (m.op == MutationOp::ChangeStrength) rule.strength = static_cast<kb::Strength>(m.value);
    else if (m.op == MutationOp::DeleteRule) rule.expr = leaf(Op::BoolLit, *rule.expr, kb::Type::Bool);
    else edit(rule.expr, m);
    return out;
  }
  // A definition or parameter: the edited version is inlined into the rules.
  ExprPtr body;
  int define = -1, param = -1;
  std::int64_t value = 0;
  if (m.site.kind == ItemKind::Define) {
    define = m.site.index;
    body = g.defines.at(static_cast<std::size_t>(define)).expr->clone();
    edit(body, m);
  } else {
    param = m.site.index;
    value = m.value;
  }
  Inliner inline_rule(g, define, body.get(), param, value);
  for (kb::Item& rule : out.rules) rule.expr = inline_rule(*rule.expr);
  return out;
}

namespace {

// The actions whose rules a mutant changes.
std::set<int> touched_actions(const kb::Guideline& g, const Mutant& m) {
  std::set<int> out;
  if (m.site.kind == ItemKind::Rule) {
    out.insert(g.rules.at(static_cast<std::size_t>(m.site.index)).action_index);
    return out;
  }
  for (int r = 0; r < static_cast<int>(g.rules.size()); ++r) {
    auto deps = kb::dependency_closure(g, {{ItemKind::Rule, r}});
    if (std::find(deps.begin(), deps.end(), m.site) != deps.end()) out.insert(g.rules[static_cast<std::size_t>(r)].action_index);
  }
  return out;
}

void atoms_in(const Expr& e, std::set<int>& out) {
  if (e.op == Op::Atom) out.insert(e.index);
  for (const auto& a : e.args) atoms_in(*a, out);
}

// Canonical text of the edited item, as the mutant has it.
std::string mutated_text(const kb::Guideline& g, const kb::Guideline& mutant, const Mutant& m) {
  if (m.site.kind == ItemKind::Rule) return kb::print_item(mutant.item(m.site));
  kb::Item it = g.item(m.site).clone();
  if (m.site.kind == ItemKind::Param) it.param_value = m.value;
  else edit(it.expr, m);
  return kb::print_item(it);
}

class Judge {
 public:
  Judge(const kb::Guideline& g, const std::vector<int>& restating, unsigned timeout_ms)
      : g_(g), restating_(restating.begin(), restating.end()), timeout_ms_(timeout_ms), rec_(g) {
    property_actions_.resize(g.properties.size());
    for (std::size_t p = 0; p < g.properties.size(); ++p) atoms_in(*g.properties[p].expr, property_actions_[p]);
    Options o;
    o.timeout_ms = timeout_ms;
    o.lints = false;
    o.readings = false;  // a mutant is judged under the chosen readings
    for (const Obligation& ob : run(g, o).obligations) {
      if (ob.kind == Kind::Conflict && ob.status == Status::Conflict) base_conflicts_.insert(ob.subject.index);
      if (ob.kind == Kind::Property && ob.status != Status::Proved) base_failing_.insert(ob.subject.index);
    }
  }

  MutantResult judge(const Mutant& m) {
    auto start = std::chrono::steady_clock::now();
    MutantResult r;
    r.mutant = m;
    kb::Guideline mutant = apply_mutant(g_, m);
    r.before_text = kb::print_item(g_.item(m.site));
    r.after_text = mutated_text(g_, mutant, m);
    std::set<int> actions = touched_actions(g_, m);
    if (!kills(mutant, actions, r)) equivalence(mutant, actions, r);
    r.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return r;
  }

 private:
  // Verifies the properties that mention a touched action, and the touched
  // actions' conflicts; true when the mutant is settled (killed, unknown, disagreement).
  bool kills(const kb::Guideline& mutant, const std::set<int>& actions, MutantResult& r) {
    Options o;
    o.timeout_ms = timeout_ms_;
    o.lints = false;
    o.readings = false;
    for (std::size_t p = 0; p < g_.properties.size(); ++p)
      for (int a : actions)
        if (property_actions_[p].count(a) && !base_failing_.count(static_cast<int>(p))) {
          o.only.push_back({ItemKind::Property, static_cast<int>(p)});
          break;
        }
    for (int a : actions) o.only.push_back({ItemKind::Action, a});
    bool all_restating = true;
    for (const Obligation& ob : run(mutant, o).obligations) {
      if (ob.status == Status::Unknown || ob.status == Status::Disagreement) {
        r.status = ob.status == Status::Unknown ? MutantStatus::Unknown : MutantStatus::Disagreement;
        r.message = ob.id + ": " + ob.message;
        return true;
      }
      bool kill = ob.status == Status::Violated || (ob.status == Status::Conflict && !base_conflicts_.count(ob.subject.index));
      if (!kill) continue;
      r.killed_by.push_back(ob.subject);
      all_restating &= ob.kind == Kind::Property && restating_.count(ob.subject.index);
    }
    if (r.killed_by.empty()) return false;
    r.status = MutantStatus::Killed;
    r.restating_only = all_restating;
    r.message = "killed by " + std::to_string(r.killed_by.size()) + (all_restating ? " restating" : "") + " check(s)";
    return true;
  }

  // Equivalent when no touched action's answer changes for any patient;
  // otherwise survived, with a witness replayed through both recommenders.
  void equivalence(const kb::Guideline& mutant, const std::set<int>& actions, MutantResult& r) {
    solver::DiffSolver diff(g_, mutant, timeout_ms_);
    for (int a : actions) {
      const std::string& name = g_.actions[static_cast<std::size_t>(a)].name;
      for (kb::Strength s : kb::kStrengths) {
        kb::AtomKind atom = kb::atom_of(s);
        solver::DiffAnswer d = diff.differs(name, atom, solver::DiffSolver::Detail::Verdict);
        if (d.verdict == solver::Verdict::Unsat) continue;
        if (d.verdict == solver::Verdict::Unknown) {
          r.status = MutantStatus::Unknown;
          r.message = "solver gave no answer on " + name + " " + kb::atom_name(atom) + " (" + d.reason + ")";
          return;
        }
        return survivor(diff, mutant, a, atom, r);
      }
    }
    r.status = MutantStatus::Equivalent;
    r.message = "no valid patient's advice changes (proved)";
  }

  void survivor(solver::DiffSolver& diff, const kb::Guideline& mutant, int a, kb::AtomKind atom, MutantResult& r) {
    const std::string& name = g_.actions[static_cast<std::size_t>(a)].name;
    solver::DiffAnswer d = diff.differs(name, atom, solver::DiffSolver::Detail::Witness);
    kb::Recommender after(mutant);
    kb::Outcome x, y;
    rec_.evaluate(*d.before, x);
    after.evaluate(*d.after, y);
    std::uint8_t bit = 0;
    for (kb::Strength s : kb::kStrengths)
      if (kb::atom_of(s) == atom) bit = kb::strength_bit(s);
    bool was = x.actions[static_cast<std::size_t>(a)] & bit, now = y.actions[static_cast<std::size_t>(a)] & bit;
    if (d.verdict != solver::Verdict::Sat || rec_.broken_constraint(*d.before) >= 0 || was != d.answer_before ||
        now != d.answer_after || was == now) {
      r.status = MutantStatus::Disagreement;
      r.message = "translator disagreement: the recommenders do not reproduce the solver's witness";
      return;
    }
    r.status = MutantStatus::Survived;
    r.witness = d.before;
    r.witness_change = name + " " + kb::atom_name(atom) + ": " + (was ? "yes" : "no") + " before, " + (now ? "yes" : "no") + " after";
    r.message = "no property pins this behaviour down";
  }

  const kb::Guideline& g_;
  std::set<int> restating_;
  unsigned timeout_ms_;
  kb::Recommender rec_;
  std::vector<std::set<int>> property_actions_;
  std::set<int> base_conflicts_;
  std::set<int> base_failing_;  // properties not proved on the original: they cannot kill
};

}  // namespace

MutationReport mutate(const kb::Guideline& g, const std::vector<int>& restating, unsigned timeout_ms) {
  auto start = std::chrono::steady_clock::now();
  MutationReport report;
  report.restating = restating;
  const std::vector<Mutant> mutants = generate_mutants(g);
  report.results.resize(mutants.size());
  // Mutants are independent: one worker per core, each with its own Z3
  // contexts; results land in generation order.
  const Judge base(g, restating, timeout_ms);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    Judge judge = base;
    for (std::size_t i; (i = next++) < mutants.size();) report.results[i] = judge.judge(mutants[i]);
  };
  std::vector<std::thread> workers;
  for (unsigned w = 1; w < std::max(1u, std::thread::hardware_concurrency()); ++w) workers.emplace_back(work);
  work();
  for (auto& w : workers) w.join();
  report.total_millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace verify
