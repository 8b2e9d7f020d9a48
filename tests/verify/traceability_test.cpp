// The seams every command relies on: proofs traced to every item version
// they use, one release hash everywhere, the one rule-set loader (folders,
// missing paths, empty rule sets), the CLI basics, and the schema migration
// of a database written by schema 1.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/common/bundled.h"
#include "kb/store/store.h"
#include "tests/common/cli.h"
#include "tests/common/scale.h"

namespace {

namespace fs = std::filesystem;
using kb::testing::CliRun;
using kb::testing::run_kb;
using kb::testing::run_kb_verify;
using kb::testing::TempDir;

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A copy of the bundled guideline in `dir`/NAME/, with `edits` applied
// (each `from` must occur exactly once in its file).
std::string guideline_copy(const TempDir& dir, const std::string& name,
                           const std::vector<std::tuple<std::string, std::string, std::string>>& edits) {
  fs::path folder = dir.file(name);
  fs::create_directories(folder);
  for (const auto& f : kb::testing::bundled_files()) {
    std::string text = read(f);
    for (const auto& [file, from, to] : edits) {
      if (fs::path(f).filename() != file) continue;
      auto pos = text.find(from);
      EXPECT_NE(pos, std::string::npos) << from;
      EXPECT_EQ(text.find(from, pos + 1), std::string::npos) << from;
      text.replace(pos, from.size(), to);
    }
    std::ofstream(folder / fs::path(f).filename()) << text;
  }
  return folder.string();
}

// `args`, then the scaled-down suite's sample of the bundled guideline's
// obligations (tests/common/scale.h); in full, `args`.
std::vector<std::string> sampled(std::vector<std::string> args) {
  for (const std::string& a : kb::testing::bundled_verify_sample()) args.push_back(a);
  return args;
}

// The versions of `name` among the items a JSON obligation rests on (empty when absent).
std::vector<nlohmann::json> rested(const nlohmann::json& obligation, const std::string& kind, const std::string& name) {
  std::vector<nlohmann::json> out;
  for (const auto& r : obligation["rests_on"])
    if (r["kind"] == kind && r["name"] == name) out.push_back(r);
  return out;
}

TEST(Traceability, a_changed_parameter_and_definition_appear_in_every_dependent_proof) {
  TempDir dir;
  std::string db = dir.file("kb.sqlite");
  std::string v1 = guideline_copy(dir, "v1", {});
  std::string v2 = guideline_copy(
      dir, "v2",
      {{"10_patient.kb", "param min_response_months = 6 allowed", "param min_response_months = 5 allowed"},
       {"10_patient.kb", "  = oligometastatic and staging_complete and biopsy_criterion_met and imaging_history_complete\n"
                         "    and response_months >= min_response_months and disease_controlled and tumour_board_done",
        "  = tumour_board_done and disease_controlled and oligometastatic and staging_complete\n"
        "    and biopsy_criterion_met and imaging_history_complete and response_months >= min_response_months"}});
  ASSERT_EQ(run_kb({"init", "--db", db}).code, 0);
  ASSERT_EQ(run_kb({"import", "--db", db, "--author", "a", "--reason", "r", v1}).code, 0);
  ASSERT_EQ(run_kb({"release", "--db", db, "r1", "--author", "a"}).code, 0);
  CliRun imported = run_kb({"import", "--db", db, "--author", "b", "--reason", "6 months", v2});
  ASSERT_EQ(imported.code, 0) << imported.err;
  EXPECT_NE(imported.out.find("2 changed"), std::string::npos) << imported.out;
  ASSERT_EQ(run_kb({"release", "--db", db, "r2", "--author", "b"}).code, 0);

  std::string dossier = dir.file("dossier");
  CliRun json = run_kb_verify(sampled({"--db", db, "--release", "r2", "--format", "json", "--dossier", dossier}));
  ASSERT_EQ(json.code, 0) << json.err;
  nlohmann::json report = nlohmann::json::parse(json.out);
  std::size_t with_param = 0, with_define = 0;
  for (const auto& o : report["obligations"]) {
    EXPECT_FALSE(o["rests_on"].empty()) << o["id"];
    EXPECT_NE(o["location"]["file"].get<std::string>().find(".kb"), std::string::npos) << o["location"];
    EXPECT_GT(o["location"]["line"].get<int>(), 0) << o["id"];
    for (const auto& p : rested(o, "param", "min_response_months")) {
      EXPECT_EQ(p["version"], 2) << o["id"];
      EXPECT_EQ(p["value"], 5) << o["id"];
      with_param += o["status"] == "proved";
    }
    for (const auto& d : rested(o, "define", "mdt_candidate")) {
      EXPECT_EQ(d["version"], 2) << o["id"];
      with_define += o["status"] == "proved";
    }
  }
  EXPECT_GT(with_param, 0u);
  EXPECT_GT(with_define, 0u);

  // The text report, the stored results and the dossier name the new versions too.
  CliRun text = run_kb_verify(sampled({"--db", db, "--release", "r2"}));
  EXPECT_NE(text.out.find("param min_response_months@2 = 5 (allowed 3..6)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("define mdt_candidate@2"), std::string::npos) << text.out;
  SQLite::Database sql(db, SQLite::OPEN_READONLY);
  SQLite::Statement q(sql, "SELECT res.core FROM verify_result res JOIN verify_run v ON v.id = res.run_id "
                           "JOIN release r ON r.id = v.release_id WHERE r.name = 'r2' AND res.verdict = 'proved'");
  std::size_t stored = 0;
  while (q.executeStep()) {
    nlohmann::json core = nlohmann::json::parse(q.getColumn(0).getString());
    for (const auto& p : core)
      if (p["kind"] == "param" && p["name"] == "min_response_months") {
        EXPECT_EQ(p["version"], 2);
        ++stored;
      }
  }
  EXPECT_GT(stored, 0u);
  EXPECT_NE(read(dossier + "/index.html").find("param min_response_months@2 = 5"), std::string::npos);
  EXPECT_NE(read(dossier + "/dossier.json").find("\"mdt_candidate\""), std::string::npos);
}

TEST(ReleaseHash, is_the_same_in_release_releases_verify_json_and_dossier) {
  TempDir dir;
  std::string db = dir.file("kb.sqlite");
  ASSERT_EQ(run_kb({"init", "--db", db}).code, 0);
  ASSERT_EQ(run_kb({"import", "--db", db, "--author", "a", "--reason", "r", "kb/guidelines"}).code, 0);
  CliRun rel = run_kb({"release", "--db", db, "r1", "--author", "a"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(rel.out, m, std::regex("release hash ([0-9a-f]{64})"))) << rel.out;
  const std::string hash = m[1];
  EXPECT_NE(run_kb({"releases", "--db", db}).out.find(hash), std::string::npos);
  std::string dossier = dir.file("dossier");
  CliRun v = run_kb_verify(sampled({"--db", db, "--release", "r1", "--format", "json", "--dossier", dossier}));
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_EQ(nlohmann::json::parse(v.out)["subject"]["release_hash"], hash);
  EXPECT_NE(read(dossier + "/index.html").find(hash), std::string::npos);
  EXPECT_NE(run_kb_verify(sampled({"--db", db, "--release", "r1"})).out.find(hash.substr(0, 12)), std::string::npos);
}

TEST(Loader, a_folder_is_read_and_a_missing_or_empty_one_is_an_error) {
  TempDir dir;
  CliRun check = run_kb({"check", "kb/guidelines"});
  EXPECT_EQ(check.code, 0) << check.err;
  EXPECT_EQ(check.out.find("ok: 0 facts"), std::string::npos) << check.out;
  CliRun verify = run_kb_verify({"kb/guidelines", "--only", "NO-MDT-WITHOUT-MINIMUM-RESPONSE"});
  EXPECT_EQ(verify.code, 0) << verify.err;
  EXPECT_NE(verify.out.find("1 proved"), std::string::npos) << verify.out;

  std::string empty = dir.file("empty");
  fs::create_directories(empty);
  ASSERT_EQ(run_kb({"init", "--db", dir.file("kb.sqlite")}).code, 0);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"check", empty}, {"check", dir.file("missing.kb")}, {"import", "--db",
        dir.file("kb.sqlite"), "--author", "a", "--reason", "r", empty}}) {
    CliRun r = run_kb(args);
    EXPECT_EQ(r.code, 2) << args[1];
    EXPECT_NE(r.err.find(args.back()), std::string::npos) << r.err;
  }
  CliRun folder = run_kb_verify({empty});
  EXPECT_EQ(folder.code, 2);
  EXPECT_NE(folder.err.find(empty + ": error: no .kb files in this folder"), std::string::npos) << folder.err;
  CliRun missing = run_kb_verify({dir.file("nope")});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("nope: error: no such file or folder"), std::string::npos) << missing.err;

  std::string patient = dir.file("p.json", read("tests/vignettes/01_mdt_candidate_two_resectable_lung_lesions.json"));
  nlohmann::json vignette = nlohmann::json::parse(read(patient));
  std::ofstream(patient) << vignette["patient"].dump();
  CliRun rec = run_kb({"recommend", "--source", "kb/guidelines", "--patient", patient});
  EXPECT_EQ(rec.code, 0) << rec.err;
}

TEST(Loader, only_takes_one_id_per_flag_and_leaves_files_alone) {
  std::vector<std::string> args{"--only", "NO-MDT-WITHOUT-MINIMUM-RESPONSE"};
  for (const auto& f : kb::testing::bundled_files()) args.push_back(f);
  CliRun r = run_kb_verify(args);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("1 proved"), std::string::npos) << r.out;
  CliRun two = run_kb_verify({"kb/guidelines", "--only", "NO-MDT-WITHOUT-MINIMUM-RESPONSE,MDT-WITH-COUNSELLING"});
  EXPECT_NE(two.out.find("2 proved"), std::string::npos) << two.out;
}

TEST(Loader, a_rule_set_with_nothing_to_prove_is_an_error_for_verify_only) {
  TempDir dir;
  std::string facts = dir.file("facts.kb", "fact a: bool \"A\"\naction x \"X\"\n");
  CliRun v = run_kb_verify({facts});
  EXPECT_EQ(v.code, 2);
  EXPECT_NE(v.err.find("nothing to prove"), std::string::npos) << v.err;
  EXPECT_EQ(run_kb({"check", facts}).code, 0);
}

TEST(Cli, version_did_you_mean_and_exit_codes) {
  CliRun kv = run_kb({"--version"});
  EXPECT_EQ(kv.code, 0);
  EXPECT_NE(kv.out.find("kb 0."), std::string::npos) << kv.out;
  CliRun vv = run_kb_verify({"--version"});
  EXPECT_EQ(vv.code, 0);
  EXPECT_NE(vv.out.find("kb-verify 0."), std::string::npos) << vv.out;
  CliRun typo = run_kb({"improt"});
  EXPECT_EQ(typo.code, 2);
  EXPECT_NE(typo.err.find("unknown subcommand 'improt'; did you mean 'import'?"), std::string::npos) << typo.err;
}

TEST(Migration, a_schema_1_database_migrates_and_still_audits) {
  TempDir dir;
  std::string db = dir.file("old.sqlite");
  fs::copy_file("tests/fixtures/schema1.sqlite", db);
  // Reading commands never write, so they do not migrate: they say what to do.
  CliRun before = run_kb({"audit", "--db", db});
  EXPECT_EQ(before.code, 2);
  EXPECT_NE(before.err.find("has schema version 1 and needs migration to version " +
                            std::to_string(kb::known_schema_version()) + "; this command only reads"),
            std::string::npos)
      << before.err;
  ASSERT_EQ(run_kb({"init", "--db", db}).code, 0);
  CliRun audit = run_kb({"audit", "--db", db});
  ASSERT_EQ(audit.code, 0) << audit.err;
  EXPECT_NE(audit.out.find("195 item versions"), std::string::npos) << audit.out;
  {
    SQLite::Database sql(db, SQLite::OPEN_READONLY);
    EXPECT_EQ(sql.execAndGet("PRAGMA user_version").getInt(), kb::known_schema_version());
    EXPECT_EQ(sql.execAndGet("SELECT count(*) FROM item_version WHERE hash_format = 1").getInt(), 195);
    // Migration 5 wrote the ledger of what the database held: 195 items, r1, one run.
    EXPECT_EQ(sql.execAndGet("SELECT count(*) FROM ledger").getInt(), 197);
  }
  // The release keeps the hash it was sealed with, and kb-verify reports the same one.
  const std::string sealed = "328e1f9b7c4201045061c26bc4a1a53ff09a025cec65755e3dc4ecc7220f5c02";
  EXPECT_NE(run_kb({"releases", "--db", db}).out.find(sealed), std::string::npos);
  CliRun v = run_kb_verify({"--db", db, "--release", "r1", "--format", "json"});
  ASSERT_EQ(v.code, 0) << v.err;
  nlohmann::json j = nlohmann::json::parse(v.out);
  EXPECT_EQ(j["subject"]["release_hash"], sealed);
  for (const auto& o : j["obligations"]) EXPECT_EQ(o["location"]["file"], "<unknown origin>") << o["id"];
  // New versions on top use hash format 2 with their origin; the chain stays intact.
  std::string edit = guideline_copy(dir, "v2", {{"10_patient.kb", "param min_response_months = 6 allowed",
                                                 "param min_response_months = 4 allowed"}});
  ASSERT_EQ(run_kb({"import", "--db", db, "--author", "b", "--reason", "4 months", edit}).code, 0);
  CliRun again = run_kb({"audit", "--db", db});
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("286 item versions"), std::string::npos) << again.out;
  SQLite::Database sql(db, SQLite::OPEN_READONLY);
  std::string origin =
      sql.execAndGet("SELECT origin_file || ':' || origin_line FROM item_version WHERE hash_format = 2 AND kind = 'param' "
                     "AND name = 'min_response_months'").getString();
  EXPECT_NE(origin.find("v2/10_patient.kb:57"), std::string::npos) << origin;
}

}  // namespace
