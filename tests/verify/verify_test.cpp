// The harness and kb-verify: lints on small synthetic guidelines, unknown
// verdicts, replay catching translator disagreements, cores that re-prove,
// random guidelines with no disagreement, and the command line.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kb/lang/parser.h"
#include "solver/solver.h"
#include "tests/common/bundled.h"
#include "tests/common/random_guideline.h"
#include "tests/common/cli.h"
#include "verify/harness.h"

namespace {


const verify::Obligation& find(const verify::Report& r, const std::string& id) {
  for (const auto& o : r.obligations)
    if (o.id == id) return o;
  throw std::runtime_error("no obligation " + id);
}

const std::string kBase = R"(reference 1 "r"
fact months: int 0..240 "months"
fact lesions: int 0..50 "lesions"
fact board: bool "board"
fact bone: bool "bone mets"
action mdt "MDT"
action bma "bone-modifying agent"
)";

TEST(Harness, conflict_is_found_with_a_witness_the_recommender_confirms) {
  kb::Guideline g = kb::testing::checked(kBase + R"(
rule OFFER when months >= 3 then recommend mdt because "x" source "y"
rule AVOID when lesions > 5 then avoid mdt because "x" source "y"
)");
  verify::Report r = verify::run(g, {});
  const auto& o = find(r, "conflict:mdt");
  ASSERT_EQ(o.status, verify::Status::Conflict);
  ASSERT_TRUE(o.witness);
  kb::Recommender rec(g);
  kb::Outcome out;
  rec.evaluate(*o.witness, out);
  EXPECT_TRUE(out.conflict(0));
  EXPECT_EQ(o.fired, (std::vector<int>{g.rule_index("OFFER"), g.rule_index("AVOID")}));
  EXPECT_EQ(r.exit_code(false), 1);
}

TEST(Harness, no_conflict_is_proved) {
  kb::Guideline g = kb::testing::checked(kBase + R"(
rule OFFER when months >= 3 and lesions <= 5 then recommend mdt because "x" source "y"
rule AVOID when lesions > 5 then avoid mdt because "x" source "y"
)");
  verify::Report r = verify::run(g, {});
  EXPECT_EQ(find(r, "conflict:mdt").status, verify::Status::NoConflict);
  EXPECT_EQ(r.exit_code(false), 0);
}

TEST(Harness, dead_rule_is_a_warning) {
  kb::Guideline g = kb::testing::checked(kBase + R"(
rule DEAD when months > 10 and months < 5 then recommend mdt because "x" source "y"
)");
  verify::Report r = verify::run(g, {});
  EXPECT_EQ(find(r, "dead:DEAD").status, verify::Status::Warning);
  EXPECT_EQ(r.exit_code(false), 0);
  EXPECT_EQ(r.exit_code(true), 1);
}

TEST(Harness, dead_under_a_domain_constraint) {
  kb::Guideline g = kb::testing::checked(kBase + R"(
constraint FEW "lesions bounded" lesions <= 10
rule DEAD when lesions > 20 then recommend mdt because "x" source "y"
)");
  EXPECT_EQ(find(verify::run(g, {}), "dead:DEAD").status, verify::Status::Warning);
}

TEST(Harness, redundant_rule_is_a_warning_and_the_other_is_not) {
  kb::Guideline g = kb::testing::checked(kBase + R"(
rule WIDE when bone then recommend bma because "x" source "y"
rule NARROW when bone and months > 6 then recommend bma because "x" source "y"
)");
  verify::Report r = verify::run(g, {});
  EXPECT_EQ(find(r, "redundant:NARROW").status, verify::Status::Warning);
  EXPECT_EQ(find(r, "redundant:WIDE").status, verify::Status::Ok);
}

TEST(Harness, vacuous_properties_are_warnings) {
  kb::Guideline g = kb::testing::checked(kBase + R"(
rule BMA when bone then recommend bma because "x" source "y"
property IMPOSSIBLE "premise never met" months > 10 and months < 5 implies recommended(bma)
property PATIENT-ONLY "about patients only" lesions >= 0
property REAL "bone gets bma" bone implies recommended(bma)
)");
  verify::Report r = verify::run(g, {});
  EXPECT_EQ(find(r, "vacuous:IMPOSSIBLE").status, verify::Status::Warning);
  EXPECT_EQ(find(r, "rule-free:PATIENT-ONLY").status, verify::Status::Warning);
  EXPECT_EQ(find(r, "rule-free:IMPOSSIBLE").status, verify::Status::Warning);
  EXPECT_EQ(find(r, "vacuous:REAL").status, verify::Status::Ok);
  EXPECT_EQ(find(r, "rule-free:REAL").status, verify::Status::Ok);
  EXPECT_EQ(find(r, "property:REAL").status, verify::Status::Proved);
  // It rests on the property, the rule and the facts they name.
  std::vector<kb::ItemRef> rests = find(r, "property:REAL").rests_on;
  EXPECT_EQ(rests, (std::vector<kb::ItemRef>{*g.find(kb::ItemKind::Fact, "bone"), *g.find(kb::ItemKind::Rule, "BMA"),
                                             *g.find(kb::ItemKind::Property, "REAL")}));
}

TEST(Harness, uncovered_rule_is_a_warning) {
  kb::Guideline g = kb::testing::checked(kBase + R"(
rule BMA when bone then recommend bma because "x" source "y" cites 1
rule MDT when months >= 3 then recommend mdt because "x" source "y"
property BONE "bone gets bma" bone implies recommended(bma)
)");
  verify::Report r = verify::run(g, {});
  EXPECT_EQ(find(r, "uncovered:BMA").status, verify::Status::Ok);
  EXPECT_EQ(find(r, "uncovered:MDT").status, verify::Status::Warning);
  EXPECT_EQ(find(r, "property:BONE").evidence, std::vector<int>{1});
}

TEST(Harness, timeout_is_reported_unknown_and_exits_2) {
  kb::Guideline g = kb::testing::checked(kb::testing::pigeonhole_source());
  verify::Options o;
  o.timeout_ms = 1;
  verify::Report r = verify::run(g, o);
  EXPECT_EQ(find(r, "property:HARD").status, verify::Status::Unknown);
  EXPECT_EQ(r.count(verify::Status::Proved), 0u);
  EXPECT_EQ(r.exit_code(false), 2);
}

TEST(Harness, translator_disagreement_is_caught_by_replay) {
  std::string rules = R"(
rule OFFER when months >= 3 then recommend mdt because "x" source "y"
property P "no MDT below 6 months" offered(mdt) implies months >= 6
)";
  kb::Guideline encoded = kb::testing::checked(kBase + rules);
  std::string wrong = rules;
  wrong.replace(wrong.find("months >= 3"), 11, "months >= 9");  // what a buggy translator would run
  kb::Guideline replayed = kb::testing::checked(kBase + wrong);
  verify::Report r = verify::run_split(encoded, replayed, {});
  const auto& o = find(r, "property:P");
  EXPECT_EQ(o.status, verify::Status::Disagreement);
  EXPECT_NE(o.message.find("translator disagreement"), std::string::npos);
  EXPECT_NE(o.solver_says.find("mdt=recommended"), std::string::npos);
  EXPECT_EQ(r.exit_code(false), 2);
}

// Every proof of the bundled guideline re-proves with only the rules it
// reports resting on.
TEST(Harness, bundled_proofs_reprove_with_only_the_rules_they_rest_on) {
  const kb::Guideline& g = kb::testing::bundled();
  verify::Options options;
  options.lints = false;
  verify::Report r = verify::run(g, options);
  solver::Solver s(g, 0);
  std::size_t proved = 0;
  for (const verify::Obligation& o : r.obligations) {
    if (o.kind != verify::Kind::Property || o.reading) continue;  // other readings may fail by design
    ASSERT_EQ(o.status, verify::Status::Proved) << o.id;
    solver::RuleSet only{false, {}};
    for (kb::ItemRef ref : o.rests_on)
      if (ref.kind == kb::ItemKind::Rule) only.only.push_back(ref.index);
    EXPECT_EQ(s.prove_property(o.subject.index, only).verdict, solver::Verdict::Unsat) << o.id;
    ++proved;
  }
  EXPECT_EQ(proved, g.properties.size());
}

TEST(Harness, bundled_guideline_is_proved_without_conflict_or_disagreement) {
  verify::Report r = verify::run(kb::testing::bundled(), {});
  EXPECT_EQ(r.count(verify::Status::Proved), kb::testing::bundled().properties.size());
  EXPECT_EQ(r.count(verify::Status::Violated), 0u);
  EXPECT_EQ(r.count(verify::Status::Conflict), 0u);
  EXPECT_EQ(r.count(verify::Status::Unknown), 0u);
  EXPECT_EQ(r.count(verify::Status::Disagreement), 0u);
  for (const auto& o : r.obligations) {
    bool lint = o.kind == verify::Kind::DeadRule || o.kind == verify::Kind::RedundantRule ||
                o.kind == verify::Kind::VacuousProperty || o.kind == verify::Kind::RuleFreeProperty;
    if (lint) {
      EXPECT_EQ(o.status, verify::Status::Ok) << o.id << ": " << o.message;
    }
  }
}

// Differential (b) and (c): on random guidelines every witness the solver
// produces is a valid patient on which the recommender agrees.
RC_GTEST_PROP(Harness, random_guidelines_never_disagree, (std::uint32_t seed)) {
  kb::Guideline g = kb::testing::checked(kb::testing::RandomGuideline(seed).source());
  verify::Report r = verify::run(g, {});
  for (const auto& o : r.obligations) {
    RC_ASSERT(o.status != verify::Status::Disagreement);
    RC_ASSERT(o.status != verify::Status::Unknown);
  }
}

// ---- the command line ----

using kb::testing::CliRun;
using kb::testing::TempDir;

CliRun kb_verify(std::vector<std::string> args) { return kb::testing::run_kb_verify(args); }
CliRun kb(std::vector<std::string> args) { return kb::testing::run_kb(args); }

TEST(KbVerify, violated_property_exits_1_with_patient_and_fired_rules) {
  TempDir dir;
  std::string f = dir.file("g.kb", kBase + R"(
rule OFFER when months >= 3 then recommend mdt because "x" source "y"
property P "no MDT below 6 months" offered(mdt) implies months >= 6
)");
  CliRun r = kb_verify({f});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.out.find("violated  property:P  a valid patient breaks it\n      fails for every valid patient with months in 3..5\n      patient: months="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rules fired: OFFER@draft"), std::string::npos) << r.out;
}

TEST(KbVerify, json_report_follows_its_schema) {
  TempDir dir;
  std::string f = dir.file("g.kb", kBase + R"(
rule OFFER when months >= 3 then recommend mdt because "x" source "y" cites 1
property P "no MDT below 3 months" offered(mdt) implies months >= 3
property Q "no MDT below 6 months" offered(mdt) implies months >= 6
)");
  CliRun r = kb_verify({f, "--format", "json"});
  ASSERT_EQ(r.code, 1) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "kb-verify-report/3");
  EXPECT_EQ(j["summary"]["proved"], 1);
  EXPECT_EQ(j["summary"]["violated"], 1);
  EXPECT_EQ(j["subject"]["release_hash"].get<std::string>().size(), 64u);
  for (const auto& o : j["obligations"]) {  // every obligation has a location and what it rests on
    EXPECT_NE(o["location"]["file"].get<std::string>().find("g.kb"), std::string::npos) << o["id"];
    EXPECT_GT(o["location"]["line"].get<int>(), 0) << o["id"];
    EXPECT_FALSE(o["rests_on"].empty()) << o["id"];
  }
  bool seen_p = false, seen_q = false;
  for (const auto& o : j["obligations"]) {
    if (o["id"] == "property:P") {
      seen_p = true;
      EXPECT_EQ(o["status"], "proved");
      nlohmann::json rule = {{"kind", "rule"}, {"name", "OFFER"}, {"version", "draft"}};
      EXPECT_NE(std::find(o["rests_on"].begin(), o["rests_on"].end(), rule), o["rests_on"].end()) << o["rests_on"];
      EXPECT_EQ(o["evidence"], nlohmann::json::array({1}));
    }
    if (o["id"] == "property:Q") {
      seen_q = true;
      EXPECT_EQ(o["status"], "violated");
      int months = o["counterexample"]["months"];
      EXPECT_GE(months, 3);
      EXPECT_LE(months, 5);
    }
  }
  EXPECT_TRUE(seen_p && seen_q);
}

TEST(KbVerify, junit_has_one_testcase_per_obligation_and_out_writes_a_file) {
  TempDir dir;
  std::string f = dir.file("g.kb", kBase + R"(
rule OFFER when months >= 3 then recommend mdt because "x" source "y"
property P "no MDT below 6 months" offered(mdt) implies months >= 6
)");
  std::string out = dir.file("report.xml");
  CliRun r = kb_verify({f, "--format", "junit", "--out", out});
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.out.empty());
  std::ifstream in(out);
  std::string xml((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(xml.find("<testcase classname=\"kb-verify.property\" name=\"property:P\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure type=\"violated\""), std::string::npos);
  EXPECT_NE(xml.find("tests=\"6\" failures=\"1\""), std::string::npos) << xml;
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));
}

TEST(KbVerify, bad_input_exits_2_with_file_line_column) {
  TempDir dir;
  std::string f = dir.file("bad.kb", kBase + "rule R when monts >= 3 then recommend mdt because \"x\" source \"y\"\n");
  CliRun r = kb_verify({f});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("bad.kb:8:13: error: unknown name 'monts'; did you mean 'months'?"), std::string::npos) << r.err;
  EXPECT_EQ(kb_verify({dir.file("g.kb", kBase), "--only", "NOPE"}).code, 2);
  EXPECT_EQ(kb_verify({"--db", dir.file("missing.sqlite")}).code, 2);
}

TEST(KbVerify, results_are_stored_against_the_release) {
  TempDir dir;
  std::string db = dir.file("kb.sqlite");
  std::string f = dir.file("g.kb", kBase + R"(
rule OFFER when months >= 3 then recommend mdt because "x" source "y"
property P "no MDT below 3 months" offered(mdt) implies months >= 3
)");
  ASSERT_EQ(kb({"init", "--db", db}).code, 0);
  ASSERT_EQ(kb({"import", "--db", db, "--author", "t", "--reason", "r", f}).code, 0);
  ASSERT_EQ(kb({"release", "--db", db, "r1", "--author", "t"}).code, 0);
  CliRun r = kb_verify({"--db", db, "--release", "r1"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("rests on: rule OFFER@1"), std::string::npos) << r.out;
  SQLite::Database sql(db);
  SQLite::Statement q(sql,
                      "SELECT r.name, v.exit_code, v.z3_version, res.verdict, res.core, res.location FROM verify_run v "
                      "JOIN release r ON r.id = v.release_id JOIN verify_result res ON res.run_id = v.id "
                      "WHERE res.obligation = 'property:P'");
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getString(), "r1");
  EXPECT_EQ(q.getColumn(1).getInt(), 0);
  EXPECT_EQ(q.getColumn(2).getString(), solver::Solver::z3_version());
  EXPECT_EQ(q.getColumn(3).getString(), "proved");
  nlohmann::json core = nlohmann::json::parse(q.getColumn(4).getString());
  nlohmann::json rule = {{"kind", "rule"}, {"name", "OFFER"}, {"version", 1}};
  EXPECT_NE(std::find(core.begin(), core.end(), rule), core.end()) << core;
  nlohmann::json where = nlohmann::json::parse(q.getColumn(5).getString());
  EXPECT_GT(where["line"].get<int>(), 0) << where;
}

}  // namespace
