// `kb test`: the guideline's own test cases (docs/testing.md), as a user
// sees them: the diff of a failing case, bad test files, coverage, the
// rule-set sources, and the report formats.
#include <gtest/gtest.h>

#include <pugixml.hpp>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "kb/model/guideline.h"

#include "tests/common/cli.h"

namespace {

using kb::testing::CliRun;
using kb::testing::TempDir;
using nlohmann::json;

CliRun kb(const std::vector<std::string>& args) { return kb::testing::run_kb(args); }

const std::string kGuideline = R"(reference 1 "r"
fact months: int 0..240 "months of response"
fact board: bool "tumour board held"
fact bone: bool "bone metastases"
action mdt "MDT"
action bma "bone-modifying agent"
rule OFFER when months >= 3 and board then consider mdt because "x" source "MDT after a response" cites 1
rule BMA when bone then recommend bma because "y" source "BMA for bone metastases" cites 1
)";

// A test file for kGuideline; `expect` is the JSON text of its "expect" member.
std::string case_text(const std::string& name, const std::string& patient, const std::string& expect) {
  return "{\n  \"name\": \"" + name + "\",\n  \"sentence\": \"MDT after a response\",\n  \"patient\": " + patient +
         ",\n  \"expect\": " + expect + "\n}\n";
}

const std::string kPatient = R"({"months": 4, "board": true, "bone": false})";

TEST(TestCommand, bundled_vignettes_pass_on_the_bundled_sources) {
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator("tests/vignettes")) files += e.path().extension() == ".json";
  CliRun r = kb({"test", "--source", "kb/guidelines", "tests/vignettes"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  std::string n = std::to_string(files);
  EXPECT_NE(r.err.find("kb test: " + n + " tests, " + n + " passed, 0 failed"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("failed  test:"), std::string::npos) << r.out;
}

TEST(TestCommand, failing_case_exits_1_with_expected_and_actual_advice_per_action) {
  TempDir dir;
  std::string g = dir.file("g.kb", kGuideline);
  std::string t = dir.file("t.json", case_text("mdt_at_4", kPatient, "{\n    \"mdt\": \"recommend\",\n    \"bma\": \"recommend\"\n  }"));
  CliRun r = kb({"test", "--source", g, t});
  EXPECT_EQ(r.code, 1) << r.err;
  std::string where = kb::display_path(t) + ":6:5: ";  // the first differing expectation: "mdt"
  EXPECT_NE(r.out.find(where + "failed  test:mdt_at_4\n"
                               "      exercises \"MDT after a response\"\n"
                               "      action  expected   actual\n"
                               "      mdt     recommend  consider\n"
                               "      bma     recommend  absent\n"
                               "      patient: months=4, board=true; other facts: bone=false\n"
                               "      rules fired: OFFER@draft\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("kb test: 1 test, 0 passed, 1 failed"), std::string::npos) << r.err;
}

TEST(TestCommand, unlisted_actions_are_expected_absent) {
  TempDir dir;
  std::string g = dir.file("g.kb", kGuideline);
  std::string pass = dir.file("a.json", case_text("a", kPatient, R"({"mdt": "consider", "bma": "absent"})"));
  std::string fail = dir.file("b.json", case_text("b", R"({"months": 4, "board": true, "bone": true})", R"({"mdt": "consider"})"));
  EXPECT_EQ(kb({"test", "--source", g, pass}).code, 0);
  CliRun r = kb({"test", "--source", g, fail});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("      bma     absent    recommend\n"), std::string::npos) << r.out;
}

TEST(TestCommand, bad_test_files_exit_2_naming_the_file_and_the_fact) {
  TempDir dir;
  std::string g = dir.file("g.kb", kGuideline);
  auto err_of = [&](const std::string& name, const std::string& text) {
    CliRun r = kb({"test", "--source", g, dir.file(name, text)});
    EXPECT_EQ(r.code, 2) << name << ": " << r.out;
    EXPECT_TRUE(r.out.empty()) << r.out;
    return r.err;
  };
  std::string base = kb::display_path(dir.file("x"));
  base = base.substr(0, base.size() - 1);
  EXPECT_EQ(err_of("fact.json", case_text("t", R"({"monthz": 4, "board": true, "bone": false})", R"({"mdt": "consider"})")),
            "kb: " + base + "fact.json:4:15: fact 'monthz': unknown fact 'monthz'; did you mean 'months'?\n");
  EXPECT_EQ(err_of("range.json", case_text("t", R"({"months": 400, "board": true, "bone": false})", "{}")),
            "kb: " + base + "range.json:4:15: fact 'months': fact 'months' = 400 is outside its range 0..240\n");
  EXPECT_EQ(err_of("syntax.json", "{\"name\": \"t\",\n \"patient\": {,\n}"),
            "kb: " + base + "syntax.json:2:14: not valid JSON: syntax error while parsing object key - unexpected ','; "
            "expected string literal\n");
  EXPECT_EQ(err_of("action.json", case_text("t", kPatient, R"({"mdtt": "consider"})")),
            "kb: " + base + "action.json:5:14: action 'mdtt': unknown action; did you mean 'mdt'?\n");
  EXPECT_NE(err_of("strength.json", case_text("t", kPatient, R"({"mdt": "considered"})"))
                .find("action 'mdt': the advice must be \"recommend\", \"consider\", \"avoid\", \"absent\""),
            std::string::npos);
  EXPECT_EQ(err_of("member.json", R"({"name": "t", "sentence": "s", "patient": {}, "expects": {}})"),
            "kb: " + base + "member.json:1:47: unknown member 'expects'; did you mean 'expect'?\n"
            "kb: " + base + "member.json:1:1: missing member 'expect'\n"
            "kb: " + base + "member.json:1:32: fact 'months': missing fact 'months' (months of response)\n");
}

TEST(TestCommand, duplicate_names_missing_paths_and_empty_folders_are_errors) {
  TempDir dir;
  std::string g = dir.file("g.kb", kGuideline);
  std::filesystem::create_directories(dir.file("cases"));
  std::filesystem::create_directories(dir.file("empty"));
  std::string a = dir.file("cases/a.json", case_text("same", kPatient, R"({"mdt": "consider"})"));
  dir.file("cases/b.json", case_text("same", kPatient, R"({"mdt": "consider"})"));
  CliRun r = kb({"test", "--source", g, dir.file("cases")});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("b.json:2:3: test name 'same' is already used at " + kb::display_path(a) + ":2:3"),
            std::string::npos)
      << r.err;
  CliRun missing = kb({"test", "--source", g, dir.file("nope.json")});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("nope.json: no such file or folder"), std::string::npos) << missing.err;
  CliRun empty = kb({"test", "--source", g, dir.file("empty")});
  EXPECT_EQ(empty.code, 2);
  EXPECT_NE(empty.err.find("empty: no .json test files in this folder"), std::string::npos) << empty.err;
}

TEST(TestCommand, a_folder_runs_its_files_sorted_and_verbose_lists_passes) {
  TempDir dir;
  std::string g = dir.file("g.kb", kGuideline);
  std::filesystem::create_directories(dir.file("cases"));
  dir.file("cases/2_second.json", case_text("second", kPatient, R"({"mdt": "consider"})"));
  dir.file("cases/1_first.json", case_text("first", kPatient, R"({"mdt": "consider"})"));
  dir.file("cases/notes.txt", "not a test");
  CliRun r = kb({"test", "--source", g, dir.file("cases"), "--verbose"});
  EXPECT_EQ(r.code, 0) << r.err;
  std::size_t first = r.out.find("passed  test:first  gives the expected advice\n");
  std::size_t second = r.out.find("passed  test:second  gives the expected advice\n");
  ASSERT_NE(first, std::string::npos) << r.out;
  ASSERT_NE(second, std::string::npos) << r.out;
  EXPECT_LT(first, second);
  EXPECT_EQ(kb({"test", "--source", g, dir.file("cases")}).out.find("passed  test:"), std::string::npos);
}

TEST(TestCommand, coverage_lists_the_rules_no_case_fires) {
  TempDir dir;
  std::string g = dir.file("g.kb", kGuideline);
  std::string t = dir.file("t.json", case_text("t", kPatient, R"({"mdt": "consider"})"));
  CliRun r = kb({"test", "--source", g, t, "--coverage"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("coverage: 1 of 2 rules fired by some test case; fired by none:\n  " + kb::display_path(g) +
                       ":8:1: rule BMA@draft is fired by no test case\n"),
            std::string::npos)
      << r.out;
  CliRun j = kb({"test", "--source", g, t, "--coverage", "--format", "json"});
  json report = json::parse(j.out);
  EXPECT_EQ(report["coverage"]["fired"], 1);
  EXPECT_EQ(report["coverage"]["unfired"][0]["rule"], "BMA@draft");
}

TEST(TestCommand, runs_against_a_release_or_the_draft) {
  TempDir dir;
  std::string db = dir.file("kb.sqlite");
  std::string g = dir.file("g.kb", kGuideline);
  std::string t = dir.file("t.json", case_text("t", kPatient, R"({"mdt": "consider"})"));
  ASSERT_EQ(kb({"init", "--db", db}).code, 0);
  ASSERT_EQ(kb({"import", "--db", db, "--author", "a", "--reason", "r", g}).code, 0);
  ASSERT_EQ(kb({"release", "--db", db, "r1", "--author", "a"}).code, 0);
  std::string changed = kGuideline;
  changed.replace(changed.find("then consider mdt"), 17, "then recommend mdt");
  ASSERT_EQ(kb({"import", "--db", db, "--author", "a", "--reason", "r", dir.file("g2.kb", changed)}).code, 0);
  CliRun release = kb({"test", "--db", db, "--release", "r1", t});
  EXPECT_EQ(release.code, 0) << release.out << release.err;
  CliRun draft = kb({"test", "--db", db, t});
  EXPECT_EQ(draft.code, 1) << draft.out << draft.err;
  EXPECT_NE(draft.out.find("rules fired: OFFER@2"), std::string::npos) << draft.out;
  EXPECT_EQ(kb({"test", "--db", db, "--release", "r9", t}).code, 2);
  EXPECT_EQ(kb({"test", "--db", db, "--release", "r1", "--source", g, t}).code, 2);
}

TEST(TestCommand, json_report_gives_expected_actual_and_the_differing_actions) {
  TempDir dir;
  std::string g = dir.file("g.kb", kGuideline);
  std::string t = dir.file("t.json", case_text("t", kPatient, R"({"mdt": "avoid"})"));
  CliRun r = kb({"test", "--source", g, t, "--format", "json"});
  EXPECT_EQ(r.code, 1);
  json j = json::parse(r.out);
  EXPECT_EQ(j["schema"], "kb-test-report/1");
  EXPECT_EQ(j["subject"]["release_hash"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["summary"], json({{"tests", 1}, {"passed", 0}, {"failed", 1}}));
  const json& c = j["tests"][0];
  EXPECT_EQ(c["name"], "t");
  EXPECT_EQ(c["status"], "failed");
  EXPECT_EQ(c["expected"], json({{"mdt", "avoid"}}));
  EXPECT_EQ(c["actual"], json({{"mdt", "consider"}}));
  EXPECT_EQ(c["diff"], json::array({{{"action", "mdt"}, {"expected", "avoid"}, {"actual", "consider"}}}));
  EXPECT_EQ(c["fired"], json::array({"OFFER@draft"}));
  EXPECT_EQ(c["patient"]["bone"], false);
  EXPECT_EQ(c["location"]["line"], 5);  // the "mdt" expectation
  EXPECT_EQ(c["location"]["column"], 14);
  EXPECT_NE(r.err.find("kb test: 1 test, 0 passed, 1 failed"), std::string::npos) << r.err;
}

TEST(TestCommand, junit_failure_carries_the_patient_the_fired_rules_and_the_place) {
  TempDir dir;
  std::string g = dir.file("g.kb", kGuideline);
  std::string t = dir.file("t.json", case_text("t", kPatient, R"({"mdt": "avoid"})"));
  std::string out = dir.file("t.xml");
  CliRun r = kb({"test", "--source", g, t, "--format", "junit", "--out", out});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("kb test: 1 test, 0 passed, 1 failed"), std::string::npos) << r.err;
  std::ifstream in(out);
  std::string xml((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(xml.find("<testcase classname=\"kb.test\" name=\"test:t\" time=\""), std::string::npos) << xml;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
  pugi::xml_node c = doc.select_node("//testcase[@name='test:t']").node();
  ASSERT_TRUE(c) << xml;
  EXPECT_EQ(std::string(c.attribute("file").value()), kb::display_path(t));
  EXPECT_EQ(std::string(c.attribute("line").value()), "5");
  EXPECT_EQ(std::string(c.child("failure").attribute("type").value()), "failed");
  EXPECT_EQ(std::string(c.child("failure").attribute("message").value()), "mdt: expected avoid, got consider");
  EXPECT_EQ(std::string(c.child("failure").text().get()).rfind(kb::display_path(t) + ":5:14: test:t:", 0), 0u) << xml;
  EXPECT_NE(xml.find("  months=4\n  board=true\n  bone=false\n"), std::string::npos) << xml;
  EXPECT_NE(xml.find("  OFFER@draft at " + kb::display_path(g) + ":7:1\n"), std::string::npos) << xml;
}

TEST(TestCommand, output_has_no_colour_escape_codes_without_a_terminal) {
  TempDir dir;
  std::string g = dir.file("g.kb", kGuideline);
  std::string t = dir.file("t.json", case_text("t", kPatient, R"({"mdt": "avoid"})"));
  CliRun r = kb({"test", "--source", g, t, "--verbose"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out.find('\033'), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find('\033'), std::string::npos) << r.err;
}

}  // namespace
