// Slicing: every obligation checked over its cone of influence gives the
// verdict the whole guideline gives; cores from a slice re-prove over the
// whole guideline; witnesses from a slice are completed to valid patients
// that replay (docs/architecture.md, "Slicing"). Parallel checks (--jobs)
// give the report one worker gives.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "kb/eval/recommender.h"
#include "solver/solver.h"
#include "synth.h"
#include "tests/common/bundled.h"
#include "tests/common/random_guideline.h"
#include "verify/harness.h"

namespace {

verify::Report run(const kb::Guideline& g, bool slicing) {
  verify::Options o;
  o.slicing = slicing;
  o.timeout_ms = 0;
  return verify::run(g, o);
}

// The sliced and the whole-guideline runs agree obligation by obligation;
// every proof's core re-proves over the whole guideline; no witness fails
// to replay. Returns the sliced report.
verify::Report expect_same_as_unsliced(const kb::Guideline& g) {
  verify::Report sliced = run(g, true), whole = run(g, false);
  EXPECT_EQ(sliced.obligations.size(), whole.obligations.size());
  solver::Solver reference(g, 0, false);
  for (std::size_t i = 0; i < std::min(sliced.obligations.size(), whole.obligations.size()); ++i) {
    const verify::Obligation &s = sliced.obligations[i], &w = whole.obligations[i];
    EXPECT_EQ(s.id, w.id);
    EXPECT_EQ(s.status, w.status) << s.id << ": " << s.message << " / " << w.message;
    EXPECT_EQ(s.answer, w.answer) << s.id;
    EXPECT_NE(s.status, verify::Status::Disagreement) << s.id << ": " << s.message;
    EXPECT_NE(s.status, verify::Status::Unknown) << s.id;
    if (s.kind == verify::Kind::Property && s.status == verify::Status::Proved && !s.reading) {
      solver::RuleSet only{false, {}};
      for (kb::ItemRef ref : s.rests_on)
        if (ref.kind == kb::ItemKind::Rule) only.only.push_back(ref.index);
      EXPECT_EQ(reference.prove_property(s.subject.index, only).verdict, solver::Verdict::Unsat) << s.id;
    }
  }
  return sliced;
}

RC_GTEST_PROP(Slicing, random_guidelines_get_the_unsliced_verdicts, (std::uint32_t seed)) {
  kb::Guideline g = kb::testing::checked(kb::testing::RandomGuideline(seed).source());
  verify::Report sliced = run(g, true), whole = run(g, false);
  RC_ASSERT(sliced.obligations.size() == whole.obligations.size());
  for (std::size_t i = 0; i < sliced.obligations.size(); ++i) {
    RC_ASSERT(sliced.obligations[i].id == whole.obligations[i].id);
    RC_ASSERT(sliced.obligations[i].status == whole.obligations[i].status);
    RC_ASSERT(sliced.obligations[i].status != verify::Status::Disagreement);
  }
}

TEST(Slicing, synthetic_guideline_with_injected_faults_gets_the_unsliced_verdicts) {
  kb::Guideline g = kb::testing::checked(
      kb::synth::generate({.rules = 200, .seed = 7, .conflicts = 2, .dead_rules = 3, .violations = 2}));
  verify::Report r = expect_same_as_unsliced(g);
  EXPECT_EQ(r.count(verify::Status::Violated), 4u);  // each ungated rule breaks its action's floor and minimum
  EXPECT_EQ(r.count(verify::Status::Conflict), 2u);
  std::size_t dead = 0;
  for (const auto& o : r.obligations) dead += o.kind == verify::Kind::DeadRule && o.status == verify::Status::Warning;
  EXPECT_EQ(dead, 3u);
}

TEST(Slicing, bundled_guideline_gets_the_unsliced_verdicts) { expect_same_as_unsliced(kb::testing::bundled()); }

// A witness's facts outside the slice come from a patient that satisfies the
// constraints there (the solver's default values would break them).
TEST(Slicing, witness_outside_the_slice_satisfies_the_other_constraints) {
  kb::Guideline g = kb::testing::checked(R"(
reference 1 "r"
fact months: int 0..240 "months"
fact flag: bool "a flag the other constraints force"
fact other: bool "another flag"
fact count: int 5..9 "a count"
constraint FLAG "the flag is set" flag
constraint COUNT "the other flag needs a high count" other implies count >= 8
constraint OTHER "the other flag is set" other
action mdt "mdt"
rule OFFER when months >= 3 then recommend mdt because "x" source "y" cites 1
property P "no MDT below 6 months" offered(mdt) implies months >= 6 cites 1
)");
  solver::Solver s(g, 0);
  solver::Answer a = s.ask(solver::Query::PropertyFails, 0);
  ASSERT_EQ(a.verdict, solver::Verdict::Sat);
  kb::Recommender rec(g);
  EXPECT_EQ(rec.broken_constraint(*a.model), -1);
  EXPECT_GE((*a.model)[g.fact_index("count")], 8);
  // The rules' answer is claimed for the slice only: the property's action.
  ASSERT_TRUE(a.outcome);
  EXPECT_TRUE(a.outcome_actions[g.action_index("mdt")]);
  EXPECT_TRUE(a.outcome_rules[g.rule_index("OFFER")]);
  verify::Report r = verify::run(g, {});
  EXPECT_EQ(r.count(verify::Status::Violated), 1u);
  EXPECT_EQ(r.count(verify::Status::Disagreement), 0u);
}

// A slice leaves out the constraints it shares nothing with, so an empty
// domain elsewhere must not let a slice find a "valid" patient: with the
// constraints unsatisfiable together, every query is checked whole.
TEST(Slicing, an_empty_domain_is_never_sliced_away) {
  kb::Guideline g = kb::testing::checked(R"(
reference 1 "r"
fact months: int 0..240 "months"
fact flag: bool "a flag"
constraint SET "the flag is set" flag
constraint UNSET "the flag is not set" not flag
action mdt "mdt"
rule OFFER when months >= 3 then recommend mdt because "x" source "y" cites 1
property P "no MDT below 6 months" offered(mdt) implies months >= 6 cites 1
)");
  solver::Solver s(g, 0);
  EXPECT_EQ(s.ask(solver::Query::PropertyFails, 0).verdict, solver::Verdict::Unsat);
  EXPECT_EQ(s.ask(solver::Query::RuleFires, 0).verdict, solver::Verdict::Unsat);
}

// Any number of workers gives the same verdicts in the same order; a given
// number gives the same report every time, witnesses and messages included
// (the solver's models depend on the queries asked before in its context,
// so witnesses may differ between different numbers of workers).
TEST(Parallel, jobs_give_the_same_verdicts_in_the_same_order) {
  kb::Guideline synthetic = kb::testing::checked(
      kb::synth::generate({.rules = 120, .seed = 3, .conflicts = 1, .dead_rules = 2, .violations = 1}));
  for (auto [g, jobs] : {std::pair{&kb::testing::bundled(), 2u}, std::pair{static_cast<const kb::Guideline*>(&synthetic), 3u}}) {
    verify::Options one;
    one.timeout_ms = 0;
    verify::Report sequential = verify::run(*g, one);
    {
      verify::Options many = one;
      many.jobs = jobs;
      verify::Report parallel = verify::run(*g, many), again = verify::run(*g, many);
      ASSERT_EQ(parallel.obligations.size(), sequential.obligations.size()) << jobs;
      ASSERT_EQ(again.obligations.size(), parallel.obligations.size()) << jobs;
      for (std::size_t i = 0; i < parallel.obligations.size(); ++i) {
        const verify::Obligation &p = parallel.obligations[i], &s = sequential.obligations[i], &a = again.obligations[i];
        EXPECT_EQ(p.id, s.id) << jobs;
        EXPECT_EQ(p.status, s.status) << p.id;
        EXPECT_EQ(p.message, a.message) << p.id;
        EXPECT_EQ(p.witness, a.witness) << p.id;
      }
    }
  }
}

}  // namespace
