// Fault injection: a VFS shim (tests/common/faulty_vfs.h) fails the Nth
// write or sync of an import and of a release, for every N until the
// operation completes untouched. After each failure the database must be
// unchanged, `kb audit` must pass, and the error must say what happened.
// Its own test binary: the shim is the process's default VFS.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>

#include "kb/lang/parser.h"
#include "kb/model/checker.h"
#include "kb/store/store.h"
#include "tests/common/cli.h"
#include "tests/common/faulty_vfs.h"

namespace kb {
namespace {

namespace fs = std::filesystem;
using testing::FaultyVfs;
using testing::TempDir;

const char* kV1 = R"(reference 1 "Ref"
fact staging_complete: bool "Staging is complete"
fact response_months: int 0..240 "Months of response"
param min_response_months = 3 allowed 3..6 "Minimum months"
action mdt "Metastasis-directed therapy"
rule MDT when staging_complete and response_months >= min_response_months then recommend mdt
  because "b" source "s" cites 1
property NEEDS-STAGING "No MDT without staging" offered(mdt) implies staging_complete
)";

Guideline checked(const std::string& text) {
  Diagnostics d;
  auto g = check(parse_source("<test>", text, d), d);
  EXPECT_TRUE(g) << d.render({{"<test>", text}});
  return g ? std::move(*g) : Guideline{};
}

// What must not change when a write fails.
struct State {
  long long items = 0, entries = 0, releases = 0;
  std::string head;
  bool operator==(const State&) const = default;
};

State state_of(const std::string& db) {
  SQLite::Database raw(db, SQLite::OPEN_READONLY);
  return {raw.execAndGet("SELECT count(*) FROM item_version").getInt64(),
          raw.execAndGet("SELECT count(*) FROM ledger").getInt64(),
          raw.execAndGet("SELECT count(*) FROM release").getInt64(),
          raw.execAndGet("SELECT coalesce(max(entry_hash), '') FROM ledger WHERE seq = (SELECT max(seq) FROM ledger)")
              .getString()};
}

// Runs `op` on a fresh copy of `base` with the Nth write or sync failing, for
// N = 1, 2, ... until the operation sees no fault; checks every outcome.
// Returns the number of faults injected.
int fail_every_write(const TempDir& dir, const std::string& base,
                     const std::function<bool(Store&, std::string&)>& op) {
  const State before = state_of(base);
  int injected = 0;
  for (int n = 1; n < 2000; ++n) {
    const std::string db = dir.file("work" + std::to_string(n) + ".sqlite");
    fs::copy_file(base, db);
    bool ok = false, fired = false;
    std::string message;
    {
      auto store = Store::open(db, OpenMode::Existing);
      if (!store.ok()) {
        ADD_FAILURE() << store.error().render();
        return injected;
      }
      FaultyVfs::fail_at(n);
      ok = op(store.value(), message);
      fired = FaultyVfs::fired();
      FaultyVfs::fail_at(0);
    }
    const State after = state_of(db);
    testing::CliRun audit = testing::run_kb({"audit", "--db", db});
    EXPECT_EQ(audit.code, 0) << "fault at write " << n << ": " << audit.err;
    if (!fired) {
      EXPECT_TRUE(ok) << message;
      EXPECT_NE(after, before) << "the operation wrote nothing";
      return injected;
    }
    ++injected;
    if (ok) {
      EXPECT_NE(after, before) << "fault at write " << n << " was reported as success but nothing was written";
    } else {
      EXPECT_EQ(after, before) << "fault at write " << n << " left a partial write: " << message;
      EXPECT_NE(message.find("disk I/O error"), std::string::npos) << message;
      EXPECT_NE(message.find("database error in " + db), std::string::npos) << message;
    }
    fs::remove(db);
  }
  ADD_FAILURE() << "the operation never completed";
  return injected;
}

struct Base {
  TempDir dir;
  std::string db = dir.file("base.sqlite");
  Base() {
    FaultyVfs::install();
    EXPECT_EQ(testing::run_kb({"init", "--db", db}).code, 0);
    EXPECT_EQ(testing::run_kb({"import", "-", "--author", "a", "--reason", "r", "--db", db}, kV1).code, 0);
    EXPECT_EQ(testing::run_kb({"release", "r1", "--author", "a", "--db", db}).code, 0);
  }
};

TEST(FaultInjection, every_failed_write_of_an_import_leaves_the_database_unchanged) {
  Base b;
  std::string v2 = kV1;
  v2.replace(v2.find("3..6"), 4, "3..7");
  v2.replace(v2.find("\"b\""), 3, "\"because\"");
  const Guideline g = checked(v2 + "fact extra: bool \"Extra\"\n");
  int injected = fail_every_write(b.dir, b.db, [&](Store& s, std::string& message) {
    auto r = s.import(g, {"bob", "edit", std::nullopt, false, false, false});
    if (!r.ok()) message = r.error().render();
    return r.ok();
  });
  EXPECT_GE(injected, 3) << "too few writes to be a meaningful test";
  std::cout << "faults injected: " << injected << "\n";
}

TEST(FaultInjection, every_failed_write_of_a_release_leaves_the_database_unchanged) {
  Base b;
  int injected = fail_every_write(b.dir, b.db, [&](Store& s, std::string& message) {
    auto r = s.release("r2", "carol", "approved");
    if (!r.ok()) message = r.error().render();
    return r.ok();
  });
  EXPECT_GE(injected, 3) << "too few writes to be a meaningful test";
  std::cout << "faults injected: " << injected << "\n";
}

TEST(FaultInjection, the_command_line_names_the_failure) {
  Base b;
  FaultyVfs::fail_at(1);
  testing::CliRun r = testing::run_kb({"release", "r2", "--author", "a", "--db", b.db});
  FaultyVfs::fail_at(0);
  EXPECT_EQ(r.code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("kb: database error in " + b.db + ": disk I/O error"), std::string::npos) << r.err;
  EXPECT_EQ(testing::run_kb({"audit", "--db", b.db}).code, 0);
}

}  // namespace
}  // namespace kb
