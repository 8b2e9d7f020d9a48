// Advice for partial patients (advice/advice.h). Every goal is first judged
// by the three-valued run; a goal it leaves open needs a completion each way,
// taken from the pool of completions found so far (each evaluated once by
// the recommender) or asked of the solver. Every completion the solver gives
// is replayed through the recommender before it is used; an Unknown answer
// is an Error, never a verdict.
#include "advice/advice.h"

#include <algorithm>

namespace advice {
namespace {

using kb::Guideline;
using kb::Outcome;
using kb::Patient;
using solver::Goal;

constexpr std::uint8_t kStrengthBits[3] = {kb::kRecommended, kb::kConsidered, kb::kAvoided};

// Marks the facts `e` reads, through definitions.
void facts_read(const kb::Expr& e, const Guideline& g, std::vector<bool>& out) {
  if (e.op == kb::Op::Name && e.name_kind == kb::NameKind::Fact) out[e.index] = true;
  if (e.op == kb::Op::Name && e.name_kind == kb::NameKind::Define) facts_read(*g.defines[e.index].expr, g, out);
  for (const auto& a : e.args) facts_read(*a, g, out);
}

// The goal's value for one evaluated completion.
bool value_of(const Goal& goal, const Outcome& o) {
  switch (goal.kind) {
    case Goal::Fires: return o.fired[goal.index] != 0;
    case Goal::Strength: return (o.actions[goal.index] & goal.strength) != 0;
    case Goal::Conflict: return o.conflict(goal.index);
  }
  return false;
}

// The three-valued run's verdict on a goal, or nullopt when it is open.
std::optional<Truth> judged(const Goal& goal, const Guideline& g, const std::vector<std::uint8_t>& sure,
                            const std::vector<std::uint8_t>& maybe) {
  auto of = [&](int action, std::uint8_t bits, const std::vector<std::uint8_t>& fired) {
    for (std::size_t r = 0; r < g.rules.size(); ++r)
      if (g.rules[r].action_index == action && (kb::strength_bit(g.rules[r].strength) & bits) && fired[r]) return true;
    return false;
  };
  bool holds = false, never = false;
  switch (goal.kind) {
    case Goal::Fires: holds = sure[goal.index], never = !maybe[goal.index]; break;
    case Goal::Strength: holds = of(goal.index, goal.strength, sure), never = !of(goal.index, goal.strength, maybe); break;
    case Goal::Conflict: {
      const std::uint8_t offered = kb::kRecommended | kb::kConsidered;
      holds = of(goal.index, offered, sure) && of(goal.index, kb::kAvoided, sure);
      never = !of(goal.index, offered, maybe) || !of(goal.index, kb::kAvoided, maybe);
      break;
    }
  }
  if (holds) return Truth::Holds;
  if (never) return Truth::Never;
  return std::nullopt;
}

// The state of one advise() call.
class Run {
 public:
  Run(const kb::Recommender& r, std::unique_ptr<solver::CompletionSolver>& solver, unsigned timeout_ms,
      const kb::PartialPatient& p)
      : r_(r), g_(r.guideline()), solver_(solver), timeout_ms_(timeout_ms), p_(p), within_(p.facts.begin(), p.facts.end()) {}

  Advice advise() {
    Advice out;
    const std::size_t nr = g_.rules.size(), na = g_.actions.size();
    std::vector<Goal> goals;
    for (std::size_t i = 0; i < nr; ++i) goals.push_back({Goal::Fires, static_cast<int>(i), 0});
    for (std::size_t a = 0; a < na; ++a)
      for (std::uint8_t bit : kStrengthBits) goals.push_back({Goal::Strength, static_cast<int>(a), bit});
    for (std::size_t a = 0; a < na; ++a) goals.push_back({Goal::Conflict, static_cast<int>(a), 0});

    std::vector<Answer> answers;
    if (std::optional<Patient> whole = p_.complete()) {  // no unknowns: the two-valued answer is exact
      if (int c = r_.broken_constraint(*whole); c >= 0)
        throw Error("patient breaks domain constraint " + g_.constraints[c].name + " (" + g_.constraints[c].description + ")");
      Outcome o;
      r_.evaluate(*whole, o);
      for (const Goal& goal : goals) answers.push_back({goal, value_of(goal, o) ? Truth::Holds : Truth::Never, {}, {}, {}});
      out.completion = *whole;
    } else {
      find_first_completion();
      out.completion = pool_.front().patient;
      bounds_ = p_.bounds();
      std::vector<std::uint8_t> sure(nr), maybe(nr);
      run_bounds(bounds_, sure, maybe);
      for (const Goal& goal : goals) answers.push_back(settle(goal, judged(goal, g_, sure, maybe)));
      for (Answer& a : answers)
        if (a.truth == Truth::Depends && a.goal.kind != Goal::Fires) a.depends_on = deciding_facts(a);
    }
    out.rules.assign(answers.begin(), answers.begin() + static_cast<long>(nr));
    out.strengths.assign(answers.begin() + static_cast<long>(nr), answers.begin() + static_cast<long>(nr + 3 * na));
    out.conflicts.assign(answers.begin() + static_cast<long>(nr + 3 * na), answers.end());
    if (!p_.complete()) out.ask = ask_next(out);
    out.solver_queries = queries_;
    return out;
  }

 private:
  struct Known {
    Patient patient;
    Outcome outcome;
  };

  // The solver, built on first need, for one more query.
  solver::CompletionSolver& solver() {
    ++queries_;
    if (!solver_) solver_ = std::make_unique<solver::CompletionSolver>(g_, timeout_ms_);
    return *solver_;
  }

  void run_bounds(const std::vector<kb::FactBounds>& b, std::vector<std::uint8_t>& sure,
                  std::vector<std::uint8_t>& maybe) const {
    r_.rule_program().run_bounds(b.data(), sure.data(), maybe.data());
  }

  // Adds a completion to the pool after checking it is one: within the
  // patient's values, valid, and (when `goal`) giving the goal `value`.
  const Known& add(const Patient& p, const Goal* goal, bool value) {
    if (!p_.admits(p) || r_.broken_constraint(p) >= 0)
      throw Error("translator disagreement: the solver's completion " + kb::describe_patient(g_, p) +
                  " is not a valid completion of the patient");
    Known k{p, {}};
    r_.evaluate(p, k.outcome);
    if (goal && value_of(*goal, k.outcome) != value)
      throw Error("translator disagreement: the recommender does not reproduce the solver's completion " +
                  kb::describe_patient(g_, p));
    pool_.push_back(std::move(k));
    return pool_.back();
  }

  // Some valid completion, cheaply when every unknown at its least or
  // greatest value gives one, else from the solver; none is an Error naming
  // the domain constraints the given facts cannot keep together.
  void find_first_completion() {
    for (int end = 0; end < 2; ++end) {
      Patient p;
      for (const kb::FactValues& v : p_.facts) p.push_back(end == 0 ? v.front().first : v.back().second);
      if (r_.broken_constraint(p) < 0) {
        add(p, nullptr, false);
        return;
      }
    }
    solver::Answer a = solver().completion(within_, nullptr, false);
    if (a.verdict == solver::Verdict::Sat) {
      add(*a.model, nullptr, false);
      return;
    }
    if (a.verdict == solver::Verdict::Unknown) throw Error("no answer: the solver gave up (" + a.reason + ")");
    std::string names;
    for (const kb::ItemRef& ref : a.core) {
      const kb::Item& c = g_.item(ref);
      names += (names.empty() ? "" : ", ") + c.name + " (" + c.description + ")";
    }
    throw Error("no completion of the patient keeps the domain constraint" + std::string(a.core.size() > 1 ? "s " : " ") +
                names);
  }

  // A completion in the pool whose goal has `value`, or null.
  const Known* in_pool(const Goal& goal, bool value) const {
    for (const Known& k : pool_)
      if (value_of(goal, k.outcome) == value) return &k;
    return nullptr;
  }

  // The answer for `goal`: the three-valued run's verdict, else one
  // completion each way (from the pool or the solver).
  Answer settle(const Goal& goal, std::optional<Truth> verdict) {
    Answer a{goal, Truth::Depends, {}, {}, {}};
    if (verdict) {
      a.truth = *verdict;
      return a;
    }
    for (bool value : {true, false}) {
      const Known* k = in_pool(goal, value);
      if (!k) {
        solver::Answer s = solver().completion(within_, &goal, value);
        if (s.verdict == solver::Verdict::Unknown) throw Error("no answer: the solver gave up (" + s.reason + ")");
        if (s.verdict == solver::Verdict::Unsat) {
          a.truth = value ? Truth::Never : Truth::Holds;
          return a;
        }
        k = &add(*s.model, &goal, value);
      }
      (value ? a.when_true : a.when_false) = k->patient;
    }
    return a;
  }

  // Adds both patients of a Sat pair answer to the pool.
  void add_pair(const solver::PairAnswer& pair, const Goal& goal) {
    add(*pair.first, &goal, true);
    add(*pair.second, &goal, false);
  }

  // The unknown facts `a` depends on (Answer::depends_on).
  std::vector<int> deciding_facts(const Answer& a) {
    std::vector<bool> read(g_.facts.size());
    for (std::size_t r = 0; r < g_.rules.size(); ++r) {
      const kb::Item& rule = g_.rules[r];
      bool relevant = a.goal.kind == Goal::Fires ? static_cast<int>(r) == a.goal.index : rule.action_index == a.goal.index;
      if (relevant) facts_read(*rule.expr, g_, read);
    }
    std::vector<int> out;
    for (std::size_t f = 0; f < g_.facts.size(); ++f) {
      if (p_.known(f) || !read[f]) continue;  // a fact no relevant rule reads cannot change the answer alone
      std::vector<bool> same(g_.facts.size(), true);
      same[f] = false;
      solver::PairAnswer pair = solver().completions_differ(within_, same, a.goal);
      if (pair.verdict == solver::Verdict::Unknown) throw Error("no answer: the solver gave up (" + pair.reason + ")");
      if (pair.verdict == solver::Verdict::Unsat) continue;
      for (std::size_t i = 0; i < same.size(); ++i)
        if (i != f && (*pair.first)[i] != (*pair.second)[i])
          throw Error("internal: completions differ outside fact " + g_.facts[f].name);
      add_pair(pair, a.goal);
      out.push_back(static_cast<int>(f));
    }
    return out;
  }

  // Whether knowing fact `f` settles the open goal `goal`.
  bool settles(int f, const Goal& goal) {
    // Two known completions with one value of f and different answers: no.
    for (const Known& x : pool_)
      for (const Known& y : pool_)
        if (x.patient[f] == y.patient[f] && value_of(goal, x.outcome) && !value_of(goal, y.outcome)) return false;
    // The three-valued run settles it for every value of f: yes.
    std::int64_t count = 0;
    for (const auto& [lo, hi] : p_.facts[f]) count += hi - lo + 1;
    if (count <= 64) {
      std::vector<kb::FactBounds> b = bounds_;
      std::vector<std::uint8_t> sure(g_.rules.size()), maybe(g_.rules.size());
      bool all = true;
      for (const auto& [lo, hi] : p_.facts[f])
        for (std::int64_t v = lo; all && v <= hi; ++v) {
          b[f] = {v, v, v >= 0 && v < 64 ? std::uint64_t{1} << v : 0};
          run_bounds(b, sure, maybe);
          all = judged(goal, g_, sure, maybe).has_value();
        }
      if (all) return true;
    }
    std::vector<bool> same(g_.facts.size(), false);
    same[f] = true;
    solver::PairAnswer pair = solver().completions_differ(within_, same, goal);
    if (pair.verdict == solver::Verdict::Unknown) throw Error("no answer: the solver gave up (" + pair.reason + ")");
    if (pair.verdict == solver::Verdict::Unsat) return true;
    if ((*pair.first)[f] != (*pair.second)[f]) throw Error("internal: the pair differs on the fact it shares");
    add_pair(pair, goal);
    return false;
  }

  std::vector<Ask> ask_next(const Advice& out) {
    std::vector<Ask> asks;
    for (std::size_t f = 0; f < g_.facts.size(); ++f) {
      if (p_.known(f)) continue;
      Ask ask{static_cast<int>(f), {}};
      for (std::size_t i = 0; i < out.strengths.size() + out.conflicts.size(); ++i) {
        const Answer& a = i < out.strengths.size() ? out.strengths[i] : out.conflicts[i - out.strengths.size()];
        if (a.truth == Truth::Depends && settles(static_cast<int>(f), a.goal)) ask.settles.push_back(static_cast<int>(i));
      }
      asks.push_back(std::move(ask));
    }
    std::stable_sort(asks.begin(), asks.end(), [](const Ask& x, const Ask& y) { return x.settles.size() > y.settles.size(); });
    return asks;
  }

  const kb::Recommender& r_;
  const Guideline& g_;
  std::unique_ptr<solver::CompletionSolver>& solver_;
  unsigned timeout_ms_;
  const kb::PartialPatient& p_;
  solver::Within within_;
  std::vector<kb::FactBounds> bounds_;
  std::vector<Known> pool_;  // completions found so far, each evaluated
  int queries_ = 0;
};

}  // namespace

const char* truth_word(Truth t) { return t == Truth::Holds ? "holds" : t == Truth::Never ? "never" : "depends"; }

bool Advice::certain_conflict() const {
  return std::any_of(conflicts.begin(), conflicts.end(), [](const Answer& a) { return a.truth == Truth::Holds; });
}

Advisor::Advisor(const kb::Recommender& r, unsigned timeout_ms) : r_(r), timeout_ms_(timeout_ms) {}
Advisor::~Advisor() = default;

Advice Advisor::advise(const kb::PartialPatient& p) {
  try {
    return Run(r_, solver_, timeout_ms_, p).advise();
  } catch (const solver::Error& e) {
    throw Error(std::string("no answer: ") + e.what());
  }
}

}  // namespace advice
