// What kb-verify, kb check and kb test show a user and a CI job: test cases
// as kb-verify obligations, SARIF logs (rule ids, levels, locations,
// fingerprints, the release hash), JUnit failures with the patient, and the
// console (summary on stderr, --quiet, --failures-only, every fact of a
// counterexample, plurals, no colour without a terminal).
#include <gtest/gtest.h>

#include <pugixml.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "kb/lang/parser.h"
#include "kb/model/checker.h"
#include "kb/model/guideline.h"
#include "report/report.h"
#include "report/sarif.h"
#include "tests/common/cli.h"

namespace {

using kb::testing::CliRun;
using kb::testing::TempDir;
using nlohmann::json;

CliRun kb_verify(const std::vector<std::string>& args) { return kb::testing::run_kb_verify(args); }
CliRun kb(const std::vector<std::string>& args) { return kb::testing::run_kb(args); }

// MDT is considered from 3 months of response; the property asks for 6.
const std::string kViolated = R"(reference 1 "r"
fact months: int 0..240 "months of response"
fact board: bool "tumour board held"
fact bone: bool "bone metastases"
action mdt "MDT"
action bma "bone-modifying agent"
rule OFFER when months >= 3 and board then consider mdt because "x" source "MDT after a response" cites 1
rule BMA when bone then recommend bma because "y" source "BMA for bone metastases" cites 1
property MDT-AFTER-6 "no MDT before 6 months" offered(mdt) implies months >= 6
)";

const std::string kFailingCase = R"({
  "name": "mdt_at_4",
  "sentence": "MDT after a response",
  "patient": {"months": 4, "board": true, "bone": false},
  "expect": {"mdt": "recommend"}
}
)";

const std::string kPassingCase = R"({
  "name": "bone",
  "sentence": "BMA for bone metastases",
  "patient": {"months": 0, "board": false, "bone": true},
  "expect": {"bma": "recommend"}
}
)";

const json* obligation(const json& report, const std::string& id) {
  for (const json& o : report["obligations"])
    if (o["id"] == id) return &o;
  return nullptr;
}

const json* result(const json& sarif, const std::string& rule_id) {
  for (const json& r : sarif["runs"][0]["results"])
    if (r["ruleId"] == rule_id) return &r;
  return nullptr;
}

// ---- kb-verify --tests ----

TEST(KbVerifyTests, test_cases_are_obligations_in_text_json_and_junit) {
  TempDir dir;
  std::string g = dir.file("g.kb", kViolated);
  std::filesystem::create_directories(dir.file("cases"));
  std::string failing = dir.file("cases/a.json", kFailingCase);
  dir.file("cases/b.json", kPassingCase);

  CliRun text = kb_verify({g, "--tests", dir.file("cases")});
  EXPECT_EQ(text.code, 1) << text.err;
  EXPECT_NE(text.out.find(kb::display_path(failing) + ":5:14: failed  test:mdt_at_4\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("passed  test:bone  gives the expected advice\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("2 warnings; 2 tests: 1 passed, 1 failed (11 obligations"), std::string::npos) << text.out;

  CliRun j = kb_verify({g, "--tests", dir.file("cases"), "--format", "json"});
  json report = json::parse(j.out);
  EXPECT_EQ(report["summary"]["failed"], 1);
  EXPECT_EQ(report["summary"]["passed"], 1);
  const json* t = obligation(report, "test:mdt_at_4");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ((*t)["kind"], "test");
  EXPECT_EQ((*t)["code"], "failed-test");
  EXPECT_EQ((*t)["subject"], json({{"kind", "test"}, {"name", "mdt_at_4"}}));
  EXPECT_EQ((*t)["expected"], json({{"mdt", "recommend"}}));
  EXPECT_EQ((*t)["actual"], json({{"mdt", "consider"}}));
  EXPECT_EQ((*t)["location"]["line"], 5);

  CliRun x = kb_verify({g, "--tests", dir.file("cases"), "--format", "junit"});
  EXPECT_NE(x.out.find("<testcase classname=\"kb-verify.test\" name=\"test:mdt_at_4\""), std::string::npos) << x.out;
  EXPECT_NE(x.out.find("tests=\"11\" failures=\"2\""), std::string::npos) << x.out;
}

TEST(KbVerifyTests, a_failing_test_alone_makes_the_run_fail_and_a_bad_file_exits_2) {
  TempDir dir;
  std::string holds = kViolated;
  holds.replace(holds.find("months >= 6"), 11, "months >= 3");
  std::string g = dir.file("g.kb", holds);
  EXPECT_EQ(kb_verify({g, "--tests", dir.file("pass.json", kPassingCase)}).code, 0);
  EXPECT_EQ(kb_verify({g, "--tests", dir.file("fail.json", kFailingCase)}).code, 1);
  std::string bad = kFailingCase;
  bad.replace(bad.find("\"bone\": false"), 13, "\"bones\": false");
  CliRun r = kb_verify({g, "--tests", dir.file("bad.json", bad)});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad.json:4:43: fact 'bones': unknown fact 'bones'; did you mean 'bone'?"), std::string::npos)
      << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

// ---- SARIF ----

TEST(Sarif, kb_verify_log_names_rules_levels_places_fingerprints_and_the_release_hash) {
  TempDir dir;
  std::string g = dir.file("g.kb", kViolated);
  CliRun r = kb_verify({g, "--tests", dir.file("t.json", kFailingCase), "--format", "sarif"});
  EXPECT_EQ(r.code, 1) << r.err;
  json log = json::parse(r.out);
  EXPECT_EQ(log["version"], "2.1.0");
  EXPECT_EQ(log["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
  const json& run = log["runs"][0];
  const json& driver = run["tool"]["driver"];
  EXPECT_EQ(driver["name"], "kb-verify");
  EXPECT_EQ(driver["version"], "0.1.0");
  EXPECT_FALSE(driver.contains("informationUri"));
  std::string release_hash = json::parse(kb_verify({g, "--format", "json"}).out)["subject"]["release_hash"];
  EXPECT_EQ(run["properties"]["releaseHash"], release_hash);

  const json* violated = result(log, "violated-property");
  ASSERT_NE(violated, nullptr) << r.out;
  EXPECT_EQ((*violated)["level"], "error");
  EXPECT_EQ(driver["rules"][(*violated)["ruleIndex"].get<int>()]["id"], "violated-property");
  const json& where = (*violated)["locations"][0]["physicalLocation"];
  EXPECT_EQ(where["artifactLocation"], json({{"uri", "file://" + kb::display_path(g)}}));  // outside the working folder
  EXPECT_EQ(where["region"]["startLine"], 9);
  EXPECT_EQ(where["region"]["startColumn"], 1);
  EXPECT_EQ(where["region"]["endLine"], 9);
  const json& related = (*violated)["relatedLocations"][0];
  EXPECT_EQ(related["message"]["text"], "rule OFFER@draft fires for the patient.");
  EXPECT_EQ(related["physicalLocation"]["region"]["startLine"], 7);
  EXPECT_EQ((*violated)["partialFingerprints"]["kbFinding/v1"],
            verify::sarif_fingerprint("violated-property", "property:MDT-AFTER-6"));
  EXPECT_EQ((*violated)["properties"]["patient"]["bone"], false);

  const json* test = result(log, "failed-test");
  ASSERT_NE(test, nullptr) << r.out;
  EXPECT_EQ((*test)["level"], "error");
  EXPECT_EQ((*test)["message"]["text"], "test:mdt_at_4: mdt: expected recommend, got consider.");
  EXPECT_EQ((*test)["locations"][0]["physicalLocation"]["region"]["startLine"], 5);
  const json* lint = result(log, "uncovered-rule");
  ASSERT_NE(lint, nullptr);
  EXPECT_EQ((*lint)["level"], "warning");
  EXPECT_EQ(result(log, "property"), nullptr);  // what holds is not a finding
}

TEST(Sarif, a_restating_property_points_at_the_rule_it_restates) {
  CliRun r = kb_verify({"kb/guidelines", "--only", "MDT-AVOIDED-WITHOUT-MINIMUM-RESPONSE", "--format", "sarif"});
  EXPECT_EQ(r.code, 0) << r.err;
  json log = json::parse(r.out);
  const json* restates = result(log, "restates-rule");
  ASSERT_NE(restates, nullptr) << r.out;
  EXPECT_EQ((*restates)["level"], "warning");
  EXPECT_EQ((*restates)["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "kb/guidelines/90_properties.kb");
  const json& rule = (*restates)["relatedLocations"][0];
  EXPECT_EQ(rule["message"]["text"], "rule SELECT-AVOID-MDT-WITHOUT-RESPONSE@draft is the rule the property restates.");
  EXPECT_EQ(rule["physicalLocation"]["artifactLocation"]["uri"], "kb/guidelines/30_selection_mdt.kb");
}

TEST(Sarif, locations_are_repository_relative_under_srcroot) {
  EXPECT_EQ(verify::sarif_artifact("kb/guidelines/30 mdt.kb"),
            json({{"uri", "kb/guidelines/30%20mdt.kb"}, {"uriBaseId", "SRCROOT"}}));
  EXPECT_EQ(verify::sarif_artifact("/abs/g.kb"), json({{"uri", "file:///abs/g.kb"}}));
  EXPECT_TRUE(verify::sarif_artifact("<stdin>").is_null());
  CliRun r = kb({"check", "--format", "sarif", "tests/sarif/broken.kb"});
  json log = json::parse(r.out);
  const json& loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
  EXPECT_EQ(loc["artifactLocation"], json({{"uri", "tests/sarif/broken.kb"}, {"uriBaseId", "SRCROOT"}}));
  std::string root = log["runs"][0]["originalUriBaseIds"]["SRCROOT"]["uri"];
  EXPECT_EQ(root.rfind("file:///", 0), 0u) << root;
  EXPECT_EQ(root.back(), '/');
}

TEST(Sarif, fingerprints_stay_when_findings_move_to_other_lines) {
  TempDir dir;
  auto log_of = [&](const std::string& text) {
    return json::parse(kb_verify({dir.file("g.kb", text), "--format", "sarif"}).out)["runs"][0]["results"];
  };
  json before = log_of(kViolated);
  json after = log_of("# a comment\n\n" + kViolated);
  ASSERT_EQ(before.size(), after.size());
  ASSERT_FALSE(before.empty());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i]["partialFingerprints"], after[i]["partialFingerprints"]) << before[i]["ruleId"];
    EXPECT_EQ(before[i]["locations"][0]["physicalLocation"]["region"]["startLine"].get<int>() + 2,
              after[i]["locations"][0]["physicalLocation"]["region"]["startLine"].get<int>());
  }
  std::set<std::string> distinct;
  for (const json& r : before) distinct.insert(r["partialFingerprints"]["kbFinding/v1"].get<std::string>());
  EXPECT_EQ(distinct.size(), before.size());
}

TEST(Sarif, kb_check_errors_are_results_with_their_code_and_a_clean_check_has_the_release_hash) {
  CliRun bad = kb({"check", "--format", "sarif", "tests/sarif/broken.kb"});
  EXPECT_EQ(bad.code, 2);
  json log = json::parse(bad.out);
  const json* unknown = result(log, "unknown-name");
  ASSERT_NE(unknown, nullptr) << bad.out;
  EXPECT_EQ((*unknown)["level"], "error");
  EXPECT_EQ((*unknown)["message"]["text"], "unknown name 'monts'; did you mean 'months'?");
  EXPECT_EQ((*unknown)["locations"][0]["physicalLocation"]["region"], json({{"startLine", 5}, {"startColumn", 17}}));
  EXPECT_TRUE(log["runs"][0]["properties"]["releaseHash"].is_null());
  EXPECT_EQ(bad.err, "kb check: 2 errors\n");

  CliRun good = kb({"check", "--format", "sarif", "tests/sarif/violated.kb"});
  EXPECT_EQ(good.code, 0) << good.err;
  json clean = json::parse(good.out);
  EXPECT_TRUE(clean["runs"][0]["results"].empty());
  EXPECT_EQ(clean["runs"][0]["properties"]["releaseHash"].get<std::string>().size(), 64u);
}

TEST(Sarif, kb_test_log_has_failures_and_untested_rules_as_notes) {
  CliRun r = kb({"test", "--source", "tests/sarif/violated.kb", "tests/sarif/cases", "--coverage", "--format", "sarif"});
  EXPECT_EQ(r.code, 1) << r.err;
  json log = json::parse(r.out);
  EXPECT_EQ(log["runs"][0]["tool"]["driver"]["name"], "kb");
  EXPECT_EQ(log["runs"][0]["properties"]["command"], "test");
  const json* note = result(log, "untested-rule");
  ASSERT_NE(note, nullptr) << r.out;
  EXPECT_EQ((*note)["level"], "note");
  EXPECT_EQ((*note)["partialFingerprints"]["kbFinding/v1"], verify::sarif_fingerprint("untested-rule", "rule:PAIN"));
  const json* failed = result(log, "failed-test");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ((*failed)["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "tests/sarif/cases/mdt_at_4_months.json");
}

// ---- JUnit ----

TEST(Junit, a_violated_property_carries_every_fact_the_fired_rules_and_the_place) {
  TempDir dir;
  std::string g = dir.file("g.kb", kViolated);
  CliRun r = kb_verify({g, "--format", "junit"});
  EXPECT_EQ(r.code, 1);
  std::string p = kb::display_path(g);
  EXPECT_NE(r.out.find("<testcase classname=\"kb-verify.property\" name=\"property:MDT-AFTER-6\" time=\""),
            std::string::npos)
      << r.out;
  // What a CI server reads: the parsed document, not its layout.
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(r.out.c_str())) << r.out;
  pugi::xml_node c = doc.select_node("//testcase[@name='property:MDT-AFTER-6']").node();
  ASSERT_TRUE(c) << r.out;
  EXPECT_EQ(std::string(c.attribute("file").value()), p);
  EXPECT_EQ(std::string(c.attribute("line").value()), "9");
  pugi::xml_node f = c.child("failure");
  EXPECT_EQ(std::string(f.attribute("type").value()), "violated");
  EXPECT_EQ(std::string(f.attribute("message").value()), "a valid patient breaks it");
  EXPECT_EQ(std::string(f.text().get()).rfind(p + ":9:1: property:MDT-AFTER-6: no MDT before 6 months\n", 0), 0u)
      << f.text().get();
  EXPECT_NE(r.out.find("patient (2 facts the verdict reads, then the others):\n  months=3\n  board=true\n  bone=false\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(std::string(f.text().get()).find("rules fired:\n  OFFER@draft at " + p + ":7:1\n"), std::string::npos)
      << r.out;
}

TEST(Junit, control_characters_and_broken_utf8_in_a_message_still_give_well_formed_xml) {
  kb::Diagnostics diags;
  auto g = kb::check(kb::parse_source("g.kb", kViolated, diags), diags);
  ASSERT_TRUE(g);
  verify::Report r;
  verify::Obligation o;
  o.id = "property:MDT-AFTER-6";
  o.subject = {kb::ItemKind::Property, 0};
  o.status = verify::Status::Violated;
  o.message = std::string("bell \x07 escape \x1b[31m broken \xff\xfe end \xc3\xa9");
  r.obligations.push_back(o);
  std::string xml = verify::to_junit(r, *g, {"files g.kb", "0", "t", "kb-verify", ""}, false);
  pugi::xml_document doc;
  pugi::xml_parse_result parsed = doc.load_string(xml.c_str());
  ASSERT_TRUE(parsed) << parsed.description() << "\n" << xml;
  std::string message = doc.select_node("//failure").node().attribute("message").value();
  EXPECT_EQ(message, "bell ? escape ?[31m broken ?? end \xc3\xa9");  // well-formed UTF-8 kept
}

// ---- the console ----

TEST(Console, the_summary_goes_to_stderr_even_with_out) {
  TempDir dir;
  std::string g = dir.file("g.kb", kViolated);
  std::string out = dir.file("report.sarif");
  CliRun r = kb_verify({g, "--format", "sarif", "--out", out});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_EQ(r.err.rfind("kb-verify: 0 proved, 1 violated, 0 conflicts, 0 unknown, 0 disagreements, 2 warnings (9 obligations, ", 0),
            0u)
      << r.err;
  EXPECT_TRUE(std::filesystem::exists(out));
}

TEST(Console, quiet_prints_only_the_summary_and_failures_only_leaves_out_what_holds) {
  TempDir dir;
  std::string text = kViolated + "property BMA-FOR-BONE \"bone gets BMA\" bone implies recommended(bma)\n";
  std::string g = dir.file("g.kb", text);
  CliRun quiet = kb_verify({g, "--quiet"});
  EXPECT_EQ(quiet.code, 1);
  EXPECT_TRUE(quiet.out.empty()) << quiet.out;
  EXPECT_NE(quiet.err.find("kb-verify: 1 proved, 1 violated"), std::string::npos) << quiet.err;

  CliRun all = kb_verify({g});
  EXPECT_NE(all.out.find("proved  property:BMA-FOR-BONE"), std::string::npos) << all.out;
  CliRun failures = kb_verify({g, "--failures-only"});
  EXPECT_EQ(failures.code, 1);
  EXPECT_EQ(failures.out.find("proved  property:BMA-FOR-BONE"), std::string::npos) << failures.out;
  EXPECT_NE(failures.out.find("violated  property:MDT-AFTER-6"), std::string::npos) << failures.out;
}

TEST(Console, a_counterexample_shows_every_fact_those_the_verdict_reads_first) {
  TempDir dir;
  CliRun r = kb_verify({dir.file("g.kb", kViolated)});
  EXPECT_NE(r.out.find("violated  property:MDT-AFTER-6  a valid patient breaks it\n"
                       "      fails for every valid patient with months in 3..5, board\n"
                       "      patient: months=3, board=true; other facts: bone=false\n"
                       "      rules fired: OFFER@draft\n"),
            std::string::npos)
      << r.out;
}

TEST(Console, counts_have_correct_plurals) {
  EXPECT_EQ(verify::plural(0, "warning"), "0 warnings");
  EXPECT_EQ(verify::plural(1, "warning"), "1 warning");
  EXPECT_EQ(verify::plural(2, "warning"), "2 warnings");
  TempDir dir;
  // Only the dead-rule check of R: one obligation, one warning.
  std::string g = dir.file("g.kb", R"(fact a: bool "a"
action x "x"
rule R when a and not a then recommend x because "r" source "s"
)");
  CliRun r = kb_verify({g, "--only", "R"});
  EXPECT_NE(r.out.find(" 0 conflicts, 0 unknown, 0 disagreements, 1 warning (1 obligation, "), std::string::npos) << r.out;
  EXPECT_NE(r.err.find(" 0 conflicts, 0 unknown, 0 disagreements, 1 warning (1 obligation, "), std::string::npos) << r.err;
  EXPECT_EQ(kb({"check", g}).out, "ok: 1 fact, 1 rule, 0 properties\n");
}

TEST(Console, no_colour_escape_codes_without_a_terminal) {
  EXPECT_EQ(verify::colored("violated", verify::Status::Violated, true), "\033[31mviolated\033[0m");
  EXPECT_EQ(verify::colored("proved", verify::Status::Proved, true), "\033[32mproved\033[0m");
  EXPECT_EQ(verify::colored("violated", verify::Status::Violated, false), "violated");
  TempDir dir;
  std::string g = dir.file("g.kb", kViolated);
  for (const std::vector<std::string>& args : {std::vector<std::string>{g}, {g, "--failures-only"}}) {
    CliRun r = kb_verify(args);
    EXPECT_EQ(r.out.find('\033'), std::string::npos) << r.out;
    EXPECT_EQ(r.err.find('\033'), std::string::npos) << r.err;
  }
}

}  // namespace
