// Lint waivers (docs/language.md, "Waivers"): a waived finding is reported as
// waived and does not fail --deny-warnings; a waiver that matches no finding
// is itself a warning; the store versions waivers and keeps the verdict.
#include <gtest/gtest.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include "report/report.h"
#include "tests/common/bundled.h"
#include "tests/common/cli.h"
#include "verify/harness.h"

namespace {

const verify::Obligation* find(const verify::Report& r, const std::string& id) {
  for (const auto& o : r.obligations)
    if (o.id == id) return &o;
  return nullptr;
}

// A dead rule, a property that restates the rule BMA, and a dead rule's
// uncovered warning.
const std::string kSource = R"(fact months: int 0..240 "months"
fact bone: bool "bone mets"
action mdt "MDT"
action bma "bone-modifying agent"
rule DEAD when months > 10 and months < 5 then recommend mdt because "x" source "y"
rule BMA when bone then recommend bma because "x" source "y"
property BONE-GETS-BMA "bone gets bma" bone implies recommended(bma)
)";

const std::string kWaivers = R"(
waiver W-1 restates-rule property:BONE-GETS-BMA
  because "kept as a readable statement of the rule for the committee"
  agreed "committee 2026-11"
waiver W-2 dead-rule rule:DEAD because "reserved for the next revision" agreed "committee 2026-11"
waiver W-3 uncovered-rule rule:DEAD because "same" agreed "committee 2026-11"
)";

TEST(Waiver, a_waived_finding_is_reported_waived_and_does_not_fail_deny_warnings) {
  kb::Guideline g = kb::testing::checked(kSource + kWaivers);
  verify::Report r = verify::run(g, {});
  const verify::Obligation* restates = find(r, "restates:BONE-GETS-BMA");
  ASSERT_NE(restates, nullptr);
  EXPECT_EQ(restates->status, verify::Status::Waived);
  EXPECT_EQ(restates->waived_by, (kb::ItemRef{kb::ItemKind::Waiver, 0}));
  EXPECT_NE(restates->message.find("(waived by W-1@draft, agreed committee 2026-11: kept as a readable statement"),
            std::string::npos)
      << restates->message;
  EXPECT_EQ(find(r, "dead:DEAD")->status, verify::Status::Waived);
  EXPECT_EQ(find(r, "uncovered:DEAD")->status, verify::Status::Waived);
  EXPECT_EQ(r.count(verify::Status::Warning), 0u);
  EXPECT_EQ(r.count(verify::Status::Waived), 3u);
  EXPECT_EQ(r.exit_code(true), 0);

  // Without the waivers the same findings are warnings that fail.
  verify::Report plain = verify::run(kb::testing::checked(kSource), {});
  EXPECT_EQ(find(plain, "restates:BONE-GETS-BMA")->status, verify::Status::Warning);
  EXPECT_EQ(plain.exit_code(true), 1);
}

TEST(Waiver, a_waiver_that_matches_no_finding_is_a_warning) {
  kb::Guideline g = kb::testing::checked(kSource + kWaivers +
                                         "waiver W-4 uncovered-rule rule:BMA because \"old\" agreed \"2025\"\n"
                                         "waiver W-5 vacuous-property property:BONE-GETS-BMA because \"b\" agreed \"c\"\n");
  verify::Report r = verify::run(g, {});
  const verify::Obligation* unused = find(r, "waiver:W-4");
  ASSERT_NE(unused, nullptr);
  EXPECT_EQ(unused->status, verify::Status::Warning);
  EXPECT_EQ(unused->kind, verify::Kind::UnusedWaiver);
  EXPECT_EQ(unused->subject, (kb::ItemRef{kb::ItemKind::Waiver, 3}));
  EXPECT_EQ(unused->message, "waiver matches no finding: uncovered-rule is not reported for rule BMA (remove the "
                             "waiver, or fix what it names)");
  EXPECT_EQ(find(r, "waiver:W-5")->status, verify::Status::Warning);
  EXPECT_EQ(find(r, "waiver:W-1"), nullptr) << "a used waiver makes no obligation";
  EXPECT_EQ(r.exit_code(true), 1);
  EXPECT_EQ(r.exit_code(false), 0);
  // With --only on another item the waiver's lint is not decided: no warning.
  verify::Options only;
  only.only = {*g.find(kb::ItemKind::Rule, "DEAD")};
  EXPECT_EQ(find(verify::run(g, only), "waiver:W-4"), nullptr);
}

TEST(Waiver, kb_verify_reports_waived_in_text_json_and_junit) {
  kb::testing::TempDir dir;
  std::string f = dir.file("g.kb", kSource + kWaivers);
  auto text = kb::testing::run_kb_verify({f, "--deny-warnings"});
  EXPECT_EQ(text.code, 0) << text.out << text.err;
  EXPECT_NE(text.out.find("waived  restates:BONE-GETS-BMA  restates rule BMA@draft"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("0 warnings, 3 waived ("), std::string::npos) << text.out;

  auto json = kb::testing::run_kb_verify({f, "--format", "json"});
  ASSERT_EQ(json.code, 0) << json.err;
  nlohmann::json j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["summary"]["waived"], 3);
  bool seen = false;
  for (const auto& o : j["obligations"])
    if (o["id"] == "dead:DEAD") {
      seen = true;
      EXPECT_EQ(o["status"], "waived");
      EXPECT_EQ(o["severity"], "warning");  // still the lint's severity, suppressed
      EXPECT_EQ(o["waived_by"]["kind"], "waiver");
      EXPECT_EQ(o["waived_by"]["name"], "W-2");
    }
  EXPECT_TRUE(seen);

  auto junit = kb::testing::run_kb_verify({f, "--format", "junit", "--deny-warnings"});
  EXPECT_EQ(junit.code, 0);
  EXPECT_NE(junit.out.find("skipped=\"3\""), std::string::npos) << junit.out;
  EXPECT_NE(junit.out.find("name=\"dead:DEAD\" time="), std::string::npos);
  EXPECT_NE(junit.out.find("<skipped message=\"dead rule: no valid patient meets its condition (waived by W-2@draft"),
            std::string::npos)
      << junit.out;

  auto sarif = kb::testing::run_kb_verify({f, "--format", "sarif", "--deny-warnings"});
  EXPECT_EQ(sarif.code, 0) << sarif.err;
  nlohmann::json log = nlohmann::json::parse(sarif.out);
  std::size_t suppressed = 0;
  for (const auto& res : log["runs"][0]["results"])
    if (res.contains("suppressions")) {
      ++suppressed;
      EXPECT_EQ(res["suppressions"][0]["kind"], "inSource");
      EXPECT_NE(res["suppressions"][0]["justification"].get<std::string>().find("(waived by W-"), std::string::npos);
    }
  EXPECT_EQ(suppressed, 3u) << sarif.out;
}

TEST(Waiver, the_store_versions_waivers_and_keeps_the_waived_verdict) {
  kb::testing::TempDir dir;
  std::string db = dir.file("kb.sqlite");
  ASSERT_EQ(kb::testing::run_kb({"init", "--db", db}).code, 0);
  auto imported = kb::testing::run_kb({"import", "-", "--db", db, "--author", "a", "--reason", "r"}, kSource + kWaivers);
  ASSERT_EQ(imported.code, 0) << imported.err;
  EXPECT_NE(imported.out.find("added   waiver W-1 version 1"), std::string::npos) << imported.out;
  std::string renewed = kSource + kWaivers;
  renewed.replace(renewed.find("agreed \"committee 2026-11\""), 26, "agreed \"committee 2027-05\"");
  ASSERT_EQ(kb::testing::run_kb({"import", "-", "--db", db, "--author", "b", "--reason", "renewed"}, renewed).code, 0);
  auto history = kb::testing::run_kb({"history", "--db", db, "waiver:W-1"});
  EXPECT_NE(history.out.find("waiver W-1: 2 versions"), std::string::npos) << history.out << history.err;
  auto exported = kb::testing::run_kb({"export", "--db", db});
  EXPECT_NE(exported.out.find("waiver W-1 restates-rule property:BONE-GETS-BMA\n  because \"kept as a readable "
                              "statement of the rule for the committee\"\n  agreed \"committee 2027-05\"\n"),
            std::string::npos)
      << exported.out;

  auto verified = kb::testing::run_kb_verify({"--db", db, "--deny-warnings"});
  EXPECT_EQ(verified.code, 0) << verified.out << verified.err;
  EXPECT_NE(verified.out.find("waived by W-1@2"), std::string::npos) << verified.out;
  SQLite::Database raw(db, SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("SELECT verdict FROM verify_result WHERE obligation = 'restates:BONE-GETS-BMA'").getString(),
            "waived");
}

}  // namespace
