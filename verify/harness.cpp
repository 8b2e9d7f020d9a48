#include "verify/harness.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "solver/solver.h"

namespace verify {

const char* status_name(Status s) {
  switch (s) {
    case Status::Proved: return "proved";
    case Status::Violated: return "violated";
    case Status::Conflict: return "conflict";
    case Status::NoConflict: return "no-conflict";
    case Status::Unknown: return "unknown";
    case Status::Disagreement: return "translator-disagreement";
    case Status::Warning: return "warning";
    case Status::Ok: return "ok";
  }
  return "?";
}

std::size_t Report::count(Status s) const {
  return static_cast<std::size_t>(
      std::count_if(obligations.begin(), obligations.end(), [s](const Obligation& o) { return o.status == s; }));
}

int Report::exit_code(bool deny_warnings) const {
  if (count(Status::Unknown) || count(Status::Disagreement)) return 2;
  if (count(Status::Violated) || count(Status::Conflict)) return 1;
  if (deny_warnings && count(Status::Warning)) return 1;
  return 0;
}

namespace {

std::string bits_text(const kb::Guideline& g, const kb::Outcome& o) {
  std::string out;
  for (std::size_t a = 0; a < o.actions.size(); ++a) {
    if (!o.actions[a]) continue;
    out += (out.empty() ? "" : ", ") + g.actions[a].name + "=";
    std::string s;
    if (o.actions[a] & kb::kRecommended) s += "recommended";
    if (o.actions[a] & kb::kConsidered) s += std::string(s.empty() ? "" : "+") + "considered";
    if (o.actions[a] & kb::kAvoided) s += std::string(s.empty() ? "" : "+") + "avoided";
    out += s;
  }
  return out.empty() ? "no action" : out;
}

class Harness {
 public:
  Harness(const kb::Guideline& encoded, const kb::Guideline& replayed, const Options& o)
      : g_(encoded), opt_(o), rec_(replayed), s_(encoded, o.timeout_ms) {}

  Report run() {
    auto start = std::chrono::steady_clock::now();
    for (std::size_t p = 0; p < g_.properties.size(); ++p)
      if (wanted(g_.properties[p].name)) property(static_cast<int>(p));
    for (std::size_t a = 0; a < g_.actions.size(); ++a)
      if (wanted(g_.actions[a].name)) conflict(static_cast<int>(a));
    if (opt_.lints) {
      for (std::size_t r = 0; r < g_.rules.size(); ++r)
        if (wanted(g_.rules[r].name)) rule_lints(static_cast<int>(r));
      for (std::size_t p = 0; p < g_.properties.size(); ++p)
        if (wanted(g_.properties[p].name)) vacuity(static_cast<int>(p));
      if (opt_.only.empty()) coverage();
    }
    report_.total_millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    report_.z3_version = solver::Solver::z3_version();
    return std::move(report_);
  }

 private:
  bool wanted(const std::string& id) const {
    return opt_.only.empty() || std::find(opt_.only.begin(), opt_.only.end(), id) != opt_.only.end();
  }

  // Asks the solver and records the question on the obligation.
  solver::Answer ask(Obligation& o, solver::Query q, int index) {
    solver::Answer a = s_.ask(q, index);
    o.query = q;
    o.query_index = index;
    o.answer = a.verdict;
    o.millis = a.millis;
    return a;
  }

  Obligation& add(std::string id, std::string kind, const kb::Item& subject, std::string description) {
    Obligation o;
    o.id = std::move(id);
    o.kind = std::move(kind);
    o.subject = g_.versioned_id(subject);
    o.description = std::move(description);
    report_.obligations.push_back(std::move(o));
    return report_.obligations.back();
  }

  void unknown(Obligation& o, const solver::Answer& a) {
    o.status = Status::Unknown;
    o.message = "solver gave no answer (" + (a.reason.empty() ? std::string("unknown") : a.reason) +
                "); not counted as proved";
  }

  // Replays a witness: it must be a valid patient and the recommender must
  // compute exactly the solver's outcome. Returns false (and marks `o`) if not.
  bool replay(Obligation& o, const solver::Answer& a, kb::Outcome& concrete) {
    o.witness = a.model;
    int broken = rec_.broken_constraint(*a.model);
    rec_.evaluate(*a.model, concrete);
    for (std::size_t r = 0; r < g_.rules.size(); ++r)
      if (concrete.fired[r]) o.fired.push_back(g_.versioned_id(g_.rules[r]));
    std::string problem;
    if (broken >= 0) problem = "the solver's patient breaks constraint " + g_.constraints[broken].name;
    else if (a.outcome && (a.outcome->fired != concrete.fired || a.outcome->actions != concrete.actions))
      problem = "the rules give different answers for the solver's patient";
    if (problem.empty()) return true;
    o.status = Status::Disagreement;
    o.message = "translator disagreement: " + problem;
    o.solver_says = a.outcome ? bits_text(g_, *a.outcome) : "";
    o.recommender_says = bits_text(g_, concrete);
    return false;
  }

  std::vector<std::string> core_ids(const std::vector<std::string>& core, std::vector<int>& evidence) {
    std::vector<std::string> out;
    std::set<int> refs(evidence.begin(), evidence.end());
    for (const std::string& lit : core) {
      auto colon = lit.find(':');
      std::string kind = lit.substr(0, colon), name = lit.substr(colon + 1);
      if (kind == "rule") {
        const kb::Item& r = g_.rules[g_.rule_index(name)];
        out.push_back(g_.versioned_id(r));
        refs.insert(r.cites.begin(), r.cites.end());
        covered_.insert(name);
      } else {
        for (const kb::Item& c : g_.constraints)
          if (c.name == name) out.push_back(g_.versioned_id(c));
      }
    }
    evidence.assign(refs.begin(), refs.end());
    return out;
  }

  void property(int p) {
    const kb::Item& prop = g_.properties[p];
    Obligation& o = add("property:" + prop.name, "property", prop, prop.description);
    solver::Answer a = ask(o, solver::Query::PropertyFails, p);
    if (a.verdict == solver::Verdict::Unknown) return unknown(o, a);
    if (a.verdict == solver::Verdict::Unsat) {
      o.evidence = prop.cites;
      o.core = core_ids(a.core, o.evidence);
      o.status = Status::Proved;
      o.message = "holds for every valid patient";
      return;
    }
    kb::Outcome concrete;
    if (!replay(o, a, concrete)) return;
    if (rec_.property_holds(p, *a.model, concrete)) {
      o.status = Status::Disagreement;
      o.message = "translator disagreement: the solver's counterexample satisfies the property when evaluated";
      o.solver_says = "property violated";
      o.recommender_says = "property holds (" + bits_text(g_, concrete) + ")";
      return;
    }
    o.status = Status::Violated;
    o.message = "a valid patient breaks it";
  }

  void conflict(int a) {
    const kb::Item& action = g_.actions[a];
    bool offered = false, avoided = false;
    for (const kb::Item& r : g_.rules) {
      if (r.action != action.name) continue;
      (r.strength == kb::Strength::Avoid ? avoided : offered) = true;
    }
    if (!offered || !avoided) return;  // no rule pair can conflict
    Obligation& o = add("conflict:" + action.name, "conflict", action,
                        "no valid patient gets " + action.name + " both offered and avoided");
    solver::Answer ans = ask(o, solver::Query::Conflict, a);
    if (ans.verdict == solver::Verdict::Unknown) return unknown(o, ans);
    if (ans.verdict == solver::Verdict::Unsat) {
      o.core = core_ids(ans.core, o.evidence);
      o.status = Status::NoConflict;
      o.message = "no valid patient gets it both offered and avoided";
      return;
    }
    kb::Outcome concrete;
    if (!replay(o, ans, concrete)) return;
    if (!concrete.conflict(a)) {
      o.status = Status::Disagreement;
      o.message = "translator disagreement: the solver's conflict does not occur when evaluated";
      return;
    }
    o.status = Status::Conflict;
    o.message = action.name + " is both offered and avoided for a valid patient";
  }

  void rule_lints(int r) {
    const kb::Item& rule = g_.rules[r];
    Obligation& dead = add("dead:" + rule.name, "dead-rule", rule, "some valid patient meets the rule's condition");
    solver::Answer a = ask(dead, solver::Query::RuleFires, r);
    if (a.verdict == solver::Verdict::Unknown) return unknown(dead, a);
    if (a.verdict == solver::Verdict::Unsat) {
      dead.status = Status::Warning;
      dead.message = "dead rule: no valid patient meets its condition";
      return;
    }
    kb::Outcome concrete;
    if (!replay(dead, a, concrete)) return;
    if (!concrete.fired[r]) {
      dead.status = Status::Disagreement;
      dead.message = "translator disagreement: the solver's patient does not fire the rule when evaluated";
      return;
    }
    dead.status = Status::Ok;
    dead.message = "fires for " + kb::describe_patient(g_, *a.model);
    dead.witness.reset();
    dead.fired.clear();

    Obligation& red = add("redundant:" + rule.name, "redundant-rule", rule,
                          "removing the rule changes some valid patient's output");
    solver::Answer b = ask(red, solver::Query::RuleMatters, r);
    if (b.verdict == solver::Verdict::Unknown) return unknown(red, b);
    if (b.verdict == solver::Verdict::Unsat) {
      red.status = Status::Warning;
      red.message = std::string("redundant rule: whenever it fires, another rule already ") + kb::strength_name(rule.strength) +
                    "s " + rule.action;
      return;
    }
    if (!replay(red, b, concrete)) return;
    bool alone = concrete.fired[r];
    for (std::size_t k = 0; k < g_.rules.size(); ++k)
      if (k != static_cast<std::size_t>(r) && concrete.fired[k] && g_.rules[k].action == rule.action &&
          g_.rules[k].strength == rule.strength)
        alone = false;
    if (!alone) {
      red.status = Status::Disagreement;
      red.message = "translator disagreement: the rule is not the only one giving its answer for the solver's patient";
      return;
    }
    red.status = Status::Ok;
    red.message = "only this rule gives its answer for " + kb::describe_patient(g_, *b.model);
    red.witness.reset();
    red.fired.clear();
  }

  void vacuity(int p) {
    const kb::Item& prop = g_.properties[p];
    if (prop.expr->op == kb::Op::Implies) {
      Obligation& o = add("vacuous:" + prop.name, "vacuous-property", prop, "some valid patient meets the premise");
      solver::Answer a = ask(o, solver::Query::PremiseHolds, p);
      if (a.verdict == solver::Verdict::Unknown) {
        unknown(o, a);
      } else if (a.verdict == solver::Verdict::Unsat) {
        o.status = Status::Warning;
        o.message = "vacuous: no valid patient meets the premise of the implication";
      } else {
        o.status = Status::Ok;
        o.message = "some valid patient meets the premise";
      }
    }
    Obligation& o = add("rule-free:" + prop.name, "rule-free-property", prop, "the property depends on the rules");
    solver::Answer a = ask(o, solver::Query::FailsWithoutRules, p);
    if (a.verdict == solver::Verdict::Unknown) return unknown(o, a);
    if (a.verdict == solver::Verdict::Unsat) {
      o.status = Status::Warning;
      o.message = "vacuous: holds with every rule removed (it constrains patients only)";
      return;
    }
    o.status = Status::Ok;
    o.message = "fails with every rule removed, so it tests the rules";
  }

  void coverage() {
    for (const kb::Item& r : g_.rules) {
      Obligation& o = add("uncovered:" + r.name, "uncovered-rule", r, "some proof rests on the rule");
      if (covered_.count(r.name)) {
        o.status = Status::Ok;
        o.message = "in the core of a proof";
      } else {
        o.status = Status::Warning;
        o.message = "uncovered: no proved property or conflict check rests on this rule";
      }
    }
  }

  const kb::Guideline& g_;
  Options opt_;
  kb::Recommender rec_;
  solver::Solver s_;
  Report report_;
  std::set<std::string> covered_;
};

}  // namespace

Report run(const kb::Guideline& g, const Options& options) { return Harness(g, g, options).run(); }

Report run_split(const kb::Guideline& encoded, const kb::Guideline& replayed, const Options& options) {
  return Harness(encoded, replayed, options).run();
}

}  // namespace verify
