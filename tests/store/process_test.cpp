// The store used by several real processes, and by one that may not write:
// reading commands on a read-only database file and folder, concurrent
// `kb init` of one path, concurrent importers merging against one base.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kb/store/store.h"
#include "tests/common/cli.h"

namespace kb {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;
using testing::TempDir;

std::string bin(const std::string& tool) {
  const char* dir = std::getenv("KB_BIN_DIR");
  return std::string(dir && *dir ? dir : "build/bin") + "/" + tool;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A started process whose output goes to two files.
struct Child {
  pid_t pid = -1;
  std::string out, err;
  // Waits for it; returns its exit code (-1 when it did not exit normally).
  CliRun wait() {
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return {-1, slurp(out), slurp(err)};
    return {WEXITSTATUS(status), slurp(out), slurp(err)};
  }
};

// Starts `tool ARGS...`; with `unprivileged` as user and group nobody when
// the test runs as root (root ignores file permissions).
Child start(const std::string& tool, const std::vector<std::string>& args, const std::string& log_base,
            bool unprivileged = false) {
  Child c;
  c.out = log_base + ".out";
  c.err = log_base + ".err";
  std::vector<std::string> argv_s{bin(tool)};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  c.pid = ::fork();
  if (c.pid == 0) {
    int o = ::open(c.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    int e = ::open(c.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0666);
    ::dup2(o, 1);
    ::dup2(e, 2);
    if (unprivileged && ::geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(125);
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return c;
}

CliRun run(const std::string& tool, const std::vector<std::string>& args, const std::string& log_base,
           bool unprivileged = false) {
  return start(tool, args, log_base, unprivileged).wait();
}

const char* kGuideline = R"(reference 1 "Ref"
fact staging_complete: bool "Staging is complete"
fact response_months: int 0..240 "Months of response"
param min_response_months = 3 allowed 3..6 "Minimum months"
action mdt "Metastasis-directed therapy"
rule MDT when staging_complete and response_months >= min_response_months then recommend mdt
  because "b" source "s" cites 1
property NEEDS-STAGING "No MDT without staging" offered(mdt) implies staging_complete
)";

TEST(ReadOnly, reading_commands_work_on_a_read_only_file_in_a_read_only_folder) {
  ASSERT_TRUE(fs::exists(bin("kb"))) << bin("kb");
  TempDir scratch;
  const fs::path dir = scratch.file("ro");
  fs::create_directories(dir);
  const std::string db = (dir / "kb.sqlite").string();
  ASSERT_EQ(testing::run_kb({"init", "--db", db}).code, 0);
  ASSERT_EQ(testing::run_kb({"import", "-", "--author", "a", "--reason", "r", "--db", db}, kGuideline).code, 0);
  ASSERT_EQ(testing::run_kb({"release", "r1", "--author", "a", "--db", db}).code, 0);
  const std::string patient = (dir / "patient.json").string();
  std::ofstream(patient) << R"({"staging_complete": true, "response_months": 4})";
  const std::string logs = scratch.file("log");
  fs::create_directories(logs);
  fs::permissions(logs, fs::perms::all);
  fs::permissions(scratch.file(""), fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  ASSERT_FALSE(fs::exists(db + "-wal"));
  // Read-only file and folder; as root, the tools run as nobody.
  fs::permissions(db, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(patient, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read | fs::perms::group_exec |
                           fs::perms::others_read | fs::perms::others_exec);
  const std::vector<std::pair<std::string, std::vector<std::string>>> reads = {
      {"kb", {"audit", "--db", db}},
      {"kb", {"export", "--db", db}},
      {"kb", {"export", "--release", "r1", "--db", db}},
      {"kb", {"history", "MDT", "--db", db}},
      {"kb", {"releases", "--db", db}},
      {"kb", {"show", "--db", db}},
      {"kb", {"recommend", "--patient", patient, "--release", "r1", "--db", db}},
      {"kb-verify", {"--release", "r1", "--db", db, "--quiet"}},
  };
  int n = 0;
  for (const auto& [tool, args] : reads) {
    CliRun r = run(tool, args, logs + "/" + std::to_string(n++), true);
    EXPECT_EQ(r.code, 0) << tool << " " << args[0] << "\n" << r.out << r.err;
    EXPECT_EQ(r.err.find("readonly"), std::string::npos) << r.err;
    if (tool == "kb-verify") {
      EXPECT_NE(r.err.find("results not stored: " + db + " is read-only"), std::string::npos) << r.err;
    }
  }
  CliRun w = run("kb", {"release", "r2", "--author", "a", "--db", db}, logs + "/w", true);
  EXPECT_EQ(w.code, 2) << w.out << w.err;
  EXPECT_NE(w.err.find("the file or its folder is read-only, and this command writes"), std::string::npos) << w.err;
  EXPECT_FALSE(fs::exists(db + "-wal"));
  EXPECT_FALSE(fs::exists(db + "-shm"));
  fs::permissions(dir, fs::perms::owner_all);
  fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_EQ(testing::run_kb({"audit", "--db", db}).code, 0);
}

TEST(ReadOnly, a_database_that_needs_migration_is_named_not_written) {
  TempDir scratch;
  const std::string db = scratch.file("old.sqlite");
  fs::copy_file("tests/fixtures/schema1.sqlite", db);
  const std::string before = slurp(db);
  for (auto cmd : {"audit", "export", "releases"}) {
    CliRun r = testing::run_kb({cmd, "--db", db});
    EXPECT_EQ(r.code, 2) << cmd;
    EXPECT_NE(r.err.find("has schema version 1 and needs migration"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("run `kb init --db " + db + "`"), std::string::npos) << r.err;
  }
  EXPECT_EQ(slurp(db), before) << "a reading command wrote to the database";
}

TEST(Concurrency, concurrent_init_of_one_path_succeeds_for_every_process) {
  ASSERT_TRUE(fs::exists(bin("kb"))) << bin("kb");
  TempDir scratch;
  for (int round = 0; round < 3; ++round) {
    const std::string db = scratch.file("kb" + std::to_string(round) + ".sqlite");
    std::vector<Child> children;
    for (int i = 0; i < 8; ++i)
      children.push_back(start("kb", {"init", "--db", db}, scratch.file("init" + std::to_string(round) + "-" + std::to_string(i))));
    for (auto& c : children) {
      CliRun r = c.wait();
      EXPECT_EQ(r.code, 0) << r.err;
      EXPECT_NE(r.out.find("schema version " + std::to_string(known_schema_version())), std::string::npos) << r.out;
    }
    CliRun a = testing::run_kb({"audit", "--db", db});
    EXPECT_EQ(a.code, 0) << a.err;
  }
}

// Four people edit different items of release r1 at once, each with
// `--base r1`: every change lands, none is refused, nothing is lost.
TEST(Concurrency, four_importers_with_a_base_all_land) {
  ASSERT_TRUE(fs::exists(bin("kb"))) << bin("kb");
  TempDir scratch;
  const std::string db = scratch.file("kb.sqlite");
  ASSERT_EQ(testing::run_kb({"init", "--db", db}).code, 0);
  ASSERT_EQ(testing::run_kb({"import", "-", "--author", "a", "--reason", "r", "--db", db}, kGuideline).code, 0);
  ASSERT_EQ(testing::run_kb({"release", "r1", "--author", "a", "--db", db}).code, 0);
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"\"Staging is complete\"", "\"Staging is complete (edited by p0)\""},
      {"\"Months of response\"", "\"Months of response (edited by p1)\""},
      {"\"Minimum months\"", "\"Minimum months (edited by p2)\""},
      {"\"Metastasis-directed therapy\"", "\"MDT (edited by p3)\""},
  };
  std::vector<Child> children;
  for (std::size_t i = 0; i < edits.size(); ++i) {
    std::string text = kGuideline;
    text.replace(text.find(edits[i].first), edits[i].first.size(), edits[i].second);
    const std::string file = scratch.file("p" + std::to_string(i) + ".kb");
    std::ofstream(file) << text;
    children.push_back(start("kb",
                             {"import", file, "--base", "r1", "--author", "p" + std::to_string(i), "--reason", "edit",
                              "--db", db},
                             scratch.file("imp" + std::to_string(i))));
  }
  for (auto& c : children) {
    CliRun r = c.wait();
    EXPECT_EQ(r.code, 0) << r.out << r.err;
  }
  CliRun e = testing::run_kb({"export", "--db", db});
  ASSERT_EQ(e.code, 0) << e.err;
  for (std::size_t i = 0; i < edits.size(); ++i)
    EXPECT_NE(e.out.find("(edited by p" + std::to_string(i) + ")"), std::string::npos) << e.out;
  CliRun a = testing::run_kb({"audit", "--db", db});
  EXPECT_EQ(a.code, 0) << a.err;
  EXPECT_NE(a.out.find("11 item versions"), std::string::npos) << a.out;
}

}  // namespace
}  // namespace kb
