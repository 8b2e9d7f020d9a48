// kb-verify --recheck: every check a regulator can run on a dossier without
// trusting it (docs/dossier.md, "Re-checking").
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "kb/hash/release_hash.h"
#include "kb/lang/parser.h"
#include "kb/model/checker.h"
#include "report/dossier.h"
#include "report/dossier_format.h"
#include "report/process.h"
#include "solver/solver.h"

namespace verify {
namespace fs = std::filesystem;
using nlohmann::json;

bool Recheck::ok() const {
  if (!error.empty()) return false;
  for (const auto& l : lines)
    if (!l.ok) return false;
  return true;
}

namespace {

// An obligation kind: its solver question and the verdicts each answer allows.
struct KindRule {
  Kind kind;
  solver::Query query;
  kb::ItemKind item;
  std::set<std::string> if_unsat, if_sat;
};

const std::vector<KindRule>& kind_rules() {
  const std::string dis = status_name(Status::Disagreement), ok = status_name(Status::Ok),
                    warn = status_name(Status::Warning), waived = status_name(Status::Waived);
  static const std::vector<KindRule> rules = {
      {Kind::Property, solver::Query::PropertyFails, kb::ItemKind::Property, {status_name(Status::Proved)},
       {status_name(Status::Violated), dis}},
      {Kind::Conflict, solver::Query::Conflict, kb::ItemKind::Action, {status_name(Status::NoConflict)},
       {status_name(Status::Conflict), dis}},
      {Kind::DeadRule, solver::Query::RuleFires, kb::ItemKind::Rule, {warn, waived, ok}, {ok, dis}},
      {Kind::RedundantRule, solver::Query::RuleMatters, kb::ItemKind::Rule, {warn, waived}, {ok, dis}},
      {Kind::VacuousProperty, solver::Query::PremiseHolds, kb::ItemKind::Property, {warn, waived}, {ok}},
      {Kind::RuleFreeProperty, solver::Query::FailsWithoutRules, kb::ItemKind::Property, {warn, waived}, {ok}},
  };
  return rules;
}

const KindRule* rule_for(const std::string& id) {
  for (const KindRule& r : kind_rules())
    if (id.rfind(std::string(id_prefix(r.kind)) + ":", 0) == 0) return &r;
  return nullptr;
}

std::string str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// One obligation the solvers re-decide: its line and the verified SMT-LIB text.
struct Job {
  RecheckLine line;
  std::string text;
};

// Everything the checks share.
struct Context {
  ManifestCheck m;
  json dj;
  std::optional<kb::Guideline> g;
  std::map<std::string, json> obligations;  // dossier.json "obligations" by id
  Recheck out;
  // Per other reading ("QUESTION=ALTERNATIVE"): the source with that alternative chosen, and its solver.
  std::map<std::string, std::pair<std::unique_ptr<kb::Guideline>, std::unique_ptr<solver::Solver>>> readings;

  void fail(const std::string& file, const std::string& problem) {
    out.lines.push_back({printable(file), "", "", "", false, problem});
  }
};

// Re-parses and re-checks dossier.json's source, with its recorded versions;
// compares its canonical text and release hash with what dossier.json says.
void rebuild(Context& c) {
  if (!c.dj.contains("source") || !c.dj["source"].is_string()) return c.fail("dossier.json", "no \"source\" text");
  const std::string source = c.dj["source"].get<std::string>();
  kb::Diagnostics diags;
  c.g = kb::check(kb::parse_source("dossier.json source", source, diags), diags);
  if (!c.g) {
    std::string first = diags.list().empty() ? "" : ": " + diags.list().front().message;
    return c.fail("dossier.json", "its source does not parse and check" + first);
  }
  const json versions = c.dj.contains("versions") ? c.dj["versions"] : json();
  std::set<std::string> keys;
  for (const kb::Item* it : c.g->all_items()) keys.insert(kb::item_key(*it));
  if (!versions.is_object()) c.fail("dossier.json", "no \"versions\" object");
  else
    for (auto v = versions.begin(); v != versions.end(); ++v) {
      if (!keys.count(v.key()) || !v->is_number_integer() || *v < 1 || *v > 1000000000)
        c.fail("dossier.json", "versions: " + printable(v.key()) + " is not an item of the source with a positive version");
      else c.g->versions[v.key()] = v->get<int>();
    }
  if (kb::guideline_text(*c.g) != source) c.fail("dossier.json", "its source is not the canonical text of its items");
  c.out.release_hash = kb::release_hash(*c.g);
  std::string recorded = c.dj.contains("subject") ? str(c.dj["subject"], "release_hash") : "";
  if (recorded != c.out.release_hash)
    c.fail("dossier.json", "subject.release_hash " + printable(recorded) +
                               " is not the release hash of its source (" + c.out.release_hash + ")");
}

// The "obligations" array by id, and its "summary" counts.
void read_obligations(Context& c) {
  const json& list = c.dj.contains("obligations") ? c.dj["obligations"] : json();
  if (!list.is_array()) return c.fail("dossier.json", "no \"obligations\" array");
  std::map<std::string, std::size_t> counts;
  for (const json& o : list) {
    std::string id = str(o, "id");
    if (id.empty() || c.obligations.count(id)) {
      c.fail("dossier.json", "an obligation without an id, or listed twice: " + printable(id));
      continue;
    }
    c.obligations[id] = o;
    if (!o.contains("reading")) ++counts[str(o, "status")];  // the summary counts the chosen readings only
  }
  const json& summary = c.dj.contains("summary") ? c.dj["summary"] : json();
  for (Status st : kStatuses) {
    const char* name = status_name(st);
    bool test_status = st == Status::Passed || st == Status::Failed;  // dossiers hold no tests; older ones omit these
    if (test_status && !counts[name] && summary.is_object() && !summary.contains(name)) continue;
    if (!summary.is_object() || !summary.contains(name) || !summary[name].is_number_unsigned() ||
        summary[name].get<std::size_t>() != counts[name])
      c.fail("dossier.json", std::string("summary count of ") + name + " does not match its obligations");
  }
}

// Checks one "smt2" entry against its obligation and regenerates its text;
// returns the job when the file is intact and identical to the regenerated text.
std::optional<Job> check_entry(Context& c, solver::Solver* solver, const std::string& id, const json& entry) {
  std::string file = str(entry, "file"), expect = str(entry, "expect");
  const KindRule* rule = rule_for(id);
  auto o = c.obligations.find(id);
  std::string problem;
  if (!rule) problem = "dossier.json lists an obligation of no known kind";
  else if (o == c.obligations.end()) problem = "dossier.json's smt2 map names an obligation its obligations array lacks";
  else if (file != obligation_file(id)) problem = "dossier.json names the wrong file for it: " + printable(file);
  else if (expect != "sat" && expect != "unsat" && expect != "unknown") problem = "no recorded answer (sat, unsat or unknown)";
  else if (str(o->second, "kind") != kind_name(rule->kind)) problem = "dossier.json records the wrong kind for it";
  else if (!c.m.listed.count(file)) problem = "listed in dossier.json but not in the manifest";
  if (!problem.empty()) return c.fail(obligation_file(id), problem), std::nullopt;

  std::string status = str(o->second, "status");
  const std::set<std::string> allowed = expect == "unsat" ? rule->if_unsat : expect == "sat" ? rule->if_sat
                                                                                              : std::set<std::string>{"unknown"};
  if (!allowed.count(status))
    c.fail(file, "dossier.json records the verdict " + printable(status) + " with the answer " + expect);
  if (!solver || !c.m.intact.count(file) || !c.m.content.count(file)) return std::nullopt;  // already reported
  std::string name = id.substr(std::string(id_prefix(rule->kind)).size() + 1);
  if (std::size_t open = name.find('['); open != std::string::npos && name.back() == ']') {  // NAME[QUESTION=ALTERNATIVE]
    std::string reading = name.substr(open + 1, name.size() - open - 2);
    name.resize(open);
    std::size_t eq = reading.find('=');
    auto q = eq == std::string::npos ? std::nullopt : c.g->find(kb::ItemKind::Question, reading.substr(0, eq));
    if (!q) return c.fail(file, "its obligation names no question of dossier.json's source"), std::nullopt;
    const auto& alternatives = c.g->questions[static_cast<std::size_t>(q->index)].fact_type.values;
    auto alt = std::find(alternatives.begin(), alternatives.end(), reading.substr(eq + 1));
    if (alt == alternatives.end())
      return c.fail(file, "its obligation names no alternative of that question"), std::nullopt;
    auto& slot = c.readings[reading];
    if (!slot.second) {
      slot.first = std::make_unique<kb::Guideline>(
          kb::with_reading(*c.g, q->index, static_cast<int>(alt - alternatives.begin())));
      slot.second = std::make_unique<solver::Solver>(*slot.first, 0);
    }
    solver = slot.second.get();
  }
  auto ref = c.g->find(rule->item, name);
  if (!ref) return c.fail(file, "its obligation names no item of dossier.json's source"), std::nullopt;
  if (rule->kind == Kind::DeadRule && expect == "unsat" && status == status_name(Status::Ok)) {
    auto deps = kb::dependency_closure(*c.g, {*ref});  // ok for a dead rule only when it encodes another reading
    if (std::none_of(deps.begin(), deps.end(), [](kb::ItemRef d) { return d.kind == kb::ItemKind::Question; }))
      c.fail(file, "dossier.json records a dead rule that depends on no question as ok");
  }
  const json& subject = c.dj.contains("subject") ? c.dj["subject"] : json();
  Smt2Header header{id, c.g->versioned_id(*ref), str(subject, "name"), str(o->second, "description"),
                    str(c.dj, "tool_version"), str(c.dj, "z3_version"), status};
  std::string regenerated;
  try {
    regenerated = solver->smt2(rule->query, ref->index, header.lines());
  } catch (const solver::Error& e) {
    return c.fail(file, std::string("cannot regenerate it: ") + e.what()), std::nullopt;
  }
  if (regenerated != c.m.content[file])
    return c.fail(file, "differs from the SMT-LIB text regenerated from dossier.json's source"), std::nullopt;
  return Job{{file, expect, "", "", false, ""}, std::move(regenerated)};
}

// Checks the "smt2" map against the obligations and the manifest (both
// directions) and returns the obligations whose text verified.
std::vector<Job> check_obligations(Context& c) {
  std::vector<Job> jobs;
  const json& smt2 = c.dj.contains("smt2") ? c.dj["smt2"] : json();
  if (!smt2.is_object()) return c.fail("dossier.json", "no \"smt2\" map of obligations"), jobs;
  std::unique_ptr<solver::Solver> solver;
  if (c.g) solver = std::make_unique<solver::Solver>(*c.g, 0);
  std::set<std::string> files;
  for (const auto& [id, entry] : smt2.items()) {
    files.insert(str(entry, "file"));
    if (auto job = check_entry(c, solver.get(), id, entry)) jobs.push_back(std::move(*job));
  }
  for (const auto& [id, o] : c.obligations)
    // uncovered-rule and restates-rule are lints about other obligations' cores and
    // premises with no query of their own to re-decide (docs/dossier.md).
    if (str(o, "kind") != kind_name(Kind::UncoveredRule) && str(o, "kind") != kind_name(Kind::RestatesRule) &&
        !smt2.contains(id))
      c.fail(obligation_file(id), "an obligation dossier.json records without its SMT-LIB file");
  for (const auto& [rel, hash] : c.m.listed)
    if (rel.rfind("obligations/", 0) == 0 && !files.count(rel))
      c.fail(rel, "an obligation file dossier.json does not list");
  return jobs;
}

// index.html must show every obligation with its recorded verdict, and the release hash.
void check_index(Context& c) {
  if (!c.m.content.count("index.html")) return;  // its manifest line says why
  const std::string& html = c.m.content["index.html"];
  std::size_t sections = 0;
  for (std::size_t p = 0; (p = html.find("<section class=\"ob ", p)) != std::string::npos; ++p) ++sections;
  if (sections != c.obligations.size())
    c.fail("index.html", "shows " + std::to_string(sections) + " verdicts where dossier.json records " +
                             std::to_string(c.obligations.size()));
  for (const auto& [id, o] : c.obligations)
    if (html.find(html_section(id, str(o, "status"))) == std::string::npos)
      c.fail("index.html", "does not show " + printable(id) + " with the verdict dossier.json records");
  std::string hash = c.dj.contains("subject") ? str(c.dj["subject"], "release_hash") : "";
  if (html.find(html_hash_row(hash)) == std::string::npos)
    c.fail("index.html", "does not show the release hash dossier.json records");
}

// The first line of `tool --version`, or "" when it cannot be run.
std::string solver_version(const char* tool) {
  ProcessResult r = run_process({tool, "--version"}, 60000);
  return r.started && !r.timed_out ? first_line(r.out) : "";
}

// Runs one solver on `path`: its answer, or a description of the timeout.
std::string decide(const std::vector<std::string>& argv, unsigned limit_s, bool& killed) {
  ProcessResult r = run_process(argv, limit_s * 1000);
  if (!r.started) return "not run (" + r.error + ")";
  killed = killed || r.timed_out;
  return r.timed_out ? "killed after " + std::to_string(limit_s) + " s" : first_line(r.out);
}

void judge(Job& job, unsigned limit_s, bool killed) {
  RecheckLine& l = job.line;
  if (l.expected == "unknown") {
    l.ok = true;
    l.problem = "recorded unknown: nothing to confirm";
  } else if (killed) {
    l.problem = "timeout: a solver was still running after " + std::to_string(limit_s) + " s and was killed";
  } else if (l.z3 != l.expected || l.cvc5 != l.expected) {
    l.problem = "solvers disagree with the recorded answer";
  } else {
    l.ok = true;
  }
}

// Writes each verified text into a private folder and runs both solvers on
// it, one worker per core; the solvers never read the dossier folder itself.
std::string run_solvers(std::vector<Job>& jobs, unsigned timeout_s, unsigned grace_s) {
  if (jobs.empty()) return "";
  std::string pattern = (fs::temp_directory_path() / "kb-recheck-XXXXXX").string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) return std::string("cannot create a temporary folder: ") + std::strerror(errno);
  const fs::path scratch(buf.data());
  const unsigned limit_s = timeout_s + grace_s;
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next++) < jobs.size();) {
      Job& job = jobs[i];
      std::string path = (scratch / (std::to_string(i) + ".smt2")).string();
      std::ofstream(path, std::ios::binary) << job.text;
      bool killed = false;
      job.line.z3 = decide({"z3", "-smt2", "-T:" + std::to_string(timeout_s), path}, limit_s, killed);
      job.line.cvc5 = decide({"cvc5", "--lang", "smt2", "--tlimit=" + std::to_string(timeout_s * 1000), path},
                             limit_s, killed);
      judge(job, limit_s, killed);
      std::error_code ec;
      fs::remove(path, ec);
    }
  };
  std::vector<std::thread> workers;
  std::size_t n = std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), jobs.size());
  for (std::size_t w = 0; w < n; ++w) workers.emplace_back(work);
  for (auto& w : workers) w.join();
  std::error_code ec;
  fs::remove(scratch, ec);
  return "";
}

}  // namespace

Recheck recheck_dossier(const std::string& dir, unsigned timeout_s, unsigned grace_s) {
  Context c;
  c.m = check_manifest(dir);
  if (!c.m.error.empty()) return c.out.error = c.m.error, c.out;
  c.out.lines = c.m.lines;
  for (const auto& l : c.m.lines) c.out.files_verified += l.ok;
  for (const char* tool : {"z3", "cvc5"}) {
    std::string version = solver_version(tool);
    if (version.empty())
      return c.out.error = std::string("the '") + tool + "' solver is not installed (Debian package " + tool + ")", c.out;
    (std::string(tool) == "z3" ? c.out.z3_version : c.out.cvc5_version) = version;
  }
  for (const char* required : {"dossier.json", "index.html"})
    if (!c.m.listed.count(required)) c.fail(required, "the manifest does not list it");
  if (!c.m.content.count("dossier.json")) return c.out.error = dir + ": dossier.json is missing, unreadable or not listed in the manifest", c.out;
  c.dj = json::parse(c.m.content["dossier.json"], nullptr, false);
  if (!c.dj.is_object()) return c.out.error = dir + ": dossier.json is not a JSON object", c.out;
  if (str(c.dj, "schema") != kDossierSchema && str(c.dj, "schema") != kDossierSchemaPrevious)
    return c.out.error = dir + ": dossier.json has schema '" + printable(str(c.dj, "schema")) + "', not " +
                         kDossierSchema + " (re-write the dossier with this kb-verify)",
           c.out;
  if (c.dj.contains("subject")) c.out.subject = str(c.dj["subject"], "name");
  rebuild(c);
  read_obligations(c);
  std::vector<Job> jobs = check_obligations(c);
  check_index(c);
  if (std::string e = run_solvers(jobs, timeout_s, grace_s); !e.empty()) return c.out.error = e, c.out;
  for (Job& j : jobs) c.out.lines.push_back(std::move(j.line));
  c.out.obligations_decided = jobs.size();
  return c.out;
}

}  // namespace verify
