// `kb recommend`: one patient, batch mode with a bad line, and releases.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/common/bundled.h"
#include "tests/common/cli.h"
#include "tools/recommend_cmd.h"

namespace {

using nlohmann::json;

using kb::testing::CliRun;

CliRun kb_run(std::vector<std::string> args, const std::string& input = "") {
  return kb::testing::run_kb(args, input);
}

std::vector<std::string> with_sources(std::vector<std::string> args) {
  for (const auto& f : kb::testing::bundled_files()) {
    args.push_back("--source");
    args.push_back(f);
  }
  return args;
}

json vignette_patient(const std::string& name) {
  return json::parse(std::ifstream("tests/vignettes/" + name)).at("patient");
}

const char* kVignette = "01_mdt_candidate_two_resectable_lung_lesions.json";

TEST(Recommend, one_patient_as_json_names_rules_and_evidence) {
  CliRun r = kb_run(with_sources({"recommend", "--patient", "-", "--format", "json"}), vignette_patient(kVignette).dump());
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["schema"], "kb-recommendation/1");
  bool mdt = false;
  for (const auto& a : j["actions"]) {
    if (a["action"] != "mdt") continue;
    mdt = true;
    EXPECT_EQ(a["strengths"], json::array({"considered"}));
    ASSERT_FALSE(a["rules"].empty());
    EXPECT_EQ(a["rules"][0]["rule"], "MDT-OFFER@draft");
    EXPECT_FALSE(a["rules"][0]["references"].empty());
  }
  EXPECT_TRUE(mdt) << r.out;
  EXPECT_TRUE(j["conflicts"].empty());
}

TEST(Recommend, text_output_lists_strengths) {
  CliRun r = kb_run(with_sources({"recommend", "--patient", "-"}), vignette_patient(kVignette).dump());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Recommended:\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Considered:\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MDT-OFFER@draft"), std::string::npos) << r.out;
}

TEST(Recommend, batch_reports_a_bad_line_and_processes_the_rest) {
  json good = vignette_patient(kVignette);
  json bad = good;
  bad["response_months"] = 999;
  std::string input = good.dump() + "\n" + bad.dump() + "\n\n" + good.dump() + "\n{not json\n";
  CliRun r = kb_run(with_sources({"recommend", "--patient", "-", "--batch"}), input);
  EXPECT_EQ(r.code, 2);
  std::istringstream lines(r.out);
  std::vector<json> out;
  for (std::string l; std::getline(lines, l);) out.push_back(json::parse(l));
  ASSERT_EQ(out.size(), 4u);
  for (const json& l : out) EXPECT_EQ(l["schema"], "kb-recommendation-line/1") << l;
  EXPECT_EQ(out[0]["line"], 1);
  EXPECT_TRUE(out[0].contains("result"));
  EXPECT_EQ(out[1]["line"], 2);
  EXPECT_EQ(out[1]["fact"], "response_months");
  EXPECT_EQ(out[1]["error"], "fact 'response_months' = 999 is outside its range 0..240");
  EXPECT_EQ(out[2]["line"], 4);
  EXPECT_EQ(out[2]["result"], out[0]["result"]);
  EXPECT_EQ(out[3]["line"], 5);
  EXPECT_TRUE(out[3]["error"].get<std::string>().starts_with("not valid JSON: ")) << out[3];
  EXPECT_NE(r.err.find("<stdin>:2: fact 'response_months': fact 'response_months' = 999 is outside its range"),
            std::string::npos)
      << r.err;
}

TEST(Recommend, bad_patient_exits_2_naming_the_fact) {
  json p = vignette_patient(kVignette);
  p.erase("age");
  CliRun r = kb_run(with_sources({"recommend", "--patient", "-"}), p.dump());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("fact 'age': missing fact 'age'"), std::string::npos) << r.err;
  EXPECT_EQ(kb_run(with_sources({"recommend", "--patient", "/nonexistent.json"})).code, 2);
}

TEST(Recommend, release_names_stored_versions) {
  std::string dir = (std::filesystem::temp_directory_path() / "kb-recommend-release").string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string db = dir + "/kb.sqlite";
  ASSERT_EQ(kb_run({"init", "--db", db}).code, 0);
  std::vector<std::string> import = {"import", "--db", db, "--author", "t", "--reason", "r"};
  for (const auto& f : kb::testing::bundled_files()) import.push_back(f);
  ASSERT_EQ(kb_run(import).code, 0);
  ASSERT_EQ(kb_run({"release", "--db", db, "v1", "--author", "t"}).code, 0);
  CliRun r = kb_run({"recommend", "--db", db, "--release", "v1", "--patient", "-", "--format", "json"},
                    vignette_patient(kVignette).dump());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"MDT-OFFER@1\""), std::string::npos);
  EXPECT_EQ(kb_run({"recommend", "--db", db, "--release", "v9", "--patient", "-"}, "{}").code, 2);
  std::filesystem::remove_all(dir);
}

// Missing facts (docs/recommender.md): advice over every valid completion.
TEST(Recommend, unknown_facts_give_advice_and_what_to_ask) {
  json p = vignette_patient("09_biopsy_not_feasible_mdt_allowed.json");
  p["biopsy_feasible"] = nullptr;
  p["response_months"] = nullptr;
  CliRun r = kb_run(with_sources({"recommend", "--patient", "-", "--format", "json"}), p.dump());
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["schema"], "kb-advice/1");
  EXPECT_EQ(j["unknown"], json::array({"biopsy_feasible", "response_months"}));
  EXPECT_EQ(j["ask"][0]["fact"], "response_months");
  bool mdt = false;
  for (const auto& a : j["actions"]) {
    if (a["action"] != "mdt") continue;
    mdt = true;
    EXPECT_EQ(a["considered"]["answer"], "depends");
    EXPECT_EQ(a["considered"]["when_true"], json({{"biopsy_feasible", false}, {"response_months", 6}}));
    EXPECT_EQ(a["recommended"], json({{"answer", "never"}}));
  }
  EXPECT_TRUE(mdt) << r.out;
  CliRun text = kb_run(with_sources({"recommend", "--patient", "-"}), p.dump());
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("depends  considered mdt (on biopsy_feasible, response_months)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  response_months (settles mdt avoided, document_response recommended)"), std::string::npos)
      << text.out;
}

TEST(Recommend, omitted_facts_are_unknown_only_with_partial) {
  json p = vignette_patient("09_biopsy_not_feasible_mdt_allowed.json");
  p.erase("biopsy_feasible");
  CliRun strict = kb_run(with_sources({"recommend", "--patient", "-"}), p.dump());
  EXPECT_EQ(strict.code, 2);
  EXPECT_EQ(strict.err, "kb: <stdin>: fact 'biopsy_feasible': missing fact 'biopsy_feasible' (Biopsy of a metastasis is feasible)\n");
  CliRun partial = kb_run(with_sources({"recommend", "--patient", "-", "--partial"}), p.dump());
  ASSERT_EQ(partial.code, 0) << partial.err;
  EXPECT_NE(partial.out.find("Not known: biopsy_feasible\n"), std::string::npos) << partial.out;
}

TEST(Recommend, only_a_certain_conflict_exits_1) {
  const std::string rules =
      "reference 1 \"r\"\nfact board: bool \"board\"\nfact bone: bool \"bone\"\naction mdt \"mdt\"\n"
      "rule OFFER when board then consider mdt because \"b\" source \"s\" cites 1\n"
      "rule AVOID when bone then avoid mdt because \"b\" source \"s\" cites 1\n";
  kb::testing::TempDir dir;
  const std::string file = dir.file("conflict.kb", rules);
  CliRun possible = kb_run({"recommend", "--source", file, "--patient", "-"}, R"({"board": true, "bone": null})");
  EXPECT_EQ(possible.code, 0) << possible.err;
  EXPECT_NE(possible.out.find("POSSIBLE CONFLICT: mdt is offered and avoided when bone=true\n"), std::string::npos) << possible.out;
  EXPECT_NE(possible.out.find("  bone (settles mdt avoided, mdt conflict)\n"), std::string::npos) << possible.out;
  CliRun certain = kb_run({"recommend", "--source", file, "--patient", "-"}, R"({"board": true, "bone": {"one_of": [true]}})");
  EXPECT_EQ(certain.code, 1) << certain.err;
  CliRun bad = kb_run({"recommend", "--source", file, "--patient", "-"}, R"({"board": true, "bone": {"one_of": []}})");
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.err, "kb: <stdin>: fact 'bone': fact 'bone': one_of is empty; a fact has at least one value\n");
}

TEST(Recommend, batch_gives_advice_for_lines_with_unknown_facts) {
  json complete = vignette_patient("09_biopsy_not_feasible_mdt_allowed.json"), partial = complete;
  partial["response_months"] = nullptr;
  std::string input = complete.dump() + "\n" + partial.dump() + "\n";
  for (const char* fact : {"biopsy_feasible", "subtype", "lung_lesions", "tumour_board_done"}) {
    partial[fact] = nullptr;  // more lines with more unknowns: the output must not depend on --jobs
    input += partial.dump() + "\n";
  }
  for (const char* jobs : {"1", "3"}) {
    CliRun r = kb_run(with_sources({"recommend", "--patient", "-", "--batch", "--jobs", jobs}), input);
    ASSERT_EQ(r.code, 0) << r.err;
    std::istringstream lines(r.out);
    std::string first, second;
    std::getline(lines, first);
    std::getline(lines, second);
    EXPECT_TRUE(json::parse(first).contains("result")) << first;
    json advice = json::parse(second);
    ASSERT_TRUE(advice.contains("advice")) << second;
    EXPECT_FALSE(advice["advice"].contains("schema"));
    EXPECT_EQ(advice["advice"]["unknown"], json::array({"response_months"}));
    static const kb::Guideline g = kb::testing::checked_folder("kb/guidelines");
    static const kb::Recommender rec(g);
    std::istringstream in(input);
    std::ostringstream out, err;
    EXPECT_EQ(kb::cli::recommend_batch_reference(rec, in, "<stdin>", out, err), 0);
    EXPECT_EQ(out.str(), r.out);  // the throughput path and the reference agree
  }
}

}  // namespace
