// Tests of the versioned store (kb/store.h) and the `kb` subcommands that use
// it (tools/kb_cli.cpp): versions, releases, the hash chain, optimistic
// concurrency, and what a user sees on stdout, stderr and in the exit code.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kb/lang/parser.h"
#include "kb/model/checker.h"
#include "kb/lang/printer.h"
#include "kb/hash/sha256.h"
#include "kb/store/store.h"
#include "tests/common/cli.h"
#include "tests/common/scale.h"

extern char** environ;

namespace kb {
namespace {

namespace fs = std::filesystem;

// A fresh directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("kb_store_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::binary) << text;
    return file(name);
  }

 private:
  fs::path path_;
};

using testing::CliRun;

// Runs `kb ARGS... --db DB` in process with `input` as standard input.
CliRun kb_run(std::vector<std::string> args, const std::string& db, const std::string& input = "") {
  args.push_back("--db");
  args.push_back(db);
  return testing::run_kb(args, input);
}

long long scalar(const std::string& db, const std::string& sql) {
  SQLite::Database raw(db, SQLite::OPEN_READONLY);
  return raw.execAndGet(sql).getInt64();
}

long long row_count(const std::string& db) { return scalar(db, "SELECT count(*) FROM item_version"); }

const char* kBase = R"(reference 1 "Guideline reference 1"
fact response_months: int 0..240 "Months of documented response"
fact staging_complete: bool "Staging is complete"
fact subtype: enum { hr_pos, her2_pos, triple_negative } "Tumour subtype"
param min_response_months = 3 allowed 3..6 "Minimum months of response before MDT"
action mdt "Metastasis-directed therapy"
action counselling "Counselling"
rule MDT-SELECT
  when staging_complete and response_months >= min_response_months
  then recommend mdt
  because "MDT only for controlled disease"
  source "Documented tumor response for 3-6 months minimum before MDT"
  cites 1
rule COUNSEL when subtype == triple_negative then consider counselling
  because "c" source "s"
property NO-MDT-WITHOUT-STAGING "No MDT without staging"
  offered(mdt) implies staging_complete
)";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

// An initialised database holding kBase at version 1 (by alice).
struct Kb {
  TempDir dir;
  std::string db = dir.file("kb.sqlite");
  Kb() {
    EXPECT_EQ(kb_run({"init"}, db).code, 0);
    CliRun r = import(kBase, "alice", "initial import");
    EXPECT_EQ(r.code, 0) << r.err;
  }
  CliRun import(const std::string& text, const std::string& author, const std::string& reason,
             std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"import", "-", "--author", author, "--reason", reason};
    args.insert(args.end(), extra.begin(), extra.end());
    return kb_run(args, db, text);
  }
  CliRun run(std::vector<std::string> args) { return kb_run(std::move(args), db); }
};

Guideline checked(const std::string& text) {
  Diagnostics d;
  auto g = check(parse_source("<test>", text, d), d);
  EXPECT_TRUE(g) << d.render({{"<test>", text}});
  return g ? std::move(*g) : Guideline{};
}

std::string canonical(const Guideline& g) {
  std::string out;
  for (const Item* it : g.all_items()) out += (out.empty() ? "" : "\n") + print_item(*it);
  return out;
}

// What `kb export` prints after its "# kb-base:" line and a blank line.
std::string body(const std::string& exported) {
  EXPECT_EQ(exported.rfind("# kb-base: ", 0), 0u) << exported;
  std::size_t blank = exported.find("\n\n");
  return blank == std::string::npos ? exported : exported.substr(blank + 2);
}

// ---------------------------------------------------------------- versions

TEST(Store, import_appends_versions_only_for_changed_items) {
  Kb k;
  EXPECT_EQ(row_count(k.db), 10);
  std::string edited = replace(kBase, "\"Staging is complete\"", "\"Staging (CT, bone scan) is complete\"");
  edited = replace(edited, "param min_response_months = 3", "param min_response_months = 4");
  CliRun r = k.import(edited, "bob", "clarify staging");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("changed fact staging_complete version 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("changed param min_response_months version 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 added, 2 changed, 0 retired, 8 unchanged"), std::string::npos) << r.out;
  EXPECT_EQ(row_count(k.db), 12);

  auto store = Store::open(k.db, OpenMode::Existing);
  ASSERT_TRUE(store);
  auto g = store.value().load();
  ASSERT_TRUE(g) << g.error().render();
  EXPECT_EQ(g.value().versions.at("fact:staging_complete"), 2);
  EXPECT_EQ(g.value().versions.at("rule:MDT-SELECT"), 1);
  EXPECT_EQ(g.value().params[0].param_value, 4);
  auto h = store.value().history("staging_complete");
  ASSERT_TRUE(h);
  ASSERT_EQ(h.value().size(), 2u);
  EXPECT_EQ(h.value()[0].author, "alice");
  EXPECT_EQ(h.value()[1].author, "bob");
  EXPECT_EQ(h.value()[1].reason, "clarify staging");
  EXPECT_NE(h.value()[1].source.find("Staging (CT, bone scan) is complete"), std::string::npos);
}

TEST(Store, reimport_of_current_content_is_a_no_op) {
  Kb k;
  CliRun r = k.import(kBase, "bob", "again");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("0 added, 0 changed, 0 retired, 10 unchanged"), std::string::npos) << r.out;
  EXPECT_EQ(row_count(k.db), 10);
  // Layout and comments are not content.
  std::string relaid = "# a comment\n" + replace(kBase, "rule COUNSEL when", "rule COUNSEL\n\n   when");
  EXPECT_EQ(k.import(relaid, "bob", "again").code, 0);
  EXPECT_EQ(row_count(k.db), 10);
}

TEST(Store, export_then_import_creates_no_version) {
  Kb k;
  CliRun e = k.run({"export"});
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_EQ(body(e.out), canonical(checked(kBase)));  // every line fits: the layout is the canonical text
  CliRun r = k.import(e.out, "bob", "round trip");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("0 added, 0 changed, 0 retired"), std::string::npos) << r.out;
  EXPECT_EQ(row_count(k.db), 10);
  EXPECT_EQ(k.run({"export"}).out, e.out);
}

TEST(Store, import_reads_files_and_stdin_together) {
  Kb k;
  std::string file = k.dir.write("extra.kb", "action tumour_board \"Tumour board review\"\n");
  CliRun r = kb_run({"import", file, "-", "--author", "carol", "--reason", "add board"}, k.db, kBase);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("added   action tumour_board version 1"), std::string::npos) << r.out;
  EXPECT_EQ(row_count(k.db), 11);
}

TEST(Store, items_keep_the_order_they_were_first_introduced) {
  Kb k;
  // A new fact written first in the file still comes after the older facts,
  // and a changed fact keeps its place.
  std::string text = "fact aaa_new: bool \"New fact\"\n" +
                     replace(kBase, "\"Months of documented response\"", "\"Months of response\"");
  ASSERT_EQ(k.import(text, "bob", "more").code, 0);
  auto store = Store::open(k.db, OpenMode::Existing);
  auto g = store.value().load();
  ASSERT_TRUE(g);
  std::vector<std::string> facts;
  for (const auto& f : g.value().facts) facts.push_back(f.name);
  EXPECT_EQ(facts, (std::vector<std::string>{"response_months", "staging_complete", "subtype", "aaa_new"}));
}

TEST(Store, prune_retires_missing_items_and_readding_continues_the_versions) {
  Kb k;
  std::string without = replace(kBase, "rule COUNSEL when subtype == triple_negative then consider counselling\n"
                                       "  because \"c\" source \"s\"\n", "");
  CliRun kept = k.import(without, "bob", "no prune");
  EXPECT_EQ(kept.code, 0);
  EXPECT_EQ(row_count(k.db), 10) << "without --prune, absent items stay";

  CliRun r = k.import(without, "bob", "drop counselling rule", {"--prune"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("retired rule COUNSEL version 2"), std::string::npos) << r.out;
  EXPECT_EQ(k.run({"export"}).out.find("COUNSEL"), std::string::npos);
  CliRun h = k.run({"history", "COUNSEL"});
  ASSERT_EQ(h.code, 0) << h.err;
  EXPECT_NE(h.out.find("retired"), std::string::npos) << h.out;
  CliRun show = k.run({"show", "COUNSEL"});
  EXPECT_NE(show.out.find("version 2 (retired)"), std::string::npos) << show.out;

  // The old text brings the rule back: without a base that looks like a
  // stale copy, so it takes --force.
  CliRun stale = k.import(kBase, "carol", "restore");
  EXPECT_EQ(stale.code, 1);
  EXPECT_NE(stale.err.find("rule COUNSEL: your text is version 1's, but it was retired in version 2"),
            std::string::npos)
      << stale.err;
  CliRun back = k.import(kBase, "carol", "restore", {"--force"});
  ASSERT_EQ(back.code, 0) << back.err;
  EXPECT_NE(back.out.find("added   rule COUNSEL version 3"), std::string::npos) << back.out;
  EXPECT_EQ(body(k.run({"export"}).out), canonical(checked(kBase))) << "the rule regains its original place";
}

TEST(Store, show_and_history_print_what_a_reviewer_needs) {
  Kb k;
  CliRun all = k.run({"show"});
  ASSERT_EQ(all.code, 0);
  EXPECT_NE(all.out.find("rule       MDT-SELECT"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("10 current items"), std::string::npos) << all.out;
  CliRun one = k.run({"show", "rule:MDT-SELECT"});
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_NE(one.out.find("rule MDT-SELECT version 1"), std::string::npos);
  EXPECT_NE(one.out.find("author:       alice"), std::string::npos);
  EXPECT_NE(one.out.find("then recommend mdt"), std::string::npos);
  CliRun ref = k.run({"show", "1"});
  EXPECT_NE(ref.out.find("reference 1 \"Guideline reference 1\""), std::string::npos) << ref.out;
  CliRun missing = k.run({"history", "MDT-SELEC"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("did you mean 'MDT-SELECT'"), std::string::npos) << missing.err;
}

// ------------------------------------------------------------ hash chain

TEST(Store, row_hash_follows_the_documented_serialization) {
  Kb k;
  SQLite::Database raw(k.db, SQLite::OPEN_READONLY);
  SQLite::Statement st(raw,
                       "SELECT seq, kind, name, version, retired, strength, action, source, author, created_utc, "
                       "reason, content_hash, prev_hash, row_hash, origin_file, origin_line, origin_column, "
                       "origin_end_line, origin_end_column, hash_format FROM item_version ORDER BY seq");
  std::string prev(64, '0');
  int rules = 0;
  while (st.executeStep()) {
    std::string s;
    // Hash format 2 (every row written since schema 2) appends the origin.
    ASSERT_EQ(st.getColumn(19).getInt(), 2);
    for (int i : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18}) {
      const auto& c = st.getColumn(i);
      s += c.isNull() ? std::string("-\n") : std::to_string(c.getString().size()) + ":" + c.getString() + "\n";
    }
    EXPECT_EQ(sha256_hex(st.getColumn(7).getString()), st.getColumn(11).getString());
    EXPECT_EQ(st.getColumn(12).getString(), prev);
    EXPECT_EQ(sha256_hex(s), st.getColumn(13).getString());
    prev = st.getColumn(13).getString();
    if (st.getColumn(1).getString() == "rule") {
      ++rules;
      EXPECT_FALSE(st.getColumn(5).isNull());
    }
  }
  EXPECT_EQ(rules, 2);
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Store, audit_passes_on_an_untouched_database) {
  Kb k;
  ASSERT_EQ(k.run({"release", "r1", "--author", "alice"}).code, 0);
  CliRun a = k.run({"audit"});
  EXPECT_EQ(a.code, 0) << a.err;
  EXPECT_NE(a.out.find("10 item versions"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("1 releases verified"), std::string::npos) << a.out;
}

TEST(Store, audit_names_a_row_whose_source_was_changed) {
  Kb k;
  ASSERT_EQ(k.import(replace(kBase, "\"c\"", "\"counsel\""), "bob", "why").code, 0);
  long long seq = scalar(k.db, "SELECT seq FROM item_version WHERE name = 'MDT-SELECT' AND version = 1");
  {
    SQLite::Database raw(k.db, SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER item_version_no_update");
    raw.exec("UPDATE item_version SET source = replace(source, 'response_months >= min_response_months', 'true') "
             "WHERE name = 'MDT-SELECT' AND version = 1");
  }
  CliRun a = k.run({"audit"});
  EXPECT_EQ(a.code, 1);
  EXPECT_NE(a.err.find("row seq " + std::to_string(seq) + " (rule MDT-SELECT version 1)"), std::string::npos)
      << a.err;
  EXPECT_NE(a.err.find("source does not match its content_hash"), std::string::npos) << a.err;
}

TEST(Store, audit_names_a_row_rewritten_with_a_matching_content_hash) {
  Kb k;
  {
    SQLite::Database raw(k.db, SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER item_version_no_update");
    SQLite::Statement st(raw, "UPDATE item_version SET source = ?, content_hash = ? WHERE name = 'staging_complete'");
    std::string forged = "fact staging_complete: bool \"forged\"\n";
    st.bind(1, forged);
    st.bind(2, sha256_hex(forged));
    st.exec();
    raw.exec("UPDATE item_version SET author = 'mallory' WHERE name = 'COUNSEL'");
  }
  CliRun a = k.run({"audit"});
  EXPECT_EQ(a.code, 1);
  EXPECT_NE(a.err.find("(fact staging_complete version 1) was altered: its fields do not match its row_hash"),
            std::string::npos)
      << a.err;
  EXPECT_NE(a.err.find("(rule COUNSEL version 1) was altered: its fields do not match its row_hash"), std::string::npos)
      << "every altered row is reported\n" << a.err;
  EXPECT_NE(a.err.find("audit failed: 3 problems"), std::string::npos) << a.err;
  EXPECT_NE(a.err.find("schema: trigger item_version_no_update is missing"), std::string::npos) << a.err;
}

TEST(Store, audit_detects_a_deleted_row_and_an_altered_release) {
  Kb k;
  ASSERT_EQ(k.run({"release", "r1", "--author", "alice"}).code, 0);
  {
    SQLite::Database raw(k.db, SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER release_seal_only");
    raw.exec("UPDATE release SET content_hash = '" + std::string(64, 'a') + "'");
  }
  CliRun a = k.run({"audit"});
  EXPECT_EQ(a.code, 1);
  EXPECT_NE(a.err.find("release 'r1' was altered"), std::string::npos) << a.err;

  Kb k2;
  {
    SQLite::Database raw(k2.db, SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER item_version_no_delete");
    raw.exec("DELETE FROM item_version WHERE seq = 3");
  }
  CliRun b = k2.run({"audit"});
  EXPECT_EQ(b.code, 1);
  EXPECT_NE(b.err.find("row seq 4 "), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("prev_hash"), std::string::npos) << b.err;
}

TEST(Store, item_versions_refuse_update_and_delete) {
  Kb k;
  SQLite::Database raw(k.db, SQLite::OPEN_READWRITE);
  EXPECT_THROW(raw.exec("UPDATE item_version SET reason = 'x' WHERE seq = 1"), SQLite::Exception);
  EXPECT_THROW(raw.exec("DELETE FROM item_version WHERE seq = 10"), SQLite::Exception);
}

// -------------------------------------------------------------- releases

TEST(Store, releases_are_immutable) {
  Kb k;
  CliRun r = k.run({"release", "r1", "--author", "alice", "--reason", "committee approval"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("10 items pinned"), std::string::npos) << r.out;
  SQLite::Database raw(k.db, SQLite::OPEN_READWRITE);
  raw.exec("PRAGMA foreign_keys = ON");
  long long id = raw.execAndGet("SELECT id FROM release WHERE name = 'r1'").getInt64();
  EXPECT_EQ(raw.execAndGet("SELECT sealed FROM release").getInt(), 1);
  EXPECT_THROW(raw.exec("UPDATE release SET reason = 'rewritten'"), SQLite::Exception);
  EXPECT_THROW(raw.exec("UPDATE release SET sealed = 0"), SQLite::Exception);
  EXPECT_THROW(raw.exec("UPDATE release SET content_hash = NULL"), SQLite::Exception);
  EXPECT_THROW(raw.exec("DELETE FROM release"), SQLite::Exception);
  EXPECT_THROW(raw.exec("DELETE FROM release_item"), SQLite::Exception);
  EXPECT_THROW(raw.exec("UPDATE release_item SET version_seq = 1"), SQLite::Exception);
  // Pin one more (new) version into the sealed release.
  ASSERT_EQ(k.import(replace(kBase, "\"c\"", "\"counsel\""), "bob", "why").code, 0);
  EXPECT_THROW(raw.exec("INSERT INTO release_item (release_id, version_seq) VALUES (" + std::to_string(id) +
                        ", (SELECT max(seq) FROM item_version))"),
               SQLite::Exception);
  EXPECT_EQ(raw.execAndGet("SELECT count(*) FROM release_item").getInt(), 10);
}

TEST(Store, release_pins_versions_that_later_imports_do_not_change) {
  Kb k;
  std::string r1_text = body(k.run({"export"}).out);
  ASSERT_EQ(k.run({"release", "r1", "--author", "alice"}).code, 0);
  std::string v2 = replace(kBase, "param min_response_months = 3", "param min_response_months = 6");
  ASSERT_EQ(k.import(v2, "bob", "stricter", {"--prune"}).code, 0);
  ASSERT_EQ(k.import(replace(v2, "action counselling \"Counselling\"\n", "action counselling \"Counselling\"\n"
                                                                      "action surgery \"Primary tumour surgery\"\n"),
                     "bob", "surgery")
                .code,
            0);
  CliRun e = k.run({"export", "--release", "r1"});
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_EQ(e.out.rfind("# kb-base: release r1 ", 0), 0u) << e.out;
  EXPECT_EQ(body(e.out), r1_text);
  EXPECT_NE(body(k.run({"export"}).out), r1_text);
  auto store = Store::open(k.db, OpenMode::Existing);
  auto g = store.value().load(std::string("r1"));
  ASSERT_TRUE(g) << g.error().render();
  EXPECT_EQ(g.value().versions.at("param:min_response_months"), 1);
  EXPECT_EQ(g.value().versions.count("action:surgery"), 0u);
  CliRun list = k.run({"releases"});
  EXPECT_NE(list.out.find("r1"), std::string::npos);
  CliRun none = k.run({"export", "--release", "r2"});
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("no release named 'r2'"), std::string::npos) << none.err;
}

TEST(Store, duplicate_and_empty_releases_are_refused) {
  Kb k;
  ASSERT_EQ(k.run({"release", "r1", "--author", "alice"}).code, 0);
  CliRun dup = k.run({"release", "r1", "--author", "bob"});
  EXPECT_EQ(dup.code, 1);
  EXPECT_NE(dup.err.find("release 'r1' already exists"), std::string::npos) << dup.err;
  EXPECT_EQ(scalar(k.db, "SELECT count(*) FROM release"), 1);

  TempDir d;
  std::string empty = d.file("e.sqlite");
  ASSERT_EQ(kb_run({"init"}, empty).code, 0);
  CliRun e = kb_run({"release", "r1", "--author", "a"}, empty);
  EXPECT_EQ(e.code, 1);
  EXPECT_NE(e.err.find("nothing to release"), std::string::npos) << e.err;
  EXPECT_EQ(scalar(empty, "SELECT count(*) FROM release"), 0);
}

// ---------------------------------------------------- optimistic concurrency

TEST(Store, import_based_on_a_stale_release_is_refused_and_writes_nothing) {
  Kb k;
  ASSERT_EQ(k.run({"release", "r1", "--author", "alice"}).code, 0);
  ::setenv("KB_NOW", "2026-11-27T06:40:00Z", 1);
  CliRun alice = k.import(replace(kBase, "consider counselling", "recommend counselling"), "alice", "stronger",
                       {"--base", "r1"});
  ::unsetenv("KB_NOW");
  ASSERT_EQ(alice.code, 0) << alice.err;
  long long rows = row_count(k.db);

  CliRun bob = k.import(replace(kBase, "\"c\" source", "\"triple negative\" source"), "bob", "reword",
                     {"--base", "r1"});
  EXPECT_EQ(bob.code, 1);
  EXPECT_NE(bob.err.find("rule COUNSEL: your change is based on version 1 (release r1), but version 2 is current "
                         "(by alice at 2026-11-27T06:40:00Z, reason: stronger)"),
            std::string::npos)
      << bob.err;
  EXPECT_EQ(row_count(k.db), rows);

  // Bob's file still has alice's rule at version 1, as in r1: a three-way
  // merge keeps her change and writes only his unrelated edit.
  CliRun merged = k.import(replace(kBase, "\"Tumour subtype\"", "\"Subtype\""), "bob", "x", {"--base", "r1"});
  EXPECT_EQ(merged.code, 0) << merged.err;
  EXPECT_NE(merged.out.find("changed fact subtype version 2"), std::string::npos) << merged.out;
  EXPECT_NE(merged.out.find("kept    rule COUNSEL version 2 (alice changed it after release r1"), std::string::npos)
      << merged.out;
  EXPECT_EQ(row_count(k.db), rows + 1);
  EXPECT_NE(k.run({"export"}).out.find("then recommend counselling"), std::string::npos);
}

TEST(Store, stale_base_also_covers_items_added_or_retired_after_it) {
  Kb k;
  ASSERT_EQ(k.run({"release", "r1", "--author", "alice"}).code, 0);
  std::string with_board = kBase + std::string("action tumour_board \"Tumour board\"\n");
  ASSERT_EQ(k.import(with_board, "alice", "board").code, 0);
  std::string without_counsel = replace(with_board, "rule COUNSEL when subtype == triple_negative then consider "
                                                    "counselling\n  because \"c\" source \"s\"\n", "");
  ASSERT_EQ(k.import(without_counsel, "alice", "drop", {"--prune"}).code, 0);
  long long rows = row_count(k.db);

  // Bob (based on r1) adds his own tumour_board: it collides with alice's.
  // His copy of COUNSEL is r1's, so her retirement stands (not a conflict);
  // his change to it would have been one.
  std::string bob_text = kBase + std::string("action tumour_board \"Multidisciplinary board\"\n");
  CliRun bob = k.import(bob_text, "bob", "board", {"--base", "r1"});
  EXPECT_EQ(bob.code, 1);
  EXPECT_NE(bob.err.find("action tumour_board: your change is based on no version (it is not in release r1), but "
                         "version 1 is current (by alice"),
            std::string::npos)
      << bob.err;
  EXPECT_EQ(bob.err.find("rule COUNSEL"), std::string::npos) << bob.err;
  EXPECT_NE(bob.err.find("1 item(s) changed both in your input and by someone else since release r1"),
            std::string::npos)
      << bob.err;
  CliRun changed = k.import(replace(bob_text, "\"c\" source", "\"cc\" source"), "bob", "board", {"--base", "r1"});
  EXPECT_NE(changed.err.find("rule COUNSEL: your change is based on version 1 (release r1), but it was retired in "
                             "version 2 (retired by alice"),
            std::string::npos)
      << changed.err;
  EXPECT_EQ(row_count(k.db), rows);
}

TEST(Store, unknown_base_release_is_bad_input) {
  Kb k;
  CliRun r = k.import(kBase, "bob", "x", {"--base", "nope"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no release named 'nope'"), std::string::npos) << r.err;
}

// ----------------------------------------------------------- bad input

TEST(Store, input_with_a_type_error_leaves_the_database_unchanged) {
  Kb k;
  std::string bad = k.dir.write("bad.kb", std::string(kBase) + "define broken \"Broken\"\n  = response_months and true\n");
  CliRun r = kb_run({"import", bad, "--author", "bob", "--reason", "x"}, k.db);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(bad + ":19:5: error: operand of 'and' must be bool"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("^"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("nothing was written"), std::string::npos) << r.err;
  EXPECT_EQ(row_count(k.db), 10);

  CliRun syntax = k.import("rule X when true then recomend mdt because \"b\" source \"s\"\n", "bob", "x");
  EXPECT_EQ(syntax.code, 2);
  EXPECT_NE(syntax.err.find("<stdin>:1:"), std::string::npos) << syntax.err;
  EXPECT_EQ(row_count(k.db), 10);
}

TEST(Store, import_that_breaks_stored_items_is_refused) {
  Kb k;
  // Alone the file checks, but the stored rule uses staging_complete as bool.
  CliRun r = k.import("fact staging_complete: int 0..3 \"Staging steps done\"\n", "bob", "x");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("inconsistent"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("<stored rule MDT-SELECT@1>:2:"), std::string::npos) << r.err;
  EXPECT_EQ(row_count(k.db), 10);
  // A name already used by another kind.
  CliRun dup = k.import("define mdt \"clash\" = true\n", "bob", "x");
  EXPECT_EQ(dup.code, 2);
  EXPECT_NE(dup.err.find("duplicate name 'mdt'"), std::string::npos) << dup.err;
  EXPECT_EQ(row_count(k.db), 10);
}

// Rewrites the stored text of the first version of `name` (audit would notice).
void corrupt(const std::string& db, const std::string& name, const std::string& source) {
  SQLite::Database raw(db, SQLite::OPEN_READWRITE);
  raw.exec("DROP TRIGGER IF EXISTS item_version_no_update");
  SQLite::Statement st(raw, "UPDATE item_version SET source = ? WHERE name = ? AND version = 1");
  st.bind(1, source);
  st.bind(2, name);
  ASSERT_EQ(st.exec(), 1);
}

TEST(Store, export_reports_a_corrupted_row_instead_of_aborting) {
  // Each once aborted `kb export` (an uncaught exception or a stack overflow).
  const std::string deep = "rule MDT-SELECT\n  when " + std::string(5000, '(') + "staging_complete" +
                           std::string(5000, ')') + "\n  then recommend mdt\n  because \"b\"\n  source \"s\"\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"rul MDT-SELECT when staging_complete then recommend mdt because \"b\" source \"s\"\n",
       "<stored rule MDT-SELECT@1>:1:1: error: expected an item"},
      {"\xEF\xBB\xBF\xEF\xBB\xBFrule MDT-SELECT when staging_complete then recommend mdt because \"b\" source \"s\"\n",
       "<stored rule MDT-SELECT@1>:1:1: error: unexpected character"},
      {deep, "<stored rule MDT-SELECT@1>:2:207: error: expression nests deeper than the limit of 200 levels"},
      {"rule MDT-SELECT when staging_complete then recommend mdt because \"b\" source \"s\" cites 4294967297\n",
       "<stored rule MDT-SELECT@1>:1:87: error: reference number 4294967297 is out of range"},
      {"rule MDT-SELECT when staging_complete then recommend mdt because \"\xFF\" source \"s\"\n",
       "<stored rule MDT-SELECT@1>:1:67: error: invalid UTF-8 (byte 0xFF)"},
  };
  for (const auto& [source, message] : cases) {
    Kb k;
    corrupt(k.db, "MDT-SELECT", source);
    CliRun r = k.run({"export"});
    EXPECT_EQ(r.code, 2) << message;
    EXPECT_NE(r.err.find("do not parse and check (run `kb audit`)"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
}

TEST(Store, missing_author_or_reason_is_bad_usage) {
  Kb k;
  EXPECT_EQ(kb_run({"import", "-", "--author", "bob"}, k.db, kBase).code, 2);
  EXPECT_EQ(kb_run({"import", "-", "--author", "", "--reason", "r"}, k.db, "fact z: bool \"Z\"\n").code, 2);
  EXPECT_EQ(row_count(k.db), 10);
  EXPECT_EQ(kb_run({"frobnicate"}, k.db).code, 2);
}

// ------------------------------------------------------------ opening

TEST(Store, commands_other_than_init_do_not_create_a_database) {
  TempDir d;
  std::string db = d.file("missing.sqlite");
  for (auto cmd : {"export", "show", "audit", "releases"}) {
    CliRun r = kb_run({cmd}, db);
    EXPECT_EQ(r.code, 2) << cmd;
    EXPECT_NE(r.err.find("no knowledge base at " + db), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(db));
  CliRun init = kb_run({"init"}, db);
  EXPECT_EQ(init.code, 0) << init.err;
  EXPECT_TRUE(fs::exists(db));
  EXPECT_EQ(scalar(db, "PRAGMA user_version"), known_schema_version());
  EXPECT_EQ(kb_run({"init"}, db).code, 0) << "init is idempotent";
  std::string junk = d.write("junk.sqlite", "this is not a database, just some text that is long enough....");
  CliRun j = kb_run({"export"}, junk);
  EXPECT_EQ(j.code, 2);
  EXPECT_NE(j.err.find("database error"), std::string::npos) << j.err;
}

TEST(Store, a_newer_schema_is_refused) {
  Kb k;
  {
    SQLite::Database raw(k.db, SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA user_version = 99");
  }
  for (auto cmd : {"export", "init"}) {
    CliRun r = k.run({cmd});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("database schema version 99 is newer than this tool (" +
                         std::to_string(known_schema_version()) + "); upgrade kb"),
              std::string::npos)
        << r.err;
  }
  EXPECT_EQ(scalar(k.db, "PRAGMA user_version"), 99);
}

// ------------------------------------------------- concurrent processes

std::string kb_binary() {
  const char* dir = std::getenv("KB_BIN_DIR");
  return std::string(dir && *dir ? dir : "build/bin") + "/kb";
}

// Forks a process that imports `item_of(i)` for i in [0, n), each through
// its own `kb import` process; the child exits with the number of failures.
pid_t importer(const TempDir& dir, const std::string& db, const std::string& who, int n,
               std::string (*item_of)(int)) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int failures = 0;
  for (int i = 0; i < n; ++i) {
    std::string file = dir.write(who + std::to_string(i) + ".kb", item_of(i));
    std::string log = dir.file(who + ".log");
    std::string reason = "edit " + std::to_string(i);
    std::vector<std::string> args{kb_binary(), "import", file, "--author", who, "--reason", reason, "--db", db};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_t child;
    int status = 0;
    if (posix_spawn(&child, argv[0], &actions, nullptr, argv.data(), environ) != 0 ||
        ::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
      ++failures;
    posix_spawn_file_actions_destroy(&actions);
  }
  ::_exit(failures);
}

std::string item_a(int i) { return "fact alpha: int 0..100 \"Alpha, edit " + std::to_string(i) + "\"\n"; }
std::string item_b(int i) {
  return "param beta = " + std::to_string(i % 2) + " allowed 0..1 \"Beta, edit " + std::to_string(i) + "\"\n";
}

TEST(Store, concurrent_importers_lose_nothing) {
  ASSERT_TRUE(fs::exists(kb_binary())) << kb_binary();
  TempDir dir;
  std::string db = dir.file("kb.sqlite");
  ASSERT_EQ(kb_run({"init"}, db).code, 0);
  const int n = kb::testing::scaled(25, 10);  // imports each (10 in the sanitizer suite)
  pid_t a = importer(dir, db, "alice", n, item_a);
  pid_t b = importer(dir, db, "bob", n, item_b);
  int sa = 0, sb = 0;
  ASSERT_EQ(::waitpid(a, &sa, 0), a);
  ASSERT_EQ(::waitpid(b, &sb, 0), b);
  auto log = [&](const std::string& who) {
    std::ifstream f(dir.file(who + ".log"));
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  };
  EXPECT_TRUE(WIFEXITED(sa) && WEXITSTATUS(sa) == 0) << log("alice");
  EXPECT_TRUE(WIFEXITED(sb) && WEXITSTATUS(sb) == 0) << log("bob");
  EXPECT_EQ(row_count(db), 2 * n);
  EXPECT_EQ(scalar(db, "SELECT max(version) FROM item_version WHERE name = 'alpha'"), n);
  EXPECT_EQ(scalar(db, "SELECT max(version) FROM item_version WHERE name = 'beta'"), n);
  EXPECT_EQ(kb_run({"audit"}, db).code, 0);
}

// ------------------------------------------------------------- property

// A small guideline the property edits: facts, one parameter, actions and a
// growing and shrinking list of rules.
struct Model {
  std::vector<std::pair<std::string, std::string>> facts{  // name, description
      {"f_bool", "A bool fact"}, {"f_int", "An int fact"}};
  int param = 3;
  std::vector<std::pair<std::string, std::string>> rules;  // name, text
  int next_rule = 0;

  std::string text() const {
    std::string t = "reference 1 \"Ref\"\n";
    t += "fact " + facts[0].first + ": bool " + quote(facts[0].second) + "\n";
    t += "fact " + facts[1].first + ": int 0..10 " + quote(facts[1].second) + "\n";
    t += "param p = " + std::to_string(param) + " allowed 1..9 \"P\"\naction a0 \"A0\"\naction a1 \"A1\"\n";
    for (const auto& r : rules) t += r.second;
    t += "property PROP \"P\" offered(a0) implies true\n";
    return t;
  }
};

std::string random_text() {
  const std::string alphabet = "abc XYZ 019\"\\-.,()#";
  auto chars = *rc::gen::container<std::vector<int>>(rc::gen::inRange<int>(0, static_cast<int>(alphabet.size())));
  std::string s;
  for (int c : chars) s += alphabet[c];
  return s;
}

void random_edit(Model& m) {
  switch (*rc::gen::inRange(0, 4)) {
    case 0: m.facts[*rc::gen::inRange(0, 2)].second = random_text(); break;
    case 1: {
      std::string name = "R-" + std::to_string(m.next_rule++);
      std::string cond = *rc::gen::inRange(0, 2) ? "f_bool" : "f_int >= p + " + std::to_string(*rc::gen::inRange(0, 3));
      static const char* strengths[] = {"recommend", "consider", "avoid"};
      std::string text = "rule " + name + " when " + cond + " then " + strengths[*rc::gen::inRange(0, 3)] + " a" +
                         std::to_string(*rc::gen::inRange(0, 2)) + " because " + quote(random_text()) + " source " +
                         quote(random_text()) + (*rc::gen::inRange(0, 2) ? " cites 1" : "") + "\n";
      m.rules.emplace_back(name, text);
      break;
    }
    case 2: m.param = *rc::gen::inRange(1, 10); break;
    default:
      if (!m.rules.empty()) m.rules.erase(m.rules.begin() + *rc::gen::inRange(0, static_cast<int>(m.rules.size())));
  }
}

RC_GTEST_PROP(StoreProperty, random_edits_round_trip_and_reload_equal, ()) {
  TempDir dir;
  std::string db = dir.file("kb.sqlite");
  auto opened = Store::open(db, OpenMode::Create);
  RC_ASSERT(opened.ok());
  Store& store = opened.value();
  Model m;
  const int batches = *rc::gen::inRange(1, 4);
  for (int b = 0; b < batches; ++b) {
    if (b > 0) {
      const int edits = *rc::gen::inRange(1, 5);
      for (int e = 0; e < edits; ++e) random_edit(m);
    }
    auto input = checked(m.text());
    // Random edits may set an item back to an earlier text: forced.
    auto report = store.import(input, {"prop", "batch " + std::to_string(b), std::nullopt, true, true});
    RC_ASSERT(report.ok());
  }
  const std::string expected = canonical(checked(m.text()));
  const long long rows = row_count(db);

  CliRun exported = kb_run({"export"}, db);
  RC_ASSERT(exported.code == 0);
  RC_ASSERT(exported.out.substr(exported.out.find("\n\n") + 2) == expected);
  CliRun again = kb_run({"import", "-", "--author", "prop", "--reason", "round trip", "--prune"}, db, exported.out);
  RC_ASSERT(again.code == 0);
  RC_ASSERT(again.out.find("0 added, 0 changed, 0 retired") != std::string::npos);
  RC_ASSERT(row_count(db) == rows);

  auto loaded = store.load();
  RC_ASSERT(loaded.ok());
  Guideline want = checked(m.text());
  auto got_items = loaded.value().all_items();
  auto want_items = want.all_items();
  RC_ASSERT(got_items.size() == want_items.size());
  for (std::size_t i = 0; i < got_items.size(); ++i) {
    RC_ASSERT(print_item(*got_items[i]) == print_item(*want_items[i]));
    RC_ASSERT(loaded.value().versions.count(item_key(*got_items[i])) == 1u);
  }
  RC_ASSERT(store.audit().ok());
}

}  // namespace
}  // namespace kb
