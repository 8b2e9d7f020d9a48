// Raw-SQL tampering that `kb audit` must catch (docs/store.md, "What audit
// proves"): each case edits a database the way someone with write access to
// the file could, then runs `kb audit` and expects exit 1 and a message that
// names the table and row. Cases that only an external anchor can catch are
// checked with `--expect-head` (the head an earlier audit printed) or with
// `--trust` (a key that signed the release).
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "kb/hash/release_hash.h"
#include "kb/hash/sha256.h"
#include "kb/store/store.h"
#include "tests/common/cli.h"
#include "tests/common/keys.h"

namespace kb {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;
using testing::TempDir;

const char* kV1 = R"(reference 1 "Guideline reference 1"
fact response_months: int 0..240 "Months of documented response"
fact staging_complete: bool "Staging is complete"
param min_response_months = 3 allowed 3..6 "Minimum months of response before MDT"
action mdt "Metastasis-directed therapy"
rule MDT-SELECT when staging_complete and response_months >= min_response_months then recommend mdt
  because "MDT only for controlled disease" source "s" cites 1
property NO-MDT-WITHOUT-STAGING "No MDT without staging" offered(mdt) implies staging_complete
)";

// A database with history: 7 items (seq 1-7), a change (seq 8), release r1
// signed with a test key, a verification run of r1, then two unreleased
// changes (seq 9, 10). `head` is the head an audit printed before tampering.
struct History {
  TempDir dir;
  std::string db = dir.file("kb.sqlite");
  std::string key = testing::make_key_pair(dir.file("signer"));
  std::string pub = dir.file("signer.pub");
  std::string head;

  History() {
    EXPECT_EQ(run({"init"}).code, 0);
    EXPECT_EQ(import(kV1, "alice").code, 0);
    EXPECT_EQ(import(replace(kV1, "\"s\"", "\"s2\""), "bob").code, 0);
    CliRun r = run({"release", "r1", "--author", "carol", "--reason", "committee", "--sign-key", key});
    EXPECT_EQ(r.code, 0) << r.err;
    {
      auto store = Store::open(db, OpenMode::Existing);
      VerificationRun v;
      v.release = "r1";
      v.content_hash = std::string(64, 'c');
      v.tool_version = "test";
      v.z3_version = "z3";
      v.results = {{"property:NO-MDT-WITHOUT-STAGING", "proved", 1.5, "[]", std::nullopt, std::nullopt, "ok", {}, {}},
                   {"conflict:mdt", "no-conflict", 2.0, "[]", std::nullopt, std::nullopt, "ok", {}, {}}};
      EXPECT_TRUE(store.value().record_verification(v).ok());
    }
    EXPECT_EQ(import(replace(v2(), "3..6", "3..7"), "dave").code, 0);
    EXPECT_EQ(import(replace(v2(), "3..6", "3..8"), "erin").code, 0);
    CliRun a = audit({"--trust", pub});
    EXPECT_EQ(a.code, 0) << a.err;
    auto at = a.out.find("head: seq ");
    EXPECT_NE(at, std::string::npos) << a.out;
    head = a.out.substr(a.out.find(' ', at + 10) + 1, 64);
  }
  static std::string v2() { return replace(kV1, "\"s\"", "\"s2\""); }
  static std::string replace(std::string s, const std::string& from, const std::string& to) {
    s.replace(s.find(from), from.size(), to);
    return s;
  }
  CliRun run(std::vector<std::string> args) const {
    args.push_back("--db");
    args.push_back(db);
    return testing::run_kb(args);
  }
  CliRun import(const std::string& text, const std::string& who) const {
    return testing::run_kb({"import", "-", "--author", who, "--reason", "edit", "--db", db}, text);
  }
  CliRun audit(std::vector<std::string> extra = {}) const {
    extra.insert(extra.begin(), "audit");
    return run(extra);
  }
  // Runs raw SQL with every trigger out of the way, as an attacker would.
  void sql(const std::string& statements) const {
    SQLite::Database raw(db, SQLite::OPEN_READWRITE);
    for (const char* t : {"item_version_no_update", "item_version_no_delete", "release_seal_only", "release_no_delete",
                          "release_item_no_delete", "ledger_no_update", "ledger_no_delete",
                          "release_signature_no_update", "release_signature_no_delete", "verify_result_no_update",
                          "verify_run_no_update", "verify_run_no_delete", "verify_result_no_delete"})
      raw.exec(std::string("DROP TRIGGER IF EXISTS ") + t);
    raw.exec(statements);
    restore_triggers(raw);
  }
  // Puts back the triggers sql() dropped, exactly as the migrations define them.
  static void restore_triggers(SQLite::Database& raw) {
    // The expected definitions come from a fresh database the tool creates.
    static const std::vector<std::string> ddl = [] {
      TempDir_ fresh;
      std::vector<std::string> out;
      {
        auto s = Store::open(fresh.path + "/x.sqlite", OpenMode::Create);
        EXPECT_TRUE(s.ok());
      }
      SQLite::Database f(fresh.path + "/x.sqlite", SQLite::OPEN_READONLY);
      SQLite::Statement st(f, "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'");
      while (st.executeStep()) out.push_back(st.getColumn(0).getString() + "\n" + st.getColumn(1).getString());
      return out;
    }();
    for (const std::string& d : ddl) {
      std::string name = d.substr(0, d.find('\n'));
      SQLite::Statement has(raw, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?");
      has.bind(1, name);
      has.executeStep();
      if (has.getColumn(0).getInt() == 0) raw.exec(d.substr(d.find('\n') + 1));
    }
  }
  struct TempDir_ {
    std::string path = fs::temp_directory_path() / ("kb-integrity-fresh-" + std::to_string(::getpid()));
    TempDir_() { fs::create_directories(path); }
    ~TempDir_() { fs::remove_all(path); }
  };
};

// Expects `kb audit` (with `extra` options) to fail naming `what`.
void expect_caught(const History& h, const std::string& what, std::vector<std::string> extra = {}) {
  CliRun a = h.audit(extra);
  EXPECT_EQ(a.code, 1) << a.out << a.err;
  EXPECT_NE(a.err.find("audit failed"), std::string::npos) << a.err;
  EXPECT_NE(a.err.find(what), std::string::npos) << "expected: " << what << "\n" << a.err;
}

// ------------------------------------------------- caught by the database alone

TEST(Tamper, untouched_history_passes_with_key_and_anchor) {
  History h;
  CliRun a = h.audit({"--trust", h.pub, "--expect-head", h.head});
  EXPECT_EQ(a.code, 0) << a.err;
  EXPECT_NE(a.out.find("1 verification runs verified"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("1 release(s) signed by a trusted key"), std::string::npos) << a.out;
  EXPECT_NE(a.out.find("expected head found"), std::string::npos) << a.out;
}

TEST(Tamper, deleting_the_last_unreleased_row_is_caught) {
  History h;
  h.sql("DELETE FROM item_version WHERE seq = 10");
  expect_caught(h, "ledger seq 12 (item 10): item_version row seq 10 is missing (deleted)");
}

TEST(Tamper, deleting_the_last_rows_and_their_ledger_entries_is_caught_by_the_anchor) {
  History h;
  h.sql("DELETE FROM item_version WHERE seq >= 9; DELETE FROM ledger WHERE entry = 'item' AND ref >= 9");
  EXPECT_EQ(h.audit().code, 0) << "a clean truncation leaves nothing inside the database to notice";
  expect_caught(h, "the expected head " + h.head + " is not in the ledger", {"--expect-head", h.head});
  expect_caught(h, "the expected head", {"--expect-head", h.head.substr(0, 12)});
}

TEST(Tamper, rewriting_the_last_row_is_caught) {
  History h;
  h.sql("UPDATE item_version SET author = 'mallory' WHERE seq = 10");
  expect_caught(h, "item_version row seq 10 (param min_response_months version 3) was altered: its fields do not "
                   "match its row_hash");
}

TEST(Tamper, editing_release_metadata_is_caught) {
  for (std::string edit : {"author = 'mallory'", "created_utc = '2020-01-01T00:00:00Z'", "reason = 'forged'",
                                  "name = 'r0'"}) {
    History h;
    h.sql("UPDATE release SET " + edit);
    expect_caught(h, "(release 1): release id 1 ('", {});
    expect_caught(h, "was altered since it was sealed");
  }
}

TEST(Tamper, deleting_a_release_is_caught) {
  History h;
  h.sql("DELETE FROM release_signature; DELETE FROM release_item; DELETE FROM verify_result; DELETE FROM verify_run; "
        "DELETE FROM release");
  expect_caught(h, "(release 1): release id 1 is missing (deleted)");
}

TEST(Tamper, editing_a_verification_result_is_caught) {
  History h;
  h.sql("UPDATE verify_result SET verdict = 'violated' WHERE obligation = 'conflict:mdt'");
  expect_caught(h, "verify_run id 1 was altered since it was stored");
  History h2;
  h2.sql("DELETE FROM verify_result WHERE obligation = 'conflict:mdt'");
  expect_caught(h2, "verify_run id 1 was altered since it was stored");
  History h3;
  h3.sql("UPDATE verify_run SET exit_code = 0, content_hash = '" + std::string(64, 'd') + "'");
  expect_caught(h3, "verify_run id 1 was altered since it was stored");
}

TEST(Tamper, dropped_or_neutered_triggers_are_caught) {
  History h;
  {
    SQLite::Database raw(h.db, SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER item_version_no_update");
  }
  expect_caught(h, "schema: trigger item_version_no_update is missing");
  History h2;
  {
    SQLite::Database raw(h2.db, SQLite::OPEN_READWRITE);
    raw.exec("DROP TRIGGER ledger_no_delete");
    raw.exec("CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger WHEN 0 BEGIN SELECT RAISE(ABORT, 'x'); END");
    raw.exec("CREATE INDEX sneaky ON item_version(author)");
  }
  expect_caught(h2, "schema: trigger ledger_no_delete differs from its definition");
  expect_caught(h2, "schema: unexpected index sneaky");
}

TEST(Tamper, a_version_stored_as_text_is_caught_naming_the_row) {
  History h;
  h.sql("UPDATE item_version SET version = '1abc' WHERE seq = 3");
  expect_caught(h, "item_version row seq 3: column version holds text '1abc', expected 'integer'");
}

TEST(Tamper, an_unknown_kind_is_a_finding_not_a_crash) {
  History h;
  h.sql("PRAGMA ignore_check_constraints = ON; UPDATE item_version SET kind = 'bogus' WHERE seq = 2");
  expect_caught(h, "item_version row seq 2 (bogus response_months version 1) was altered: its kind 'bogus' is not a "
                   "kind this tool knows");
  for (const char* cmd : {"export", "show", "releases"}) {
    CliRun r = h.run({cmd});
    EXPECT_NE(r.code, 3) << cmd << r.err;
  }
}

TEST(Tamper, a_row_added_behind_the_ledgers_back_is_caught) {
  History h;
  h.sql("INSERT INTO item_version (seq, kind, name, version, source, author, created_utc, reason, content_hash, "
        "prev_hash, row_hash, hash_format) SELECT 11, kind, name, version + 1, source, 'mallory', created_utc, reason, "
        "content_hash, row_hash, '" + std::string(64, 'e') + "', 2 FROM item_version WHERE seq = 10");
  expect_caught(h, "item_version row seq 11 has no ledger entry");
}

// A bit flip inside an index page: the table rows still read, so only
// SQLite's integrity_check notices (kb export --release would fail later).
TEST(Tamper, a_flipped_byte_in_an_index_page_is_caught_by_integrity_check) {
  History h;
  long long page = 0, size = 0;
  {
    SQLite::Database raw(h.db, SQLite::OPEN_READWRITE);
    raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    page = raw.execAndGet("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_item_version_1'").getInt64();
    size = raw.execAndGet("PRAGMA page_size").getInt64();
  }
  ASSERT_GT(page, 1);
  std::fstream f(h.db, std::ios::in | std::ios::out | std::ios::binary);
  const long long at = (page - 1) * size + size - 20;  // cell content sits at the end of the page
  f.seekg(at);
  char c = 0;
  f.read(&c, 1);
  c ^= 0x10;
  f.seekp(at);
  f.write(&c, 1);
  f.close();
  CliRun a = h.audit();
  EXPECT_EQ(a.code, 1) << a.out << a.err;
  EXPECT_TRUE(a.err.find("integrity_check: the database file is damaged") != std::string::npos ||
              a.err.find("the database could not be read to the end") != std::string::npos)
      << a.err;
}

// ----------------------------------------- caught only with a key or an anchor

// Recomputes every row_hash from `from` on, then the whole ledger, the way
// someone who read docs/store.md would after rewriting a row.
void recompute_everything(const std::string& db, long long from) {
  SQLite::Database raw(db, SQLite::OPEN_READWRITE);
  std::string prev = from == 1 ? kZeroHash
                               : raw.execAndGet("SELECT row_hash FROM item_version WHERE seq = " +
                                                std::to_string(from - 1))
                                     .getString();
  SQLite::Statement rows(raw,
                         "SELECT seq, kind, name, version, retired, strength, action, source, author, created_utc, "
                         "reason, origin_file, origin_line, origin_column, origin_end_line, origin_end_column, "
                         "hash_format FROM item_version WHERE seq >= ? ORDER BY seq");
  rows.bind(1, static_cast<int64_t>(from));
  std::vector<ItemVersion> all;
  while (rows.executeStep()) {
    ItemVersion r;
    r.seq = rows.getColumn(0).getInt64();
    r.kind = *item_kind_from_name(rows.getColumn(1).getString());
    r.name = rows.getColumn(2).getString();
    r.version = rows.getColumn(3).getInt();
    r.retired = rows.getColumn(4).getInt() != 0;
    if (!rows.getColumn(5).isNull()) r.strength = rows.getColumn(5).getString();
    if (!rows.getColumn(6).isNull()) r.action = rows.getColumn(6).getString();
    r.source = rows.getColumn(7).getString();
    r.author = rows.getColumn(8).getString();
    r.created_utc = rows.getColumn(9).getString();
    r.reason = rows.getColumn(10).getString();
    if (!rows.getColumn(11).isNull()) r.origin.file = rows.getColumn(11).getString();
    r.origin.line = rows.getColumn(12).getInt(), r.origin.column = rows.getColumn(13).getInt();
    r.origin.end_line = rows.getColumn(14).getInt(), r.origin.end_column = rows.getColumn(15).getInt();
    r.hash_format = rows.getColumn(16).getInt();
    all.push_back(r);
  }
  for (ItemVersion& r : all) {
    r.content_hash = sha256_hex(r.source);
    r.prev_hash = prev;
    r.row_hash = row_hash(r);
    prev = r.row_hash;
    SQLite::Statement up(raw, "UPDATE item_version SET content_hash = ?, prev_hash = ?, row_hash = ? WHERE seq = ?");
    up.bind(1, r.content_hash);
    up.bind(2, r.prev_hash);
    up.bind(3, r.row_hash);
    up.bind(4, static_cast<int64_t>(r.seq));
    up.exec();
  }
  // Bodies: "<kind>\n", then per query the row count and every column, each
  // field "<len>:<text>\n" or "-\n" (docs/store.md, "The ledger").
  auto field = [](std::string& s, const SQLite::Column& c) {
    s += c.isNull() ? std::string("-\n") : std::to_string(c.getString().size()) + ":" + c.getString() + "\n";
  };
  auto body = [&](const std::string& kind, const std::vector<std::string>& queries, long long id) {
    std::string s = kind + "\n";
    for (const auto& q : queries) {
      SQLite::Statement st(raw, q);
      st.bind(1, static_cast<int64_t>(id));
      std::string rows_text;
      int n = 0;
      while (st.executeStep()) {
        ++n;
        for (int i = 0; i < st.getColumnCount(); ++i) field(rows_text, st.getColumn(i));
      }
      s += std::to_string(std::to_string(n).size()) + ":" + std::to_string(n) + "\n" + rows_text;
    }
    return sha256_hex(s);
  };
  SQLite::Statement entries(raw, "SELECT seq, entry, ref FROM ledger ORDER BY seq");
  std::vector<std::tuple<long long, std::string, long long>> list;
  while (entries.executeStep())
    list.emplace_back(entries.getColumn(0).getInt64(), entries.getColumn(1).getString(), entries.getColumn(2).getInt64());
  std::string prev_entry = kZeroHash;
  for (const auto& [seq, entry, ref] : list) {
    std::string b;
    if (entry == "item")
      b = raw.execAndGet("SELECT row_hash FROM item_version WHERE seq = " + std::to_string(ref)).getString();
    else if (entry == "release")
      b = body("release",
               {"SELECT id, name, author, created_utc, reason, content_hash, sealed FROM release WHERE id = ?",
                "SELECT ri.version_seq, v.row_hash FROM release_item ri LEFT JOIN item_version v ON v.seq = "
                "ri.version_seq WHERE ri.release_id = ? ORDER BY ri.version_seq"},
               ref);
    else
      b = body("verify",
               {"SELECT id, release_id, content_hash, tool_version, z3_version, started_utc, exit_code, "
                "mutation_score FROM verify_run WHERE id = ?",
                "SELECT obligation, verdict, millis, core, counterexample, detail, location FROM verify_result WHERE "
                "run_id = ? ORDER BY obligation",
                "SELECT mutant, op, site, status, killed_by, restating_only, summary, witness FROM mutation_result "
                "WHERE run_id = ? ORDER BY mutant"},
               ref);
    std::string h = ledger_entry_hash(seq, entry, ref, b, prev_entry);
    SQLite::Statement up(raw, "UPDATE ledger SET body_hash = ?, prev_hash = ?, entry_hash = ? WHERE seq = ?");
    up.bind(1, b);
    up.bind(2, prev_entry);
    up.bind(3, h);
    up.bind(4, static_cast<int64_t>(seq));
    up.exec();
    prev_entry = h;
  }
}

TEST(Tamper, a_middle_row_rewritten_with_the_chain_recomputed_is_caught_by_the_key_and_the_anchor) {
  History h;
  // Row 3 (fact staging_complete version 1, pinned by r1): blame someone else.
  h.sql("UPDATE item_version SET author = 'mallory', reason = 'forged' WHERE seq = 3");
  {
    SQLite::Database raw(h.db, SQLite::OPEN_READWRITE);
    for (const char* t : {"item_version_no_update", "ledger_no_update"}) raw.exec(std::string("DROP TRIGGER ") + t);
  }
  recompute_everything(h.db, 3);
  {
    SQLite::Database raw(h.db, SQLite::OPEN_READWRITE);
    History::restore_triggers(raw);
  }
  CliRun plain = h.audit();
  EXPECT_EQ(plain.code, 0) << "a consistent rewrite leaves nothing inside the database to notice\n" << plain.err;
  expect_caught(h, "release 'r1' was signed at chain head", {"--trust", h.pub});
  expect_caught(h, "the history up to the release was rewritten", {"--trust", h.pub});
  expect_caught(h, "the expected head " + h.head + " is not in the ledger", {"--expect-head", h.head});
}

TEST(Tamper, the_last_row_rewritten_with_the_chain_recomputed_is_caught_by_the_anchor) {
  History h;
  {
    SQLite::Database raw(h.db, SQLite::OPEN_READWRITE);
    for (const char* t : {"item_version_no_update", "ledger_no_update"}) raw.exec(std::string("DROP TRIGGER ") + t);
    raw.exec("UPDATE item_version SET author = 'mallory', source = replace(source, '3..8', '3..6') WHERE seq = 10");
  }
  recompute_everything(h.db, 10);
  {
    SQLite::Database raw(h.db, SQLite::OPEN_READWRITE);
    History::restore_triggers(raw);
  }
  EXPECT_EQ(h.audit({"--trust", h.pub}).code, 0) << "rows after the newest signed release are not covered by it";
  expect_caught(h, "the expected head " + h.head + " is not in the ledger", {"--expect-head", h.head});
}

TEST(Tamper, a_stripped_or_forged_signature_is_caught_with_the_key) {
  History h;
  h.sql("DELETE FROM release_signature");
  EXPECT_EQ(h.audit().code, 0);
  expect_caught(h, "release 'r1' (release id 1), the newest, carries no valid signature by a trusted key",
                {"--trust", h.pub});
  History h2;
  h2.sql("UPDATE release_signature SET signature = substr(signature, 1, 127) || "
         "(CASE substr(signature, 128) WHEN '0' THEN '1' ELSE '0' END)");
  expect_caught(h2, "the signature of release 'r1' does not verify", {"--trust", h2.pub});
  // Another key is not trusted just because it signed.
  std::string other = testing::make_key_pair(h2.dir.file("other"));
  (void)other;
  expect_caught(h2, "carries no valid signature by a trusted key", {"--trust", h2.dir.file("other.pub")});
}

TEST(Tamper, a_new_unsigned_release_on_top_of_a_rewrite_is_caught_with_the_key) {
  History h;
  CliRun r = h.run({"release", "r2", "--author", "mallory"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("not signed"), std::string::npos) << r.out;
  expect_caught(h, "release 'r2' (release id 2), the newest, carries no valid signature", {"--trust", h.pub});
}

TEST(Tamper, bad_keys_and_heads_are_bad_usage) {
  History h;
  EXPECT_EQ(h.audit({"--expect-head", "xyz"}).code, 2);
  EXPECT_EQ(h.audit({"--trust", h.dir.file("missing.pub")}).code, 2);
  std::ofstream(h.dir.file("junk.pub")) << "not a key\n";
  CliRun j = h.audit({"--trust", h.dir.file("junk.pub")});
  EXPECT_EQ(j.code, 2);
  EXPECT_NE(j.err.find("is not an Ed25519 public key in PEM format"), std::string::npos) << j.err;
  CliRun s = h.run({"release", "r9", "--author", "a", "--sign-key", h.pub});
  EXPECT_EQ(s.code, 2) << "a public key cannot sign";
  EXPECT_NE(s.err.find("is not an Ed25519 private key"), std::string::npos) << s.err;
}

// ---------------------------------------------------- printing stored text

TEST(Escaping, control_characters_in_author_and_reason_cannot_fake_rows) {
  History h;
  const std::string evil = "eve\n3  2026-01-01T00:00:00Z  alice  live\x1b[2J\x7f\xc2\x85";
  CliRun i = testing::run_kb({"import", "-", "--author", evil, "--reason", evil, "--db", h.db},
                             History::replace(History::v2(), "3..6", "3..9"));
  ASSERT_EQ(i.code, 0) << i.err;
  ASSERT_EQ(h.run({"release", "r2", "--author", evil, "--reason", evil}).code, 0);
  for (auto args : std::vector<std::vector<std::string>>{{"history", "min_response_months"}, {"releases"},
                                                          {"show", "min_response_months"}, {"show"}}) {
    CliRun r = h.run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << args[0];
    EXPECT_EQ(r.out.find('\x7f'), std::string::npos) << args[0];
    EXPECT_EQ(r.out.find("\xc2\x85"), std::string::npos) << args[0];
    EXPECT_EQ(r.out.find("eve\n"), std::string::npos) << args[0];
    EXPECT_NE(r.out.find("eve\\n3  2026-01-01T00:00:00Z  alice  live\\x1b[2J\\x7f\\u0085"), std::string::npos)
        << r.out;
  }
}

}  // namespace
}  // namespace kb
