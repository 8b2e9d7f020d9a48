// The safer update workflow (docs/store.md, "Merging"): `kb export` names its
// base, `kb import` merges three ways against it (others' changes kept, both
// changed refused), refuses stale copies without a base, --force is recorded,
// and --dry-run writes nothing.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kb/lang/format.h"
#include "kb/store/store.h"
#include "tests/common/cli.h"

namespace kb {
namespace {

using testing::CliRun;

const char* kText = R"(reference 1 "Guideline reference 1"
fact staging_complete: bool "Staging is complete"
fact subtype: enum { hr_pos, her2_pos, triple_negative } "Tumour subtype"
param min_response_months = 3 allowed 3..6 "Minimum months of response before MDT"
action mdt "Metastasis-directed therapy"
action counselling "Counselling"
rule MDT-SELECT when staging_complete then recommend mdt because "controlled" source "s" cites 1
rule COUNSEL when subtype == triple_negative then consider counselling because "c" source "s"
)";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A knowledge base in `dir` holding kText at version 1 (8 rows), by alice.
struct Kb {
  const testing::TempDir& dir;
  std::string db;
  explicit Kb(const testing::TempDir& d, const std::string& name = "kb.sqlite") : dir(d), db(d.file(name)) {
    EXPECT_EQ(run({"init"}).code, 0);
    CliRun r = import(kText, "alice", "initial");
    EXPECT_EQ(r.code, 0) << r.err;
  }
  CliRun run(std::vector<std::string> args, const std::string& input = "") {
    args.push_back("--db");
    args.push_back(db);
    return testing::run_kb(args, input);
  }
  CliRun import(const std::string& text, const std::string& author, const std::string& reason,
                std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"import", "-", "--author", author, "--reason", reason};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(args, text);
  }
  std::string exported() {
    CliRun e = run({"export"});
    EXPECT_EQ(e.code, 0) << e.err;
    return e.out;
  }
  long long rows() {
    SQLite::Database raw(db, SQLite::OPEN_READONLY);
    return raw.execAndGet("SELECT count(*) FROM item_version").getInt64();
  }
  std::string reason(const std::string& name, int version) {
    SQLite::Database raw(db, SQLite::OPEN_READONLY);
    SQLite::Statement st(raw, "SELECT reason FROM item_version WHERE name = ? AND version = ?");
    st.bind(1, name);
    st.bind(2, version);
    return st.executeStep() ? st.getColumn(0).getString() : "";
  }
};

TEST(Merge, export_names_its_base_and_is_already_formatted) {
  testing::TempDir dir;
  Kb k(dir);
  std::string draft = k.exported();
  EXPECT_EQ(draft.rfind("# kb-base: seq 8 ", 0), 0u) << draft;
  ASSERT_EQ(k.run({"release", "r1", "--author", "alice"}).code, 0);
  CliRun rel = k.run({"export", "--release", "r1"});
  ASSERT_EQ(rel.code, 0) << rel.err;
  EXPECT_EQ(rel.out.rfind("# kb-base: release r1 ", 0), 0u) << rel.out;
  Diagnostics diags;
  EXPECT_EQ(format_source("export.kb", draft, diags).value_or(""), draft) << "kb fmt leaves an export unchanged";
  std::string problem;
  auto base = read_base_marker(draft, problem);
  ASSERT_TRUE(base.has_value()) << problem;
  EXPECT_EQ(base->seq, 8);
  EXPECT_EQ(base->hash_prefix.size(), 12u);
  Kb empty(dir, "empty.sqlite");
  ASSERT_EQ(empty.import("", "alice", "retire everything", {"--prune"}).code, 0);
  std::string nothing = empty.exported();
  EXPECT_EQ(nothing.rfind("# kb-base: seq 16 ", 0), 0u) << nothing;
  EXPECT_EQ(format_source("empty.kb", nothing, diags).value_or(""), nothing) << "one line, no blank line after it";
  // Exported and imported back: no version, whatever the layout.
  CliRun again = k.import(draft, "bob", "round trip");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(has(again.out, "0 added, 0 changed, 0 retired, 8 unchanged")) << again.out;
  EXPECT_EQ(k.rows(), 8);
}

TEST(Merge, two_authors_editing_from_the_same_export) {
  testing::TempDir dir;
  Kb k(dir);
  const std::string copy = k.exported();  // alice, bob and carol all start here
  ::setenv("KB_NOW", "2026-11-27T06:40:00Z", 1);
  CliRun alice = k.import(replace(copy, "consider counselling", "recommend counselling"), "alice", "stronger");
  ::unsetenv("KB_NOW");
  ASSERT_EQ(alice.code, 0) << alice.err;

  // Bob never touched COUNSEL: his full file does not revert alice's change.
  CliRun bob = k.import(replace(copy, "\"Tumour subtype\"", "\"Subtype\""), "bob", "shorter");
  ASSERT_EQ(bob.code, 0) << bob.err;
  EXPECT_TRUE(has(bob.out, "changed fact subtype version 2")) << bob.out;
  EXPECT_TRUE(has(bob.out, "kept    rule COUNSEL version 2 (alice changed it after seq 8; your input has it as it was then)"))
      << bob.out;
  EXPECT_TRUE(has(bob.out, "1 kept as others changed them")) << bob.out;
  EXPECT_TRUE(has(k.exported(), "then recommend counselling"));

  // Carol changed COUNSEL too: refused, both versions named, nothing written.
  const long long rows = k.rows();
  CliRun carol = k.import(replace(copy, "because \"c\"", "because \"triple negative\""), "carol", "reword");
  EXPECT_EQ(carol.code, 1);
  EXPECT_TRUE(has(carol.err, "1 item(s) changed both in your input and by someone else since seq 8")) << carol.err;
  EXPECT_TRUE(has(carol.err, "rule COUNSEL: your change is based on version 1 (seq 8), but version 2 is current (by "
                             "alice at 2026-11-27T06:40:00Z, reason: stronger)"))
      << carol.err;
  EXPECT_TRUE(has(carol.err, "see the other change: kb history --db " + k.db + " rule:COUNSEL")) << carol.err;
  EXPECT_TRUE(has(carol.err, "to rebase: kb export --db " + k.db + " > current.kb")) << carol.err;
  EXPECT_FALSE(has(carol.err, "fact subtype")) << "bob's change is not carol's conflict";
  EXPECT_EQ(k.rows(), rows);
}

TEST(Merge, a_pruning_full_import_keeps_what_others_added_and_changed) {
  testing::TempDir dir;
  Kb k(dir);
  const std::string copy = k.exported();
  std::string alice_text = replace(copy, "param min_response_months = 3", "param min_response_months = 4");
  ASSERT_EQ(k.import(alice_text + "\naction tumour_board \"Tumour board\"\n", "alice", "board").code, 0);
  CliRun bob = k.import(replace(copy, "\"Staging is complete\"", "\"Staging done\""), "bob", "x", {"--prune"});
  ASSERT_EQ(bob.code, 0) << bob.err;
  EXPECT_TRUE(has(bob.out, "kept    action tumour_board version 1 (alice added it after seq 8; your input does not "
                          "have it)"))
      << bob.out;
  EXPECT_TRUE(has(bob.out, "kept    param min_response_months version 2 (alice changed it")) << bob.out;
  EXPECT_TRUE(has(bob.out, "import: 0 added, 1 changed, 0 retired, 6 unchanged, 2 kept")) << bob.out;
  std::string now = k.exported();
  EXPECT_TRUE(has(now, "tumour_board") && has(now, "= 4 allowed") && has(now, "\"Staging done\"")) << now;
}

TEST(Merge, dry_run_prints_exactly_what_would_change_and_writes_nothing) {
  testing::TempDir dir;
  Kb k(dir);
  std::string edited = replace(kText, "rule COUNSEL when subtype == triple_negative then consider counselling "
                                      "because \"c\" source \"s\"\n", "");
  edited = replace(edited, "param min_response_months = 3", "param min_response_months = 5");
  edited += "action biopsy \"Biopsy\"\n";
  CliRun dry = k.import(edited, "bob", "x", {"--prune", "--dry-run"});
  ASSERT_EQ(dry.code, 0) << dry.err;
  EXPECT_EQ(dry.out,
            "would change  param min_response_months version 2\n"
            "would add     action biopsy version 1\n"
            "would retire  rule COUNSEL version 2\n"
            "dry run: would add 1, change 1, retire 1; 6 unchanged; nothing was written\n");
  EXPECT_EQ(k.rows(), 8);
  CliRun only_retire = k.import(kText, "bob", "x", {"--prune", "--dry-run"});
  EXPECT_TRUE(has(only_retire.out, "would add 0, change 0, retire 0")) << only_retire.out;
  CliRun real = k.import(edited, "bob", "x", {"--prune"});
  ASSERT_EQ(real.code, 0) << real.err;
  EXPECT_TRUE(has(real.out, "retired rule COUNSEL version 2")) << real.out;
  EXPECT_EQ(k.rows(), 11);
}

TEST(Merge, without_a_base_a_stale_copy_is_refused_and_force_is_recorded) {
  testing::TempDir dir;
  Kb k(dir);
  ::setenv("KB_NOW", "2026-11-28T09:00:00Z", 1);
  ASSERT_EQ(k.import(replace(kText, "= 3 allowed", "= 4 allowed"), "bob", "4 months").code, 0);
  ::unsetenv("KB_NOW");
  // An old copy of the file (no kb-base line) would set the parameter back.
  CliRun stale = k.import(replace(kText, "\"Tumour subtype\"", "\"Subtype\""), "carol", "x");
  EXPECT_EQ(stale.code, 1);
  EXPECT_TRUE(has(stale.err, "1 item(s) would go back to an earlier version's text, as from a stale copy")) << stale.err;
  EXPECT_TRUE(has(stale.err, "param min_response_months: your text is version 1's, but version 2 is current (by bob "
                             "at 2026-11-28T09:00:00Z, reason: 4 months): this looks like a stale copy"))
      << stale.err;
  EXPECT_TRUE(has(stale.err, "kb history --db " + k.db + " param:min_response_months")) << stale.err;
  EXPECT_EQ(k.rows(), 9);

  CliRun forced = k.import(replace(kText, "\"Tumour subtype\"", "\"Subtype\""), "carol", "back to 3", {"--force"});
  ASSERT_EQ(forced.code, 0) << forced.err;
  EXPECT_TRUE(has(forced.out, "changed param min_response_months version 3 (forced: set back to version 1 over "
                              "version 2 by bob)"))
      << forced.out;
  EXPECT_EQ(k.reason("min_response_months", 3), "back to 3 [--force: set back to version 1 over version 2 by bob]");
  EXPECT_EQ(k.reason("subtype", 2), "back to 3") << "only the forced item notes it";
  CliRun history = k.run({"history", "min_response_months"});
  EXPECT_TRUE(has(history.out, "[--force: set back to version 1")) << history.out;
}

TEST(Merge, force_over_a_conflict_is_recorded_with_the_base) {
  testing::TempDir dir;
  Kb k(dir);
  const std::string copy = k.exported();
  ASSERT_EQ(k.import(replace(copy, "= 3 allowed", "= 4 allowed"), "alice", "4").code, 0);
  CliRun bob = k.import(replace(copy, "= 3 allowed", "= 6 allowed"), "bob", "6", {"--force"});
  ASSERT_EQ(bob.code, 0) << bob.err;
  EXPECT_EQ(k.reason("min_response_months", 3), "6 [--force: overwrote version 2 by alice, based on seq 8]");
}

TEST(Merge, a_retirement_and_a_change_of_the_same_item_conflict) {
  testing::TempDir dir;
  Kb k(dir);
  const std::string copy = k.exported();
  ASSERT_EQ(k.import(replace(copy, "because \"c\"", "because \"cc\""), "alice", "x").code, 0);
  std::string without = replace(copy, "rule COUNSEL\n", "rule COUNSEL-GONE\n");  // bob drops it ...
  without = without.substr(0, without.find("rule COUNSEL-GONE"));
  CliRun bob = k.import(without, "bob", "drop", {"--prune"});  // ... and prunes
  EXPECT_EQ(bob.code, 1);
  EXPECT_TRUE(has(bob.err, "rule COUNSEL: your change is based on version 1 (seq 8), but version 2 is current"))
      << bob.err;
}

TEST(Merge, an_explicit_base_release_merges_the_same_way) {
  testing::TempDir dir;
  Kb k(dir);
  ASSERT_EQ(k.run({"release", "r1", "--author", "alice"}).code, 0);
  ASSERT_EQ(k.import(replace(kText, "consider counselling", "avoid counselling"), "alice", "x").code, 0);
  CliRun bob = k.import(replace(kText, "\"Tumour subtype\"", "\"Subtype\""), "bob", "x", {"--base", "r1"});
  ASSERT_EQ(bob.code, 0) << bob.err;
  EXPECT_TRUE(has(bob.out, "kept    rule COUNSEL version 2 (alice changed it after release r1")) << bob.out;
  EXPECT_EQ(k.import(kText, "bob", "x", {"--base", "seq:x"}).code, 2);
}

TEST(Merge, a_base_from_another_knowledge_base_or_mixed_bases_are_refused) {
  testing::TempDir dir;
  Kb a(dir, "a.sqlite"), b(dir, "b.sqlite");
  ASSERT_EQ(b.import(replace(kText, "= 3 allowed", "= 4 allowed"), "bob", "x").code, 0);
  std::string from_b = b.exported();  // seq 9 exists only in b
  CliRun r = a.import(from_b, "alice", "x");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "is not a row of this knowledge base (newest: seq 8)")) << r.err;
  ASSERT_EQ(a.import("action extra \"Extra\"\n", "alice", "x").code, 0);  // now a has a seq 9, with another hash
  r = a.import(from_b, "alice", "x");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "exported from another knowledge base")) << r.err;

  std::string marked = dir.file("marked.kb", a.exported());
  std::string plain = dir.file("plain.kb", "action more \"More\"\n");
  CliRun mixed = testing::run_kb({"import", marked, plain, "--author", "x", "--reason", "y", "--db", a.db});
  EXPECT_EQ(mixed.code, 2);
  EXPECT_TRUE(has(mixed.err, "some input files name a base")) << mixed.err;
}

}  // namespace
}  // namespace kb
