// Mutation analysis and the restates-rule lint on small guidelines whose
// killed, survived and equivalent mutants are known, and on the bundled one.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/common/bundled.h"
#include "tests/common/cli.h"
#include "verify/harness.h"
#include "verify/mutate.h"

namespace {

// No valid patient has 4 or 5 months of response (the gap), so moving the
// bound from 6 to 5 changes nobody's advice. SAFE is a real safety property;
// RESTATE only restates rule OFFER.
constexpr const char* kSmall = R"(fact months: int 0..24 "months of response"
fact lesions: int 0..10 "lesions"
constraint GAP "nobody has 4 or 5 months" months <= 3 or months >= 6
action mdt "MDT"
rule OFFER when months >= 6 and lesions <= 5 then consider mdt because "b" source "s"
property SAFE "no MDT below 6 months" offered(mdt) implies months >= 6
property RESTATE "restates OFFER" months >= 6 and lesions <= 5 implies considered(mdt)
)";

const verify::MutantResult& find(const verify::MutationReport& r, const std::string& summary) {
  for (const auto& m : r.results)
    if (m.mutant.summary == summary) return m;
  throw std::runtime_error("no mutant " + summary);
}

std::vector<int> restating(const kb::Guideline& g) {
  std::vector<int> out;
  for (const auto& o : verify::run(g, {}).obligations)
    if (o.kind == verify::Kind::RestatesRule && o.status == verify::Status::Warning) out.push_back(o.subject.index);
  return out;
}

TEST(RestatesLint, flags_a_property_whose_premise_is_the_rule_condition_only) {
  kb::Guideline g = kb::testing::checked(kSmall);
  EXPECT_EQ(restating(g), std::vector<int>{g.property_index("RESTATE")});
}

TEST(Mutation, known_killed_survived_and_equivalent_mutants) {
  kb::Guideline g = kb::testing::checked(kSmall);
  verify::MutationReport r = verify::mutate(g, restating(g), 0);
  using S = verify::MutantStatus;
  // Inside the gap: nobody's advice changes.
  EXPECT_EQ(find(r, "OFFER: `months >= 6` -> `months >= 5`").status, S::Equivalent);
  // Fewer patients get MDT: only the restating property notices.
  const auto& narrower = find(r, "OFFER: `months >= 6` -> `months >= 7`");
  EXPECT_EQ(narrower.status, S::Killed);
  EXPECT_TRUE(narrower.restating_only);
  // MDT without enough response: the safety property kills it.
  const auto& dropped = find(r, "OFFER: drop `months >= 6` from `months >= 6 and lesions <= 5`");
  EXPECT_EQ(dropped.status, S::Killed);
  EXPECT_FALSE(dropped.restating_only);
  EXPECT_NE(std::find(dropped.killed_by.begin(), dropped.killed_by.end(),
                      kb::ItemRef{kb::ItemKind::Property, g.property_index("SAFE")}),
            dropped.killed_by.end());
  // More lesions allowed: no property pins it down; the witness shows it.
  const auto& wider = find(r, "OFFER: `lesions <= 5` -> `lesions <= 6`");
  EXPECT_EQ(wider.status, S::Survived);
  ASSERT_TRUE(wider.witness);
  EXPECT_EQ((*wider.witness)[static_cast<std::size_t>(g.fact_index("lesions"))], 6);
  EXPECT_EQ(wider.witness_change, "mdt considered: no before, yes after");
  EXPECT_NE(wider.after_text.find("lesions <= 6"), std::string::npos);
  // Restating kills do not count: the score is effective kills over the non-equivalent.
  std::size_t counted = r.results.size() - r.count(S::Equivalent);
  EXPECT_DOUBLE_EQ(r.score(), 100.0 * static_cast<double>(r.effective_kills()) / static_cast<double>(counted));
  EXPECT_LT(r.effective_kills(), r.count(S::Killed));
  EXPECT_EQ(r.count(S::Unknown) + r.count(S::Disagreement), 0u);
}

TEST(Mutation, definitions_and_parameters_are_mutated_in_the_rules_only) {
  kb::Guideline g = kb::testing::checked(R"(fact months: int 0..24 "m"
param min_months = 3 allowed 3..6 "minimum"
define ready "ready" = months >= min_months
action mdt "MDT"
rule OFFER when ready then consider mdt because "b" source "s"
property FLOOR "never below the guideline's floor of 3 months" offered(mdt) implies months >= 3
property CHOSEN "never below the chosen minimum" offered(mdt) implies ready
)");
  verify::MutationReport r = verify::mutate(g, {}, 0);
  // The property keeps the original definition and parameter, so it notices.
  const auto& param = find(r, "min_months: 3 -> 6 (in the rules)");
  EXPECT_EQ(param.status, verify::MutantStatus::Survived);  // fewer MDT offers break neither property
  const auto& always = find(r, "OFFER: `ready` -> `true`");
  EXPECT_EQ(always.status, verify::MutantStatus::Killed);
}

TEST(KbVerifyMutate, reports_score_survivors_and_fails_below_min_score) {
  kb::testing::TempDir dir;
  std::string f = dir.file("g.kb", kSmall);
  auto text = kb::testing::run_kb_verify({f, "--mutate"});
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("Mutation analysis:"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("g.kb:5:"), std::string::npos) << text.out;  // survivors point at the rule's line
  EXPECT_NE(text.out.find("survived"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("+   when months >= 6 and lesions <= 6"), std::string::npos) << text.out;  // the edit as a diff
  auto failing = kb::testing::run_kb_verify({f, "--min-score", "99", "--format", "json"});
  EXPECT_EQ(failing.code, 1);
  nlohmann::json j = nlohmann::json::parse(failing.out);
  EXPECT_EQ(j["mutation"]["schema"], "kb-mutation/1");
  EXPECT_TRUE(j["mutation"]["failed"].get<bool>());
  EXPECT_EQ(j["mutation"]["restating"], nlohmann::json::array({"RESTATE"}));
  auto junit = kb::testing::run_kb_verify({f, "--min-score", "1", "--format", "junit"});
  EXPECT_EQ(junit.code, 0) << junit.err;
  EXPECT_NE(junit.out.find("<testsuite name=\"kb-verify mutation\""), std::string::npos);
}

// The bundled guideline: no undecided mutant, and docs/properties.md states
// the current score and lists exactly the current survivors.
TEST(Mutation, bundled_guideline_is_decided_and_documented) {
  const kb::Guideline& g = kb::testing::bundled();
  verify::MutationReport r = verify::mutate(g, restating(g), 0);
  EXPECT_GT(r.results.size(), 300u);
  EXPECT_EQ(r.count(verify::MutantStatus::Unknown), 0u);
  EXPECT_EQ(r.count(verify::MutantStatus::Disagreement), 0u);  // every witness replays
  std::ifstream in("docs/properties.md");
  std::string doc((std::istreambuf_iterator<char>(in)), {});
  char score[64];
  std::snprintf(score, sizeof score, "Score: **%.1f%%**", r.score());
  EXPECT_NE(doc.find(score), std::string::npos) << "docs/properties.md does not state " << score
                                                << " (regenerate with tools/mutation_doc.py)";
  std::size_t listed = 0;
  for (std::size_t p = doc.find("\n| "); p != std::string::npos; p = doc.find("\n| ", p + 1))
    listed += doc.compare(p, 20, "\n| edit | location |") != 0 && doc.find(" | kb/guidelines/", p) < doc.find('\n', p + 1);
  EXPECT_EQ(listed, r.count(verify::MutantStatus::Survived)) << "surviving mutants listed in docs/properties.md";
  for (const auto& m : r.results) {
    if (m.status != verify::MutantStatus::Survived) continue;
    std::string summary = m.mutant.summary;
    for (std::size_t p = 0; (p = summary.find('|', p)) != std::string::npos; p += 2) summary.insert(p, "\\");
    EXPECT_NE(doc.find("| " + summary + " | "), std::string::npos) << "docs/properties.md lacks survivor " << summary;
  }
  RecordProperty("mutants", static_cast<int>(r.results.size()));
  RecordProperty("score_percent", static_cast<int>(r.score()));
}

}  // namespace
