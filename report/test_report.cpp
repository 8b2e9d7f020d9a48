#include "report/test_report.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "verify/testcases.h"

namespace verify {
namespace {

using nlohmann::json;

json advice_json(const Obligation& o, const kb::Guideline& g, const std::vector<std::uint8_t>& bits) {
  json out = json::object();
  for (std::size_t a = 0; a < o.expected.size() && a < o.actual.size(); ++a)
    if (o.expected[a] || o.actual[a]) out[g.actions[a].name] = advice_word(bits[a]);
  return out;
}

json case_json(const Obligation& o, const kb::Guideline& g) {
  json diff = json::array();
  for (std::size_t a = 0; a < o.expected.size() && a < o.actual.size(); ++a)
    if (o.expected[a] != o.actual[a])
      diff.push_back({{"action", g.actions[a].name},
                      {"expected", advice_word(o.expected[a])},
                      {"actual", advice_word(o.actual[a])}});
  json fired = json::array();
  for (int k : o.fired) fired.push_back(g.versioned_id(g.rules[k]));
  return {{"name", subject_json(o, g)["name"]},
          {"status", status_name(o.status)},
          {"location", location_json(location_of(o, g))},
          {"sentence", o.description},
          {"message", o.message},
          {"expected", advice_json(o, g, o.expected)},
          {"actual", advice_json(o, g, o.actual)},
          {"diff", diff},
          {"fired", fired},
          {"patient", o.witness ? kb::patient_to_json(g, *o.witness) : json(nullptr)},
          {"millis", o.millis}};
}

}  // namespace

std::vector<kb::Diagnostic> coverage_notes(const Report& r, const kb::Guideline& g) {
  std::vector<kb::Diagnostic> out;
  for (int k : unfired_rules(r, g)) {
    const kb::Item& rule = g.rules[k];
    out.push_back({rule.span, "rule " + g.versioned_id(rule) + " is fired by no test case", "untested-rule",
                   kb::Severity::Note, {}});
  }
  return out;
}

std::string tests_summary(const Report& r) {
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.1f ms", r.total_millis);
  return plural(r.obligations.size(), "test") + ", " + std::to_string(r.count(Status::Passed)) + " passed, " +
         std::to_string(r.count(Status::Failed)) + " failed (" + ms + ")";
}

std::string tests_to_text(const Report& r, const kb::Guideline& g, const Subject& s, const TextOptions& t,
                          bool coverage) {
  std::string out = s.tool + " " + s.command + " " + s.tool_version + " on " + s.name + " [release hash " +
                    s.release_hash.substr(0, 12) + "]\n";
  for (const Obligation& o : r.obligations)
    if (o.status != Status::Passed || !t.failures_only) out += obligation_text(o, g, t);
  if (coverage) {
    std::vector<kb::Diagnostic> notes = coverage_notes(r, g);
    out += "coverage: " + std::to_string(g.rules.size() - notes.size()) + " of " + plural(g.rules.size(), "rule") +
           " fired by some test case" + (notes.empty() ? "\n" : "; fired by none:\n");
    for (const kb::Diagnostic& d : notes) out += "  " + d.loc.str() + ": " + d.message + "\n";
  }
  return out + tests_summary(r) + "\n";
}

json tests_to_json(const Report& r, const kb::Guideline& g, const Subject& s, bool coverage) {
  json cases = json::array();
  for (const Obligation& o : r.obligations) cases.push_back(case_json(o, g));
  json out = {{"schema", "kb-test-report/1"},
              {"subject", {{"name", s.name}, {"release_hash", s.release_hash}}},
              {"tool_version", s.tool_version},
              {"total_millis", r.total_millis},
              {"summary",
               {{"tests", r.obligations.size()}, {"passed", r.count(Status::Passed)}, {"failed", r.count(Status::Failed)}}},
              {"tests", cases}};
  if (coverage) {
    json unfired = json::array();
    for (int k : unfired_rules(r, g))
      unfired.push_back({{"rule", g.versioned_id(g.rules[k])}, {"location", location_json(g.rules[k].span)}});
    out["coverage"] = {{"rules", g.rules.size()}, {"fired", g.rules.size() - unfired.size()}, {"unfired", unfired}};
  }
  return out;
}

}  // namespace verify
