// The Z3 encoding against the recommender (differential, as Cedar tests its
// analyzer against its evaluator), and the basic query semantics.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "kb/lang/parser.h"
#include "solver/solver.h"
#include "tests/common/bundled.h"
#include "tests/common/random_guideline.h"
#include "tests/common/random_patient.h"
#include "tests/common/scale.h"

namespace {


const char* kSmall = R"(reference 1 "r"
fact months: int 0..240 "months"
fact lesions: int 0..50 "lesions"
fact board: bool "board"
fact cns: bool "cns mets"
fact cns_prog: bool "cns progression"
param min_months = 3 allowed 3..6 "min"
constraint C-CNS "progression needs mets" cns_prog implies cns
action mdt "MDT"
action srs "CNS radiotherapy"
rule MDT-1 when months >= min_months and lesions <= 5 and board then recommend mdt because "x" source "y" cites 1
rule SRS-1 when cns_prog then recommend srs because "x" source "y"
property P-MDT "no MDT without response" offered(mdt) implies months >= 3
property P-SRS "srs only for cns" offered(srs) implies cns
property P-BAD "MDT needs 6 months" offered(mdt) implies months >= 6
)";

TEST(Solver, proves_a_property_with_a_core_naming_the_rule) {
  kb::Guideline g = kb::testing::checked(kSmall);
  solver::Solver s(g, 0);
  solver::Answer a = s.ask(solver::Query::PropertyFails, g.property_index("P-MDT"));
  ASSERT_EQ(a.verdict, solver::Verdict::Unsat);
  using kb::ItemKind;
  EXPECT_EQ(a.core, (std::vector<kb::ItemRef>{{ItemKind::Rule, g.rule_index("MDT-1")}}));
  solver::Answer b = s.ask(solver::Query::PropertyFails, g.property_index("P-SRS"));
  ASSERT_EQ(b.verdict, solver::Verdict::Unsat);
  EXPECT_EQ(b.core, (std::vector<kb::ItemRef>{*g.find(ItemKind::Constraint, "C-CNS"), {ItemKind::Rule, g.rule_index("SRS-1")}}));
}

TEST(Solver, counterexample_really_breaks_the_property) {
  kb::Guideline g = kb::testing::checked(kSmall);
  kb::Recommender r(g);
  solver::Solver s(g, 0);
  int p = g.property_index("P-BAD");
  solver::Answer a = s.ask(solver::Query::PropertyFails, p);
  ASSERT_EQ(a.verdict, solver::Verdict::Sat);
  ASSERT_TRUE(a.model.has_value());
  EXPECT_EQ(r.broken_constraint(*a.model), -1);
  kb::Outcome out;
  r.evaluate(*a.model, out);
  EXPECT_FALSE(r.property_holds(p, *a.model, out));
  EXPECT_GE((*a.model)[g.fact_index("months")], 3);
  EXPECT_LE((*a.model)[g.fact_index("months")], 5);
}

TEST(Solver, removing_the_core_rule_changes_nothing_but_removing_all_is_weaker) {
  kb::Guideline g = kb::testing::checked(kSmall);
  solver::Solver s(g, 0);
  solver::RuleSet only_mdt{false, {g.rule_index("MDT-1")}};
  EXPECT_EQ(s.prove_property(g.property_index("P-MDT"), only_mdt).verdict, solver::Verdict::Unsat);
  EXPECT_EQ(s.ask(solver::Query::FailsWithoutRules, g.property_index("P-MDT")).verdict, solver::Verdict::Sat);
}

TEST(Solver, every_exported_script_parses_and_a_broken_one_is_named) {
  kb::Guideline g = kb::testing::checked(kSmall);
  solver::Solver s(g, 0);
  for (int p = 0; p < static_cast<int>(g.properties.size()); ++p)
    EXPECT_EQ(solver::smt2_parse_error(s.smt2(solver::Query::PropertyFails, p, {"header"})), "");
  EXPECT_NE(solver::smt2_parse_error("(declare-const x Int)\n(assert (> x y))\n"), "");  // y undeclared
  EXPECT_NE(solver::smt2_parse_error("(assert (> x 0))\n"), "");  // x was declared by another script only
  EXPECT_NE(solver::smt2_parse_error("(assert (> 1 0)"), "");                          // unbalanced
  EXPECT_NE(solver::smt2_parse_error(std::string("(check-sat)\0", 12)), "");
}

TEST(Solver, timeout_is_unknown_never_unsat) {
  kb::Guideline g = kb::testing::checked(kb::testing::pigeonhole_source());
  solver::Solver s(g, 1);
  solver::Answer a = s.ask(solver::Query::PropertyFails, 0);
  EXPECT_EQ(a.verdict, solver::Verdict::Unknown);
  EXPECT_FALSE(a.reason.empty());
}

// Differential (b): random rule sets over random fact schemas.
RC_GTEST_PROP(Solver, translator_agrees_with_evaluator_on_random_guidelines, (std::uint32_t seed)) {
  kb::Guideline g = kb::testing::checked(kb::testing::RandomGuideline(seed).source());
  kb::Recommender r(g);
  kb::testing::RandomPatient gen(r);
  solver::Solver s(g, 0);
  std::mt19937 rng(seed);
  for (int i = 0; i < 5; ++i) {
    auto p = gen.draw(rng);
    RC_ASSERT(p.has_value());
    kb::Outcome want;
    r.evaluate(*p, want);
    kb::Outcome got = s.outcome_for(*p);
    RC_ASSERT(got.fired == want.fired);
    RC_ASSERT(got.actions == want.actions);
  }
}

// Differential (a): 10,000 random valid patients on the bundled guideline
// (1,000 in the sanitizer suite, tests/common/scale.h).
TEST(Solver, translator_agrees_with_recommender_on_10000_bundled_patients) {
  const kb::Guideline& g = kb::testing::bundled();
  kb::Recommender r(g);
  kb::testing::RandomPatient gen(r);
  solver::Solver s(g, 0);
  std::mt19937 rng(20261127);
  const int patients = kb::testing::scaled(10000);
  for (int i = 0; i < patients; ++i) {
    auto p = gen.draw(rng);
    ASSERT_TRUE(p.has_value()) << "no valid patient found";
    kb::Outcome want;
    r.evaluate(*p, want);
    kb::Outcome got = s.outcome_for(*p);
    ASSERT_EQ(got.fired, want.fired) << kb::describe_patient(g, *p);
    ASSERT_EQ(got.actions, want.actions) << kb::describe_patient(g, *p);
  }
}

}  // namespace
