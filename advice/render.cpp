// Renderings of advice (advice/advice.h): JSON (schema kb-advice/1) and text.
#include <nlohmann/json.hpp>

#include "advice/advice.h"

namespace advice {
namespace {

using kb::Guideline;
using nlohmann::json;
using solver::Goal;

constexpr const char* kWords[3] = {"recommended", "considered", "avoided"};

// One fact's value as JSON.
json value_json(const kb::Item& f, std::int64_t v) {
  if (f.fact_type.kind == kb::Type::Bool) return v != 0;
  if (f.fact_type.kind == kb::Type::Int) return v;
  return f.fact_type.values[v];
}

// The unknown facts' values in completion `c`: what the completion fills in.
json fills_json(const Guideline& g, const kb::PartialPatient& p, const kb::Patient& c) {
  json j = json::object();
  for (std::size_t f = 0; f < g.facts.size(); ++f)
    if (!p.known(f)) j[g.facts[f].name] = value_json(g.facts[f], c[f]);
  return j;
}

std::string fills_text(const Guideline& g, const kb::PartialPatient& p, const kb::Patient& c) {
  std::string out;
  for (std::size_t f = 0; f < g.facts.size(); ++f)
    if (!p.known(f)) out += (out.empty() ? "" : ", ") + g.facts[f].name + "=" + value_json(g.facts[f], c[f]).dump();
  return out;
}

// What an answer is about: ("mdt", "recommended") or ("mdt", "conflict").
std::pair<std::string, std::string> subject(const Guideline& g, const Goal& goal) {
  std::string what = goal.kind == Goal::Conflict ? "conflict"
                                                 : goal.strength == kb::kRecommended ? kWords[0]
                                                 : goal.strength == kb::kConsidered ? kWords[1] : kWords[2];
  return {g.actions[goal.index].name, what};
}

json answer_json(const Guideline& g, const kb::PartialPatient& p, const Answer& a) {
  json j = {{"answer", truth_word(a.truth)}};
  if (a.truth != Truth::Depends) return j;
  json on = json::array();
  for (int f : a.depends_on) on.push_back(g.facts[f].name);
  j["depends_on"] = on;
  j["when_true"] = fills_json(g, p, *a.when_true);
  j["when_false"] = fills_json(g, p, *a.when_false);
  return j;
}

// Whether some strength of `action` holds or depends.
bool any_possible(const Advice& a, std::size_t action) {
  for (int k = 0; k < 3; ++k)
    if (a.strengths[3 * action + k].truth != Truth::Never) return true;
  return false;
}

const Answer& settled(const Advice& a, int i) {
  return static_cast<std::size_t>(i) < a.strengths.size() ? a.strengths[i] : a.conflicts[i - a.strengths.size()];
}

std::string unknown_text(const Guideline& g, const kb::PartialPatient& p, std::size_t f) {
  const kb::Item& fact = g.facts[f];
  const kb::FactValues& v = p.facts[f];
  if (v.size() == 1 && v[0].first == fact.fact_type.lo && v[0].second == fact.fact_type.hi) return fact.name;
  if (fact.fact_type.kind == kb::Type::Int && v.size() == 1)
    return fact.name + " in " + std::to_string(v[0].first) + ".." + std::to_string(v[0].second);
  std::string set;
  for (const auto& [lo, hi] : v)
    for (std::int64_t x = lo; x <= hi; ++x) set += (set.empty() ? "" : ", ") + value_json(fact, x).dump();
  return fact.name + " one of " + set;
}

}  // namespace

nlohmann::json advice_to_json(const Guideline& g, const kb::PartialPatient& p, const Advice& a) {
  json unknown = json::array();
  for (std::size_t f = 0; f < g.facts.size(); ++f)
    if (!p.known(f)) unknown.push_back(g.facts[f].name);
  json actions = json::array();
  for (std::size_t x = 0; x < g.actions.size(); ++x) {
    if (!any_possible(a, x)) continue;
    json entry = {{"action", g.actions[x].name}, {"description", g.actions[x].description}};
    for (int k = 0; k < 3; ++k) entry[kWords[k]] = answer_json(g, p, a.strengths[3 * x + k]);
    entry["conflict"] = answer_json(g, p, a.conflicts[x]);
    actions.push_back(entry);
  }
  json always = json::array(), might = json::array();
  for (const Answer& r : a.rules) {
    if (r.truth == Truth::Never) continue;
    const kb::Item& rule = g.rules[r.goal.index];
    json entry = {{"rule", g.versioned_id(rule)},
                  {"action", g.actions[rule.action_index].name},
                  {"strength", kWords[rule.strength == kb::Strength::Recommend ? 0 : rule.strength == kb::Strength::Consider ? 1 : 2]},
                  {"rationale", rule.rationale}};
    (r.truth == Truth::Holds ? always : might).push_back(entry);
  }
  json ask = json::array();
  for (const Ask& q : a.ask) {
    json settles = json::array();
    for (int i : q.settles) {
      auto [action, what] = subject(g, settled(a, i).goal);
      settles.push_back({{"action", action}, {"answer", what}});
    }
    ask.push_back({{"fact", g.facts[q.fact].name}, {"settles", settles}});
  }
  return {{"schema", "kb-advice/1"},
          {"patient", kb::partial_patient_to_json(g, p)},
          {"unknown", unknown},
          {"actions", actions},
          {"rules", {{"always", always}, {"might", might}}},
          {"certain_conflict", a.certain_conflict()},
          {"ask", ask}};
}

std::string advice_to_text(const Guideline& g, const kb::PartialPatient& p, const Advice& a) {
  std::string unknown;
  for (std::size_t f = 0; f < g.facts.size(); ++f)
    if (!p.known(f)) unknown += (unknown.empty() ? "" : "; ") + unknown_text(g, p, f);
  std::string out = "Not known: " + (unknown.empty() ? std::string("nothing") : unknown) + "\n";
  for (std::size_t x = 0; x < g.actions.size(); ++x) {
    const Answer& c = a.conflicts[x];
    if (c.truth == Truth::Holds) out += "CONFLICT: " + g.actions[x].name + " is offered and avoided for every completion\n";
    if (c.truth == Truth::Depends)
      out += "POSSIBLE CONFLICT: " + g.actions[x].name + " is offered and avoided when " +
             fills_text(g, p, *c.when_true) + "\n";
  }
  for (std::size_t x = 0; x < g.actions.size(); ++x)
    for (int k = 0; k < 3; ++k) {
      const Answer& s = a.strengths[3 * x + k];
      if (s.truth == Truth::Never) continue;
      out += std::string(s.truth == Truth::Holds ? "holds    " : "depends  ") + kWords[k] + " " + g.actions[x].name;
      if (s.truth == Truth::Holds) {
        out += "\n";
        continue;
      }
      std::string on;
      for (int f : s.depends_on) on += (on.empty() ? "" : ", ") + g.facts[f].name;
      out += " (on " + (on.empty() ? std::string("no single fact") : on) + ")\n";
      out += "           yes when " + fills_text(g, p, *s.when_true) + "\n";
      out += "           no when  " + fills_text(g, p, *s.when_false) + "\n";
    }
  std::string always, might;
  for (const Answer& r : a.rules) {
    if (r.truth == Truth::Never) continue;
    (r.truth == Truth::Holds ? always : might) += " " + g.versioned_id(g.rules[r.goal.index]);
  }
  out += "Rules firing for every completion:" + (always.empty() ? " none" : always) + "\n";
  out += "Rules that might fire:" + (might.empty() ? " none" : might) + "\n";
  if (!a.ask.empty()) out += "Ask next:\n";
  for (const Ask& q : a.ask) {
    std::string settles;
    for (int i : q.settles) {
      auto [action, what] = subject(g, settled(a, i).goal);
      settles += (settles.empty() ? "" : ", ") + action + " " + what;
    }
    out += "  " + g.facts[q.fact].name + " (settles " + (settles.empty() ? "nothing" : settles) + ")\n";
  }
  return out;
}

}  // namespace advice
