// Parameters proved over their allowed range and readings as questions
// (docs/kb-verify.md, "Parameters" and "Readings"): a property that fails
// only at one end of a range is violated with that interval and a witness
// that replays with the failing value; a property that fails under another
// alternative of a question is reported without deciding the exit code;
// `kb readings` names the advice that depends on the choice.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "kb/eval/recommender.h"
#include "kb/lang/parser.h"
#include "kb/lang/printer.h"
#include "solver/solver.h"
#include "tests/common/bundled.h"
#include "tests/common/cli.h"
#include "verify/harness.h"

namespace {

const verify::Obligation* find(const verify::Report& r, const std::string& id) {
  for (const auto& o : r.obligations)
    if (o.id == id) return &o;
  return nullptr;
}

// MDT from `min_months` of response; the committee may set 3..6. FLOOR-5
// holds only when the chosen value is 5 or 6; FLOOR-3 holds for every value.
const std::string kParams = R"(fact months: int 0..240 "months of response"
param min_months = 6 allowed 3..6 "minimum months of response before MDT"
action mdt "metastasis-directed therapy"
rule OFFER when months >= min_months then consider mdt because "r" source "s"
property FLOOR-5 "never below 5 months" offered(mdt) implies months >= 5
property FLOOR-3 "never below 3 months" offered(mdt) implies months >= 3
property CHOSEN "never below the chosen minimum" offered(mdt) implies months >= min_months
)";

// A question whose non-chosen alternative offers MDT from 1 month.
const std::string kReadings = R"(fact months: int 0..240 "months of response"
action mdt "metastasis-directed therapy"
question how_long "How long a response the sentence asks for"
  alternative strict "three months"
  alternative loose "any response"
  chosen strict because "the safer reading"
rule OFFER when months >= 3 then consider mdt because "r" source "s"
rule OFFER-LOOSE when how_long == loose and months >= 1 then consider mdt because "r" source "s"
property FLOOR-3 "never below 3 months" offered(mdt) implies months >= 3
property SOME "MDT for some patient" offered(mdt) or months < 3
)";

TEST(Parameters, a_property_failing_at_one_end_of_the_range_is_violated_with_that_interval) {
  kb::Guideline g = kb::testing::checked(kParams);
  verify::Report r = verify::run(g, {});
  const verify::Obligation* floor5 = find(r, "property:FLOOR-5");
  ASSERT_NE(floor5, nullptr);
  EXPECT_EQ(floor5->status, verify::Status::Violated) << floor5->message;
  ASSERT_EQ(floor5->failing_values.size(), 1u);
  ASSERT_TRUE(floor5->failing_values[0].values.exact);
  using Intervals = std::vector<std::pair<std::int64_t, std::int64_t>>;
  EXPECT_EQ(floor5->failing_values[0].values.intervals, (Intervals{{3, 4}}));
  EXPECT_NE(floor5->message.find("fails for min_months in 3..4 (allowed 3..6, the release's value 6 holds)"),
            std::string::npos)
      << floor5->message;
  // The witness needs a value the release does not use, and replays with it.
  ASSERT_TRUE(floor5->witness);
  ASSERT_EQ(floor5->witness_params.size(), 1u);
  EXPECT_LE(floor5->witness_params[0], 4);
  kb::Guideline at_value = kb::with_param_values(g, floor5->witness_params);
  kb::Recommender rec(at_value);
  kb::Outcome out;
  rec.evaluate(*floor5->witness, out);
  EXPECT_FALSE(rec.property_holds(0, *floor5->witness, out));
  EXPECT_EQ(r.exit_code(false), 1);

  for (const char* id : {"property:FLOOR-3", "property:CHOSEN"}) {
    const verify::Obligation* o = find(r, id);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->status, verify::Status::Proved) << id << ": " << o->message;
    EXPECT_NE(o->message.find("for every allowed value of min_months (3..6)"), std::string::npos) << o->message;
  }
}

TEST(Parameters, the_witness_prefers_the_release_value_when_it_fails_there) {
  // Released at 3: FLOOR-5 fails at the release's own value, and the witness uses it.
  std::string source = kParams;
  source.replace(source.find("min_months = 6"), 14, "min_months = 3");
  verify::Report r = verify::run(kb::testing::checked(source), {});
  const verify::Obligation* floor5 = find(r, "property:FLOOR-5");
  ASSERT_NE(floor5, nullptr);
  EXPECT_EQ(floor5->status, verify::Status::Violated);
  EXPECT_EQ(floor5->witness_params, (std::vector<std::int64_t>{3}));
  EXPECT_NE(floor5->message.find("the release's value 3 among them"), std::string::npos) << floor5->message;
}

TEST(Parameters, solver_decides_each_value_of_a_small_range_and_bounds_a_large_one) {
  kb::Guideline small = kb::testing::checked(kParams);
  solver::Solver s(small, 0);
  solver::ParamValues v = s.values_where(solver::Query::PropertyFails, 0, 0);
  EXPECT_TRUE(v.exact);
  EXPECT_FALSE(v.unknown);
  EXPECT_EQ(v.intervals.size(), 1u);

  // 0..1000: fails for the values 0..4 only; the bound is exact at both ends.
  std::string source = kParams;
  source.replace(source.find("allowed 3..6"), 12, "allowed 0..1000");
  kb::Guideline large = kb::testing::checked(source);
  solver::Solver l(large, 0);
  solver::ParamValues w = l.values_where(solver::Query::PropertyFails, 0, 0);
  EXPECT_FALSE(w.exact);
  using Intervals = std::vector<std::pair<std::int64_t, std::int64_t>>;
  EXPECT_EQ(w.intervals, (Intervals{{0, 4}}));
}

TEST(Parameters, smt_lib_declares_each_parameter_with_its_allowed_range) {
  kb::Guideline g = kb::testing::checked(kParams);
  solver::Solver s(g, 0);
  std::string script = s.smt2(solver::Query::PropertyFails, 0, {"header"});
  EXPECT_NE(script.find("(declare-const param.min_months Int)"), std::string::npos) << script;
  EXPECT_NE(script.find("(assert (and (>= param.min_months 3) (<= param.min_months 6)))"), std::string::npos) << script;
}

TEST(Readings, a_property_failing_under_another_alternative_is_reported_without_failing_the_run) {
  kb::Guideline g = kb::testing::checked(kReadings);
  verify::Report r = verify::run(g, {});
  const verify::Obligation* chosen = find(r, "property:FLOOR-3");
  ASSERT_NE(chosen, nullptr);
  EXPECT_EQ(chosen->status, verify::Status::Proved);
  EXPECT_FALSE(chosen->reading);
  const verify::Obligation* other = find(r, "property:FLOOR-3[how_long=loose]");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->status, verify::Status::Violated);
  ASSERT_TRUE(other->reading);
  EXPECT_EQ(other->reading->alternative, 1);
  ASSERT_TRUE(other->witness);
  EXPECT_LT((*other->witness)[0], 3);  // months below 3, offered MDT only under "loose"
  ASSERT_EQ(other->fired.size(), 1u);
  EXPECT_EQ(g.rules[other->fired[0]].name, "OFFER-LOOSE");
  EXPECT_EQ(r.exit_code(true), 0);  // decided by the chosen reading; the rule for "loose" is not a dead-rule warning
  EXPECT_EQ(r.count(verify::Status::Violated), 0u);
  EXPECT_EQ(r.count_other_readings(verify::Status::Violated), 1u);
  const verify::Obligation* dead = find(r, "dead:OFFER-LOOSE");
  ASSERT_NE(dead, nullptr);
  EXPECT_EQ(dead->status, verify::Status::Ok) << dead->message;
}

TEST(Readings, kb_verify_text_json_and_exit_code_follow_the_chosen_reading) {
  kb::testing::TempDir dir;
  std::string f = dir.file("g.kb", kReadings);
  auto text = kb::testing::run_kb_verify({f, "--deny-warnings"});
  EXPECT_EQ(text.code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("under other readings (reported, not part of the exit code):\n  how_long=loose:\n"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("violated  property:FLOOR-3[how_long=loose]"), std::string::npos) << text.out;

  auto json = kb::testing::run_kb_verify({f, "--format", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["summary"]["violated"], 0);
  EXPECT_EQ(j["summary"]["other_readings"]["violated"], 1);
  bool seen = false;
  for (const auto& o : j["obligations"])
    if (o["id"] == "property:FLOOR-3[how_long=loose]") {
      seen = true;
      EXPECT_EQ(o["reading"]["question"], "how_long");
      EXPECT_EQ(o["reading"]["alternative"], "loose");
      bool question_in_rests_on = false;
      for (const auto& ref : o["rests_on"])
        if (ref["kind"] == "question") question_in_rests_on = ref["chosen"] == "loose";
      EXPECT_TRUE(question_in_rests_on) << o.dump();
    }
  EXPECT_TRUE(seen);

  // Choosing "loose" makes the same property decide the exit code.
  std::string loose = kReadings;
  loose.replace(loose.find("chosen strict"), 13, "chosen loose ");
  auto failing = kb::testing::run_kb_verify({dir.file("loose.kb", loose)});
  EXPECT_EQ(failing.code, 1) << failing.out;
  EXPECT_NE(failing.out.find("violated  property:FLOOR-3  "), std::string::npos) << failing.out;
}

TEST(Readings, a_dossier_with_other_readings_rechecks) {
  kb::testing::TempDir dir;
  std::string f = dir.file("g.kb", kReadings);
  std::string dossier = dir.file("dossier");
  auto made = kb::testing::run_kb_verify({f, "--dossier", dossier});
  ASSERT_EQ(made.code, 0) << made.err;
  auto recheck = kb::testing::run_kb_verify({"--recheck", dossier});
  EXPECT_EQ(recheck.code, 0) << recheck.out << recheck.err;
  EXPECT_NE(recheck.out.find("recheck ok: "), std::string::npos) << recheck.out;
  // The alternative's script is encoded with that reading chosen: written as
  // the default's would be, it no longer matches what the re-check regenerates.
  std::string alt = dossier + "/obligations/property.FLOOR-3[how_long=loose].smt2";
  std::ifstream in(alt);
  std::string script((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(script.empty());
  std::ifstream chosen_in(dossier + "/obligations/property.FLOOR-3.smt2");
  std::string chosen((std::istreambuf_iterator<char>(chosen_in)), std::istreambuf_iterator<char>());
  EXPECT_NE(script.substr(script.find("(set-logic")), chosen.substr(chosen.find("(set-logic")));
}

TEST(Readings, kb_readings_names_the_advice_that_depends_on_the_choice_with_a_replayed_witness) {
  kb::testing::TempDir dir;
  std::string f = dir.file("g.kb", kReadings);
  auto text = kb::testing::run_kb({"readings", f});
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("question how_long@draft: How long a response the sentence asks for\n"
                          "  chosen: strict (the safer reading)\n"
                          "  alternative loose: any response\n"
                          "    changed: mdt considered only under loose\n"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("rules under strict: none; under loose: OFFER-LOOSE@draft"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("properties that fail under it: property:FLOOR-3"), std::string::npos) << text.out;

  auto json = kb::testing::run_kb({"readings", f, "--format", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["schema"], "kb-readings/2");
  const auto& alts = j["questions"][0]["alternatives"];
  ASSERT_EQ(alts.size(), 2u);
  EXPECT_TRUE(alts[0]["chosen"].get<bool>());
  EXPECT_FALSE(alts[0].contains("diff"));
  // The witness of the changed answer replays: months < 3 is offered MDT under "loose" only.
  kb::Guideline g = kb::testing::checked(kReadings);
  for (const auto& a : alts[1]["diff"]["answers"])
    if (a["status"] == "changed") {
      kb::Recommender chosen(g);
      kb::Guideline loose_g = kb::with_reading(g, 0, 1);
      kb::Recommender loose(loose_g);
      kb::PatientResult p = kb::patient_from_json(chosen, a["witness"]);
      ASSERT_TRUE(p.patient) << a.dump();
      kb::Outcome before, after;
      chosen.evaluate(*p.patient, before);
      loose.evaluate(*p.patient, after);
      EXPECT_FALSE(before.actions[0] & kb::kConsidered);
      EXPECT_TRUE(after.actions[0] & kb::kConsidered);
    }
}

TEST(Readings, questions_parse_print_and_check) {
  kb::Guideline g = kb::testing::checked(kReadings);
  ASSERT_EQ(g.questions.size(), 1u);
  EXPECT_EQ(g.questions[0].chosen_index, 0);
  std::string printed = kb::print_item(g.questions[0]);
  EXPECT_EQ(printed,
            "question how_long \"How long a response the sentence asks for\"\n"
            "  alternative strict \"three months\"\n  alternative loose \"any response\"\n"
            "  chosen strict because \"the safer reading\"\n");
  kb::Diagnostics diags;
  kb::Module m = kb::parse_source("p.kb", printed, diags);
  ASSERT_TRUE(diags.ok());
  EXPECT_EQ(kb::print_item(m.items.at(0)), printed);

  std::string bad = kReadings;
  bad.replace(bad.find("chosen strict"), 13, "chosen strikt");
  kb::Diagnostics d2;
  EXPECT_FALSE(kb::check(kb::parse_source("b.kb", bad, d2), d2));
  EXPECT_NE(d2.render({{"b.kb", bad}}).find("unknown alternative of question how_long 'strikt'; did you mean 'strict'?"),
            std::string::npos)
      << d2.render({{"b.kb", bad}});

  std::string bad_value = kReadings;
  bad_value.replace(bad_value.find("how_long == loose"), 17, "how_long == lose ");
  kb::Diagnostics d3;
  EXPECT_FALSE(kb::check(kb::parse_source("c.kb", bad_value, d3), d3));
  EXPECT_NE(d3.render({{"c.kb", bad_value}}).find("unknown value of enum how_long 'lose'"), std::string::npos);

  kb::Diagnostics d4;
  kb::parse_source("d.kb", "question q \"q\" alternative a \"a\" chosen a because \"r\"\n", d4);
  EXPECT_NE(d4.render({}).find("a question needs at least two alternatives"), std::string::npos) << d4.render({});
}

TEST(Readings, the_store_versions_questions) {
  kb::testing::TempDir dir;
  std::string db = dir.file("kb.sqlite");
  ASSERT_EQ(kb::testing::run_kb({"init", "--db", db}).code, 0);
  auto imported = kb::testing::run_kb({"import", "-", "--db", db, "--author", "a", "--reason", "r"}, kReadings);
  ASSERT_EQ(imported.code, 0) << imported.err;
  EXPECT_NE(imported.out.find("added   question how_long version 1"), std::string::npos) << imported.out;
  std::string chosen_loose = kReadings;
  chosen_loose.replace(chosen_loose.find("chosen strict"), 13, "chosen loose ");
  auto changed = kb::testing::run_kb({"import", "-", "--db", db, "--author", "b", "--reason", "committee chose"},
                                     chosen_loose);
  ASSERT_EQ(changed.code, 0) << changed.err;
  auto history = kb::testing::run_kb({"history", "question:how_long", "--db", db});
  EXPECT_EQ(history.code, 0) << history.err;
  EXPECT_NE(history.out.find("committee chose"), std::string::npos) << history.out;
  auto verified = kb::testing::run_kb_verify({"--db", db});
  EXPECT_EQ(verified.code, 1) << verified.out;  // "loose" is chosen now: FLOOR-3 fails under it
}

}  // namespace
