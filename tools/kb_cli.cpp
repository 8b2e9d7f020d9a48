#include "tools/kb_cli.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "kb/hash/release_hash.h"
#include "kb/model/guideline.h"
#include "kb/lang/utf8.h"
#include "kb/model/sources.h"
#include "kb/sign/sign.h"
#include "kb/store/ruleset.h"
#include "kb/store/store.h"
#include "report/diff_report.h"
#include "report/report.h"
#include "report/sarif.h"
#include "tools/cli_common.h"
#include "tools/fmt_cmd.h"
#include "tools/recommend_cmd.h"
#include "tools/test_cmd.h"
#include "tools/version.h"
#include "verify/diff.h"

namespace kb::cli {
namespace {

constexpr const char* kDefaultDb = "kb.sqlite";

/** Everything the subcommands read from the command line. */
struct Options {
  std::string db = kDefaultDb;
  std::vector<std::string> files;
  std::string author, reason, base, release, id, name;
  std::string sign_key, expect_head;
  std::vector<std::string> trust;
  bool prune = false, force = false, dry_run = false;
  RecommendArgs recommend;
  FmtArgs fmt;
  TestArgs test;
  std::string format = "text";
  unsigned timeout_ms = 10000;
};

// Prints a store failure and returns its exit code.
int fail(const StoreError& e, std::ostream& err) {
  err << "kb: " << e.render();
  return e.kind == StoreErrorKind::Finding ? 1 : 2;
}

std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

// Prints rows as left-aligned columns separated by two spaces.
void print_table(const std::vector<std::vector<std::string>>& rows, std::ostream& out) {
  std::vector<std::size_t> width;
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) line += i + 1 < r.size() ? pad(r[i], width[i] + 2) : r[i];
    out << line << "\n";
  }
}

// `kb check --format sarif`: every diagnostic as a SARIF result, the summary on `err`.
int check_as_sarif(const std::optional<Guideline>& g, const Diagnostics& diags, std::ostream& out, std::ostream& err) {
  verify::SarifRun run = verify::sarif_run(diags.list(), "kb", kToolVersion);
  run.properties["command"] = "check";
  if (g) run.release_hash = release_hash(*g);
  out << verify::sarif_log(run).dump(2) << "\n";
  if (g) err << "kb check: ok: " << verify::plural(g->rules.size(), "rule") << ", 0 errors\n";
  else err << "kb check: " << verify::plural(diags.list().size(), "error") << "\n";
  return g ? kExitOk : kExitBadInput;
}

// `kb check FILE...`: parse and check sources, print a summary on success.
int cmd_check(const Options& o, std::istream& in, std::ostream& out, std::ostream& err) {
  SourceMap sources;
  Diagnostics diags;
  auto g = load_files(o.files, sources, diags, &in);
  if (o.format == "sarif") return check_as_sarif(g, diags, out, err);
  if (!g) {
    err << diags.render(sources);
    return 2;
  }
  out << "ok: " << verify::plural(g->facts.size(), "fact") << ", " << verify::plural(g->rules.size(), "rule") << ", "
      << (g->properties.size() == 1 ? "1 property" : std::to_string(g->properties.size()) + " properties") << "\n";
  return 0;
}

// `kb init`: create the database (or bring its schema up to date).
int cmd_init(const Options& o, std::ostream& out, std::ostream& err) {
  auto store = Store::open(o.db, OpenMode::Create);
  if (!store) return fail(store.error(), err);
  auto version = store.value().schema_version();
  if (!version) return fail(version.error(), err);
  out << "initialized " << o.db << " (schema version " << version.value() << ")\n";
  return 0;
}

// The base an import merges against: --base, else the marker lines of the
// input files (all of them naming the same one), else none.
bool import_base(const Options& o, const SourceMap& sources, std::optional<ImportBase>& base, std::ostream& err) {
  if (!o.base.empty()) {
    base = parse_base_option(o.base);
    if (!base) err << "kb: --base " << o.base << ": expected a release name or seq:N\n";
    return base.has_value();
  }
  std::size_t with = 0;
  for (const auto& [file, text] : sources) {
    std::string problem;
    auto marker = read_base_marker(text, problem);
    if (!problem.empty()) {
      err << "kb: " << file << ": " << problem << "\n";
      return false;
    }
    if (!marker) continue;
    if (base && !(*base == *marker)) {
      err << "kb: the input files name different bases (" << base->describe() << ", " << marker->describe()
          << "); import them separately or give --base\n";
      return false;
    }
    base = marker, ++with;
  }
  if (with && with != sources.size()) {
    err << "kb: some input files name a base (" << base->describe()
        << ") and others none; import them separately or give --base\n";
    return false;
  }
  return true;
}

// Prints what an import did (or, with --dry-run, would do).
void print_import(const ImportReport& r, bool dry_run, std::ostream& out) {
  static const char* done[] = {"added", "changed", "retired"};
  static const char* todo[] = {"would add", "would change", "would retire"};
  std::size_t counts[3] = {0, 0, 0};
  for (const auto& c : r.changes) {
    ++counts[static_cast<int>(c.change)];
    out << pad((dry_run ? todo : done)[static_cast<int>(c.change)], dry_run ? 14 : 8) << item_kind_name(c.kind) << " "
        << c.name << " version " << c.version << (c.note.empty() ? "" : " (" + c.note + ")") << "\n";
  }
  for (const auto& k : r.kept)
    out << pad(dry_run ? "would keep" : "kept", dry_run ? 14 : 8) << item_kind_name(k.kind) << " " << k.name
        << " version " << k.version << " (" << k.note << ")\n";
  std::string kept = r.kept.empty() ? "" : ", " + std::to_string(r.kept.size()) + " kept as others changed them";
  if (dry_run)
    out << "dry run: would add " << counts[0] << ", change " << counts[1] << ", retire " << counts[2] << "; "
        << r.unchanged << " unchanged" << kept << "; nothing was written\n";
  else
    out << "import: " << counts[0] << " added, " << counts[1] << " changed, " << counts[2] << " retired, "
        << r.unchanged << " unchanged" << kept << "\n";
}

// `kb import FILE...`: append versions for what changed.
int cmd_import(const Options& o, std::istream& in, std::ostream& out, std::ostream& err) {
  auto store = Store::open(o.db, OpenMode::Existing);
  if (!store) return fail(store.error(), err);
  SourceMap sources;
  Diagnostics diags;
  auto input = load_files(o.files, sources, diags, &in);
  if (!input) {
    err << diags.render(sources) << "kb: import refused: the input does not check; nothing was written\n";
    return 2;
  }
  ImportOptions opts{o.author, o.reason, std::nullopt, o.prune, o.force, o.dry_run};
  if (!import_base(o, sources, opts.base, err)) return 2;
  auto report = store.value().import(*input, opts);
  if (!report) return fail(report.error(), err);
  print_import(report.value(), o.dry_run, out);
  return 0;
}

// `kb export [--release NAME]`: the items in the formatter's layout, after a
// line naming the state they were read in (the base of a later import).
int cmd_export(const Options& o, std::ostream& out, std::ostream& err) {
  auto store = Store::open(o.db, OpenMode::ReadOnly);
  if (!store) return fail(store.error(), err);
  ImportBase state;
  auto g = store.value().load(o.release.empty() ? std::nullopt : std::optional(o.release), &state);
  if (!g) return fail(g.error(), err);
  const std::string layout = guideline_layout(g.value());
  out << base_marker(state) << "\n" << (layout.empty() ? "" : "\n") << layout;
  return 0;
}

// `kb show`: a table of current items; `kb show ID`: one item's current text.
int cmd_show(const Options& o, std::ostream& out, std::ostream& err) {
  auto store = Store::open(o.db, OpenMode::ReadOnly);
  if (!store) return fail(store.error(), err);
  if (o.id.empty()) {
    auto items = store.value().current_items();
    if (!items) return fail(items.error(), err);
    std::vector<std::vector<std::string>> rows{{"KIND", "NAME", "VERSION", "AUTHOR", "TIME"}};
    for (const auto& r : items.value())
      rows.push_back({item_kind_name(r.kind), escape_control(r.name), std::to_string(r.version), escape_control(r.author),
                      escape_control(r.created_utc)});
    print_table(rows, out);
    out << items.value().size() << " current items\n";
    return 0;
  }
  auto history = store.value().history(o.id);
  if (!history) return fail(history.error(), err);
  const ItemVersion& r = history.value().back();
  out << item_kind_name(r.kind) << " " << escape_control(r.name) << " version " << r.version
      << (r.retired ? " (retired)" : "") << "\nauthor:       " << escape_control(r.author)
      << "\ntime:         " << escape_control(r.created_utc) << "\nreason:       " << escape_control(r.reason)
      << "\ncontent hash: " << escape_control(r.content_hash) << "\n";
  if (!r.retired) out << "\n" << r.source;
  return 0;
}

// `kb history ID`: every version of one item.
int cmd_history(const Options& o, std::ostream& out, std::ostream& err) {
  auto store = Store::open(o.db, OpenMode::ReadOnly);
  if (!store) return fail(store.error(), err);
  auto history = store.value().history(o.id);
  if (!history) return fail(history.error(), err);
  const ItemVersion& last = history.value().back();
  out << item_kind_name(last.kind) << " " << escape_control(last.name) << ": " << history.value().size() << " versions\n";
  std::vector<std::vector<std::string>> rows{{"VERSION", "TIME", "AUTHOR", "STATUS", "CONTENT-HASH", "REASON"}};
  for (const auto& r : history.value())
    rows.push_back({std::to_string(r.version), escape_control(r.created_utc), escape_control(r.author),
                    r.retired ? "retired" : "live", escape_control(r.content_hash), escape_control(r.reason)});
  print_table(rows, out);
  return 0;
}

// `kb release NAME`: pin the current version of every item.
int cmd_release(const Options& o, std::ostream& out, std::ostream& err) {
  std::optional<sign::Key> key;
  if (!o.sign_key.empty()) {
    std::string problem;
    key = sign::read_private_key(o.sign_key, problem);
    if (!key) {
      err << "kb: --sign-key: " << problem << "\n";
      return kExitBadInput;
    }
  }
  auto store = Store::open(o.db, OpenMode::Existing);
  if (!store) return fail(store.error(), err);
  auto rel = store.value().release(o.name, o.author, o.reason, key ? &*key : nullptr);
  if (!rel) return fail(rel.error(), err);
  out << "release " << rel.value().name << ": " << rel.value().items << " items pinned, release hash "
      << rel.value().content_hash << "\nchain head " << rel.value().chain_head
      << (key ? ", signed with key " + sign::short_id(key->id) : std::string(", not signed")) << "\n";
  return 0;
}

// `kb releases`: the sealed releases, oldest first.
int cmd_releases(const Options& o, std::ostream& out, std::ostream& err) {
  auto store = Store::open(o.db, OpenMode::ReadOnly);
  if (!store) return fail(store.error(), err);
  auto rels = store.value().releases();
  if (!rels) return fail(rels.error(), err);
  std::vector<std::vector<std::string>> rows{
      {"NAME", "TIME", "AUTHOR", "ITEMS", "RELEASE-HASH", "CHAIN-HEAD", "SIGNED-BY", "REASON"}};
  for (const auto& r : rels.value()) {
    std::string signers;
    for (const auto& k : r.signers) signers += (signers.empty() ? "" : ",") + sign::short_id(k);
    rows.push_back({escape_control(r.name), escape_control(r.created_utc), escape_control(r.author),
                    std::to_string(r.items), escape_control(r.content_hash), r.chain_head.substr(0, 16),
                    signers.empty() ? "-" : escape_control(signers), escape_control(r.reason)});
  }
  print_table(rows, out);
  return 0;
}

// `kb audit`: verify hashes, the chain and the releases.
int cmd_audit(const Options& o, std::ostream& out, std::ostream& err) {
  AuditOptions options;
  if (!o.expect_head.empty()) {
    const std::string& h = o.expect_head;
    if (h.size() < 12 || h.size() > 64 || !std::all_of(h.begin(), h.end(), [](unsigned char c) { return std::isxdigit(c); })) {
      err << "kb: --expect-head " << escape_control(h) << ": expected 12 to 64 hex digits of a head `kb audit` printed\n";
      return kExitBadInput;
    }
    options.expect_head = h;
  }
  for (const std::string& path : o.trust) {
    std::string problem;
    auto key = sign::read_public_key(path, problem);
    if (!key) {
      err << "kb: --trust: " << problem << "\n";
      return kExitBadInput;
    }
    options.trusted.push_back(std::move(*key));
  }
  auto store = Store::open(o.db, OpenMode::ReadOnly);
  if (!store) return fail(store.error(), err);
  auto report = store.value().audit(options);
  if (!report) return fail(report.error(), err);
  const AuditReport& r = report.value();
  out << "audit ok: " << r.rows << " item versions in an intact hash chain, " << r.releases << " releases verified, "
      << r.runs << " verification runs verified, " << r.entries << " ledger entries, schema and integrity_check ok\n";
  if (!options.trusted.empty())
    out << "signatures: " << r.signed_releases << " release(s) signed by a trusted key, the newest included; "
        << r.after_signed << " ledger entries after the newest signed release are vouched for only by --expect-head\n";
  if (options.expect_head) out << "expected head found in the ledger\n";
  out << "head: seq " << r.head_seq << " " << r.head
      << "\n(keep the head outside the database; `kb audit --expect-head HASH` later proves nothing before it was "
         "removed or rewritten)\n";
  return 0;
}

// `kb recommend --patient FILE`: the rules applied to one patient or a cohort.
int cmd_recommend(const Options& o, std::istream& in, std::ostream& out, std::ostream& err) {
  if (o.recommend.patient == "-" && std::find(o.files.begin(), o.files.end(), "-") != o.files.end()) {
    err << "kb: --source and --patient - cannot both read standard input\n";
    return kExitBadInput;
  }
  if (!o.recommend.batch && (o.recommend.summary || o.recommend.jobs != 1)) {
    err << "kb: --jobs and --summary apply to --batch only\n";
    return kExitBadInput;
  }
  if (!o.recommend.against.empty() && !o.recommend.summary) {
    err << "kb: --against applies to --batch --summary only\n";
    return kExitBadInput;
  }
  RuleSetSource source{o.files, o.db, o.release.empty() ? std::nullopt : std::optional(o.release)};
  LoadedRuleSet g = load_rule_set(source, &in);
  if (!g.guideline) {
    err << "kb: " << g.error;
    return kExitBadInput;
  }
  Recommender r(*g.guideline);
  if (o.recommend.against.empty()) return recommend(r, o.recommend, in, out, err);
  LoadedRuleSet b = load_rule_set(rule_set_source(o.recommend.against, o.db));
  if (!b.guideline) {
    err << "kb: --against " << o.recommend.against << ": " << b.error;
    return kExitBadInput;
  }
  const auto& fa = g.guideline->facts;
  const auto& fb = b.guideline->facts;
  bool same = fa.size() == fb.size();
  for (std::size_t i = 0; same && i < fa.size(); ++i)
    same = fa[i].name == fb[i].name && fa[i].fact_type.kind == fb[i].fact_type.kind &&
           fa[i].fact_type.lo == fb[i].fact_type.lo && fa[i].fact_type.hi == fb[i].fact_type.hi &&
           fa[i].fact_type.values == fb[i].fact_type.values;
  if (!same) {
    err << "kb: --against " << o.recommend.against
        << ": its facts differ (names, order or types); a patient must mean the same to both rule sets\n";
    return kExitBadInput;
  }
  Recommender before(*b.guideline);
  return recommend(r, o.recommend, in, out, err, &before);
}

// `kb test [PATH...]`: the guideline's own test cases against a rule set.
int cmd_test(const Options& o, std::ostream& out, std::ostream& err) {
  if (!o.files.empty() && !o.release.empty()) {
    err << "kb: give either --source or --release, not both\n";
    return kExitBadInput;
  }
  LoadedRuleSet g = load_rule_set({o.files, o.db, o.release.empty() ? std::nullopt : std::optional(o.release)});
  if (!g.guideline) {
    err << "kb: " << g.error;
    return kExitBadInput;
  }
  return run_test_cases(g, o.test, out, err);
}

// `kb diff A B`: what changes for patients between two rule sets.
int cmd_diff(const Options& o, std::ostream& out, std::ostream& err) {
  LoadedRuleSet a = load_rule_set(rule_set_source(o.files.at(0), o.db));
  LoadedRuleSet b = load_rule_set(rule_set_source(o.files.at(1), o.db));
  for (const LoadedRuleSet* side : {&a, &b}) {
    if (!side->guideline) {
      err << "kb: " << side->error;
      return kExitBadInput;
    }
  }
  verify::Diff d = verify::semantic_diff(*a.guideline, *b.guideline, a.name, b.name, o.timeout_ms);
  if (o.format == "json")
    out << verify::diff_to_json(d, *a.guideline, *b.guideline)
               .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
  else out << verify::diff_to_text(d, *b.guideline);
  return d.exit_code();
}

// `kb readings [SIDE]`: which patients' advice depends on each question's choice.
int cmd_readings(const Options& o, std::ostream& out, std::ostream& err) {
  LoadedRuleSet g = load_rule_set(rule_set_source(o.files.empty() ? "draft" : o.files.at(0), o.db));
  if (!g.guideline) {
    err << "kb: " << g.error;
    return kExitBadInput;
  }
  std::vector<verify::ReadingImpact> impacts = verify::reading_impacts(*g.guideline, o.timeout_ms);
  if (o.format == "json")
    out << verify::readings_to_json(impacts, *g.guideline).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
  else out << "Readings of " << g.name << "\n" << verify::readings_to_text(impacts, *g.guideline);
  for (const verify::ReadingImpact& i : impacts)
    if (i.diff.exit_code() == 2) return kExitBadInput;  // an unknown answer or a replay disagreement
  return 0;
}

void add_db_option(CLI::App* cmd, Options& o) {
  cmd->add_option("--db", o.db, "SQLite database of the knowledge base")->capture_default_str();
}

// The `kb test` subcommand and its options.
CLI::App* add_test_command(CLI::App& app, Options& o) {
  auto* test = app.add_subcommand("test", "Run the guideline's test cases (docs/testing.md)");
  add_db_option(test, o);
  test->add_option("paths", o.test.paths, std::string("Test files or folders of .json test files (default ") +
                                              kDefaultTestFolder + ")");
  test->add_option("--release", o.release, "Test this release instead of the current draft");
  test->add_option("--source", o.files, "Test these guideline files or folders instead of the database")
      ->allow_extra_args(false);
  test->add_option("--format", o.test.format, "text, json, junit or sarif")
      ->check(CLI::IsMember({"text", "json", "junit", "sarif"}));
  test->add_option("--out", o.test.out_file, "Write the report here instead of standard output");
  test->add_flag("--coverage", o.test.coverage, "Also list the rules no test case fires");
  test->add_flag("-v,--verbose", o.test.verbose, "Text: list the passed test cases too");
  return test;
}

}  // namespace

int run_kb(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  CLI::App app{"kb: the guideline knowledge base", "kb"};
  add_version_flag(app, "kb");
  app.require_subcommand(1);
  Options o;

  auto* check = app.add_subcommand("check", "Parse and check guideline source files");
  check->add_option("sources", o.files, "Guideline files or folders of .kb files; - reads standard input")->required();
  check->add_option("--format", o.format, "text or sarif")->check(CLI::IsMember({"text", "sarif"}));

  auto* fmt = app.add_subcommand("fmt", "Rewrite guideline sources in the canonical layout, keeping comments");
  fmt->add_option("sources", o.fmt.files, "Guideline files or folders of .kb files; - formats standard input")
      ->required();
  fmt->add_flag("--check", o.fmt.check, "List the files that are not formatted (exit 1); write nothing");
  fmt->add_flag("--diff", o.fmt.diff, "Print what formatting would change; write nothing");

  auto* init = app.add_subcommand("init", "Create the knowledge base database (or update its schema)");
  add_db_option(init, o);

  auto* import = app.add_subcommand("import", "Append a version for every item whose text changed");
  add_db_option(import, o);
  import->add_option("sources", o.files, "Guideline files or folders of .kb files; - reads standard input")->required();
  import->add_option("--author", o.author, "Who makes the change")->required();
  import->add_option("--reason", o.reason, "Why")->required();
  import->add_option("--base", o.base,
                     "State the edit started from (a release, or seq:N); default: the input's '# kb-base:' line");
  import->add_flag("--prune", o.prune, "Retire current items that the input does not contain");
  import->add_flag("--force", o.force, "Write items that would be refused as conflicts or stale; recorded in the reason");
  import->add_flag("--dry-run", o.dry_run, "Print what would be added, changed, retired and kept; write nothing");

  auto* exp = app.add_subcommand("export", "Print the current items (or a release's), after a '# kb-base:' line");
  add_db_option(exp, o);
  exp->add_option("--release", o.release, "Export this release instead of the current items");

  auto* show = app.add_subcommand("show", "List current items, or show one item's current text");
  add_db_option(show, o);
  show->add_option("id", o.id, "Item: NAME or KIND:NAME");

  auto* history = app.add_subcommand("history", "Every version of one item");
  add_db_option(history, o);
  history->add_option("id", o.id, "Item: NAME or KIND:NAME")->required();

  auto* release = app.add_subcommand("release", "Pin the current version of every item under a name");
  add_db_option(release, o);
  release->add_option("name", o.name, "Release name (letters, digits, . _ -)")->required();
  release->add_option("--author", o.author, "Who releases")->required();
  release->add_option("--reason", o.reason, "Why");
  release->add_option("--sign-key", o.sign_key, "Sign the release's chain head with this Ed25519 private key (PEM)");

  auto* releases = app.add_subcommand("releases", "List the releases");
  add_db_option(releases, o);

  auto* rec = app.add_subcommand("recommend", "Apply the rules to a patient (JSON) or a cohort (JSON Lines)");
  add_db_option(rec, o);
  rec->add_option("--patient", o.recommend.patient, "Patient JSON file; - reads standard input")->required();
  rec->add_option("--release", o.release, "Use this release instead of the current items");
  rec->add_option("--source", o.files, "Use these guideline files or folders instead of the database")
      ->allow_extra_args(false);
  rec->add_option("--format", o.recommend.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  rec->add_flag("--batch", o.recommend.batch, "Input is JSON Lines, one patient per line; output is JSON Lines");
  rec->add_option("--jobs", o.recommend.jobs, "Batch: threads evaluating lines; the output keeps the input order")
      ->check(CLI::Range(1, 256));
  rec->add_flag("--summary", o.recommend.summary,
                "Batch: print one JSON summary (counts per action and strength) instead of one line per patient");
  rec->add_flag("--partial", o.recommend.partial,
                "An omitted fact is unknown (else an error); answers become holds, never or depends");
  rec->add_option("--against", o.recommend.against,
                  "Summary: also count the changed answers from this rule set (release name, 'draft', or .kb source)");

  auto* diff = app.add_subcommand("diff", "Which patients get a different answer between two rule sets");
  add_db_option(diff, o);
  diff->add_option("sides", o.files, "BEFORE AFTER: each a release name, 'draft', a .kb file or a folder of them")
      ->required()
      ->expected(2);
  diff->add_option("--format", o.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  diff->add_option("--timeout-ms", o.timeout_ms, "Per-question solver limit in milliseconds (0: none)");

  auto* readings = app.add_subcommand("readings", "Which patients' advice depends on each question's chosen reading");
  add_db_option(readings, o);
  readings->add_option("side", o.files, "A release name, 'draft' (the default), a .kb file or a folder of them")
      ->expected(0, 1);
  readings->add_option("--format", o.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  readings->add_option("--timeout-ms", o.timeout_ms, "Per-question solver limit in milliseconds (0: none)");

  auto* test = add_test_command(app, o);

  auto* audit = app.add_subcommand(
      "audit", "Verify the database: integrity, schema, hash chains, releases, results; print the head");
  add_db_option(audit, o);
  audit->add_option("--expect-head", o.expect_head,
                    "A head printed by an earlier audit (12 to 64 hex digits): it must still be in the ledger");
  audit->add_option("--trust", o.trust, "Ed25519 public key (PEM) whose release signatures must verify; repeatable")
      ->allow_extra_args(false);

  if (auto code = parse_args(app, args, out, err)) return *code;
  if (check->parsed()) return cmd_check(o, in, out, err);
  if (fmt->parsed()) return format_files(o.fmt, in, out, err);
  if (init->parsed()) return cmd_init(o, out, err);
  if (import->parsed()) return cmd_import(o, in, out, err);
  if (exp->parsed()) return cmd_export(o, out, err);
  if (show->parsed()) return cmd_show(o, out, err);
  if (history->parsed()) return cmd_history(o, out, err);
  if (release->parsed()) return cmd_release(o, out, err);
  if (releases->parsed()) return cmd_releases(o, out, err);
  if (audit->parsed()) return cmd_audit(o, out, err);
  if (rec->parsed()) return cmd_recommend(o, in, out, err);
  if (diff->parsed()) return cmd_diff(o, out, err);
  if (readings->parsed()) return cmd_readings(o, out, err);
  if (test->parsed()) return cmd_test(o, out, err);
  return 2;
}

}  // namespace kb::cli
