// The recommender: the clinical vignettes quote the guideline
// (tests/vignettes/*.json), patient validation errors, and properties of
// random valid patients.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "kb/lang/parser.h"
#include "kb/model/checker.h"
#include "kb/model/sources.h"
#include "kb/eval/recommender.h"
#include "tests/common/bundled.h"
#include "tests/common/random_patient.h"

namespace {

using nlohmann::json;

const kb::Recommender& bundled_recommender() {
  static const kb::Recommender r(kb::testing::bundled());
  return r;
}

std::vector<std::filesystem::path> vignette_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator("tests/vignettes"))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string guideline_text() {
  std::ifstream in("kb/guidelines/source/000_b72ddab1fb8e9a16.txt");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(Vignettes, there_are_at_least_30_and_each_quotes_its_sentence) {
  auto files = vignette_files();
  EXPECT_GE(files.size(), 30u);
  std::string text = guideline_text();
  ASSERT_FALSE(text.empty());
  for (const auto& f : files) {
    json v = json::parse(std::ifstream(f));
    std::string sentence = v.value("sentence", "");
    EXPECT_FALSE(sentence.empty()) << f;
    EXPECT_NE(text.find(sentence), std::string::npos) << f << ": not a quote of the guideline: " << sentence;
  }
}

// EVIDENCE-OF: every rule quotes the guideline sentence it encodes verbatim.
TEST(Guideline, every_rule_quotes_the_guideline_verbatim) {
  std::string text = guideline_text();
  for (const kb::Item& r : kb::testing::bundled().rules)
    EXPECT_NE(text.find(r.source), std::string::npos) << r.name << ": not a quote of the guideline: " << r.source;
}

// Every vignette's expected advice is checked through `kb test` (the ctest
// kb_test_vignettes, tests/CMakeLists.txt) and by TestCommand tests.

const char* kSmall = R"(
fact months: int 0..240 "months"
fact subtype: enum { luminal, her2, tnbc } "subtype"
fact bone: bool "bone mets"
fact bone_only: bool "bone-only disease"
constraint BONE-ONLY "bone-only needs bone mets" bone_only implies bone
action mdt "MDT"
rule R when months >= 3 then recommend mdt because "x" source "y"
)";

kb::Guideline small() {
  kb::Diagnostics d;
  return std::move(*kb::check(kb::parse_source("t.kb", kSmall, d), d));
}

TEST(Patient, errors_name_the_fact) {
  kb::Guideline g = small();
  kb::Recommender r(g);
  auto err = [&](const char* text) {
    kb::PatientResult res = kb::patient_from_json(r, json::parse(text));
    EXPECT_FALSE(res.patient.has_value()) << text;
    return res.fact + " | " + res.error;
  };
  EXPECT_EQ(err(R"({"subtype":"her2","bone":true,"bone_only":false})"), "months | missing fact 'months' (months)");
  EXPECT_EQ(err(R"({"months":3,"subtype":"her2","bone":true,"bone_only":false,"mnths":2})"),
            "mnths | unknown fact 'mnths'; did you mean 'months'?");
  EXPECT_EQ(err(R"({"months":"3","subtype":"her2","bone":true,"bone_only":false})"),
            "months | fact 'months' must be an integer, got \"3\"");
  EXPECT_EQ(err(R"({"months":300,"subtype":"her2","bone":true,"bone_only":false})"),
            "months | fact 'months' = 300 is outside its range 0..240");
  EXPECT_EQ(err(R"({"months":3,"subtype":"her3","bone":true,"bone_only":false})"),
            "subtype | fact 'subtype' has no value 'her3'; did you mean 'her2'?");
  EXPECT_EQ(err(R"({"months":3,"subtype":"her2","bone":1,"bone_only":false})"),
            "bone | fact 'bone' must be true or false, got 1");
  EXPECT_EQ(err(R"({"months":3,"subtype":"her2","bone":false,"bone_only":true})"),
            " | patient breaks domain constraint BONE-ONLY (bone-only needs bone mets)");
  EXPECT_EQ(err("[1]"), " | a patient must be a JSON object mapping fact names to values");
}

TEST(Patient, json_round_trip) {
  kb::Guideline g = small();
  kb::Recommender r(g);
  json j = json::parse(R"({"months":3,"subtype":"tnbc","bone":true,"bone_only":true})");
  kb::PatientResult res = kb::patient_from_json(r, j);
  ASSERT_TRUE(res.patient.has_value()) << res.error;
  EXPECT_EQ(kb::patient_to_json(g, *res.patient), j);
}

TEST(Recommender, explains_with_rule_versions_and_strengths) {
  kb::Guideline g = small();
  kb::Recommender r(g);
  kb::Outcome out;
  r.evaluate({4, 0, 0, 0}, out);
  json j = kb::outcome_to_json(g, out);
  ASSERT_EQ(j["actions"].size(), 1u);
  EXPECT_EQ(j["actions"][0]["action"], "mdt");
  EXPECT_EQ(j["actions"][0]["strengths"], json::array({"recommended"}));
  EXPECT_EQ(j["actions"][0]["rules"][0]["rule"], "R@draft");
  EXPECT_EQ(j["conflicts"].size(), 0u);
  EXPECT_NE(kb::outcome_to_text(g, out).find("Recommended:\n  mdt: MDT\n    - R@draft: x\n"), std::string::npos);
}

TEST(Recommender, conflicts_are_reported_not_hidden) {
  kb::Diagnostics d;
  auto g = kb::check(kb::parse_source("t.kb", std::string(kSmall) +
                                                  "rule AV when bone then avoid mdt because \"z\" source \"s\"\n", d), d);
  ASSERT_TRUE(g.has_value());
  kb::Recommender r(*g);
  kb::Outcome out;
  r.evaluate({4, 0, 1, 0}, out);
  EXPECT_TRUE(out.conflict(0));
  json j = kb::outcome_to_json(*g, out);
  ASSERT_EQ(j["conflicts"].size(), 1u);
  EXPECT_EQ(j["conflicts"][0]["offered_by"], json::array({"R@draft"}));
  EXPECT_EQ(j["conflicts"][0]["avoided_by"], json::array({"AV@draft"}));
  EXPECT_NE(kb::outcome_to_text(*g, out).find("CONFLICT: mdt"), std::string::npos);
}

// Random valid patients never get an output that breaks a property, the
// answer is deterministic, and nothing throws.
RC_GTEST_PROP(Recommender, random_valid_patients_keep_every_property, (std::uint32_t seed)) {
  const kb::Recommender& r = bundled_recommender();
  static const kb::testing::RandomPatient gen(r);
  std::mt19937 rng(seed);
  auto p = gen.draw(rng);
  RC_ASSERT(p.has_value());
  kb::Outcome a, b;
  r.evaluate(*p, a);
  r.evaluate(*p, b);
  RC_ASSERT(a.fired == b.fired);
  RC_ASSERT(a.actions == b.actions);
  for (std::size_t i = 0; i < r.guideline().properties.size(); ++i)
    RC_ASSERT(r.property_holds(static_cast<int>(i), *p, a));
  kb::PatientResult again = kb::patient_from_json(r, kb::patient_to_json(r.guideline(), *p));
  RC_ASSERT(again.patient == p);
}

}  // namespace
