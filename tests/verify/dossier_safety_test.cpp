// The dossier is written without ever deleting what kb-verify did not create,
// and a re-check cannot be steered by the files it reads: hostile manifests,
// forged answers and sources, symbolic links, FIFOs, hanging solvers.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kb/hash/sha256.h"
#include "report/dossier.h"
#include "tests/common/bundled.h"
#include "tests/common/cli.h"
#include "tests/common/keys.h"

namespace {

namespace fs = std::filesystem;
using kb::testing::CliRun;
using kb::testing::run_kb_verify;

const std::string kProperty = "property:MDT-WITH-COUNSELLING";
const std::string kFile = "obligations/property.MDT-WITH-COUNSELLING.smt2";

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// Every entry below `root` (recursively, symbolic links not followed) with
// its content ("<dir>" for folders, "-> target" for links).
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    std::string rel = e.path().lexically_relative(root).generic_string();
    if (e.is_symlink()) out[rel] = "-> " + fs::read_symlink(e.path()).string();
    else if (e.is_directory()) out[rel] = "<dir>";
    else out[rel] = read(e.path());
  }
  return out;
}

// Rewrites MANIFEST.sha256 over every regular file, as anyone with sha256sum can.
void recompute_manifest(const fs::path& dossier) {
  std::string manifest;
  for (const auto& [rel, text] : snapshot(dossier))
    if (rel != "MANIFEST.sha256" && text != "<dir>" && text.rfind("-> ", 0) != 0)
      manifest += kb::sha256_hex(text) + "  " + rel + "\n";
  write(dossier / "MANIFEST.sha256", manifest);
}

void append_manifest(const fs::path& dossier, const std::string& line) {
  write(dossier / "MANIFEST.sha256", read(dossier / "MANIFEST.sha256") + line + "\n");
}

// Replaces the one occurrence of `from` in `file`.
void edit(const fs::path& file, const std::string& from, const std::string& to) {
  std::string text = read(file);
  auto pos = text.find(from);
  ASSERT_NE(pos, std::string::npos) << from;
  ASSERT_EQ(text.find(from, pos + 1), std::string::npos) << from;
  write(file, text.replace(pos, from.size(), to));
}

class Dossier : public ::testing::Test {
 protected:
  fs::path path(const std::string& name) const { return dir_.file(name); }

  // kb-verify on the bundled guideline, only the obligations about `only`.
  CliRun verify(const std::string& dossier, const std::string& only = "MDT-WITH-COUNSELLING",
                std::vector<std::string> extra = {}) {
    std::vector<std::string> args = kb::testing::bundled_files();
    args.insert(args.end(), {"--only", only, "--no-other-readings", "--dossier", dossier});
    args.insert(args.end(), extra.begin(), extra.end());
    return run_kb_verify(args);
  }

  fs::path written(const std::string& name = "dossier") {
    fs::path d = path(name);
    CliRun r = verify(d.string());
    EXPECT_EQ(r.code, 0) << r.err;
    return d;
  }

  static CliRun recheck(const fs::path& dossier) { return run_kb_verify({"--recheck", dossier.string()}); }

  kb::testing::TempDir dir_;
};

::testing::AssertionResult fails_with(const CliRun& r, int code, const std::string& text) {
  if (r.code == code && (r.out + r.err).find(text) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "exit " << r.code << ", wanted " << code << " and \"" << text
                                       << "\"\nout:\n" << r.out << "err:\n" << r.err;
}

// --- writing ---------------------------------------------------------------

TEST_F(Dossier, a_folder_with_a_manifest_and_a_user_file_is_refused_and_untouched) {
  fs::path notes = path("docs");
  write(notes / "MANIFEST.sha256", kb::sha256_hex("x") + "  other.txt\n");
  write(notes / "notes.txt", "my notes");
  auto before = snapshot(notes);
  EXPECT_TRUE(fails_with(verify(notes.string()), 2, "refusing to replace it"));
  EXPECT_EQ(snapshot(notes), before);

  // A real dossier that a user added a file to is no longer one kb-verify wrote.
  fs::path d = written();
  write(d / "docs" / "notes.txt", "my notes");
  before = snapshot(d);
  EXPECT_TRUE(fails_with(verify(d.string()), 2, "docs/notes.txt: not listed in the manifest"));
  EXPECT_EQ(snapshot(d), before);
}

TEST_F(Dossier, existing_tmp_and_old_folders_survive_writing_and_replacing) {
  for (const char* name : {"dossier.tmp", "dossier.old"}) write(path(name) / "notes.txt", name);
  fs::path d = written();
  ASSERT_EQ(verify(d.string()).code, 0);  // replaces the previous dossier
  EXPECT_EQ(read(path("dossier.tmp") / "notes.txt"), "dossier.tmp");
  EXPECT_EQ(read(path("dossier.old") / "notes.txt"), "dossier.old");
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(path("."))) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"dossier", "dossier.tmp", "dossier.old"}));
  EXPECT_TRUE(fails_with(recheck(d), 0, "recheck ok"));
}

TEST_F(Dossier, a_trailing_slash_replaces_a_valid_dossier_in_place) {
  fs::path d = written();
  CliRun r = verify(d.string() + "/", "NO-MDT-WITHOUT-MINIMUM-RESPONSE");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(d / ".tmp"));
  nlohmann::json j = nlohmann::json::parse(read(d / "dossier.json"));
  EXPECT_TRUE(j["smt2"].contains("property:NO-MDT-WITHOUT-MINIMUM-RESPONSE"));
  EXPECT_FALSE(j["smt2"].contains(kProperty));  // the previous dossier's files are gone
  EXPECT_FALSE(fs::exists(d / kFile));
  EXPECT_EQ(std::distance(fs::directory_iterator(path(".")), fs::directory_iterator()), 1);
  EXPECT_TRUE(fails_with(recheck(d), 0, "recheck ok"));
}

TEST_F(Dossier, an_empty_folder_is_filled_and_a_file_or_link_is_refused) {
  fs::create_directory(path("empty"));
  EXPECT_EQ(verify(path("empty").string()).code, 0);
  EXPECT_TRUE(fs::exists(path("empty") / "MANIFEST.sha256"));
  write(path("file"), "a user's file");
  EXPECT_TRUE(fails_with(verify(path("file").string()), 2, "is not a folder; refusing"));
  EXPECT_EQ(read(path("file")), "a user's file");
  fs::create_directory_symlink(path("empty"), path("link"));
  EXPECT_TRUE(fails_with(verify(path("link").string()), 2, "is a symbolic link; refusing"));
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(path("."))) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"empty", "file", "link"}));
}

// Files larger than `bytes` cannot be written while it lives (RLIMIT_FSIZE),
// so writes fail part-way the way a full disk makes them fail.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    previous_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved_;
    small.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &small);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_);
  }

 private:
  rlimit saved_{};
  void (*previous_)(int) = nullptr;
};

TEST_F(Dossier, a_failed_write_leaves_no_temporary_files_and_keeps_the_previous_dossier) {
  fs::path d = written();
  write(path("report.json"), "previous report");
  auto before = snapshot(path("."));
  CliRun r;
  {
    FileSizeLimit limit(2048);  // index.html and the JSON report are larger
    r = verify(d.string(), "MDT-WITH-COUNSELLING", {"--format", "json", "--out", path("report.json").string()});
  }
  EXPECT_TRUE(fails_with(r, 2, "cannot write " + path("report.json").string())) << r.err;
  EXPECT_EQ(snapshot(path(".")), before);
  {
    FileSizeLimit limit(2048);
    r = verify(d.string());
  }
  EXPECT_TRUE(fails_with(r, 2, "dossier not written: cannot write")) << r.err;
  EXPECT_EQ(snapshot(path(".")), before);  // no dossier.tmp-XXXXXX, previous dossier intact
  EXPECT_TRUE(fails_with(recheck(d), 0, "recheck ok"));
}

// --- re-checking hostile dossiers -------------------------------------------

TEST_F(Dossier, a_clean_dossier_rechecks_ok_and_says_what_it_proves) {
  fs::path d = written();
  CliRun r = recheck(d);
  EXPECT_TRUE(fails_with(r, 0, "recheck ok: 5 files verified against the manifest, 3 obligations regenerated"));
  EXPECT_NE(r.out.find("z3: Z3 version"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cvc5: This is cvc5 version"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("without a signature"), std::string::npos);
  EXPECT_NE(r.out.find(nlohmann::json::parse(read(d / "dossier.json"))["subject"]["release_hash"].get<std::string>()),
            std::string::npos);
}

// --- signatures ------------------------------------------------------------

TEST_F(Dossier, a_signed_dossier_rechecks_with_the_trusted_key_and_tampering_is_named) {
  const std::string key = kb::testing::make_key_pair(path("signer").string());
  const std::string pub = path("signer.pub").string();
  kb::testing::make_key_pair(path("other").string());
  fs::path d = path("signed");
  CliRun w = verify(d.string(), "MDT-WITH-COUNSELLING", {"--sign-key", key});
  ASSERT_EQ(w.code, 0) << w.err;
  ASSERT_TRUE(fs::is_regular_file(d / "MANIFEST.sha256.sig"));
  CliRun ok = run_kb_verify({"--recheck", d.string(), "--trust", pub});
  EXPECT_TRUE(fails_with(ok, 0, "signature: MANIFEST.sha256 is signed by trusted key"));
  EXPECT_NE(ok.out.find("recheck ok: 5 files verified"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("these are the files that key's holder wrote"), std::string::npos) << ok.out;
  // A file changed without touching the signed manifest: the manifest check names it.
  const std::string html = read(d / "index.html");
  write(d / "index.html", html + "<p>changed</p>\n");
  CliRun changed = run_kb_verify({"--recheck", d.string(), "--trust", pub});
  EXPECT_TRUE(fails_with(changed, 1, "FAIL  index.html: content does not match its manifest hash"));
  EXPECT_NE(changed.out.find("but the dossier does not re-check"), std::string::npos) << changed.out;
  write(d / "index.html", html);
  // (The clean re-check above also shows the signature file is not an unlisted file.)
  // Another key is not trusted.
  EXPECT_TRUE(fails_with(run_kb_verify({"--recheck", d.string(), "--trust", path("other.pub").string()}), 1,
                         "which is not a trusted key"));
  // An edited file with a recomputed manifest: the signature no longer verifies.
  write(d / "index.html", read(d / "index.html") + "<p>forged</p>\n");
  recompute_manifest(d);
  EXPECT_TRUE(fails_with(run_kb_verify({"--recheck", d.string(), "--trust", pub}), 1,
                         "FAIL  MANIFEST.sha256.sig: the signature by key"));
  // Replacing a signed dossier removes its signature file too.
  CliRun again = verify(d.string());
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_FALSE(fs::exists(d / "MANIFEST.sha256.sig"));
  EXPECT_TRUE(fails_with(run_kb_verify({"--recheck", d.string(), "--trust", pub}), 1,
                         "the dossier is not signed (no MANIFEST.sha256.sig)"));
  EXPECT_TRUE(fails_with(run_kb_verify({"--recheck", d.string(), "--trust", path("missing.pub").string()}), 2,
                         "cannot read key"));
  EXPECT_TRUE(fails_with(verify(path("x").string(), "MDT-WITH-COUNSELLING", {"--sign-key", pub}), 2,
                         "is not an Ed25519 private key"));
}

TEST_F(Dossier, a_release_dossier_rechecks_ok_with_its_item_versions) {
  std::string db = path("kb.sqlite").string();
  ASSERT_EQ(kb::testing::run_kb({"init", "--db", db}).code, 0);
  std::vector<std::string> import = {"import", "--db", db, "--author", "a", "--reason", "r"};
  for (const auto& f : kb::testing::bundled_files()) import.push_back(f);
  ASSERT_EQ(kb::testing::run_kb(import).code, 0);
  ASSERT_EQ(kb::testing::run_kb({"release", "--db", db, "v1", "--author", "a"}).code, 0);
  fs::path d = path("dossier");
  CliRun v = run_kb_verify({"--db", db, "--release", "v1", "--only", "MDT-WITH-COUNSELLING", "--dossier", d.string()});
  ASSERT_EQ(v.code, 0) << v.err;
  EXPECT_NE(read(d / kFile).find("MDT-WITH-COUNSELLING@1"), std::string::npos);
  EXPECT_TRUE(fails_with(recheck(d), 0, "recheck ok"));
}

TEST_F(Dossier, holds_the_proofs_but_not_the_test_cases_and_rechecks_ok) {
  fs::path d = path("dossier");
  CliRun r = verify(d.string(), "MDT-WITH-COUNSELLING", {"--tests", "tests/vignettes"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("passed  test:"), std::string::npos) << r.out;  // the report has them
  nlohmann::json j = nlohmann::json::parse(read(d / "dossier.json"));
  for (const auto& o : j["obligations"]) EXPECT_NE(o["kind"], "test") << o["id"];
  EXPECT_EQ(j["summary"]["passed"], 0);
  EXPECT_TRUE(fails_with(recheck(d), 0, "recheck ok"));
}

TEST_F(Dossier, one_written_before_test_cases_existed_still_rechecks) {
  fs::path d = written();
  nlohmann::json j = nlohmann::json::parse(read(d / "dossier.json"));
  j["summary"].erase("passed");
  j["summary"].erase("failed");
  write(d / "dossier.json", j.dump(2) + "\n");
  recompute_manifest(d);
  EXPECT_TRUE(fails_with(recheck(d), 0, "recheck ok"));
}

TEST_F(Dossier, an_answer_forged_everywhere_but_in_the_solvers_is_caught) {
  fs::path d = written();
  // Claim the proved property is violated, consistently in dossier.json,
  // index.html and the SMT-LIB header, and recompute the manifest.
  nlohmann::json j = nlohmann::json::parse(read(d / "dossier.json"));
  j["smt2"][kProperty]["expect"] = "sat";
  for (auto& o : j["obligations"])
    if (o["id"] == kProperty) o["status"] = "violated";
  j["summary"]["proved"] = j["summary"]["proved"].get<int>() - 1;
  j["summary"]["violated"] = j["summary"]["violated"].get<int>() + 1;
  write(d / "dossier.json", j.dump(2) + "\n");
  edit(d / "index.html", "<section class=\"ob proved\" id=\"" + kProperty, "<section class=\"ob violated\" id=\"" + kProperty);
  edit(d / kFile, "recorded: proved", "recorded: violated");
  recompute_manifest(d);
  CliRun r = recheck(d);
  EXPECT_TRUE(fails_with(r, 1, "FAIL  " + kFile + ": solvers disagree with the recorded answer (recorded sat, z3 unsat, cvc5 unsat)"));
  EXPECT_NE(r.out.find(", 1 problem\n"), std::string::npos) << r.out;  // everything else is consistent
}

TEST_F(Dossier, an_edited_verdict_is_caught_against_the_answer_and_index) {
  fs::path d = written();
  nlohmann::json j = nlohmann::json::parse(read(d / "dossier.json"));
  for (auto& o : j["obligations"])
    if (o["id"] == kProperty) o["status"] = "violated";
  write(d / "dossier.json", j.dump(2) + "\n");
  recompute_manifest(d);
  CliRun r = recheck(d);
  EXPECT_TRUE(fails_with(r, 1, "FAIL  " + kFile + ": dossier.json records the verdict violated with the answer unsat"));
  EXPECT_TRUE(fails_with(r, 1, "summary count of proved does not match"));
  EXPECT_TRUE(fails_with(r, 1, "FAIL  index.html: does not show " + kProperty));
  EXPECT_TRUE(fails_with(r, 1, kFile + ": differs from the SMT-LIB text regenerated"));
}

TEST_F(Dossier, an_edited_smt2_file_with_a_recomputed_manifest_is_caught_and_not_run) {
  fs::path d = written();
  std::string text = read(d / kFile);
  auto query = text.rfind("(assert ");
  write(d / kFile, text.substr(0, query) + "(assert false)\n(check-sat)\n");  // unsat whatever the rules say
  recompute_manifest(d);
  CliRun r = recheck(d);
  EXPECT_TRUE(fails_with(r, 1, "FAIL  " + kFile + ": differs from the SMT-LIB text regenerated from dossier.json's source\n"));
  EXPECT_TRUE(fails_with(r, 1, "2 obligations regenerated from the source and re-decided"));
}

TEST_F(Dossier, a_forged_source_with_its_own_release_hash_is_caught) {
  fs::path d = written();
  nlohmann::json j = nlohmann::json::parse(read(d / "dossier.json"));
  std::string source = j["source"];
  auto pos = source.find("min_response_months = 6");
  ASSERT_NE(pos, std::string::npos);
  source.replace(pos, 23, "min_response_months = 4");
  j["source"] = source;
  write(d / "dossier.json", j.dump(2) + "\n");
  recompute_manifest(d);
  CliRun r = recheck(d);
  EXPECT_TRUE(fails_with(r, 1, "FAIL  dossier.json: subject.release_hash"));
  EXPECT_TRUE(fails_with(r, 1, "is not the release hash of its source"));
  EXPECT_TRUE(fails_with(r, 1, ": differs from the SMT-LIB text regenerated"));
}

TEST_F(Dossier, a_deleted_obligation_file_and_manifest_line_are_caught) {
  fs::path d = written();
  fs::remove(d / kFile);
  recompute_manifest(d);
  EXPECT_TRUE(fails_with(recheck(d), 1, "FAIL  " + kFile + ": listed in dossier.json but not in the manifest"));
}

TEST_F(Dossier, an_extra_obligation_file_is_caught) {
  fs::path d = written();
  write(d / "obligations" / "property.EXTRA.smt2", "(check-sat)\n");
  recompute_manifest(d);
  EXPECT_TRUE(fails_with(recheck(d), 1, "FAIL  obligations/property.EXTRA.smt2: an obligation file dossier.json does not list"));
}

TEST_F(Dossier, manifest_entries_outside_the_folder_are_rejected_unread) {
  fs::path d = written();
  write(path("x"), "outside");
  append_manifest(d, kb::sha256_hex("") + "  /dev/zero");
  append_manifest(d, kb::sha256_hex("outside") + "  obligations/../../x");
  CliRun r = recheck(d);
  EXPECT_TRUE(fails_with(r, 1, "FAIL  /dev/zero: manifest entry outside the dossier folder: an absolute path"));
  EXPECT_TRUE(fails_with(r, 1, "FAIL  obligations/../../x: manifest entry outside the dossier folder: an empty, '.' or '..' path component"));
}

TEST_F(Dossier, symbolic_links_are_rejected_even_with_matching_hashes) {
  fs::path d = written();
  fs::copy_file(d / kFile, path("copy.smt2"));
  fs::remove(d / kFile);
  fs::create_symlink(path("copy.smt2"), d / kFile);
  fs::create_symlink("/dev/zero", d / "zero");
  append_manifest(d, kb::sha256_hex("") + "  zero");
  CliRun r = recheck(d);
  EXPECT_TRUE(fails_with(r, 1, "FAIL  " + kFile + ": a symbolic link, not a regular file"));
  EXPECT_TRUE(fails_with(r, 1, "FAIL  zero: a symbolic link, not a regular file"));

  // A linked folder on the way is refused too.
  fs::path e = written("second");
  fs::rename(e / "obligations", path("elsewhere"));
  fs::create_directory_symlink(path("elsewhere"), e / "obligations");
  EXPECT_TRUE(fails_with(recheck(e), 1, "its folder obligations is a symbolic link or not a folder"));
}

TEST_F(Dossier, a_file_over_the_size_limit_is_rejected_unread) {
  fs::path d = written();
  write(d / "huge", "");
  fs::resize_file(d / "huge", (std::uintmax_t{64} << 20) + 1);  // sparse: costs no disk
  append_manifest(d, kb::sha256_hex("") + "  huge");
  EXPECT_TRUE(fails_with(recheck(d), 1, "FAIL  huge: larger than the 64 MiB limit"));
}

TEST_F(Dossier, a_fifo_is_rejected_without_being_opened) {
  fs::path d = written();
  fs::remove(d / kFile);
  ASSERT_EQ(mkfifo((d / kFile).c_str(), 0600), 0);
  ASSERT_EQ(mkfifo((d / "unlisted").c_str(), 0600), 0);
  CliRun r = recheck(d);  // would block forever if either FIFO were opened for reading
  EXPECT_TRUE(fails_with(r, 1, "FAIL  " + kFile + ": a FIFO, not a regular file"));
  EXPECT_TRUE(fails_with(r, 1, "FAIL  unlisted: not a regular file, and not listed in the manifest"));
}

TEST_F(Dossier, an_empty_folder_or_manifest_is_an_error) {
  fs::create_directory(path("empty"));
  CliRun r = recheck(path("empty"));
  EXPECT_TRUE(fails_with(r, 2, "no MANIFEST.sha256; not a dossier"));
  EXPECT_NE(r.out.find("without a signature"), std::string::npos);
  write(path("empty") / "MANIFEST.sha256", "");
  EXPECT_TRUE(fails_with(recheck(path("empty")), 2, "MANIFEST.sha256 lists no file"));
  fs::path d = written();
  write(d / "MANIFEST.sha256", "\n");
  EXPECT_TRUE(fails_with(recheck(d), 2, "MANIFEST.sha256 lists no file"));
}

TEST_F(Dossier, the_manifest_must_list_dossier_json_and_index_html) {
  fs::path d = written();
  std::istringstream lines(read(d / "MANIFEST.sha256"));
  std::string kept;
  for (std::string l; std::getline(lines, l);)
    if (l.find("index.html") == std::string::npos) kept += l + "\n";
  write(d / "MANIFEST.sha256", kept);
  CliRun r = recheck(d);
  EXPECT_TRUE(fails_with(r, 1, "FAIL  index.html: not listed in the manifest"));
  EXPECT_TRUE(fails_with(r, 1, "FAIL  index.html: the manifest does not list it"));
}

TEST_F(Dossier, a_hanging_solver_is_killed_and_reported_as_a_timeout) {
  fs::path d = written();
  fs::path bin = path("bin");
  write(bin / "z3", "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'Z3 stand-in 0.0'; exit 0; fi\nexec sleep 1000\n");
  fs::permissions(bin / "z3", fs::perms::owner_all);
  std::string saved = std::getenv("PATH");
  setenv("PATH", (bin.string() + ":" + saved).c_str(), 1);
  verify::Recheck r = verify::recheck_dossier(d.string(), 1, 0);
  setenv("PATH", saved.c_str(), 1);
  EXPECT_EQ(r.z3_version, "Z3 stand-in 0.0");
  EXPECT_FALSE(r.ok());
  bool timed_out = false;
  for (const auto& l : r.lines)
    if (l.file == kFile && l.expected == "unsat") {  // the solvers' line, not the manifest's
      timed_out = l.problem.find("timeout: a solver was still running after 1 s and was killed") != std::string::npos;
      EXPECT_EQ(l.z3, "killed after 1 s");
      EXPECT_EQ(l.cvc5, "unsat");
    }
  EXPECT_TRUE(timed_out);
}

TEST_F(Dossier, a_dossier_path_with_shell_syntax_is_not_run_by_a_shell) {
  fs::path d = written("d'; touch pwned; '$(touch pwned2)");
  EXPECT_TRUE(fails_with(recheck(d), 0, "recheck ok"));
  EXPECT_FALSE(fs::exists("pwned"));
  EXPECT_FALSE(fs::exists("pwned2"));
  EXPECT_FALSE(fs::exists(path("pwned")));
}

}  // namespace
