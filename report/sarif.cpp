#include "report/sarif.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "kb/hash/sha256.h"
#include "report/test_report.h"
#include "verify/testcases.h"

namespace verify {
namespace {

using nlohmann::json;

// What each stable code means, for the driver's rule descriptors.
const std::map<std::string, std::string>& rule_texts() {
  static const std::map<std::string, std::string> texts = {
      {"violated-property", "A property of the guideline fails for some valid patient."},
      {"conflict", "Some valid patient gets an action both offered and avoided."},
      {"dead-rule", "No valid patient meets the rule's condition."},
      {"redundant-rule", "Whenever the rule fires, another rule already gives the same advice."},
      {"vacuous-property", "No valid patient meets the premise of the property."},
      {"rule-free-property", "The property holds whatever the rules say."},
      {"uncovered-rule", "No proof rests on the rule."},
      {"restates-rule", "The property restates a single rule and proves nothing beyond it."},
      {"unknown", "The solver gave no answer; the obligation is not proved."},
      {"translator-disagreement", "The solver and the recommender disagree about a patient (a translator bug)."},
      {"failed-test", "A test case's patient gets other advice than the test expects."},
      {"untested-rule", "No test case fires the rule."},
      {"syntax", "The guideline text does not parse."},
      {"unknown-name", "A name is used that nothing declares."},
      {"unknown-reference", "A rule cites a reference that does not exist."},
      {"duplicate", "A name or reference number is declared twice."},
      {"type", "An expression has the wrong type."},
      {"cycle", "Definitions depend on each other in a cycle."},
      {"param-range", "A parameter's value lies outside its allowed range."},
      {"int-range", "An integer expression could leave the safe range."},
      {"atom-outside-property", "An advice atom is used outside a property."},
      {"no-sources", "A source path is missing or holds no .kb files."},
      {"unreadable", "A source file cannot be read."},
  };
  return texts;
}

const char* level_of(kb::Severity s) {
  switch (s) {
    case kb::Severity::Error: return "error";
    case kb::Severity::Warning: return "warning";
    case kb::Severity::Note: return "note";
  }
  return "none";
}

// "violated-property" -> "ViolatedProperty".
std::string rule_name(const std::string& id) {
  std::string out;
  bool upper = true;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

std::string percent_encode(const std::string& path) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// A SARIF message: text ending in a full stop (SARIF2001).
json message(std::string text) {
  if (text.empty() || (text.back() != '.' && text.back() != '?' && text.back() != '!')) text += '.';
  return {{"text", text}};
}

// A physical location for `loc`, or null when it names no file.
json physical(const kb::Loc& loc) {
  json artifact = sarif_artifact(loc.file ? *loc.file : "<input>");
  if (artifact.is_null()) return nullptr;
  json out = {{"artifactLocation", artifact}};
  if (loc.line > 0) {
    json region = {{"startLine", loc.line}, {"startColumn", std::max(loc.column, 1)}};
    if (loc.end_line >= loc.line && loc.end_line > 0) {
      region["endLine"] = loc.end_line;
      int end = loc.end_column;
      if (loc.end_line == loc.line && end <= region["startColumn"].get<int>()) end = region["startColumn"].get<int>() + 1;
      region["endColumn"] = std::max(end, 1);
    }
    out["region"] = region;
  }
  return out;
}

json result_json(const SarifResult& r, int rule_index) {
  const kb::Diagnostic& d = r.finding;
  json out = {{"ruleId", d.code},
              {"ruleIndex", rule_index},
              {"level", level_of(d.severity)},
              {"message", message(d.message)},
              {"partialFingerprints", {{"kbFinding/v1", sarif_fingerprint(d.code, r.item)}}}};
  json where = physical(d.loc);
  out["locations"] = where.is_null() ? json::array() : json::array({{{"physicalLocation", where}}});
  json related = json::array();
  for (const kb::Related& rel : d.related) {
    json p = physical(rel.loc);
    if (p.is_null()) continue;
    related.push_back({{"id", static_cast<int>(related.size()) + 1}, {"physicalLocation", p}, {"message", message(rel.message)}});
  }
  if (!related.empty()) out["relatedLocations"] = related;
  if (!r.properties.empty()) out["properties"] = r.properties;
  if (!r.suppression.empty())
    out["suppressions"] = json::array({{{"kind", "inSource"}, {"status", "accepted"}, {"justification", r.suppression}}});
  return out;
}

std::string cwd_uri() {
  std::error_code ec;
  std::string dir = std::filesystem::current_path(ec).generic_string();
  if (ec || dir.empty()) dir = "/";
  if (dir.back() != '/') dir += '/';
  return "file://" + percent_encode(dir);
}

}  // namespace

std::string sarif_fingerprint(const std::string& rule_id, const std::string& item) {
  return kb::sha256_hex(rule_id + "\n" + item).substr(0, 32);
}

json sarif_artifact(const std::string& file) {
  if (file.empty() || file.front() == '<') return nullptr;
  std::filesystem::path p(file);
  if (p.is_absolute()) return {{"uri", "file://" + percent_encode(p.generic_string())}};
  return {{"uri", percent_encode(p.lexically_normal().generic_string())}, {"uriBaseId", "SRCROOT"}};
}

json sarif_log(const SarifRun& run) {
  std::vector<std::string> ids;
  for (const SarifResult& r : run.results)
    if (std::find(ids.begin(), ids.end(), r.finding.code) == ids.end()) ids.push_back(r.finding.code);
  std::sort(ids.begin(), ids.end());
  json rules = json::array();
  for (const std::string& id : ids) {
    kb::Severity level = kb::Severity::Note;
    for (const SarifResult& r : run.results)
      if (r.finding.code == id) level = std::min(level, r.finding.severity);  // Error < Warning < Note
    auto text = rule_texts().find(id);
    rules.push_back({{"id", id},
                     {"name", rule_name(id)},
                     {"shortDescription", {{"text", text == rule_texts().end() ? "Finding " + id + "." : text->second}}},
                     {"defaultConfiguration", {{"level", level_of(level)}}}});
  }
  json results = json::array();
  for (const SarifResult& r : run.results) {
    auto pos = std::find(ids.begin(), ids.end(), r.finding.code);
    results.push_back(result_json(r, static_cast<int>(pos - ids.begin())));
  }
  json properties = run.properties;
  properties["releaseHash"] = run.release_hash.empty() ? json(nullptr) : json(run.release_hash);
  json driver = {{"name", run.tool}, {"version", run.version}, {"semanticVersion", run.version}, {"rules", rules}};
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", json::array({{{"tool", {{"driver", driver}}},
                                 {"originalUriBaseIds",
                                  {{"SRCROOT", {{"uri", cwd_uri()},
                                                {"description", message("The directory the tool ran in (the repository root)")}}}}},
                                 {"results", results},
                                 {"properties", properties}}})}};
}

SarifRun sarif_run(const Report& r, const kb::Guideline& g, const Subject& s, bool coverage) {
  SarifRun run{s.tool, s.tool_version, s.release_hash, json::object(), {}};
  json summary = json::object();
  for (Status st : kStatuses) summary[status_name(st)] = r.count(st);
  run.properties = {{"subject", s.name}, {"summary", summary}};
  if (!s.command.empty()) run.properties["command"] = s.command;
  for (const Obligation& o : r.obligations) {
    if (!needs_attention(o) && o.status != Status::Waived) continue;
    SarifResult res{finding(o, g), "", json::object(), ""};
    if (o.status == Status::Waived) res.suppression = o.message;
    json subject = subject_json(o, g);
    res.item = subject["kind"].get<std::string>() + ":" + subject["name"].get<std::string>();
    res.properties["obligation"] = o.id;
    res.properties["status"] = status_name(o.status);
    if (o.witness) res.properties["patient"] = kb::patient_to_json(g, *o.witness);
    if (o.deciding) {
      res.properties["decidingFacts"] = fact_ranges_json(g, *o.deciding);
      res.finding.message += "; fails for " + deciding_text(g, *o.deciding);
    }
    json fired = json::array();
    for (int k : o.fired) fired.push_back(g.versioned_id(g.rules[k]));
    if (!fired.empty()) res.properties["rulesFired"] = fired;
    run.results.push_back(std::move(res));
  }
  if (coverage) {
    std::vector<kb::Diagnostic> notes = coverage_notes(r, g);
    std::vector<int> rules = unfired_rules(r, g);
    for (std::size_t i = 0; i < notes.size(); ++i)
      run.results.push_back({notes[i], "rule:" + g.rules[static_cast<std::size_t>(rules[i])].name, json::object(), ""});
  }
  return run;
}

SarifRun sarif_run(const std::vector<kb::Diagnostic>& diagnostics, const std::string& tool, const std::string& version) {
  SarifRun run{tool, version, "", json::object(), {}};
  for (const kb::Diagnostic& d : diagnostics) {
    std::string item = "file:" + (d.loc.file ? *d.loc.file : std::string("<input>")) + ":";
    for (char c : d.message)
      if (!std::isdigit(static_cast<unsigned char>(c))) item += c;
    run.results.push_back({d, item, json::object(), ""});
  }
  return run;
}

}  // namespace verify
