// libFuzzer target: the store's import of arbitrary text (`kb import -`),
// into a fresh database file (a copy of one `kb init` made, in a private
// folder of /dev/shm or the temporary folder). A refused import must be a
// clean error (exit 1 or 2, never 3) that leaves the export as it was and
// `kb audit` passing. An accepted one must:
//  - export (`kb export`) the canonical layout of the input's checked items;
//  - re-import that export with no new version (`kb export | kb import -`);
//  - import into a second fresh database and export the same items there;
//  - pass `kb audit` in both databases.
// Any difference aborts.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "kb/lang/parser.h"
#include "kb/model/checker.h"
#include "kb/model/guideline.h"
#include "tools/kb_cli.h"

namespace {

namespace fs = std::filesystem;

struct Run {
  int code;
  std::string out, err;
};

Run kb_run(const std::vector<std::string>& args, const std::string& input = "") {
  std::istringstream in(input);
  std::ostringstream out, err;
  const int code = kb::cli::run_kb(args, in, out, err);
  return {code, out.str(), err.str()};
}

[[noreturn]] void fail(const std::string& what, const Run& r) {
  std::fprintf(stderr, "%s (exit %d)\nstdout:\n%s\nstderr:\n%s\n", what.c_str(), r.code, r.out.c_str(), r.err.c_str());
  std::abort();
}

// A private folder holding `empty.sqlite`, made once by `kb init`; removed at
// exit (the path is never destroyed, so the exit handler can still read it).
const fs::path& folder() {
  static const fs::path& dir = *new fs::path([] {
    std::error_code ec;
    std::string base = fs::is_directory("/dev/shm", ec) ? "/dev/shm" : fs::temp_directory_path().string();
    std::string pattern = base + "/kb-fuzz-store-XXXXXX";
    if (!mkdtemp(pattern.data())) std::abort();
    fs::path d(pattern);
    Run init = kb_run({"init", "--db", (d / "empty.sqlite").string()});
    if (init.code != 0) fail("kb init failed", init);
    return d;
  }());
  static const int cleanup = std::atexit([] { fs::remove_all(folder()); });
  (void)cleanup;
  return dir;
}

// A fresh copy of the empty database, named `name`.
std::string fresh(const std::string& name) {
  const fs::path db = folder() / name;
  for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(db.string() + suffix);
  fs::copy_file(folder() / "empty.sqlite", db);
  return db.string();
}

Run import(const std::string& db, const std::string& text) {
  return kb_run({"import", "-", "--db", db, "--author", "fuzz", "--reason", "fuzz"}, text);
}

Run audit(const std::string& db, const std::string& when) {
  Run r = kb_run({"audit", "--db", db});
  if (r.code != 0) fail("kb audit fails " + when, r);
  return r;
}

// `kb export` of `db`, without its first line (the `# kb-base:` marker, which
// names the database's own history) and the blank line after it.
std::string exported_items(const std::string& db, std::string* whole = nullptr) {
  Run r = kb_run({"export", "--db", db});
  if (r.code != 0) fail("kb export fails", r);
  if (whole) *whole = r.out;
  const std::size_t nl = r.out.find('\n');
  std::string items = nl == std::string::npos ? "" : r.out.substr(nl + 1);
  return items.empty() ? items : items.substr(1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string db = fresh("a.sqlite");
  const Run first = import(db, text);
  if (first.code != 0) {
    if (first.code != 1 && first.code != 2) fail("a refused import is not a clean error", first);
    if (!exported_items(db).empty()) fail("a refused import left items behind", first);
    audit(db, "after a refused import");
    return 0;
  }
  kb::Diagnostics diags;
  auto g = kb::check(kb::parse_source("input.kb", text, diags), diags);
  if (!g) fail("kb import accepted text that does not check:\n" + diags.render({{"input.kb", text}}), first);
  std::string exported;
  const std::string items = exported_items(db, &exported);
  if (items != kb::guideline_layout(*g))
    fail("the export is not the input's canonical layout:\n" + kb::guideline_layout(*g), {0, exported, ""});
  audit(db, "after an import");

  const Run again = import(db, exported);
  if (again.code != 0 || again.out.find("import: 0 added, 0 changed, 0 retired") != 0)
    fail("re-importing the export changed something", again);
  audit(db, "after re-importing the export");

  const std::string other = fresh("b.sqlite");
  const Run copy = import(other, items);
  if (copy.code != 0) fail("the export does not import into a fresh database", copy);
  if (exported_items(other) != items) fail("a fresh database exports other items", copy);
  audit(other, "in a fresh database");
  return 0;
}
