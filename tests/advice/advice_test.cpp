// Advice for partial patients (advice/advice.h) against brute force: on
// random small guidelines (with real domain constraints) and random partial
// patients, every answer equals the enumeration of every valid completion,
// every witness replays through the two-valued recommender, the facts an
// answer depends on and the ask-next ranking match the enumeration.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "advice/advice.h"
#include "kb/eval/partial.h"
#include "kb/lang/parser.h"
#include "kb/model/checker.h"
#include "tests/common/bundled.h"
#include "tests/common/random_guideline.h"

namespace {

using advice::Truth;
using solver::Goal;

bool value_of(const Goal& goal, const kb::Outcome& o) {
  if (goal.kind == Goal::Fires) return o.fired[goal.index];
  if (goal.kind == Goal::Strength) return o.actions[goal.index] & goal.strength;
  return o.conflict(goal.index);
}

// Every completion of `p`, valid or not.
std::vector<kb::Patient> completions(const kb::PartialPatient& p) {
  std::vector<kb::Patient> out{kb::Patient{}};
  for (const kb::FactValues& v : p.facts) {
    std::vector<kb::Patient> next;
    for (const kb::Patient& c : out)
      for (const auto& [lo, hi] : v)
        for (std::int64_t x = lo; x <= hi; ++x) {
          next.push_back(c);
          next.back().push_back(x);
        }
    out = std::move(next);
  }
  return out;
}

std::int64_t count(const kb::FactValues& v) {
  std::int64_t n = 0;
  for (const auto& [lo, hi] : v) n += hi - lo + 1;
  return n;
}

// A random partial patient: each fact known, unknown, or narrowed to a
// random range or set; facts made known until there are at most 4000 completions.
kb::PartialPatient random_partial(const kb::Guideline& g, std::mt19937& rng) {
  auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
  kb::PartialPatient p;
  for (const kb::Item& f : g.facts) {
    const std::int64_t lo = f.fact_type.lo, hi = f.fact_type.hi;
    std::int64_t x = pick(lo, hi);
    switch (pick(0, 3)) {
      case 0: p.facts.push_back({{x, x}}); break;
      case 1: p.facts.push_back({{lo, hi}}); break;
      case 2: {
        std::int64_t y = pick(lo, hi);
        p.facts.push_back({{std::min(x, y), std::max(x, y)}});
        break;
      }
      default: {
        kb::FactValues set;
        for (std::int64_t v = lo; v <= hi; ++v)
          if (v == x || pick(0, 2) == 0) set.push_back({v, v});
        kb::FactValues merged;
        for (auto iv : set)
          if (!merged.empty() && iv.first == merged.back().second + 1) merged.back().second = iv.second;
          else merged.push_back(iv);
        p.facts.push_back(merged);
      }
    }
  }
  auto total = [&] {
    double n = 1;
    for (const auto& v : p.facts) n *= static_cast<double>(count(v));
    return n;
  };
  for (std::size_t f = 0; total() > 4000 && f < p.facts.size(); ++f) p.facts[f] = {{p.facts[f][0].first, p.facts[f][0].first}};
  return p;
}

RC_GTEST_PROP(Advice, equals_enumeration_of_every_valid_completion, ()) {
  const auto seed = *rc::gen::inRange<std::uint32_t>(1, 1u << 30);
  std::string text = kb::testing::RandomGuideline(seed).constrained().source();
  kb::Diagnostics d;
  auto g = kb::check(kb::parse_source("random.kb", text, d), d);
  RC_PRE(g.has_value());
  kb::Recommender r(*g);
  std::mt19937 rng(seed);
  kb::PartialPatient p = random_partial(*g, rng);
  RC_TAG(p.complete() ? "complete" : "partial");

  std::vector<kb::Patient> valid;
  std::vector<kb::Outcome> outcomes;
  for (const kb::Patient& c : completions(p)) {
    if (r.broken_constraint(c) >= 0) continue;
    valid.push_back(c);
    outcomes.emplace_back();
    r.evaluate(c, outcomes.back());
  }
  advice::Advisor advisor(r);
  if (valid.empty()) {
    RC_TAG("no valid completion");
    try {
      advisor.advise(p);
      RC_FAIL("advice for a patient with no valid completion\n" + text);
    } catch (const advice::Error& e) {
      RC_ASSERT(std::string(e.what()) == (p.complete() ? std::string("patient breaks domain constraint C-1 (some constraint)")
                                                       : "no completion of the patient keeps the domain constraint C-1 (some constraint)"));
    }
    return;
  }
  advice::Advice a = advisor.advise(p);
  if (p.complete()) RC_ASSERT(a.solver_queries == 0);

  auto expected_truth = [&](const Goal& goal) {
    bool any = false, all = true;
    for (const kb::Outcome& o : outcomes) {
      any = any || value_of(goal, o);
      all = all && value_of(goal, o);
    }
    return all ? Truth::Holds : any ? Truth::Depends : Truth::Never;
  };
  auto check_answer = [&](const advice::Answer& ans) {
    RC_ASSERT(ans.truth == expected_truth(ans.goal));
    if (ans.truth != Truth::Depends) return;
    for (bool value : {true, false}) {  // each witness replays through the recommender
      const kb::Patient& w = value ? *ans.when_true : *ans.when_false;
      RC_ASSERT(p.admits(w));
      RC_ASSERT(r.broken_constraint(w) < 0);
      kb::Outcome o;
      r.evaluate(w, o);
      RC_ASSERT(value_of(ans.goal, o) == value);
    }
  };
  for (const auto& ans : a.rules) check_answer(ans);
  for (const auto& ans : a.strengths) check_answer(ans);
  for (const auto& ans : a.conflicts) check_answer(ans);

  // Depends-on: some valid completion changes the answer when only that fact changes.
  auto index_of = [&](const kb::Patient& c) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < valid.size(); ++i)
      if (valid[i] == c) return i;
    return std::nullopt;
  };
  auto depends_on = [&](const Goal& goal) {
    std::vector<int> out;
    for (std::size_t f = 0; f < g->facts.size(); ++f) {
      bool found = false;
      for (std::size_t i = 0; i < valid.size() && !found; ++i)
        for (const auto& [lo, hi] : p.facts[f])
          for (std::int64_t v = lo; v <= hi && !found; ++v) {
            kb::Patient c = valid[i];
            c[f] = v;
            auto j = index_of(c);
            found = j && value_of(goal, outcomes[i]) != value_of(goal, outcomes[*j]);
          }
      if (found) out.push_back(static_cast<int>(f));
    }
    return out;
  };
  std::vector<const advice::Answer*> answers;
  for (const auto& ans : a.strengths) answers.push_back(&ans);
  for (const auto& ans : a.conflicts) answers.push_back(&ans);
  for (const advice::Answer* ans : answers)
    if (ans->truth == Truth::Depends) RC_ASSERT(ans->depends_on == depends_on(ans->goal));

  // Ask next: per unknown fact, the depends answers every value of it settles, most first.
  std::vector<std::pair<int, std::vector<int>>> expected_ask;
  for (std::size_t f = 0; f < g->facts.size(); ++f) {
    if (p.known(f)) continue;
    std::vector<int> settles;
    for (std::size_t i = 0; i < answers.size(); ++i) {
      if (answers[i]->truth != Truth::Depends) continue;
      bool settled = true;
      for (std::size_t x = 0; x < valid.size() && settled; ++x)
        for (std::size_t y = 0; y < valid.size() && settled; ++y)
          settled = valid[x][f] != valid[y][f] || value_of(answers[i]->goal, outcomes[x]) == value_of(answers[i]->goal, outcomes[y]);
      if (settled) settles.push_back(static_cast<int>(i));
    }
    expected_ask.push_back({static_cast<int>(f), settles});
  }
  std::stable_sort(expected_ask.begin(), expected_ask.end(),
                   [](const auto& x, const auto& y) { return x.second.size() > y.second.size(); });
  RC_ASSERT(a.ask.size() == expected_ask.size());
  for (std::size_t i = 0; i < a.ask.size(); ++i) {
    RC_ASSERT(a.ask[i].fact == expected_ask[i].first);
    RC_ASSERT(a.ask[i].settles == expected_ask[i].second);
  }
}

// The three-valued run alone is sound: "surely fires" only when every
// completion within the bounds fires the rule, "cannot fire" only when none does.
RC_GTEST_PROP(RunBounds, is_sound_for_every_completion, ()) {
  const auto seed = *rc::gen::inRange<std::uint32_t>(1, 1u << 30);
  std::string text = kb::testing::RandomGuideline(seed).source();
  kb::Diagnostics d;
  auto g = kb::check(kb::parse_source("random.kb", text, d), d);
  RC_PRE(g.has_value());
  kb::Recommender r(*g);
  std::mt19937 rng(seed);
  kb::PartialPatient p = random_partial(*g, rng);
  std::vector<kb::FactBounds> b = p.bounds();
  std::vector<std::uint8_t> sure(g->rules.size()), maybe(g->rules.size());
  r.rule_program().run_bounds(b.data(), sure.data(), maybe.data());
  kb::Outcome o;
  for (const kb::Patient& c : completions(p)) {
    r.evaluate(c, o);
    for (std::size_t i = 0; i < g->rules.size(); ++i) {
      if (sure[i]) RC_ASSERT(o.fired[i] == 1);
      if (!maybe[i]) RC_ASSERT(o.fired[i] == 0);
    }
  }
  if (auto whole = p.complete()) {  // exact on a complete patient
    r.evaluate(*whole, o);
    for (std::size_t i = 0; i < g->rules.size(); ++i) RC_ASSERT(sure[i] == o.fired[i] && maybe[i] == o.fired[i]);
  }
}

// The bundled guideline and the patient of vignette 09 (a resectable two-lesion patient).
struct Bundled : ::testing::Test {
  static const kb::Recommender& rec() {
    static const kb::Guideline g = kb::testing::checked_folder("kb/guidelines");
    static const kb::Recommender r(g);
    return r;
  }
  static nlohmann::json vignette() {
    std::ifstream in("tests/vignettes/09_biopsy_not_feasible_mdt_allowed.json");
    return nlohmann::json::parse(in)["patient"];
  }
  static kb::PartialPatientResult read(const nlohmann::json& j, bool omitted_unknown = false) {
    return kb::partial_patient_from_json(rec(), j, omitted_unknown);
  }
};

TEST_F(Bundled, bad_partial_facts_are_errors_naming_the_fact) {
  auto expect_error = [](const nlohmann::json& j, const std::string& fact, const std::string& error) {
    kb::PartialPatientResult r = read(j);
    EXPECT_FALSE(r.patient) << j.dump();
    EXPECT_EQ(r.fact, fact);
    EXPECT_EQ(r.error, error);
  };
  nlohmann::json j = vignette();
  j["response_month"] = nullptr;
  expect_error(j, "response_month", "unknown fact 'response_month'; did you mean 'response_months'?");
  j = vignette();
  j["response_months"] = {{"range", {3, 999}}};
  expect_error(j, "response_months", "fact 'response_months' = 999 is outside its range 0..240");
  j["response_months"] = {{"range", {6, 3}}};
  expect_error(j, "response_months", "fact 'response_months': the range [6, 3] is empty");
  j["response_months"] = {{"one_of", nlohmann::json::array()}};
  expect_error(j, "response_months", "fact 'response_months': one_of is empty; a fact has at least one value");
  j["response_months"] = {{"between", {3, 6}}};
  expect_error(j, "response_months",
               "fact 'response_months': an unknown or narrowed value is null, {\"range\": [lo, hi]} or {\"one_of\": [...]}");
  j = vignette();
  j["biopsy_feasible"] = {{"range", {0, 1}}};
  expect_error(j, "biopsy_feasible", "fact 'biopsy_feasible': a range is for int facts; use {\"one_of\": [...]}");
  j["biopsy_feasible"] = {{"one_of", {true, "maybe"}}};
  expect_error(j, "biopsy_feasible", "fact 'biopsy_feasible' must be true or false, got \"maybe\"");
  j = vignette();
  j.erase("biopsy_feasible");
  expect_error(j, "biopsy_feasible", "missing fact 'biopsy_feasible' (Biopsy of a metastasis is feasible)");
  kb::PartialPatientResult omitted = read(j, true);
  ASSERT_TRUE(omitted.patient) << omitted.error;
  EXPECT_FALSE(omitted.patient->known(static_cast<std::size_t>(rec().guideline().fact_index("biopsy_feasible"))));
}

TEST_F(Bundled, known_facts_without_a_valid_completion_name_the_constraint) {
  nlohmann::json j = vignette();
  j["biopsy_done"] = true;
  j["biopsy_feasible"] = false;
  j["response_months"] = nullptr;
  kb::PartialPatientResult r = read(j);
  ASSERT_TRUE(r.patient) << r.error;
  advice::Advisor advisor(rec());
  try {
    advisor.advise(*r.patient);
    FAIL() << "advice for a patient no completion of which is valid";
  } catch (const advice::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "no completion of the patient keeps the domain constraint BIOPSY-DONE-WAS-FEASIBLE (A biopsy that was done was feasible)");
  }
}

// The worked example of docs/recommender.md ("Missing facts").
TEST_F(Bundled, biopsy_feasibility_and_response_unknown) {
  nlohmann::json j = vignette();
  j["biopsy_feasible"] = nullptr;
  j["response_months"] = nullptr;
  kb::PartialPatientResult r = read(j);
  ASSERT_TRUE(r.patient) << r.error;
  advice::Advice a = advice::Advisor(rec()).advise(*r.patient);
  const kb::Guideline& g = rec().guideline();
  auto answer = [&](const std::string& action, std::uint8_t strength) {
    return a.strengths[3 * static_cast<std::size_t>(g.action_index(action)) + (strength == kb::kRecommended ? 0 : strength == kb::kConsidered ? 1 : 2)];
  };
  auto names = [&](const std::vector<int>& facts) {
    std::vector<std::string> out;
    for (int f : facts) out.push_back(g.facts[f].name);
    return out;
  };
  const advice::Answer& mdt = answer("mdt", kb::kConsidered);
  EXPECT_EQ(mdt.truth, Truth::Depends);
  EXPECT_EQ(names(mdt.depends_on), (std::vector<std::string>{"biopsy_feasible", "response_months"}));
  EXPECT_EQ(answer("mdt", kb::kAvoided).truth, Truth::Depends);
  EXPECT_EQ(names(answer("mdt", kb::kAvoided).depends_on), std::vector<std::string>{"response_months"});
  EXPECT_EQ(answer("endocrine_cdk46", kb::kRecommended).truth, Truth::Holds);
  EXPECT_EQ(names(answer("biopsy", kb::kRecommended).depends_on), std::vector<std::string>{"biopsy_feasible"});
  ASSERT_EQ(a.ask.size(), 2u);  // response_months settles mdt avoided and document_response; biopsy_feasible the biopsy
  EXPECT_EQ(g.facts[a.ask[0].fact].name, "response_months");
  EXPECT_EQ(a.ask[0].settles.size(), 2u);
  EXPECT_EQ(g.facts[a.ask[1].fact].name, "biopsy_feasible");
  EXPECT_EQ(a.ask[1].settles.size(), 1u);
}

}  // namespace
