// Semantic diff (threshold change, rewording, retired and new rules) and the
// proof dossier (manifest, both solvers agree, tampering caught).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "kb/eval/recommender.h"
#include "kb/lang/parser.h"
#include "tests/common/bundled.h"
#include "tests/common/cli.h"
#include "tests/common/scale.h"
#include "verify/diff.h"
#include "report/dossier.h"
#include "kb/hash/sha256.h"
#include "report/diff_report.h"

namespace {

namespace fs = std::filesystem;

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The bundled sources with `from` replaced by `to` (which must occur once).
std::string bundled_text_with(const std::string& from, const std::string& to) {
  std::string text;
  for (const auto& f : kb::testing::bundled_files()) text += read(f) + "\n";
  auto pos = text.find(from);
  if (pos == std::string::npos || text.find(from, pos + 1) != std::string::npos)
    throw std::runtime_error("not exactly one occurrence of: " + from);
  return text.replace(pos, from.size(), to);
}


const verify::AnswerChange* answer(const verify::Diff& d, const std::string& action, const std::string& atom) {
  for (const auto& a : d.answers)
    if (a.action == action && kb::atom_name(a.atom) == atom) return &a;
  return nullptr;
}

TEST(Diff, raising_minimum_response_to_6_months_affects_exactly_3_to_5_months) {
  // The release sets 6; "before" is the same rule set at the guideline's floor of 3.
  kb::Guideline before = kb::testing::checked(bundled_text_with("min_response_months = 6 allowed", "min_response_months = 3 allowed"));
  const kb::Guideline& after = kb::testing::bundled();
  verify::Diff d = verify::semantic_diff(before, after, "before", "after", 0);
  EXPECT_EQ(d.exit_code(), 1);
  ASSERT_EQ(d.items.size(), 1u);
  EXPECT_EQ(d.items[0].name, "min_response_months");
  const auto* mdt = answer(d, "mdt", "considered");
  ASSERT_NE(mdt, nullptr);
  ASSERT_EQ(mdt->status, verify::AnswerStatus::Changed);
  EXPECT_TRUE(mdt->answer_before);
  EXPECT_FALSE(mdt->answer_after);
  EXPECT_EQ(mdt->rules_before, std::vector<std::string>{"MDT-OFFER@draft"});
  EXPECT_TRUE(mdt->rules_after.empty());
  int months = after.fact_index("response_months");
  std::size_t changed = 0;
  for (const auto& a : d.answers) {
    EXPECT_NE(a.status, verify::AnswerStatus::Disagreement) << a.action;
    EXPECT_NE(a.status, verify::AnswerStatus::Unknown) << a.action;
    if (a.status != verify::AnswerStatus::Changed) continue;
    ++changed;
    // Every witness, and every affected patient, has 3, 4 or 5 months of response.
    EXPECT_GE((*a.patient_after)[months], 3) << a.action;
    EXPECT_LE((*a.patient_after)[months], 5) << a.action;
    bool ranged = false;
    for (const auto& r : a.ranges)
      if (r.fact == "response_months") {
        ranged = true;
        EXPECT_EQ(r.lo, 3) << a.action;
        EXPECT_EQ(r.hi, 5) << a.action;
      }
    EXPECT_TRUE(ranged) << a.action;
  }
  EXPECT_GT(changed, 0u);
}

// Whether the recommender gives `atom` of `action` to `p`.
bool gives(const kb::Recommender& r, const kb::Patient& p, const std::string& action, kb::AtomKind atom) {
  kb::Outcome out;
  r.evaluate(p, out);
  int a = r.guideline().action_index(action);
  for (kb::Strength s : kb::kStrengths)
    if (kb::atom_of(s) == atom) return a >= 0 && (out.actions[a] & kb::strength_bit(s));
  return false;
}

TEST(Diff, every_patient_keeping_the_deciding_facts_gets_the_change) {
  kb::Guideline before = kb::testing::checked(bundled_text_with("min_response_months = 6 allowed", "min_response_months = 3 allowed"));
  const kb::Guideline& after = kb::testing::bundled();
  verify::Diff d = verify::semantic_diff(before, after, "before", "after", 0);
  kb::Recommender rb(before), ra(after);
  std::mt19937_64 rng(13);
  std::size_t checked = 0;
  for (const auto& a : d.answers) {
    if (a.status != verify::AnswerStatus::Changed) continue;
    ASSERT_TRUE(a.deciding) << a.action;
    EXPECT_FALSE(a.deciding->empty()) << a.action;  // not every patient is affected
    EXPECT_NE(a.smt2.find("(check-sat)"), std::string::npos);
    // Random patients: deciding facts anywhere within their ranges; every
    // other fact anywhere in its declared range, or (half the time, so that
    // enough patients are valid) at the witness's value.
    for (int n = 0; n < 2000; ++n) {
      kb::Patient p = *a.patient_after;
      for (std::size_t f = 0; f < after.facts.size(); ++f) {
        const kb::FactType& t = after.facts[f].fact_type;
        std::int64_t lo = t.lo, hi = t.hi;
        bool deciding = false;
        for (const auto& r : *a.deciding)
          if (r.fact == after.facts[f].name) lo = r.lo, hi = r.hi, deciding = true;
        if (deciding || rng() % 2) p[f] = std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
      }
      if (rb.broken_constraint(p) >= 0 || ra.broken_constraint(p) >= 0) continue;
      ++checked;
      ASSERT_EQ(gives(rb, p, a.action, a.atom), a.answer_before) << a.action << ": " << kb::describe_patient(after, p);
      ASSERT_EQ(gives(ra, p, a.action, a.atom), a.answer_after) << a.action << ": " << kb::describe_patient(after, p);
    }
  }
  EXPECT_GT(checked, 100u);
}

TEST(Diff, a_rewording_that_keeps_the_meaning_is_no_change) {
  const kb::Guideline& before = kb::testing::bundled();
  std::string text = bundled_text_with("  = oligometastatic and staging_complete and biopsy_criterion_met and imaging_history_complete\n"
                                       "    and response_months >= min_response_months and disease_controlled and tumour_board_done",
                                       "  = tumour_board_done and disease_controlled and not (not oligometastatic)\n"
                                       "    and min_response_months <= response_months and imaging_history_complete\n"
                                       "    and biopsy_criterion_met and staging_complete");
  auto pos = text.find("because \"MDT is an option only");
  text.insert(pos + 9, "Reworded: ");
  kb::Guideline after = kb::testing::checked(text, "edited.kb");
  verify::Diff d = verify::semantic_diff(before, after, "before", "after", 0);
  EXPECT_EQ(d.items.size(), 2u);
  for (const auto& a : d.answers) EXPECT_EQ(a.status, verify::AnswerStatus::Unchanged) << a.action << " " << kb::atom_name(a.atom);
  EXPECT_EQ(d.exit_code(), 0);
  EXPECT_NE(verify::diff_to_text(d, after).find("No patient is affected (proved)."), std::string::npos);
}

TEST(Diff, a_retired_rule_and_a_new_rule_are_both_shown) {
  const kb::Guideline& before = kb::testing::bundled();
  std::string text = bundled_text_with("rule MDT-COUNSEL\n", "rule MDT-COUNSEL-V2\n");
  kb::Guideline after = kb::testing::checked(text, "edited.kb");
  verify::Diff d = verify::semantic_diff(before, after, "before", "after", 0);
  bool retired = false, added = false;
  for (const auto& i : d.items) {
    retired |= i.change == verify::ItemChangeKind::Retired && i.name == "MDT-COUNSEL";
    added |= i.change == verify::ItemChangeKind::Added && i.name == "MDT-COUNSEL-V2";
  }
  EXPECT_TRUE(retired);
  EXPECT_TRUE(added);
  EXPECT_EQ(d.exit_code(), 0);  // same condition, same action: no patient affected
}

using kb::testing::CliRun;

CliRun kb_run(std::vector<std::string> args) { return kb::testing::run_kb(args); }
CliRun verify_run(std::vector<std::string> args) { return kb::testing::run_kb_verify(args); }

class Workspace : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_.file(name); }
  kb::testing::TempDir dir_;
};

TEST_F(Workspace, kb_diff_between_two_releases) {
  std::string db = path("kb.sqlite");
  ASSERT_EQ(kb_run({"init", "--db", db}).code, 0);
  // v1 requires the guideline's floor of 3 months; v2 is the bundled release's 6.
  std::ofstream(path("v1.kb")) << bundled_text_with("min_response_months = 6 allowed", "min_response_months = 3 allowed");
  ASSERT_EQ(kb_run({"import", "--db", db, "--author", "a", "--reason", "r", path("v1.kb")}).code, 0);
  ASSERT_EQ(kb_run({"release", "--db", db, "v1", "--author", "a"}).code, 0);
  std::ofstream(path("edit.kb")) << bundled_text_with("min_response_months = 6 allowed", "min_response_months = 6 allowed");
  ASSERT_EQ(kb_run({"import", "--db", db, "--author", "b", "--reason", "raise threshold", "--base", "v1", path("edit.kb")}).code, 0);
  ASSERT_EQ(kb_run({"release", "--db", db, "v2", "--author", "b"}).code, 0);
  CliRun same = kb_run({"diff", "--db", db, "v1", "v1"});
  EXPECT_EQ(same.code, 0) << same.err;
  CliRun r = kb_run({"diff", "--db", db, "v1", "v2", "--format", "json"});
  ASSERT_EQ(r.code, 1) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["schema"], "kb-diff/2");
  EXPECT_EQ(j["before"], "release v1");
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["items"][0]["before"], "min_response_months@1");
  EXPECT_EQ(j["items"][0]["after"], "min_response_months@2");
  bool mdt = false;
  for (const auto& a : j["answers"]) {
    if (a["action"] != "mdt" || a["atom"] != "considered") continue;
    mdt = true;
    EXPECT_EQ(a["status"], "changed");
    EXPECT_EQ(a["rules"]["before"], nlohmann::json::array({"MDT-OFFER@1"}));
    int months = a["witness"]["response_months"];  // one patient, printed once
    EXPECT_TRUE(months >= 3 && months <= 5);
    EXPECT_FALSE(a["witness"].contains("after"));
    // The deciding facts force the change: response_months within 3..5 among them.
    bool response = false;
    for (const auto& f : a["deciding_facts"])
      if (f["fact"] == "response_months") {
        response = true;
        int lo = f.contains("range") ? int(f["range"][0]) : int(f["value"]);
        int hi = f.contains("range") ? int(f["range"][1]) : int(f["value"]);
        EXPECT_TRUE(lo >= 3 && hi <= 5 && lo <= months && months <= hi) << f;
      }
    EXPECT_TRUE(response) << a["deciding_facts"];
    EXPECT_TRUE(a.contains("necessary_ranges"));
  }
  EXPECT_TRUE(mdt);
  CliRun text = kb_run({"diff", "--db", db, "v1", "v2"});
  EXPECT_NE(text.out.find("every affected patient has (necessary, not sufficient): "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("deciding facts: every valid patient with "), std::string::npos) << text.out;
  EXPECT_EQ(kb_run({"diff", "--db", db, "v1", "nope"}).code, 2);
}

TEST_F(Workspace, a_release_dossier_names_the_release_and_tables_the_changes) {
  std::string db = path("kb.sqlite"), dossier = path("dossier");
  ASSERT_EQ(kb_run({"init", "--db", db}).code, 0);
  std::ofstream(path("v1.kb")) << bundled_text_with("min_response_months = 6 allowed", "min_response_months = 3 allowed");
  ASSERT_EQ(kb_run({"import", "--db", db, "--author", "a", "--reason", "r", path("v1.kb")}).code, 0);
  ASSERT_EQ(kb_run({"release", "--db", db, "v1", "--author", "a"}).code, 0);
  std::ofstream(path("v2.kb")) << bundled_text_with("min_response_months = 6 allowed", "min_response_months = 6 allowed");
  ASSERT_EQ(kb_run({"import", "--db", db, "--author", "b", "--reason", "six months", "--base", "v1", path("v2.kb")}).code, 0);
  ASSERT_EQ(kb_run({"release", "--db", db, "v2", "--author", "chair", "--reason", "safer minimum"}).code, 0);
  CliRun v = verify_run({"--db", db, "--release", "v2", "--only", "MDT-WITH-COUNSELLING", "--title", "MDT guideline",
                         "--dossier", dossier, "--quiet"});
  ASSERT_EQ(v.code, 0) << v.err;
  std::string html = read(dossier + "/index.html");
  EXPECT_NE(html.find("<div class=\"banner pass\" id=\"verdict\"><strong>Verdict: all 1 property proved"), std::string::npos);
  EXPECT_NE(html.find("<h1>MDT guideline</h1>"), std::string::npos);
  EXPECT_NE(html.find("<tr><th>Released by</th><td>chair</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><th>Reason</th><td>safer minimum</td></tr>"), std::string::npos);
  EXPECT_NE(html.find("<tr><th>Previous release</th><td>v1</td></tr>"), std::string::npos);
  // Scope: the parameter with its value and allowed range.
  EXPECT_NE(html.find("<code>min_response_months@2</code></td><td>6</td><td>3..6</td>"), std::string::npos);
  // The changes as tables naming the previous release, each changed answer with its SMT-LIB.
  EXPECT_NE(html.find("Changes since the previous release (release v1 &rarr; release v2)"), std::string::npos);
  EXPECT_NE(html.find("Every affected patient has (necessary, not sufficient): "), std::string::npos);
  EXPECT_NE(html.find("<a href=\"changes/mdt.considered.smt2\">"), std::string::npos);
  EXPECT_NE(read(dossier + "/changes/mdt.considered.smt2").find("(check-sat)"), std::string::npos);
  EXPECT_EQ(html.find("\"schema\": \"kb-diff"), std::string::npos);  // no raw JSON
  nlohmann::json j = nlohmann::json::parse(read(dossier + "/dossier.json"));
  EXPECT_EQ(j["release"]["author"], "chair");
  EXPECT_EQ(j["release"]["previous"], "v1");
  EXPECT_EQ(j["diff"]["schema"], "kb-diff/2");
  CliRun ok = verify_run({"--recheck", dossier});
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
}

TEST_F(Workspace, dossier_verifies_rechecks_with_two_solvers_and_catches_tampering) {
  std::string dossier = path("dossier");
  std::vector<std::string> args = kb::testing::bundled_files();
  args.insert(args.end(), {"--dossier", dossier, "--format", "json"});
  // Scaled down (sanitizer suite): a sample of the obligations, every kind of
  // them; the re-check runs z3 and cvc5 on each, two minutes in full.
  for (const std::string& a : kb::testing::bundled_verify_sample()) args.push_back(a);
  CliRun v = verify_run(args);
  ASSERT_EQ(v.code, 0) << v.err;
  for (const char* f : {"index.html", "dossier.json", "MANIFEST.sha256"}) EXPECT_TRUE(fs::exists(fs::path(dossier) / f)) << f;
  std::string html = read(dossier + "/index.html");
  EXPECT_EQ(html.find("http://"), std::string::npos);  // self-contained
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_NE(html.find("NO-MDT-WITHOUT-MINIMUM-RESPONSE"), std::string::npos);
  EXPECT_NE(html.find("MDT-OFFER@draft"), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(read(dossier + "/dossier.json"));
  EXPECT_EQ(j["schema"], "kb-dossier/3");
  std::string smt = read(dossier + "/obligations/property.NO-MDT-WITHOUT-MINIMUM-RESPONSE.smt2");
  EXPECT_EQ(j["smt2"]["property:NO-MDT-WITHOUT-MINIMUM-RESPONSE"]["expect"], "unsat");
  EXPECT_EQ(smt.find("expect:"), std::string::npos);  // the answer is never in item-controlled text
  EXPECT_NE(smt.find("; rule MDT-OFFER@draft"), std::string::npos);
  EXPECT_NE(smt.find("(check-sat)"), std::string::npos);

  CliRun ok = verify_run({"--recheck", dossier});
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("recheck ok"), std::string::npos) << ok.out;

  // Tampering: weaken the proved property's negation so it becomes sat.
  std::string file = dossier + "/obligations/property.NO-MDT-WITHOUT-MINIMUM-RESPONSE.smt2";
  std::string tampered = smt;
  tampered.replace(tampered.find("(check-sat)"), 11, "(check-sat)\n");
  std::ofstream(file) << tampered;
  CliRun bad = verify_run({"--recheck", dossier});
  EXPECT_EQ(bad.code, 1) << bad.err;
  EXPECT_NE(bad.out.find("FAIL  obligations/property.NO-MDT-WITHOUT-MINIMUM-RESPONSE.smt2: content does not match"),
            std::string::npos)
      << bad.out;
}

TEST_F(Workspace, recheck_catches_a_solver_disagreeing_with_a_recorded_answer) {
  std::string dossier = path("dossier");
  std::vector<std::string> args = kb::testing::bundled_files();
  args.insert(args.end(), {"--dossier", dossier, "--only", "MDT-WITH-COUNSELLING"});
  ASSERT_EQ(verify_run(args).code, 0);
  // Rewrite the recorded answer and the manifest consistently: the files are
  // intact but the claim is false, which only the solvers can tell.
  std::string rel = "dossier.json";
  nlohmann::json dj = nlohmann::json::parse(read(dossier + "/" + rel));
  dj["smt2"]["property:MDT-WITH-COUNSELLING"]["expect"] = "sat";
  std::string text = dj.dump(2) + "\n";
  std::ofstream(dossier + "/" + rel) << text;
  std::string manifest = read(dossier + "/MANIFEST.sha256"), fixed;
  std::istringstream lines(manifest);
  for (std::string l; std::getline(lines, l);)
    fixed += (l.substr(66) == rel ? kb::sha256_hex(text) + "  " + rel : l) + "\n";
  std::ofstream(dossier + "/MANIFEST.sha256") << fixed;
  CliRun r = verify_run({"--recheck", dossier});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("solvers disagree with the recorded answer (recorded sat, z3 unsat, cvc5 unsat)"),
            std::string::npos)
      << r.out;
}

}  // namespace
