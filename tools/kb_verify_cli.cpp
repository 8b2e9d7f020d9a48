#include "tools/kb_verify_cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include "kb/hash/sha256.h"
#include "kb/store/ruleset.h"
#include "kb/store/store.h"
#include "report/diff_report.h"
#include "report/dossier.h"
#include "report/dossier_format.h"
#include "report/mutation_report.h"
#include "report/report.h"
#include "report/sarif.h"
#include "report/shard.h"
#include "solver/solver.h"
#include "tools/cli_common.h"
#include "tools/version.h"
#include "verify/diff.h"
#include "verify/mutate.h"
#include "verify/testcases.h"

namespace kb::cli {
namespace {

struct Args {
  std::string db = "kb.sqlite";
  std::string release;
  std::vector<std::string> files;
  std::vector<std::string> only;
  std::string format = "text";
  std::string out_file;
  unsigned timeout_ms = 10000;
  bool deny_warnings = false;
  bool no_other_readings = false;
  bool no_slice = false;
  bool no_cache = false;
  std::string shard;                     // --shard K/N
  unsigned shard_k = 1, shard_n = 1;     // parsed from `shard`
  bool merge = false;                    // `kb-verify merge SHARD...`
  std::vector<std::string> shard_files;  // with `merge`
  unsigned jobs = 1;
  std::string dossier, recheck, against, title;
  bool mutate = false;
  std::optional<double> min_score;
  std::vector<std::string> tests;
  bool quiet = false, failures_only = false;
  std::string sign_key;
  std::vector<std::string> trust;
  std::optional<kb::sign::Key> key;  // read from sign_key
};

std::vector<VerificationResult> results_of(const verify::Report& report, const Guideline& g) {
  std::vector<VerificationResult> out;
  for (const verify::Obligation& o : report.obligations) {
    VerificationResult r;
    r.obligation = o.id;
    r.verdict = verify::status_name(o.status);
    r.millis = o.millis;
    nlohmann::json rests_on = nlohmann::json::array();
    for (ItemRef ref : o.rests_on) rests_on.push_back(verify::rests_on_json(g, ref));
    r.core = rests_on.dump();
    r.location = verify::location_json(verify::location_of(o, g)).dump();
    if (o.witness) r.counterexample = patient_to_json(g, *o.witness).dump();
    r.detail = o.message;
    if (!o.cache_answer.empty() && !o.cached_from) {  // a reused answer stays with the run that computed it
      r.cache_key = o.cache_key;
      r.answer = o.cache_answer;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<MutationRow> mutation_rows(const verify::MutationReport& m, const Guideline& g) {
  std::vector<MutationRow> out;
  for (const verify::MutantResult& r : m.results) {
    nlohmann::json killers = nlohmann::json::array();
    for (ItemRef k : r.killed_by) killers.push_back((k.kind == ItemKind::Property ? "property:" : "conflict:") + g.item(k).name);
    MutationRow row{r.mutant.id, verify::mutation_op_name(r.mutant.op),
                    std::string(item_kind_name(r.mutant.site.kind)) + ":" + g.versioned_id(r.mutant.site),
                    verify::mutant_status_name(r.status), killers.dump(), r.restating_only, r.mutant.summary,
                    std::nullopt};
    if (r.witness) row.witness = patient_to_json(g, *r.witness).dump();
    out.push_back(std::move(row));
  }
  return out;
}

// True when `db` and its folder can be written (then results are stored).
bool writable(const std::string& db) {
  std::error_code ec;
  const std::filesystem::path folder = std::filesystem::absolute(db, ec).parent_path();
  return ::access(db.c_str(), W_OK) == 0 && ::access(folder.c_str(), W_OK) == 0;
}

// Stores the run against the release it checked (the draft when none).
bool record(Store& store, const Args& a, const verify::Report& report, const verify::MutationReport* mutation,
            const Guideline& g, const verify::Subject& subject, int code, std::ostream& err) {
  if (store.read_only()) {
    err << "kb-verify: note: results not stored: " << store.path() << " is read-only\n";
    return true;
  }
  VerificationRun run;
  if (mutation) {
    run.mutation_score = mutation->score();
    run.mutants = mutation_rows(*mutation, g);
  }
  run.release = a.release.empty() ? std::nullopt : std::optional<std::string>(a.release);
  run.content_hash = subject.release_hash;
  run.tool_version = kToolVersion;
  run.z3_version = report.z3_version;
  run.exit_code = code;
  run.results = results_of(report, g);
  for (const verify::Kept& k : report.kept) run.kept.push_back({k.name, k.key, k.answer});
  auto stored = store.record_verification(run);
  if (!stored) err << "kb-verify: results not stored: " << stored.error().render() << "\n";
  return static_cast<bool>(stored);
}

// Resolves --only ids to the properties, actions and rules they name.
std::optional<std::vector<ItemRef>> resolve_only(const std::vector<std::string>& ids, const Guideline& g,
                                                 std::ostream& err) {
  std::vector<ItemRef> out;
  for (const std::string& id : ids) {
    bool known = false;
    for (ItemKind kind : {ItemKind::Property, ItemKind::Action, ItemKind::Rule})
      if (auto r = g.find(kind, id)) out.push_back(*r), known = true;
    if (!known) {
      err << "kb-verify: --only " << id << ": no property, action or rule has this id\n";
      return std::nullopt;
    }
  }
  return out;
}

// The semantic diff against `against` (text and JSON), or an error message.
struct DiffResult {
  std::optional<nlohmann::json> json;
  std::optional<verify::Diff> diff;      // for the dossier's tables
  std::optional<Guideline> before;       // the diff's before side
  std::string text, error;
  int exit_code = 0;
};

DiffResult diff_against(const std::string& against, const Args& a, const Guideline& g, const std::string& name) {
  DiffResult out;
  LoadedRuleSet base = load_rule_set(rule_set_source(against, a.db));
  if (!base.guideline) {
    out.error = "--against " + against + ": " + base.error;
    return out;
  }
  verify::Diff d = verify::semantic_diff(*base.guideline, g, base.name, name, a.timeout_ms);
  out.json = verify::diff_to_json(d, *base.guideline, g);
  out.text = "\n" + verify::diff_to_text(d, g);
  out.exit_code = d.exit_code();
  out.diff = std::move(d);
  out.before = std::move(base.guideline);
  return out;
}

// What the store records about `release`, with the release before it.
std::optional<verify::ReleaseMeta> release_meta(Store& store, const std::string& release) {
  auto all = store.releases();
  if (!all) return std::nullopt;
  for (std::size_t i = 0; i < all.value().size(); ++i) {
    const ReleaseInfo& r = all.value()[i];
    if (r.name == release) return verify::ReleaseMeta{r.author, r.created_utc, r.reason, i ? all.value()[i - 1].name : ""};
  }
  return std::nullopt;
}

// The dossier's title: --title, else the folder of the checked items' files.
std::string dossier_title(const Args& a, const Guideline& g) {
  if (!a.title.empty()) return a.title;
  for (const Item* it : g.all_items())
    if (it->span.file) return std::filesystem::path(*it->span.file).parent_path().filename().string();
  return "";
}

// `kb-verify --recheck DIR`: 0 when every check passes and both solvers
// agree with every recorded answer, 1 on any problem, 2 when it cannot run.
int recheck(const std::string& dir, const std::vector<std::string>& trust, std::ostream& out, std::ostream& err) {
  std::vector<kb::sign::Key> trusted;
  for (const std::string& path : trust) {
    std::string problem;
    auto key = kb::sign::read_public_key(path, problem);
    if (!key) {
      err << "kb-verify: --trust: " << problem << "\n";
      return kExitBadInput;
    }
    trusted.push_back(std::move(*key));
  }
  // The signature first: an unsigned or tampered dossier is reported as such
  // before anything in it is read or given to a solver.
  verify::SignatureCheck sig;
  if (!trusted.empty()) {
    sig = verify::check_signature(dir, trusted);
    if (!sig.ok) {
      out << "FAIL  " << verify::kSignatureFile << ": " << sig.problem << "\n"
          << "recheck FAILED: the dossier's signature does not verify with a trusted key; nothing else was checked\n";
      return kExitFinding;
    }
    out << "signature: MANIFEST.sha256 is signed by trusted key " << kb::sign::short_id(sig.key_id) << "\n";
  }
  verify::Recheck r = verify::recheck_dossier(dir, 60);
  int code = 0;
  if (!r.error.empty()) {
    err << "kb-verify: " << r.error << "\n";
    code = kExitBadInput;
  } else {
    out << "z3: " << r.z3_version << "\ncvc5: " << r.cvc5_version << "\n";
    std::size_t bad = 0;
    for (const auto& l : r.lines) {
      if (l.ok) continue;
      ++bad;
      out << "FAIL  " << l.file << ": " << l.problem;
      if (!l.z3.empty()) out << " (recorded " << l.expected << ", z3 " << l.z3 << ", cvc5 " << l.cvc5 << ")";
      out << "\n";
    }
    out << "subject: " << r.subject << "\nrelease hash recomputed from the source: "
        << (r.release_hash.empty() ? "none (the source does not check)" : r.release_hash) << "\n";
    out << (bad ? "recheck FAILED: " : "recheck ok: ") << verify::plural(r.files_verified, "file")
        << " verified against the manifest, " << verify::plural(r.obligations_decided, "obligation")
        << " regenerated from the source and re-decided by z3 and cvc5, " << verify::plural(bad, "problem") << "\n";
    code = bad ? 1 : 0;
  }
  if (sig.ok && code == 0)
    out << "note: the manifest is signed by trusted key " << kb::sign::short_id(sig.key_id)
        << ", so these are the files that key's holder wrote; the re-check proves they are consistent with one "
           "another, with the guideline source they contain and with the answers of z3 and cvc5.\n";
  else if (sig.ok)
    out << "note: the manifest is signed by trusted key " << kb::sign::short_id(sig.key_id)
        << ", but the dossier does not re-check: a file that does not match the signed manifest was changed after "
           "signing.\n";
  else
    out << "note: without a signature, a re-check proves that the dossier's files are consistent with one another, "
           "with the guideline source they contain and with the answers of z3 and cvc5; it does not prove who wrote "
           "them. Compare the release hash with one obtained independently, or re-check a signed dossier with "
           "--trust KEY.pub.\n";
  return code;
}

// The build of this program, part of every cache key: its version and a
// hash of its executable, so that no other build's answers are reused.
const std::string& tool_id() {
  static const std::string id = [] {
    std::ifstream in("/proc/self/exe", std::ios::binary | std::ios::ate);
    std::string bytes(static_cast<std::size_t>(std::max<std::streamoff>(in.tellg(), 0)), '\0');
    in.seekg(0);
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return std::string("kb-verify ") + kToolVersion + " build " + kb::sha256_hex(bytes).substr(0, 16);
  }();
  return id;
}

// Answers read from shard files for `kb-verify merge`, by cache key.
struct Merged {
  std::map<std::string, verify::CachedAnswer> answers;
  verify::ShardInfo info;  // the shards' common options (shard/shards unused)
  std::size_t shards = 0;
};

// Reads the shard files of `kb-verify merge`: one of each share 1..N, all of
// the same rule set and options. Nullopt (errors printed) otherwise.
std::optional<Merged> read_shards(const std::vector<std::string>& files, std::ostream& err) {
  Merged m;
  std::map<unsigned, std::string> seen;  // share -> file
  for (const std::string& path : files) {
    std::string problem;
    std::optional<verify::ShardFile> f = verify::read_shard(path, problem);
    if (!f) {
      err << "kb-verify merge: " << problem << "\n";
      return std::nullopt;
    }
    const verify::ShardInfo& i = f->info;
    if (seen.empty()) {
      m.info = i;
    } else if (i.shards != m.info.shards || i.release_hash != m.info.release_hash || i.readings != m.info.readings ||
               i.slicing != m.info.slicing || i.only != m.info.only) {
      err << "kb-verify merge: " << path << ": shard " << i.shard << "/" << i.shards
          << " is of another run than " << seen.begin()->second
          << " (the number of shards, the release hash or the options differ)\n";
      return std::nullopt;
    }
    if (!seen.emplace(i.shard, path).second) {
      err << "kb-verify merge: " << path << ": shard " << i.shard << "/" << i.shards << " is also " << seen[i.shard]
          << "\n";
      return std::nullopt;
    }
    if (i.tool_id != tool_id() || i.z3_version != solver::Solver::z3_version())
      err << "kb-verify merge: warning: " << path << " was written by " << i.tool_id << " with Z3 " << i.z3_version
          << ", not by this build (" << tool_id() << ", Z3 " << solver::Solver::z3_version()
          << "): its answers are not reused but checked here\n";
    const std::string origin = "shard " + std::to_string(i.shard) + "/" + std::to_string(i.shards);
    for (auto& [key, answer] : f->answers) m.answers.emplace(key, verify::CachedAnswer{origin, std::move(answer)});
  }
  for (unsigned k = 1; k <= m.info.shards; ++k)
    if (!seen.count(k)) {
      err << "kb-verify merge: shard " << k << "/" << m.info.shards << " is missing\n";
      return std::nullopt;
    }
  m.shards = seen.size();
  return m;
}

// Everything one verification run produced.
struct Run {
  verify::Report report;
  std::optional<verify::MutationReport> mutation;
  DiffResult diff;
  int code = 0;
};

// Reads the --tests files and appends their cases to the report as
// obligations of kind "test"; false (errors printed) when a file is bad.
bool load_test_cases(const Args& a, const Guideline& g, std::vector<verify::TestCase>& cases, std::ostream& err) {
  if (a.tests.empty()) return true;
  Recommender r(g);
  verify::LoadedTests t = verify::load_tests(a.tests, r);
  for (const std::string& e : t.errors) err << "kb-verify: " << e << "\n";
  cases = std::move(t.cases);
  return t.errors.empty();
}

void add_tests(verify::Report& report, const Guideline& g, const std::vector<verify::TestCase>& cases) {
  if (cases.empty()) return;
  verify::Report tests = verify::run_tests(Recommender(g), cases);
  for (verify::Obligation& o : tests.obligations) report.obligations.push_back(std::move(o));
  report.total_millis += tests.total_millis;
}

// Mutation analysis, when asked for; may raise the exit code.
void add_mutation(const Args& a, const Guideline& g, Run& run) {
  if (!a.mutate) return;
  std::vector<int> restating;
  for (const verify::Obligation& o : run.report.obligations)
    if (o.kind == verify::Kind::RestatesRule &&
        (o.status == verify::Status::Warning || o.status == verify::Status::Waived))  // a waiver keeps it restating
      restating.push_back(o.subject.index);
  run.mutation = verify::mutate(g, restating, a.timeout_ms);
  const verify::MutationReport& m = *run.mutation;
  std::size_t undecided = m.count(verify::MutantStatus::Unknown) + m.count(verify::MutantStatus::Disagreement);
  if (undecided && run.code == 0) run.code = kExitBadInput;
  if (verify::mutation_fails(m, a.min_score) && run.code == 0) run.code = kExitFinding;
}

// The report in the chosen format.
std::string render(const Args& a, const Run& run, const Guideline& g, const verify::Subject& subject, bool color) {
  const verify::MutationReport* m = run.mutation ? &*run.mutation : nullptr;
  if (a.format == "json") {
    nlohmann::json j = verify::to_json(run.report, g, subject);
    if (run.diff.json) j["diff"] = *run.diff.json;
    if (m) j["mutation"] = verify::mutation_to_json(*m, g, a.min_score);
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  if (a.format == "junit") {
    std::function<void(pugi::xml_node&)> suites;
    if (m) suites = [&](pugi::xml_node& root) { verify::append_mutation_junit(root, *m, g, verify::mutation_fails(*m, a.min_score)); };
    return verify::to_junit(run.report, g, subject, a.deny_warnings, suites);
  }
  if (a.format == "sarif") return verify::sarif_log(verify::sarif_run(run.report, g, subject)).dump(2) + "\n";
  return verify::to_text(run.report, g, subject, {color, a.failures_only}) + run.diff.text +
         (m ? verify::mutation_to_text(*m, g, a.min_score) : "");
}

// Writes the report (stdout or --out), the summary line, the dossier
// (proofs only: tests are not obligations a solver re-checks) and the
// stored results; returns the exit code.
int finish(const Args& a, Run& run, LoadedRuleSet& loaded, const verify::Subject& subject, std::ostream& out,
           std::ostream& err) {
  const Guideline& g = *loaded.guideline;
  if (!a.shard.empty()) {  // the answers for `kb-verify merge`, and the summary
    verify::ShardInfo info{a.shard_k, a.shard_n, subject.release_hash, tool_id(), run.report.z3_version,
                           !a.no_other_readings, !a.no_slice, a.only};
    std::sort(info.only.begin(), info.only.end());
    if (!write_atomically(a.out_file, verify::shard_to_json(run.report, info).dump(1) + "\n", "kb-verify", err))
      return kExitBadInput;
    print_summary("kb-verify", "shard " + a.shard + ": " + verify::summary_line(run.report), false, err);
    return run.code;
  }
  bool terminal_text = a.format == "text" && a.out_file.empty() && !a.quiet && is_terminal(out);
  std::string text = render(a, run, g, subject, use_color(out));
  if (!a.out_file.empty()) {
    if (!write_atomically(a.out_file, text, "kb-verify", err)) return kExitBadInput;
  } else if (!a.quiet) {
    out << text;
  }
  std::string summary = verify::summary_line(run.report);
  if (run.mutation) {
    char score[32];
    std::snprintf(score, sizeof score, "; mutation score %.1f%%", run.mutation->score());
    summary += score;
  }
  print_summary("kb-verify", summary, terminal_text && !run.mutation && run.diff.text.empty(), err);
  if (!a.dossier.empty()) {
    verify::Report proofs = run.report;
    std::erase_if(proofs.obligations, [](const verify::Obligation& o) { return o.kind == verify::Kind::Test; });
    verify::DossierInput in{dossier_title(a, g), std::nullopt, run.diff.diff ? &*run.diff.diff : nullptr,
                            run.diff.before ? &*run.diff.before : nullptr};
    if (loaded.store && !a.release.empty()) in.release = release_meta(*loaded.store, a.release);
    std::string problem = verify::write_dossier(a.dossier, proofs, g, subject, in, a.key ? &*a.key : nullptr);
    if (!problem.empty()) {
      err << "kb-verify: dossier not written: " << problem << "\n";
      return kExitBadInput;
    }
  }
  if (loaded.store &&
      !record(*loaded.store, a, run.report, run.mutation ? &*run.mutation : nullptr, g, subject, run.code, err))
    return kExitBadInput;
  return run.code;
}

// Verifies a loaded rule set: obligations, tests, mutation, diff. With
// `merged`, the shards' answers are reused; otherwise, unless --no-cache,
// those the database keeps.
int verify_rule_set(const Args& a, LoadedRuleSet& loaded, const Merged* merged, std::ostream& out, std::ostream& err) {
  const Guideline& g = *loaded.guideline;
  if (g.rules.empty() && g.properties.empty()) {
    err << "kb-verify: " << loaded.name << " has no rule and no property: there is nothing to prove\n";
    return kExitBadInput;
  }
  verify::Subject subject{loaded.name, loaded.release_hash, kToolVersion, "kb-verify", ""};
  verify::Options options;
  options.timeout_ms = a.timeout_ms;
  options.readings = !a.no_other_readings;
  options.slicing = !a.no_slice;
  options.jobs = a.jobs;
  options.tool_id = tool_id();
  options.shard = a.shard_k;
  options.shards = a.shard_n;
  std::mutex store_mutex;  // the workers' lookups share one connection
  if (merged) {
    options.cache = [merged](const std::string& key) -> std::optional<verify::CachedAnswer> {
      auto found = merged->answers.find(key);
      if (found == merged->answers.end()) return std::nullopt;
      return found->second;
    };
  } else if (loaded.store && !a.no_cache) {
    Store* store = &*loaded.store;
    options.cache = [store, &store_mutex](const std::string& key) -> std::optional<verify::CachedAnswer> {
      std::lock_guard lock(store_mutex);
      auto found = store->cached_answer(key);
      if (!found || !found.value()) return std::nullopt;
      const StoredAnswer& s = *found.value();
      return verify::CachedAnswer{"run " + std::to_string(s.run), s.answer};
    };
  }
  auto only = resolve_only(a.only, g, err);
  if (!only) return kExitBadInput;
  options.only = *only;
  std::vector<verify::TestCase> cases;
  if (!load_test_cases(a, g, cases, err)) return kExitBadInput;
  Run run;
  run.report = verify::run(g, options);
  if (loaded.store)
    for (std::int64_t bad : loaded.store->untrusted_runs())
      err << "kb-verify: warning: the stored results of run " << bad
          << " no longer match the ledger, so none of its answers was reused (run kb audit)\n";
  if (merged) {
    std::size_t reused = 0, asked = 0;
    for (const verify::Obligation& o : run.report.obligations)
      if (!o.cache_key.empty()) ++(o.cached_from ? reused : asked);
    err << "kb-verify merge: " << merged->shards << " shards: " << reused << " obligations reused, " << asked
        << " checked here\n";
  }
  add_tests(run.report, g, cases);
  run.code = run.report.exit_code(a.deny_warnings);
  add_mutation(a, g, run);

  // Only an explicit --against makes the diff part of the exit code.
  std::string against = a.against;
  if (against.empty() && !a.dossier.empty() && loaded.store && !a.release.empty())
    if (auto meta = release_meta(*loaded.store, a.release)) against = meta->previous;
  if (!against.empty()) {
    run.diff = diff_against(against, a, g, subject.name);
    if (!run.diff.error.empty()) {
      err << "kb-verify: " << run.diff.error;
      return kExitBadInput;
    }
    if (run.code == 0 && !a.against.empty()) run.code = run.diff.exit_code;
  }
  return finish(a, run, loaded, subject, out, err);
}

}  // namespace

int run_kb_verify(const std::vector<std::string>& argv_in, std::ostream& out, std::ostream& err) {
  Args a;
  std::vector<std::string> argv = argv_in;
  a.merge = !argv.empty() && argv.front() == "merge";
  if (a.merge) argv.erase(argv.begin());
  CLI::App app{a.merge ? "kb-verify merge: one report from the shard files of kb-verify --shard K/N runs"
                       : "kb-verify: prove a guideline's properties with Z3 (kb-verify merge SHARD... --help: merge "
                         "the shard files of --shard runs)",
               a.merge ? "kb-verify merge" : "kb-verify"};
  add_version_flag(app, "kb-verify");
  app.add_option("--db", a.db, "Knowledge base (default ./kb.sqlite)");
  app.add_option("--release", a.release, "Check this release instead of the current draft");
  if (a.merge) {
    app.add_option("shards", a.shard_files, "The shard files (--out of each kb-verify --shard K/N run)")->required();
    app.add_option("--source", a.files, "The guideline files or folders the shards checked, instead of the database")
        ->allow_extra_args(false);
  } else {
    app.add_option("sources", a.files, "Check these guideline files or folders instead of the database");
    app.add_option("--shard", a.shard,
                   "Check only share K of N (K/N, 1 <= K <= N) and write its answers to --out for kb-verify merge");
  }
  app.add_flag("--no-cache", a.no_cache, "Ask the solver every question: reuse no answer the database keeps");
  app.add_option("--only", a.only, "Only obligations about this id (property, action or rule); repeat or use commas")
      ->delimiter(',')
      ->allow_extra_args(false);
  app.add_option("--tests", a.tests, "Also run the test cases in this file or folder (docs/testing.md); repeatable")
      ->allow_extra_args(false);
  app.add_option("--format", a.format, "text, json, junit or sarif")
      ->check(CLI::IsMember({"text", "json", "junit", "sarif"}));
  app.add_option("--out", a.out_file, "Write the report here instead of standard output");
  app.add_flag("--quiet", a.quiet, "Print only the summary line (the report still goes to --out)");
  app.add_flag("--failures-only", a.failures_only, "Text: list only what fails or warns, not every proof and test");
  app.add_option("--timeout-ms", a.timeout_ms, "Per-obligation solver limit in milliseconds (0: none)");
  app.add_flag("--deny-warnings", a.deny_warnings, "Fail (exit 1) on lint warnings");
  app.add_option("--jobs", a.jobs, "Check obligations on this many threads (same report for any number)")
      ->check(CLI::Range(1u, 256u));
  app.add_flag("--no-slice", a.no_slice,
               "Check every obligation over the whole rule set instead of its slice (for comparison; slower)");
  app.add_flag("--no-other-readings", a.no_other_readings,
               "Check only the chosen reading of each question (skip the report on the other alternatives)");
  app.add_option("--dossier", a.dossier, "Also write the proof dossier into this folder");
  app.add_option("--against", a.against,
                 "Also diff against this rule set: a release, 'draft', a .kb file or a folder of them");
  app.add_option("--title", a.title, "With --dossier: the guideline's name, shown as the dossier's title");
  app.add_option("--sign-key", a.sign_key, "With --dossier: sign its manifest with this Ed25519 private key (PEM)");
  app.add_option("--recheck", a.recheck, "Re-check a dossier with the z3 and cvc5 solvers, and nothing else");
  app.add_option("--trust", a.trust, "With --recheck: the dossier must be signed by this Ed25519 public key (PEM); repeatable")
      ->allow_extra_args(false);
  app.add_flag("--mutate", a.mutate, "Also measure the properties' strength by mutation analysis");
  app.add_option("--min-score", a.min_score, "With --mutate: fail (exit 1) when the mutation score is below this percent")
      ->check(CLI::Range(0.0, 100.0));
  if (auto code = parse_args(app, argv, out, err)) return *code;
  if (a.min_score) a.mutate = true;
  if (!a.shard.empty()) {
    unsigned k = 0, n = 0;
    char rest = 0;
    if (std::sscanf(a.shard.c_str(), "%u/%u%c", &k, &n, &rest) != 2 || k < 1 || k > n || n > 100000) {
      err << "kb-verify: --shard " << a.shard << ": expected K/N with 1 <= K <= N (e.g. 2/4)\n";
      return kExitBadInput;
    }
    a.shard_k = k, a.shard_n = n;
    if (a.out_file.empty()) {
      err << "kb-verify: --shard writes its answers to a file: give --out FILE\n";
      return kExitBadInput;
    }
    if (!a.dossier.empty() || a.mutate || !a.against.empty() || !a.tests.empty() || !a.recheck.empty()) {
      err << "kb-verify: --shard checks obligations only; give --dossier, --mutate, --against and --tests to "
             "kb-verify merge\n";
      return kExitBadInput;
    }
  }
  if (!a.recheck.empty()) return recheck(a.recheck, a.trust, out, err);
  if (!a.trust.empty()) {
    err << "kb-verify: --trust is used with --recheck DIR\n";
    return kExitBadInput;
  }
  if (!a.title.empty() && a.dossier.empty()) {
    err << "kb-verify: --title is used with --dossier DIR\n";
    return kExitBadInput;
  }
  if (!a.sign_key.empty()) {
    if (a.dossier.empty()) {
      err << "kb-verify: --sign-key is used with --dossier DIR\n";
      return kExitBadInput;
    }
    std::string problem;
    a.key = kb::sign::read_private_key(a.sign_key, problem);
    if (!a.key) {
      err << "kb-verify: --sign-key: " << problem << "\n";
      return kExitBadInput;
    }
  }
  if (!a.files.empty() && !a.release.empty()) {
    err << "kb-verify: give either source files or --release, not both\n";
    return kExitBadInput;
  }
  RuleSetSource source{a.files, a.db, a.release.empty() ? std::nullopt : std::optional<std::string>(a.release)};
  source.mode = writable(a.db) ? OpenMode::Existing : OpenMode::ReadOnly;  // results are stored when it can
  std::optional<Merged> merged;
  if (a.merge) {
    merged = read_shards(a.shard_files, err);
    if (!merged) return kExitBadInput;
    a.no_other_readings = !merged->info.readings;  // the shards' options
    a.no_slice = !merged->info.slicing;
    a.only = merged->info.only;
  }
  LoadedRuleSet loaded = load_rule_set(source);
  if (!loaded.guideline) {
    err << loaded.error;
    return kExitBadInput;
  }
  if (merged && merged->info.release_hash != loaded.release_hash) {
    err << "kb-verify merge: the shards checked the rule set with release hash " << merged->info.release_hash.substr(0, 12)
        << ", not " << loaded.name << " (release hash " << loaded.release_hash.substr(0, 12) << ")\n";
    return kExitBadInput;
  }
  return verify_rule_set(a, loaded, merged ? &*merged : nullptr, out, err);
}

}  // namespace kb::cli
