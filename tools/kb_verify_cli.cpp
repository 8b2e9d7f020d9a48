#include "tools/kb_verify_cli.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "kb/printer.h"
#include "kb/sha256.h"
#include "kb/spec.h"
#include "kb/store.h"
#include "solver/solver.h"
#include "tools/cli_parse.h"
#include "tools/version.h"
#include "verify/diff.h"
#include "verify/dossier.h"
#include "verify/report.h"

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
};

// Writes `text` to `path` through a temporary file and a rename, so a reader
// never sees half a report.
bool write_atomically(const std::string& path, const std::string& text, std::ostream& err) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.flush();
    if (!f) {
      err << "kb-verify: cannot write " << tmp << "\n";
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    err << "kb-verify: cannot write " << path << ": " << ec.message() << "\n";
    std::filesystem::remove(tmp, ec);
    return false;
  }
  return true;
}

std::vector<VerificationResult> results_of(const verify::Report& report, const Guideline& g) {
  std::vector<VerificationResult> out;
  for (const verify::Obligation& o : report.obligations) {
    VerificationResult r;
    r.obligation = o.id;
    r.verdict = verify::status_name(o.status);
    r.millis = o.millis;
    r.core = nlohmann::json(o.core).dump();
    if (o.witness) r.counterexample = patient_to_json(g, *o.witness).dump();
    r.detail = o.message;
    out.push_back(std::move(r));
  }
  return out;
}

// The rule set to check: source files, or a release or the draft of the
// database (then opened into `store`). Errors are printed; nullopt then.
std::optional<Guideline> load_subject(const Args& a, std::optional<Store>& store, verify::Subject& subject,
                                      std::ostream& err) {
  if (!a.files.empty()) {
    SourceMap sources;
    Diagnostics diags;
    auto g = load_files(a.files, sources, diags);
    if (!g) err << diags.render(sources);
    subject.name = "sources";
    for (const auto& f : a.files) subject.name += " " + f;
    return g;
  }
  auto opened = Store::open(a.db, OpenMode::Existing);
  if (!opened) {
    err << "kb-verify: " << opened.error().render() << "\n";
    return std::nullopt;
  }
  store.emplace(std::move(opened.value()));
  auto loaded = store->load(a.release.empty() ? std::nullopt : std::optional<std::string>(a.release));
  if (!loaded) {
    err << "kb-verify: " << loaded.error().render() << "\n";
    return std::nullopt;
  }
  return std::move(loaded.value());
}

// Stores the run against the release it checked (the draft when none).
bool record(Store& store, const Args& a, const verify::Report& report, const Guideline& g,
            const verify::Subject& subject, int code, std::ostream& err) {
  VerificationRun run;
  run.release = a.release.empty() ? std::nullopt : std::optional<std::string>(a.release);
  run.content_hash = subject.content_hash;
  run.tool_version = kToolVersion;
  run.z3_version = report.z3_version;
  run.exit_code = code;
  run.results = results_of(report, g);
  auto stored = store.record_verification(run);
  if (!stored) err << "kb-verify: results not stored: " << stored.error().render() << "\n";
  return static_cast<bool>(stored);
}

// `kb-verify --recheck DIR`: 0 when the manifest verifies and both solvers
// agree with every recorded answer, 1 on any disagreement, 2 when it cannot run.
int recheck(const std::string& dir, std::ostream& out, std::ostream& err) {
  verify::Recheck r = verify::recheck_dossier(dir, 60);
  if (!r.error.empty()) {
    err << "kb-verify: " << r.error << "\n";
    return 2;
  }
  std::size_t bad = 0, solved = 0;
  for (const auto& l : r.lines) {
    if (!l.z3.empty()) ++solved;
    if (l.ok) continue;
    ++bad;
    out << "FAIL  " << l.file << ": " << l.problem;
    if (!l.z3.empty()) out << " (recorded " << l.expected << ", z3 " << l.z3 << ", cvc5 " << l.cvc5 << ")";
    out << "\n";
  }
  out << (bad ? "recheck FAILED: " : "recheck ok: ") << r.lines.size() - solved << " files verified against the manifest, "
      << solved << " obligations re-decided by z3 and cvc5, " << bad << " problems\n";
  return bad ? 1 : 0;
}

}  // namespace

int run_kb_verify(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) {
  CLI::App app{"kb-verify: prove a guideline's properties with Z3"};
  Args a;
  app.add_option("--db", a.db, "Knowledge base (default ./kb.sqlite)");
  app.add_option("--release", a.release, "Check this release instead of the current draft");
  app.add_option("files", a.files, "Check these guideline sources instead of the database");
  app.add_option("--only", a.only, "Only obligations about these ids (properties, actions, rules)");
  app.add_option("--format", a.format, "text, json or junit")->check(CLI::IsMember({"text", "json", "junit"}));
  app.add_option("--out", a.out_file, "Write the report here instead of standard output");
  app.add_option("--timeout-ms", a.timeout_ms, "Per-obligation solver limit in milliseconds (0: none)");
  app.add_flag("--deny-warnings", a.deny_warnings, "Fail (exit 1) on lint warnings");
  app.add_option("--dossier", a.dossier, "Also write the proof dossier into this folder");
  app.add_option("--against", a.against,
                 "Also diff against this rule set: a release, 'draft', a .kb file or a folder of them");
  app.add_option("--recheck", a.recheck, "Re-check a dossier with the z3 and cvc5 solvers, and nothing else");
  if (auto code = parse_args(app, argv, out, err)) return *code;
  if (!a.recheck.empty()) return recheck(a.recheck, out, err);
  if (!a.files.empty() && !a.release.empty()) {
    err << "kb-verify: give either source files or --release, not both\n";
    return 2;
  }

  std::optional<Store> store;
  verify::Subject subject{a.release.empty() ? "draft" : "release " + a.release, "", kToolVersion};
  std::optional<Guideline> g = load_subject(a, store, subject, err);
  if (!g) return 2;
  subject.content_hash = sha256_hex(guideline_text(*g));

  verify::Options options;
  options.timeout_ms = a.timeout_ms;
  options.only = a.only;
  for (const std::string& id : a.only) {
    bool known = g->property_index(id) >= 0 || g->action_index(id) >= 0 || g->rule_index(id) >= 0;
    if (!known) {
      err << "kb-verify: --only " << id << ": no property, action or rule has this id\n";
      return 2;
    }
  }
  verify::Report report = verify::run(*g, options);
  int code = report.exit_code(a.deny_warnings);

  // A dossier of a release shows the diff against the release before it;
  // only an explicit --against makes the diff part of the exit code.
  const bool diff_decides = !a.against.empty();
  if (a.against.empty() && !a.dossier.empty() && store && !a.release.empty()) {
    auto all = store->releases();
    if (all) {
      for (std::size_t i = 1; i < all.value().size(); ++i)
        if (all.value()[i].name == a.release) a.against = all.value()[i - 1].name;
    }
  }
  std::optional<nlohmann::json> diff_json;
  std::string diff_text;
  if (!a.against.empty()) {
    LoadedSpec base = load_spec(a.against, a.db);
    if (!base.guideline) {
      err << "kb-verify: --against " << a.against << ": " << base.error;
      return 2;
    }
    verify::Diff d = verify::semantic_diff(*base.guideline, *g, base.name, subject.name, a.timeout_ms);
    diff_json = verify::diff_to_json(d, *base.guideline, *g);
    diff_text = "\n" + verify::diff_to_text(d, *g);
    if (code == 0 && diff_decides) code = d.exit_code();
  }

  std::string text;
  if (a.format == "json") {
    nlohmann::json j = verify::to_json(report, *g, subject);
    if (diff_json) j["diff"] = *diff_json;
    text = j.dump(2) + "\n";
  } else if (a.format == "junit") {
    text = verify::to_junit(report, subject, a.deny_warnings);
  } else {
    text = verify::to_text(report, *g, subject) + diff_text;
  }
  if (a.out_file.empty()) out << text;
  else if (!write_atomically(a.out_file, text, err)) return 2;

  if (!a.dossier.empty()) {
    std::string problem = verify::write_dossier(a.dossier, report, *g, subject, diff_json);
    if (!problem.empty()) {
      err << "kb-verify: dossier not written: " << problem << "\n";
      return 2;
    }
  }

  if (store && !record(*store, a, report, *g, subject, code, err)) return 2;
  return code;
}

}  // namespace kb::cli
