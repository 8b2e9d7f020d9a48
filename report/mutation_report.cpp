#include "report/mutation_report.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "report/report.h"
#include "verify/diff.h"

namespace verify {
namespace {

std::string percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", x);
  return buf;
}

std::string killer_name(const kb::Guideline& g, kb::ItemRef k) {
  return (k.kind == kb::ItemKind::Property ? "property:" : "conflict:") + g.item(k).name;
}

std::string indent(const std::string& text, const std::string& by) {
  std::string out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out += by + l + "\n";
  return out;
}

}  // namespace

bool mutation_fails(const MutationReport& r, std::optional<double> min_score) {
  return min_score && r.score() < *min_score;
}

std::string mutation_to_text(const MutationReport& r, const kb::Guideline& g, std::optional<double> min_score) {
  std::size_t restating_kills = r.count(MutantStatus::Killed) - r.effective_kills();
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.1f s", r.total_millis / 1000.0);
  std::string out = "\nMutation analysis: " + plural(r.results.size(), "mutant") + ", " +
                    std::to_string(r.count(MutantStatus::Killed)) + " killed (" + std::to_string(restating_kills) +
                    " only by restating properties), " + std::to_string(r.count(MutantStatus::Equivalent)) +
                    " equivalent, " + std::to_string(r.count(MutantStatus::Survived)) + " survived, " +
                    std::to_string(r.count(MutantStatus::Unknown) + r.count(MutantStatus::Disagreement)) +
                    " undecided; score " + percent(r.score());
  if (min_score) out += std::string(" (minimum ") + percent(*min_score) + (mutation_fails(r, min_score) ? ": FAILED)" : ": met)");
  out += " in " + std::string(secs) + "\n";
  std::vector<std::size_t> kills = r.kills_per_property(g.properties.size());
  out += "  kills per property:";
  for (std::size_t p = 0; p < kills.size(); ++p) out += " " + g.properties[p].name + "=" + std::to_string(kills[p]);
  out += "\n  only killer of some mutant:";
  for (int p : r.unique_killers()) out += " " + g.properties[static_cast<std::size_t>(p)].name;
  out += "\n  restating properties (their kills do not count):";
  for (int p : r.restating) out += " " + g.properties[static_cast<std::size_t>(p)].name;
  out += "\n";
  for (const MutantResult& m : r.results) {
    if (m.status == MutantStatus::Killed || m.status == MutantStatus::Equivalent) continue;
    out += m.mutant.loc.str() + ": " + mutant_status_name(m.status) + "  " + m.mutant.id + "  " + m.mutant.summary + "\n";
    out += indent(line_diff(m.before_text, m.after_text), "    ");
    if (m.witness)
      out += "    patient: " + kb::describe_patient(g, *m.witness) + "\n    " + m.witness_change + ": " + m.message + "\n";
    else
      out += "    " + m.message + "\n";
  }
  return out;
}

nlohmann::json mutation_to_json(const MutationReport& r, const kb::Guideline& g, std::optional<double> min_score) {
  nlohmann::json mutants = nlohmann::json::array();
  for (const MutantResult& m : r.results) {
    nlohmann::json killers = nlohmann::json::array();
    for (kb::ItemRef k : m.killed_by) killers.push_back(killer_name(g, k));
    nlohmann::json j = {{"id", m.mutant.id},
                        {"op", mutation_op_name(m.mutant.op)},
                        {"site", rests_on_json(g, m.mutant.site)},
                        {"location", location_json(m.mutant.loc)},
                        {"summary", m.mutant.summary},
                        {"status", mutant_status_name(m.status)},
                        {"killed_by", killers},
                        {"restating_only", m.restating_only},
                        {"message", m.message},
                        {"millis", m.millis}};
    if (m.status != MutantStatus::Killed && m.status != MutantStatus::Equivalent)
      j["diff"] = line_diff(m.before_text, m.after_text);
    if (m.witness) {
      j["witness"] = kb::patient_to_json(g, *m.witness);
      j["witness_change"] = m.witness_change;
    }
    mutants.push_back(std::move(j));
  }
  nlohmann::json per_property = nlohmann::json::object();
  std::vector<std::size_t> kills = r.kills_per_property(g.properties.size());
  for (std::size_t p = 0; p < kills.size(); ++p) per_property[g.properties[p].name] = kills[p];
  nlohmann::json unique = nlohmann::json::array(), restating = nlohmann::json::array();
  for (int p : r.unique_killers()) unique.push_back(g.properties[static_cast<std::size_t>(p)].name);
  for (int p : r.restating) restating.push_back(g.properties[static_cast<std::size_t>(p)].name);
  nlohmann::json counts = nlohmann::json::object();
  for (MutantStatus s : {MutantStatus::Killed, MutantStatus::Survived, MutantStatus::Equivalent, MutantStatus::Unknown,
                         MutantStatus::Disagreement})
    counts[mutant_status_name(s)] = r.count(s);
  return {{"schema", "kb-mutation/1"},
          {"score", r.score()},
          {"min_score", min_score ? nlohmann::json(*min_score) : nlohmann::json(nullptr)},
          {"failed", mutation_fails(r, min_score)},
          {"mutants_total", r.results.size()},
          {"counts", counts},
          {"effective_kills", r.effective_kills()},
          {"kills_per_property", per_property},
          {"unique_killers", unique},
          {"restating", restating},
          {"total_millis", r.total_millis},
          {"mutants", mutants}};
}

void append_mutation_junit(pugi::xml_node& testsuites, const MutationReport& r, const kb::Guideline& g, bool fails) {
  pugi::xml_node suite = testsuites.append_child("testsuite");
  auto attr = [](pugi::xml_node n, const char* name, const std::string& v) {
    n.append_attribute(name) = xml_text(v).c_str();
  };
  attr(suite, "name", "kb-verify mutation");
  attr(suite, "tests", std::to_string(r.results.size()));
  pugi::xml_attribute failures_attr = suite.append_attribute("failures");
  attr(suite, "errors", "0");
  std::size_t failures = 0;
  for (const MutantResult& m : r.results) {
    pugi::xml_node c = suite.append_child("testcase");
    attr(c, "classname", "kb-verify.mutant");
    attr(c, "name", m.mutant.id + " " + m.mutant.summary);
    attr(c, "file", m.mutant.loc.file ? *m.mutant.loc.file : "");
    attr(c, "line", std::to_string(m.mutant.loc.line));
    bool undecided = m.status == MutantStatus::Unknown || m.status == MutantStatus::Disagreement;
    std::string detail = m.mutant.loc.str() + "\n" + line_diff(m.before_text, m.after_text) +
                         (m.witness ? "patient: " + kb::describe_patient(g, *m.witness) + "\n" + m.witness_change + "\n" : "");
    if (undecided || (fails && m.status == MutantStatus::Survived)) {
      ++failures;
      pugi::xml_node f = c.append_child("failure");
      attr(f, "type", mutant_status_name(m.status));
      attr(f, "message", m.message);
      f.text().set(xml_text(detail).c_str());
    } else if (m.status == MutantStatus::Survived) {
      c.append_child("system-out").text().set(xml_text("survived: " + m.message + "\n" + detail).c_str());
    }
  }
  failures_attr = std::to_string(failures).c_str();
}

}  // namespace verify
