#include "verify/harness.h"

#include "verify/cache.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <thread>
#include <map>
#include <memory>
#include <set>

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
    case Status::Waived: return "waived";
    case Status::Passed: return "passed";
    case Status::Failed: return "failed";
  }
  return "?";
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::Property: return "property";
    case Kind::Conflict: return "conflict";
    case Kind::DeadRule: return "dead-rule";
    case Kind::RedundantRule: return "redundant-rule";
    case Kind::VacuousProperty: return "vacuous-property";
    case Kind::RuleFreeProperty: return "rule-free-property";
    case Kind::UncoveredRule: return "uncovered-rule";
    case Kind::RestatesRule: return "restates-rule";
    case Kind::UnusedWaiver: return "unused-waiver";
    case Kind::Test: return "test";
  }
  return "?";
}

const char* id_prefix(Kind k) {
  switch (k) {
    case Kind::Property: return "property";
    case Kind::Conflict: return "conflict";
    case Kind::DeadRule: return "dead";
    case Kind::RedundantRule: return "redundant";
    case Kind::VacuousProperty: return "vacuous";
    case Kind::RuleFreeProperty: return "rule-free";
    case Kind::UncoveredRule: return "uncovered";
    case Kind::RestatesRule: return "restates";
    case Kind::UnusedWaiver: return "waiver";
    case Kind::Test: return "test";
  }
  return "?";
}

Kind kind_of(kb::Lint l) {
  switch (l) {
    case kb::Lint::DeadRule: return Kind::DeadRule;
    case kb::Lint::RedundantRule: return Kind::RedundantRule;
    case kb::Lint::VacuousProperty: return Kind::VacuousProperty;
    case kb::Lint::RuleFreeProperty: return Kind::RuleFreeProperty;
    case kb::Lint::UncoveredRule: return Kind::UncoveredRule;
    case kb::Lint::RestatesRule: return Kind::RestatesRule;
  }
  return Kind::DeadRule;
}

std::size_t Report::count(Status s) const {
  return static_cast<std::size_t>(std::count_if(obligations.begin(), obligations.end(),
                                                [s](const Obligation& o) { return o.status == s && !o.reading; }));
}

std::size_t Report::count_other_readings(Status s) const {
  return static_cast<std::size_t>(std::count_if(obligations.begin(), obligations.end(),
                                                [s](const Obligation& o) { return o.status == s && o.reading; }));
}

int Report::exit_code(bool deny_warnings) const {
  if (count(Status::Unknown) || count(Status::Disagreement) || count_other_readings(Status::Unknown) ||
      count_other_readings(Status::Disagreement))
    return 2;
  if (count(Status::Violated) || count(Status::Conflict) || count(Status::Failed)) return 1;
  if (deny_warnings && count(Status::Warning)) return 1;
  return 0;
}

kb::Loc location_of(const Obligation& o, const kb::Guideline& g) {
  if (o.location) return *o.location;
  return has_subject(o) ? g.item(o.subject).span : kb::Loc{};
}

namespace {

using kb::ItemKind;
using kb::ItemRef;

class Harness {
 public:
  Harness(const kb::Guideline& encoded, const kb::Guideline& replayed, const Options& o)
      : g_(encoded), replayed_(replayed), opt_(o), rec_(replayed), s_(encoded, o.timeout_ms, o.slicing),
        keys_(encoded, o.tool_id), names_(encoded) {
    for (const kb::Item& p : replayed.params) release_params_.push_back(p.param_value);
    prepare_completion();
  }

  Report run() {
    auto start = std::chrono::steady_clock::now();
    if (opt_.jobs > 1) checks_in_parallel();
    else checks(0, 1);
    if (opt_.lints) {
      for (const auto& [p, rule] : single_rule_proofs_) restates(p, rule);
      if (opt_.only.empty() && opt_.shards <= 1) coverage();
      if (opt_.shards <= 1)
        for (int w = 0; w < count(g_.waivers); ++w) waiver(w);
    }
    for (Obligation& o : report_.obligations) keep_answer(o), drop_replay_witness(o);
    keep_completion();
    for (Obligation& o : report_.obligations) trace(o);
    if (opt_.readings) other_readings();
    report_.total_millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    report_.z3_version = solver::Solver::z3_version();
    return std::move(report_);
  }

 private:
  static int count(const std::vector<kb::Item>& v) { return static_cast<int>(v.size()); }

  // The obligations of each item on its own (properties, conflicts, dead and
  // redundant rules, vacuity), for the items of this shard (index modulo
  // shards) whose index within it is `k` modulo `n`.
  void checks(int k, int n) {
    const int shards = static_cast<int>(std::max(1u, opt_.shards)), shard = static_cast<int>(opt_.shard) - 1;
    auto mine = [&](int i) { return i % shards == shard && (i / shards) % n == k; };
    for (int p = 0; p < count(g_.properties); ++p)
      if (mine(p) && wanted({ItemKind::Property, p})) property(p);
    for (int a = 0; a < count(g_.actions); ++a)
      if (mine(a) && wanted({ItemKind::Action, a})) conflict(a);
    if (!opt_.lints) return;
    for (int r = 0; r < count(g_.rules); ++r)
      if (mine(r) && wanted({ItemKind::Rule, r})) rule_lints(r);
    for (int p = 0; p < count(g_.properties); ++p)
      if (mine(p) && wanted({ItemKind::Property, p})) vacuity(p);
  }

  // checks() on opt_.jobs workers, each with its own solver context and
  // recommender; their obligations merge in the order one worker gives.
  void checks_in_parallel() {
    const int n = static_cast<int>(opt_.jobs);
    Options one = opt_;
    one.jobs = 1;
    std::vector<std::unique_ptr<Harness>> workers;
    for (int k = 0; k < n; ++k) workers.push_back(std::make_unique<Harness>(g_, replayed_, one));
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(n));
    std::vector<std::thread> threads;
    for (int k = 0; k < n; ++k)
      threads.emplace_back([&, k] {
        try {
          workers[static_cast<std::size_t>(k)]->checks(k, n);
        } catch (...) {
          errors[static_cast<std::size_t>(k)] = std::current_exception();
        }
      });
    for (auto& t : threads) t.join();
    for (const auto& e : errors)
      if (e) std::rethrow_exception(e);
    for (auto& w : workers) {
      for (Obligation& o : w->report_.obligations) report_.obligations.push_back(std::move(o));
      covered_.insert(w->covered_.begin(), w->covered_.end());
      reading_only_.insert(w->reading_only_.begin(), w->reading_only_.end());
      single_rule_proofs_.insert(w->single_rule_proofs_.begin(), w->single_rule_proofs_.end());
      asked_ |= w->asked_;
    }
    // One worker's order: properties, conflicts, rule lints, vacuity; by item within each.
    auto phase = [](Kind k) {
      switch (k) {
        case Kind::Property: return 0;
        case Kind::Conflict: return 1;
        case Kind::DeadRule: case Kind::RedundantRule: return 2;
        default: return 3;
      }
    };
    std::stable_sort(report_.obligations.begin(), report_.obligations.end(), [&](const Obligation& a, const Obligation& b) {
      return std::pair{phase(a.kind), a.subject.index} < std::pair{phase(b.kind), b.subject.index};
    });
  }

  bool wanted(ItemRef r) const {
    return opt_.only.empty() || std::find(opt_.only.begin(), opt_.only.end(), r) != opt_.only.end();
  }

  Obligation& add(Kind kind, ItemRef subject, std::string description) {
    Obligation o;
    o.kind = kind;
    o.subject = subject;
    o.id = std::string(id_prefix(kind)) + ":" + g_.item(subject).name;
    o.description = std::move(description);
    report_.obligations.push_back(std::move(o));
    return report_.obligations.back();
  }

  // The answer to a query, and the witness replayed (when it has one).
  struct Decided {
    solver::Answer answer;
    kb::Outcome concrete;                 // the recommender's outcome for the witness
    const kb::Recommender* rec = nullptr;  // the recommender it was replayed through
  };

  // The recommender of the rule set with the parameters at `values`: the
  // release's own, or one compiled for those values (kept for the run).
  const kb::Recommender& recommender_for(const std::vector<std::int64_t>& values) {
    if (values == release_params_) return rec_;
    auto& slot = variants_[values];
    if (!slot.rec) {
      slot.g = std::make_unique<kb::Guideline>(kb::with_param_values(replayed_, values));
      slot.rec = std::make_unique<kb::Recommender>(*slot.g);
    }
    return *slot.rec;
  }

  // The ladder every obligation climbs: ask; Unknown is never a verdict; a
  // witness must be a valid patient whose outcome the recommender computes
  // exactly as the solver did. Returns nullopt when `o` is settled (unknown
  // or disagreement), otherwise the answer for the caller to judge.
  std::optional<Decided> decide(Obligation& o, solver::Query q, int index) {
    o.query = q;
    o.query_index = index;
    const solver::SliceItems slice = s_.slice(q, index);
    o.cache_key = keys_.key(kind_name(o.kind), o.subject, slice);
    if (auto d = reuse(o, slice)) return d;
    asked_ = true;
    Decided d{s_.ask(q, index), {}};
    o.answer = d.answer.verdict;
    o.millis = d.answer.millis;
    if (d.answer.verdict == solver::Verdict::Unknown) {
      o.status = Status::Unknown;
      o.message = "solver gave no answer (" + (d.answer.reason.empty() ? std::string("unknown") : d.answer.reason) +
                  "); not counted as proved";
      return std::nullopt;
    }
    if (d.answer.verdict == solver::Verdict::Unsat) {
      o.rests_on = d.answer.core;
      return d;
    }
    if (!d.answer.model) return d;  // a Sat answer without a witness (premise and rule-free queries)
    if (d.answer.params != release_params_) {  // prefer a witness at the release's own values when there is one
      solver::Answer at_release = s_.ask(q, index, &release_params_);
      if (at_release.verdict == solver::Verdict::Sat && at_release.model) d.answer = std::move(at_release);
    }
    o.witness = d.answer.model;
    o.witness_params = d.answer.params;
    d.rec = &recommender_for(d.answer.params);
    int broken = d.rec->broken_constraint(*d.answer.model);
    d.rec->evaluate(*d.answer.model, d.concrete);
    for (int r = 0; r < count(g_.rules); ++r)
      if (d.concrete.fired[r]) o.fired.push_back(r);
    std::string problem;
    if (broken >= 0) problem = "the solver's patient breaks constraint " + g_.constraints[broken].name;
    else if (d.answer.outcome && !same_answers(*d.answer.outcome, d.answer.outcome_rules, d.answer.outcome_actions, d.concrete))
      problem = "the rules give different answers for the solver's patient";
    if (problem.empty()) return d;
    disagree(o, problem, d.answer.outcome ? kb::actions_text(g_, *d.answer.outcome) : "",
             kb::actions_text(g_, d.concrete));
    return std::nullopt;
  }

  // The answer stored under o.cache_key, replayed: its witness completed to a
  // whole valid patient as a fresh answer's is, then run through the
  // recommender. Nullopt (ask the solver) when nothing is stored, it does not
  // decode, or the replay fails.
  std::optional<Decided> reuse(Obligation& o, const solver::SliceItems& slice) {
    hit_.reset();
    std::optional<DecodedAnswer> a;
    std::optional<CachedAnswer> c = stored(o.cache_key, a);
    if (!c) return std::nullopt;
    const bool replayed = *o.query != solver::Query::PremiseHolds && *o.query != solver::Query::FailsWithoutRules;
    if (a->verdict == solver::Verdict::Sat && replayed && !a->witness) return std::nullopt;  // nothing to replay
    Decided d;
    d.answer.verdict = a->verdict;
    if (a->verdict == solver::Verdict::Unsat) d.answer.core = a->core;
    if (a->witness) {
      kb::Patient w = std::move(*a->witness);  // only the witness is moved out: hit_ keeps the rest
      a->witness.reset();
      std::vector<std::int64_t> params = a->params;
      s_.complete(slice, w, params);
      d.rec = &recommender_for(params);
      if (d.rec->broken_constraint(w) >= 0) return std::nullopt;
      d.rec->evaluate(w, d.concrete);
      d.answer.model = std::move(w);
      d.answer.params = std::move(params);
      o.witness = d.answer.model;
      o.witness_params = d.answer.params;
      for (int r = 0; r < count(g_.rules); ++r)
        if (d.concrete.fired[r]) o.fired.push_back(r);
    }
    o.answer = a->verdict;
    o.millis = 0;
    o.cached_from = c->origin;
    o.cache_answer = c->answer;
    if (a->verdict == solver::Verdict::Unsat) o.rests_on = a->core;
    hit_ = std::move(a);
    return d;
  }

  // The answer stored under `key`, read into `answer`; nullopt when there is
  // no cache, nothing is stored, or it does not decode against this rule set.
  std::optional<CachedAnswer> stored(const std::string& key, std::optional<DecodedAnswer>& answer) {
    if (!opt_.cache) return std::nullopt;
    std::optional<CachedAnswer> c = opt_.cache(key);
    if (c && (answer = decode_answer(g_, names_, c->answer))) return c;
    return std::nullopt;
  }

  // The completing patient: the one kept for this domain when it is still a
  // valid patient (then a run whose answers are all reused needs no Z3),
  // else the solver seeks one when a slice first needs it.
  void prepare_completion() {
    if (!opt_.slicing) return;
    completion_key_ = keys_.completion_key();
    std::optional<DecodedAnswer> a;
    if (!stored(completion_key_, a) || a->verdict != solver::Verdict::Sat || !a->witness ||
        rec_.broken_constraint(*a->witness) >= 0)
      return;
    s_.use_completion(*a->witness);
    completion_reused_ = true;
  }

  // Keeps the completing patient the solver sought for this run.
  void keep_completion() {
    if (!opt_.slicing || completion_reused_ || !asked_) return;
    if (std::optional<kb::Patient> c = s_.completion())
      report_.kept.push_back({"completion", completion_key_, encode_completion(g_, *c)});
  }

  // Keeps the answers of `o` for later runs (o.cache_answer), unless they
  // hold an unknown or a disagreement, or were reused (kept as found).
  void keep_answer(Obligation& o) {
    if (o.cache_key.empty() || o.cached_from || o.status == Status::Unknown || o.status == Status::Disagreement ||
        o.answer == solver::Verdict::Unknown)
      return;
    if ((o.status == Status::Violated || o.status == Status::Conflict) && !o.deciding) return;  // undecided
    for (const ParamFailure& f : o.failing_values)
      if (f.values.unknown) return;
    solver::SliceItems slice;
    if (o.witness && o.query) slice = s_.slice(*o.query, o.query_index);
    o.cache_answer = encode_answer(g_, o, slice);
  }

  // Whether the recommender's `concrete` outcome agrees with the solver's on
  // every rule and action the solver decided.
  static bool same_answers(const kb::Outcome& solver, const std::vector<bool>& rules, const std::vector<bool>& actions,
                           const kb::Outcome& concrete) {
    for (std::size_t r = 0; r < rules.size(); ++r)
      if (rules[r] && solver.fired[r] != concrete.fired[r]) return false;
    for (std::size_t a = 0; a < actions.size(); ++a)
      if (actions[a] && solver.actions[a] != concrete.actions[a]) return false;
    return true;
  }

  void disagree(Obligation& o, const std::string& problem, std::string solver_says, std::string recommender_says) {
    o.status = Status::Disagreement;
    o.message = "translator disagreement: " + problem;
    o.solver_says = std::move(solver_says);
    o.recommender_says = std::move(recommender_says);
  }

  static void settle(Obligation& o, Status status, std::string message) {
    o.status = status;
    o.message = std::move(message);
  }

  // A lint whose witness was only needed for the replay keeps no patient
  // (once its answers are kept for reuse).
  static void drop_replay_witness(Obligation& o) {
    if (o.status != Status::Ok) return;
    o.witness.reset();
    o.fired.clear();
  }

  void property(int p) {
    const kb::Item& prop = g_.properties[p];
    Obligation& o = add(Kind::Property, {ItemKind::Property, p}, prop.description);
    auto d = decide(o, solver::Query::PropertyFails, p);
    if (!d) return;
    if (d->answer.verdict == solver::Verdict::Unsat) {
      std::vector<int> rules;
      for (ItemRef r : o.rests_on)
        if (r.kind == ItemKind::Rule) covered_.insert(r.index), rules.push_back(r.index);
      if (rules.size() == 1) single_rule_proofs_[p] = rules[0];
      return settle(o, Status::Proved, "holds for every valid patient");
    }
    if (d->rec->property_holds(p, *d->answer.model, d->concrete))
      return disagree(o, "the solver's counterexample satisfies the property when evaluated", "property violated",
                      "property holds (" + kb::actions_text(g_, d->concrete) + ")");
    settle(o, Status::Violated, "a valid patient breaks it" + failing_values(o, solver::Query::PropertyFails, p));
    explain(o, solver::Query::PropertyFails, p);
  }

  void conflict(int a) {
    const kb::Item& action = g_.actions[a];
    bool offered = false, avoided = false;
    for (const kb::Item& r : g_.rules)
      if (r.action_index == a) (r.strength == kb::Strength::Avoid ? avoided : offered) = true;
    if (!offered || !avoided) return;  // no rule pair can conflict
    Obligation& o = add(Kind::Conflict, {ItemKind::Action, a},
                        "no valid patient gets " + action.name + " both offered and avoided");
    auto d = decide(o, solver::Query::Conflict, a);
    if (!d) return;
    if (d->answer.verdict == solver::Verdict::Unsat) {
      for (ItemRef r : o.rests_on)
        if (r.kind == ItemKind::Rule) covered_.insert(r.index);
      return settle(o, Status::NoConflict, "no valid patient gets it both offered and avoided");
    }
    if (!d->concrete.conflict(a))
      return disagree(o, "the solver's conflict does not occur when evaluated", "", "");
    settle(o, Status::Conflict, action.name + " is both offered and avoided for a valid patient" +
                                    failing_values(o, solver::Query::Conflict, a));
    explain(o, solver::Query::Conflict, a);
  }

  // The deciding facts of a violation's witness, trying first to drop the
  // facts neither the subject nor the fired rules read.
  void explain(Obligation& o, solver::Query q, int index) {
    if (o.cached_from) {
      o.deciding = hit_->deciding;
      return;
    }
    // The facts the subject and the fired rules of the slice read are tried
    // last (rules outside the slice cannot change the answer).
    const solver::SliceItems slice = s_.slice(q, index);
    std::vector<ItemRef> roots{o.subject};
    for (int r : o.fired)
      if (slice.everything || std::binary_search(slice.rules.begin(), slice.rules.end(), r)) roots.push_back({ItemKind::Rule, r});
    std::vector<int> read;
    for (ItemRef ref : kb::dependency_closure(g_, roots))
      if (ref.kind == ItemKind::Fact) read.push_back(ref.index);
    o.deciding = s_.deciding_facts(q, index, *o.witness, o.witness_params, read);
  }

  // Fills o.failing_values for every parameter with more than one allowed
  // value, and says in words where the failure lies ("" without parameters).
  std::string failing_values(Obligation& o, solver::Query q, int index) {
    std::string out;
    for (int p : s_.params_read(q, index)) {  // no other parameter can change the answer
      const kb::Item& param = g_.params[p];
      if (param.param_lo == param.param_hi) continue;
      ParamFailure f{p, {}};
      if (!o.cached_from) {
        f.values = s_.values_where(q, index, p);
      } else {
        auto stored = std::find_if(hit_->failing.begin(), hit_->failing.end(), [&](const ParamFailure& x) { return x.param == p; });
        if (stored != hit_->failing.end()) f.values = stored->values;
        else f.values.unknown = true;  // not stored: never taken for "none fail"
      }
      if (f.values.unknown) {
        out += "; " + param.name + ": the failing values are undecided (solver gave no answer)";
      } else if (!f.values.intervals.empty()) {
        bool release_fails = false;
        std::string list;
        for (auto [lo, hi] : f.values.intervals) {
          list += (list.empty() ? "" : ", ") + (lo == hi ? std::to_string(lo) : std::to_string(lo) + ".." + std::to_string(hi));
          release_fails |= lo <= param.param_value && param.param_value <= hi;
        }
        out += "; fails for " + param.name + (f.values.exact ? " in " : " somewhere in ") + list + " (allowed " +
               std::to_string(param.param_lo) + ".." + std::to_string(param.param_hi) + ", the release's value " +
               std::to_string(param.param_value) + (release_fails ? " among them)" : " holds)");
      }
      o.failing_values.push_back(std::move(f));
    }
    return out;
  }

  void rule_lints(int r) {
    const kb::Item& rule = g_.rules[r];
    Obligation& dead = add(Kind::DeadRule, {ItemKind::Rule, r}, "some valid patient meets the rule's condition");
    auto d = decide(dead, solver::Query::RuleFires, r);
    if (!d) return;
    if (d->answer.verdict == solver::Verdict::Unsat) {
      std::string questions;  // a rule written for another reading is dead under the chosen one by design
      for (ItemRef ref : kb::dependency_closure(g_, {{ItemKind::Rule, r}}))
        if (ref.kind == ItemKind::Question) questions += (questions.empty() ? "" : ", ") + g_.item(ref).name;
      if (questions.empty()) return settle(dead, Status::Warning, "dead rule: no valid patient meets its condition");
      reading_only_.insert(r);
      return settle(dead, Status::Ok, "fires under no valid patient with the chosen reading of " + questions +
                                          " (it encodes another alternative)");
    }
    if (!d->concrete.fired[r])
      return disagree(dead, "the solver's patient does not fire the rule when evaluated", "", "");
    std::vector<int> read;  // the facts the rule reads: the rest of the witness does not matter
    for (ItemRef ref : kb::dependency_closure(g_, {{ItemKind::Rule, r}}))
      if (ref.kind == ItemKind::Fact) read.push_back(ref.index);
    settle(dead, Status::Ok, "fires for a patient with " + kb::describe_patient(g_, *d->answer.model, false, &read));

    Obligation& red = add(Kind::RedundantRule, {ItemKind::Rule, r}, "removing the rule changes some valid patient's output");
    auto e = decide(red, solver::Query::RuleMatters, r);
    if (!e) return;
    if (e->answer.verdict == solver::Verdict::Unsat)
      return settle(red, Status::Warning, std::string("redundant rule: whenever it fires, another rule already ") +
                                              kb::strength_name(rule.strength) + "s " + rule.action);
    const std::vector<int>& same = same_answer_rules(r);  // its action's rules of its strength
    bool alone = e->concrete.fired[r];
    for (int k : same)
      if (k != r && e->concrete.fired[k]) alone = false;
    if (!alone) return disagree(red, "the rule is not the only one giving its answer for the solver's patient", "", "");
    std::vector<int> among;  // the facts its action's rules read
    for (int k : same)
      for (ItemRef ref : kb::dependency_closure(g_, {{ItemKind::Rule, k}}))
        if (ref.kind == ItemKind::Fact) among.push_back(ref.index);
    std::sort(among.begin(), among.end());
    among.erase(std::unique(among.begin(), among.end()), among.end());
    settle(red, Status::Ok, "only this rule gives its answer for a patient with " +
                                kb::describe_patient(g_, *e->answer.model, false, &among));
  }

  // The rules of rule `r`'s action with its strength (r among them).
  const std::vector<int>& same_answer_rules(int r) {
    if (same_answer_.empty()) {
      std::map<std::pair<int, kb::Strength>, std::vector<int>> by_answer;
      for (int k = 0; k < count(g_.rules); ++k) by_answer[{g_.rules[k].action_index, g_.rules[k].strength}].push_back(k);
      same_answer_.resize(g_.rules.size());
      for (auto& [answer, rules] : by_answer)
        for (int k : rules) same_answer_[static_cast<std::size_t>(k)] = rules;
    }
    return same_answer_[static_cast<std::size_t>(r)];
  }

  void vacuity(int p) {
    const kb::Item& prop = g_.properties[p];
    if (prop.expr->op == kb::Op::Implies) {
      Obligation& o = add(Kind::VacuousProperty, {ItemKind::Property, p}, "some valid patient meets the premise");
      if (auto d = decide(o, solver::Query::PremiseHolds, p)) {
        if (d->answer.verdict == solver::Verdict::Unsat)
          settle(o, Status::Warning, "vacuous: no valid patient meets the premise of the implication");
        else
          settle(o, Status::Ok, "some valid patient meets the premise");
      }
    }
    Obligation& o = add(Kind::RuleFreeProperty, {ItemKind::Property, p}, "the property depends on the rules");
    auto d = decide(o, solver::Query::FailsWithoutRules, p);
    if (!d) return;
    if (d->answer.verdict == solver::Verdict::Unsat)
      return settle(o, Status::Warning, "vacuous: holds with every rule removed (it constrains patients only)");
    settle(o, Status::Ok, "fails with every rule removed, so it tests the rules");
  }

  static bool has_atom(const kb::Expr& e) {
    if (e.op == kb::Op::Atom) return true;
    return std::any_of(e.args.begin(), e.args.end(), [](const auto& a) { return has_atom(*a); });
  }

  // A property proved from one rule R, of the form PREMISE implies ..., with
  // a premise about patients only: it restates R when every patient meeting
  // the premise meets R's condition (the premise is R's condition or a case
  // of it), so it proves nothing beyond R.
  void restates(int p, int rule) {
    const kb::Item& prop = g_.properties[p];
    if (prop.expr->op != kb::Op::Implies || has_atom(*prop.expr->args[0])) return;
    const kb::Item& r = g_.rules[rule];
    Obligation& o = add(Kind::RestatesRule, {ItemKind::Property, p}, "the property adds something beyond rule " + r.name);
    o.rests_on = {{ItemKind::Rule, rule}};
    o.cache_key = keys_.key(kind_name(o.kind), o.subject, s_.slice(solver::Query::PremiseHolds, p, rule),
                            {{ItemKind::Rule, rule}});
    solver::Answer a;
    std::optional<DecodedAnswer> kept;
    if (std::optional<CachedAnswer> c = stored(o.cache_key, kept)) {
      a.verdict = kept->verdict;
      o.cached_from = c->origin;
      o.cache_answer = c->answer;
    }
    if (!o.cached_from) a = s_.premise_outside_rule(p, rule), asked_ = true;
    o.answer = a.verdict;
    o.millis = a.millis;
    if (a.verdict == solver::Verdict::Unknown)
      settle(o, Status::Unknown, "solver gave no answer (" + a.reason + "); not counted as proved");
    else if (a.verdict == solver::Verdict::Unsat)
      settle(o, Status::Warning, "restates rule " + g_.versioned_id(r) +
                                     ": its premise is a case of the rule's condition, so it proves nothing beyond the rule");
    else
      settle(o, Status::Ok, "its premise reaches patients outside rule " + r.name + "'s condition");
  }

  void coverage() {
    for (int r = 0; r < count(g_.rules); ++r) {
      Obligation& o = add(Kind::UncoveredRule, {ItemKind::Rule, r}, "some proof rests on the rule");
      if (covered_.count(r)) settle(o, Status::Ok, "in the core of a proof");
      else if (reading_only_.count(r)) settle(o, Status::Ok, "encodes another reading (checked under it)");
      else settle(o, Status::Warning, "uncovered: no proved property or conflict check rests on this rule");
    }
  }

  // The obligation of `kind` about `subject`, or null when none was made.
  Obligation* find(Kind kind, ItemRef subject) {
    for (Obligation& o : report_.obligations)
      if (o.kind == kind && o.subject == subject) return &o;
    return nullptr;
  }

  // Whether the lint `kind` was decided for `subject` in this run: asked
  // (uncovered only on a full run; redundant only for a rule that is not dead).
  bool lint_decided(Kind kind, ItemRef subject) {
    if (!wanted(subject) || (kind == Kind::UncoveredRule && !opt_.only.empty())) return false;
    if (kind == Kind::RedundantRule) {
      const Obligation* dead = find(Kind::DeadRule, subject);
      return dead && dead->status == Status::Ok;
    }
    if (kind == Kind::RestatesRule) {  // asked only of properties proved from one rule
      const Obligation* proof = find(Kind::Property, subject);
      return proof && proof->status != Status::Unknown && proof->status != Status::Disagreement;
    }
    return true;
  }

  // A waiver turns the finding it names into Waived; a waiver whose lint was
  // decided and found nothing is itself a warning (it may be stale).
  void waiver(int w) {
    const kb::Item& wv = g_.waivers[w];
    const Kind kind = kind_of(*kb::lint_from_name(wv.lint));  // the checker resolved both
    const ItemRef subject = *g_.find(wv.target_kind, wv.target);
    const ItemRef self{ItemKind::Waiver, w};
    Obligation* o = find(kind, subject);
    if (o && o->status == Status::Warning) {
      o->status = Status::Waived;
      o->waived_by = self;
      o->message += " (waived by " + g_.versioned_id(wv) + ", agreed " + wv.agreed + ": " + wv.rationale + ")";
      return;
    }
    if ((o && o->status != Status::Ok) || (!o && !lint_decided(kind, subject))) return;  // waived already, or undecided
    Obligation& unused = add(Kind::UnusedWaiver, self, "the waiver keeps a finding kb-verify reports");
    settle(unused, Status::Warning, "waiver matches no finding: " + wv.lint + " is not reported for " +
                                        kb::item_kind_name(wv.target_kind) + " " + wv.target +
                                        " (remove the waiver, or fix what it names)");
  }

  // Completes what the verdict rests on: the subject, the core (already in
  // rests_on) or the witness's fired rules, and their dependencies; the
  // evidence is what the subject and those rules cite.
  void trace(Obligation& o) {
    std::vector<ItemRef> roots = o.rests_on;
    roots.push_back(o.subject);
    for (int r : o.fired) roots.push_back({ItemKind::Rule, r});
    o.rests_on = kb::dependency_closure(g_, roots);
    std::set<int> refs;
    for (ItemRef r : o.rests_on) {
      const kb::Item& it = g_.item(r);
      if (r.kind == ItemKind::Rule || r.kind == ItemKind::Property) refs.insert(it.cites.begin(), it.cites.end());
    }
    o.evidence.assign(refs.begin(), refs.end());
    if (o.status == Status::Proved || o.status == Status::NoConflict) {
      std::string ranges;
      for (ItemRef r : o.rests_on)
        if (r.kind == ItemKind::Param && g_.params[r.index].param_lo < g_.params[r.index].param_hi) {
          const kb::Item& p = g_.params[r.index];
          ranges += (ranges.empty() ? "" : ", ") + p.name + " (" + std::to_string(p.param_lo) + ".." +
                    std::to_string(p.param_hi) + ")";
        }
      if (!ranges.empty()) o.message += ", for every allowed value of " + ranges;
    }
    if (o.cached_from) o.message += " (cached from " + *o.cached_from + ")";
  }

  // Checks the properties and conflicts again under each alternative of each
  // question other than the chosen one; those obligations carry the reading.
  void other_readings() {
    for (int q = 0; q < count(g_.questions); ++q) {
      const kb::Item& question = g_.questions[q];
      for (int a = 0; a < static_cast<int>(question.fact_type.values.size()); ++a) {
        if (a == question.chosen_index) continue;
        kb::Guideline encoded = kb::with_reading(g_, q, a), replayed = kb::with_reading(replayed_, q, a);
        Options sub = opt_;
        sub.lints = false;
        sub.readings = false;
        Report r = Harness(encoded, replayed, sub).run();
        for (Kept& k : r.kept) {
          k.name += "[" + question.name + "=" + question.fact_type.values[static_cast<std::size_t>(a)] + "]";
          report_.kept.push_back(std::move(k));
        }
        for (Obligation& o : r.obligations) {
          o.reading = Reading{q, a};
          o.id += "[" + question.name + "=" + question.fact_type.values[static_cast<std::size_t>(a)] + "]";
          report_.obligations.push_back(std::move(o));
        }
      }
    }
  }

  // A rule set with other parameter values, and its recommender.
  struct Variant {
    std::unique_ptr<kb::Guideline> g;
    std::unique_ptr<kb::Recommender> rec;
  };

  const kb::Guideline& g_;
  const kb::Guideline& replayed_;
  Options opt_;
  kb::Recommender rec_;
  std::vector<std::int64_t> release_params_;
  std::map<std::vector<std::int64_t>, Variant> variants_;
  solver::Solver s_;
  CacheKeys keys_;
  ItemNames names_;
  Report report_;
  std::set<int> covered_;
  std::set<int> reading_only_;  // rules dead under the chosen readings only
  std::map<int, int> single_rule_proofs_;  // property -> the one rule its proof rests on
  std::optional<DecodedAnswer> hit_;  // the reused answers of the obligation being decided
  std::vector<std::vector<int>> same_answer_;  // same_answer_rules(), made on first use
  std::string completion_key_;        // the cache key of the completing patient
  bool completion_reused_ = false;    // it came from the cache
  bool asked_ = false;                // some question went to the solver
};

}  // namespace

Report run(const kb::Guideline& g, const Options& options) { return Harness(g, g, options).run(); }

Report run_split(const kb::Guideline& encoded, const kb::Guideline& replayed, const Options& options) {
  return Harness(encoded, replayed, options).run();
}

}  // namespace verify
