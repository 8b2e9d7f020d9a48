#include "tools/kb_verify_cli.h"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "kb/store/ruleset.h"
#include "kb/store/store.h"
#include "report/diff_report.h"
#include "report/dossier.h"
#include "report/mutation_report.h"
#include "report/report.h"
#include "solver/solver.h"
#include "tools/cli_common.h"
#include "tools/version.h"
#include "verify/diff.h"
#include "verify/mutate.h"

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
  std::string dossier, recheck, against;
  bool mutate = false;
  std::optional<double> min_score;
};

// Writes `text` to `path` through a fresh temporary file in the same folder
// (mkstemp) and a rename, so a reader never sees half a report; the
// temporary file is removed on failure.
bool write_atomically(const std::string& path, const std::string& text, std::ostream& err) {
  std::filesystem::path target(path);
  std::string pattern = (target.parent_path() / (target.filename().string() + ".tmp-XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  if (fd < 0) {
    err << "kb-verify: cannot write " << path << ": " << std::strerror(errno) << "\n";
    return false;
  }
  mode_t mask = umask(022);  // mkstemp makes the file private; give it a new file's permissions
  umask(mask);
  int error = fchmod(fd, 0666 & ~mask) == 0 ? 0 : errno;
  for (std::size_t done = 0; !error && done < text.size();) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) error = n < 0 ? errno : EIO;
    else done += static_cast<std::size_t>(n);
  }
  if (close(fd) != 0 && !error) error = errno;
  if (!error && std::rename(name.data(), path.c_str()) != 0) error = errno;
  if (!error) return true;
  err << "kb-verify: cannot write " << path << ": " << std::strerror(error) << "\n";
  unlink(name.data());
  return false;
}

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
    r.location = verify::location_json(g.item(o.subject).span).dump();
    if (o.witness) r.counterexample = patient_to_json(g, *o.witness).dump();
    r.detail = o.message;
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

// Stores the run against the release it checked (the draft when none).
bool record(Store& store, const Args& a, const verify::Report& report, const verify::MutationReport* mutation,
            const Guideline& g, const verify::Subject& subject, int code, std::ostream& err) {
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
  return out;
}

// The release before `release` in the store, or "" (a dossier shows the diff against it).
std::string previous_release(Store& store, const std::string& release) {
  auto all = store.releases();
  if (!all) return "";
  for (std::size_t i = 1; i < all.value().size(); ++i)
    if (all.value()[i].name == release) return all.value()[i - 1].name;
  return "";
}

// `kb-verify --recheck DIR`: 0 when every check passes and both solvers
// agree with every recorded answer, 1 on any problem, 2 when it cannot run.
int recheck(const std::string& dir, std::ostream& out, std::ostream& err) {
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
    out << (bad ? "recheck FAILED: " : "recheck ok: ") << r.files_verified << " files verified against the manifest, "
        << r.obligations_decided << " obligations regenerated from the source and re-decided by z3 and cvc5, " << bad
        << " problems\n";
    code = bad ? 1 : 0;
  }
  out << "note: without a signature, a re-check proves that the dossier's files are consistent with one another, "
         "with the guideline source they contain and with the answers of z3 and cvc5; it does not prove who wrote "
         "them. Compare the release hash with one obtained independently.\n";
  return code;
}

}  // namespace

int run_kb_verify(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"kb-verify: prove a guideline's properties with Z3", "kb-verify"};
  add_version_flag(app, "kb-verify");
  Args a;
  app.add_option("--db", a.db, "Knowledge base (default ./kb.sqlite)");
  app.add_option("--release", a.release, "Check this release instead of the current draft");
  app.add_option("sources", a.files, "Check these guideline files or folders instead of the database");
  app.add_option("--only", a.only, "Only obligations about this id (property, action or rule); repeat or use commas")
      ->delimiter(',')
      ->allow_extra_args(false);
  app.add_option("--format", a.format, "text, json or junit")->check(CLI::IsMember({"text", "json", "junit"}));
  app.add_option("--out", a.out_file, "Write the report here instead of standard output");
  app.add_option("--timeout-ms", a.timeout_ms, "Per-obligation solver limit in milliseconds (0: none)");
  app.add_flag("--deny-warnings", a.deny_warnings, "Fail (exit 1) on lint warnings");
  app.add_option("--dossier", a.dossier, "Also write the proof dossier into this folder");
  app.add_option("--against", a.against,
                 "Also diff against this rule set: a release, 'draft', a .kb file or a folder of them");
  app.add_option("--recheck", a.recheck, "Re-check a dossier with the z3 and cvc5 solvers, and nothing else");
  app.add_flag("--mutate", a.mutate, "Also measure the properties' strength by mutation analysis");
  app.add_option("--min-score", a.min_score, "With --mutate: fail (exit 1) when the mutation score is below this percent")
      ->check(CLI::Range(0.0, 100.0));
  if (auto code = parse_args(app, argv, out, err)) return *code;
  if (a.min_score) a.mutate = true;
  if (!a.recheck.empty()) return recheck(a.recheck, out, err);
  if (!a.files.empty() && !a.release.empty()) {
    err << "kb-verify: give either source files or --release, not both\n";
    return kExitBadInput;
  }

  RuleSetSource source{a.files, a.db, a.release.empty() ? std::nullopt : std::optional<std::string>(a.release)};
  LoadedRuleSet loaded = load_rule_set(source);
  if (!loaded.guideline) {
    err << loaded.error;
    return kExitBadInput;
  }
  const Guideline& g = *loaded.guideline;
  if (g.rules.empty() && g.properties.empty()) {
    err << "kb-verify: " << loaded.name << " has no rule and no property: there is nothing to prove\n";
    return kExitBadInput;
  }
  verify::Subject subject{loaded.name, loaded.release_hash, kToolVersion};
  verify::Options options;
  options.timeout_ms = a.timeout_ms;
  auto only = resolve_only(a.only, g, err);
  if (!only) return kExitBadInput;
  options.only = *only;
  verify::Report report = verify::run(g, options);
  int code = report.exit_code(a.deny_warnings);
  std::optional<verify::MutationReport> mutation;
  if (a.mutate) {
    std::vector<int> restating;
    for (const verify::Obligation& o : report.obligations)
      if (o.kind == verify::Kind::RestatesRule && o.status == verify::Status::Warning) restating.push_back(o.subject.index);
    mutation = verify::mutate(g, restating, a.timeout_ms);
    std::size_t undecided = mutation->count(verify::MutantStatus::Unknown) + mutation->count(verify::MutantStatus::Disagreement);
    if (undecided && code == 0) code = kExitBadInput;
    if (verify::mutation_fails(*mutation, a.min_score) && code == 0) code = kExitFinding;
  }

  // Only an explicit --against makes the diff part of the exit code.
  std::string against = a.against;
  if (against.empty() && !a.dossier.empty() && loaded.store && !a.release.empty())
    against = previous_release(*loaded.store, a.release);
  DiffResult diff;
  if (!against.empty()) {
    diff = diff_against(against, a, g, subject.name);
    if (!diff.error.empty()) {
      err << "kb-verify: " << diff.error;
      return kExitBadInput;
    }
    if (code == 0 && !a.against.empty()) code = diff.exit_code;
  }

  std::string text;
  if (a.format == "json") {
    nlohmann::json j = verify::to_json(report, g, subject);
    if (diff.json) j["diff"] = *diff.json;
    if (mutation) j["mutation"] = verify::mutation_to_json(*mutation, g, a.min_score);
    text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else if (a.format == "junit") {
    std::string suites = mutation ? verify::mutation_to_junit(*mutation, g, verify::mutation_fails(*mutation, a.min_score)) : "";
    text = verify::to_junit(report, subject, a.deny_warnings, suites);
  } else {
    text = verify::to_text(report, g, subject) + diff.text +
           (mutation ? verify::mutation_to_text(*mutation, g, a.min_score) : "");
  }
  if (a.out_file.empty()) out << text;
  else if (!write_atomically(a.out_file, text, err)) return kExitBadInput;

  if (!a.dossier.empty()) {
    std::string problem = verify::write_dossier(a.dossier, report, g, subject, diff.json);
    if (!problem.empty()) {
      err << "kb-verify: dossier not written: " << problem << "\n";
      return kExitBadInput;
    }
  }
  if (loaded.store && !record(*loaded.store, a, report, mutation ? &*mutation : nullptr, g, subject, code, err))
    return kExitBadInput;
  return code;
}

}  // namespace kb::cli
