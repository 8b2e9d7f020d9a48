// kb-verify's proof cache in the database, --no-cache, trust through the
// ledger, and --shard K/N with kb-verify merge, as a QA pipeline runs them.
#include <gtest/gtest.h>
#include <SQLiteCpp/SQLiteCpp.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tests/common/cli.h"

namespace {

using kb::testing::run_kb;
using kb::testing::run_kb_verify;
using nlohmann::json;

json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return json::parse(s.str());
}

// Obligation id -> cached_from ("" when computed by the run).
std::map<std::string, std::string> origins(const json& report) {
  std::map<std::string, std::string> out;
  for (const json& o : report["obligations"]) out[o["id"]] = o.value("cached_from", "");
  return out;
}

// Obligation id -> status.
std::map<std::string, std::string> statuses(const json& report) {
  std::map<std::string, std::string> out;
  for (const json& o : report["obligations"]) out[o["id"]] = o["status"];
  return out;
}

// A database holding the bundled guideline.
std::string bundled_db(const kb::testing::TempDir& dir) {
  const std::string db = dir.file("kb.sqlite");
  EXPECT_EQ(run_kb({"init", "--db", db}).code, 0);
  EXPECT_EQ(run_kb({"import", "--db", db, "--author", "qa", "--reason", "test", "kb/guidelines"}).code, 0);
  return db;
}

TEST(ProofCacheCli, a_second_run_reuses_every_answer_and_says_from_which_run) {
  kb::testing::TempDir dir;
  const std::string db = bundled_db(dir);
  const std::string first = dir.file("first.json"), second = dir.file("second.json"), third = dir.file("third.json");
  ASSERT_EQ(run_kb_verify({"--db", db, "--format", "json", "--out", first, "--quiet"}).code, 0);
  ASSERT_EQ(run_kb_verify({"--db", db, "--format", "json", "--out", second, "--quiet"}).code, 0);
  json a = read_json(first), b = read_json(second);
  EXPECT_EQ(statuses(a), statuses(b));
  std::size_t reused = 0;
  for (const auto& [id, from] : origins(a)) EXPECT_EQ(from, "") << id;
  for (const json& o : b["obligations"]) {
    if (o["kind"] == "uncovered-rule" || o["kind"] == "unused-waiver") continue;  // derived, never asked
    EXPECT_EQ(o.value("cached_from", ""), "run 1") << o["id"];
    EXPECT_NE(o["message"].get<std::string>().find("(cached from run 1)"), std::string::npos) << o["id"];
    ++reused;
  }
  EXPECT_GT(reused, 300u);
  // The third run still names run 1, which computed the answers.
  ASSERT_EQ(run_kb_verify({"--db", db, "--format", "json", "--out", third, "--quiet"}).code, 0);
  EXPECT_EQ(origins(read_json(third)), origins(b));
  // --no-cache asks the solver everything.
  kb::testing::CliRun text = run_kb_verify({"--db", db, "--no-cache"});
  EXPECT_EQ(text.code, 0);
  EXPECT_EQ(text.out.find("cached from"), std::string::npos);
  EXPECT_EQ(run_kb({"audit", "--db", db}).code, 0);
}

TEST(ProofCacheCli, answers_of_a_run_altered_behind_the_ledger_are_not_reused) {
  kb::testing::TempDir dir;
  const std::string db = bundled_db(dir);
  const std::string before = dir.file("before.json"), after = dir.file("after.json"), later = dir.file("later.json");
  ASSERT_EQ(run_kb_verify({"--db", db, "--format", "json", "--out", before, "--quiet"}).code, 0);  // run 1 computes
  ASSERT_EQ(run_kb_verify({"--db", db, "--quiet"}).code, 0);  // run 2 reuses, keeps nothing of its own
  {
    // Someone turns every kept answer of run 1 into a proof with an empty core.
    SQLite::Database sql(db, SQLite::OPEN_READWRITE);
    sql.exec("DROP TRIGGER verify_answer_no_update");
    sql.exec("UPDATE verify_answer SET answer = '{\"verdict\":\"unsat\",\"core\":[]}' WHERE run_id = 1");
  }
  kb::testing::CliRun r = run_kb_verify({"--db", db, "--format", "json", "--out", after, "--quiet"});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("the stored results of run 1 no longer match the ledger"), std::string::npos) << r.err;
  for (const auto& [id, from] : origins(read_json(after))) EXPECT_EQ(from, "") << id << " reused from " << from;
  EXPECT_EQ(statuses(read_json(after)), statuses(read_json(before)));
  EXPECT_NE(run_kb({"audit", "--db", db}).code, 0);
  // The next run reuses what run 3 computed again.
  ASSERT_EQ(run_kb_verify({"--db", db, "--format", "json", "--out", later, "--quiet"}).code, 0);
  std::size_t from_run3 = 0;
  for (const auto& [id, from] : origins(read_json(later))) from_run3 += from == "run 3";
  EXPECT_GT(from_run3, 300u);
}

TEST(ProofCacheCli, a_changed_rule_is_checked_again_and_the_rest_reused) {
  kb::testing::TempDir dir;
  const std::string db = bundled_db(dir);
  ASSERT_EQ(run_kb_verify({"--db", db, "--quiet"}).code, 0);
  // The committee drops the PD-L1 condition of immunotherapy.
  const std::string copy = dir.file("guidelines");
  std::filesystem::copy("kb/guidelines", copy, std::filesystem::copy_options::recursive);
  std::ifstream in(copy + "/40_systemic.kb");
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  const std::string from = "  when tnbc and pdl1_positive\n  then consider immunotherapy";
  ASSERT_NE(s.find(from), std::string::npos);
  s.replace(s.find(from), from.size(), "  when tnbc\n  then consider immunotherapy");
  std::ofstream(copy + "/40_systemic.kb") << s;
  ASSERT_EQ(run_kb({"import", "--db", db, "--author", "qa", "--reason", "test", "--prune", copy}).code, 0);
  const std::string out = dir.file("after.json");
  EXPECT_EQ(run_kb_verify({"--db", db, "--format", "json", "--out", out, "--quiet"}).code, 1);  // it breaks a property
  std::map<std::string, std::string> from_run = origins(read_json(out));
  EXPECT_EQ(from_run.at("dead:SYSTEMIC-TNBC-IMMUNOTHERAPY"), "");
  EXPECT_EQ(from_run.at("conflict:immunotherapy"), "");
  EXPECT_EQ(from_run.at("dead:MDT-OFFER"), "run 1");
  EXPECT_EQ(from_run.at("property:NO-MDT-WITHOUT-MINIMUM-RESPONSE"), "run 1");
  std::size_t reused = 0, asked = 0;
  for (const auto& [id, origin] : from_run) ++(origin.empty() ? asked : reused);
  EXPECT_GT(reused, 5 * asked) << reused << " reused, " << asked << " asked";
}

// Runs the three shards of the bundled guideline and returns their files.
std::vector<std::string> three_shards(const kb::testing::TempDir& dir) {
  std::vector<std::string> files;
  for (int k = 1; k <= 3; ++k) {
    files.push_back(dir.file("shard" + std::to_string(k) + ".json"));
    kb::testing::CliRun r =
        run_kb_verify({"kb/guidelines", "--shard", std::to_string(k) + "/3", "--out", files.back()});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("shard " + std::to_string(k) + "/3: "), std::string::npos) << r.err;
  }
  return files;
}

TEST(ShardCli, three_shards_merge_into_the_report_of_one_run) {
  kb::testing::TempDir dir;
  std::vector<std::string> shards = three_shards(dir);
  const std::string merged = dir.file("merged.json"), whole = dir.file("whole.json");
  std::vector<std::string> args{"merge"};
  args.insert(args.end(), shards.begin(), shards.end());
  for (const char* a : {"--source", "kb/guidelines", "--format", "json", "--out"}) args.push_back(a);
  args.push_back(merged);
  kb::testing::CliRun m = run_kb_verify(args);
  ASSERT_EQ(m.code, 0) << m.err;
  EXPECT_NE(m.err.find("3 shards: "), std::string::npos) << m.err;
  EXPECT_NE(m.err.find(" obligations reused, 0 checked here"), std::string::npos) << m.err;
  ASSERT_EQ(run_kb_verify({"kb/guidelines", "--format", "json", "--out", whole, "--quiet"}).code, 0);
  json jm = read_json(merged), jw = read_json(whole);
  EXPECT_EQ(statuses(jm), statuses(jw));
  ASSERT_EQ(jm["obligations"].size(), jw["obligations"].size());
  for (std::size_t i = 0; i < jm["obligations"].size(); ++i)
    EXPECT_EQ(jm["obligations"][i]["id"], jw["obligations"][i]["id"]);  // same order
  for (const auto& [id, from] : origins(jm))
    EXPECT_TRUE(from.empty() || std::regex_match(from, std::regex("shard [123]/3"))) << id << ": " << from;
}

TEST(ShardCli, merge_refuses_missing_repeated_and_foreign_shards) {
  kb::testing::TempDir dir;
  std::vector<std::string> shards = three_shards(dir);
  kb::testing::CliRun missing = run_kb_verify({"merge", shards[0], shards[2], "--source", "kb/guidelines"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("shard 2/3 is missing"), std::string::npos) << missing.err;
  kb::testing::CliRun twice = run_kb_verify({"merge", shards[0], shards[0], shards[1], shards[2], "--source", "kb/guidelines"});
  EXPECT_EQ(twice.code, 2);
  EXPECT_NE(twice.err.find("shard 1/3 is also"), std::string::npos) << twice.err;
  kb::testing::CliRun foreign = run_kb_verify({"merge", shards[0], shards[1], shards[2], "--source",
                                               "kb/guidelines/30_selection_mdt.kb", "--source", "kb/guidelines/10_patient.kb",
                                               "--source", "kb/guidelines/20_actions.kb", "--source",
                                               "kb/guidelines/00_references.kb"});
  EXPECT_EQ(foreign.code, 2);
  EXPECT_NE(foreign.err.find("the shards checked the rule set with release hash"), std::string::npos) << foreign.err;
  kb::testing::CliRun junk = run_kb_verify({"merge", dir.file("junk.json", "{}\n"), "--source", "kb/guidelines"});
  EXPECT_EQ(junk.code, 2);
  EXPECT_NE(junk.err.find("not a kb-verify shard file"), std::string::npos) << junk.err;
  kb::testing::CliRun bad = run_kb_verify({"kb/guidelines", "--shard", "4/3", "--out", dir.file("x.json")});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("expected K/N"), std::string::npos) << bad.err;
}

}  // namespace
