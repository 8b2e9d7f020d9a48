// The recommender (kb/recommender.h): compiling a guideline, evaluating a
// patient with the compiled rules, and the JSON and text forms of patients
// and outcomes. Definitions are also compiled one Program each, in dependency
// order, for broken_constraint() and property_holds(), which need their values.
#include "kb/eval/recommender.h"

#include <functional>
#include <nlohmann/json.hpp>

namespace kb {
namespace {

void define_deps(const Expr& e, std::vector<int>& out) {
  if (e.op == Op::Name && e.name_kind == NameKind::Define) out.push_back(e.index);
  for (const auto& a : e.args) define_deps(*a, out);
}

}  // namespace

std::uint8_t strength_bit(Strength s) {
  return s == Strength::Recommend ? kRecommended : s == Strength::Consider ? kConsidered : kAvoided;
}

const char* strength_word(std::uint8_t bit) {
  for (Strength s : kStrengths)
    if (strength_bit(s) == bit) return atom_name(atom_of(s));
  return "?";
}

std::string actions_text(const Guideline& g, const Outcome& o) {
  std::string out;
  for (std::size_t a = 0; a < o.actions.size(); ++a) {
    if (!o.actions[a]) continue;
    std::string s;
    for (Strength st : kStrengths)
      if (o.actions[a] & strength_bit(st)) s += std::string(s.empty() ? "" : "+") + strength_word(strength_bit(st));
    out += (out.empty() ? "" : ", ") + g.actions[a].name + "=" + s;
  }
  return out.empty() ? "no action" : out;
}

Recommender::Recommender(const Guideline& g) : g_(&g) {
  // Definitions in dependency order (the checker has ruled out cycles).
  std::vector<int> state(g.defines.size(), 0);
  std::function<void(int)> visit = [&](int i) {
    if (state[i]) return;
    state[i] = 1;
    std::vector<int> deps;
    define_deps(*g.defines[i].expr, deps);
    for (int d : deps) visit(d);
    define_order_.push_back(i);
  };
  for (std::size_t i = 0; i < g.defines.size(); ++i) visit(static_cast<int>(i));
  for (int i : define_order_) defines_.push_back(Program::compile(*g.defines[i].expr, g));
  for (const Item& c : g.constraints) constraints_.push_back(Program::compile(*c.expr, g));
  rules_ = RuleProgram::compile(g);
  for (const Item& p : g.properties) properties_.push_back(Program::compile(*p.expr, g));
}

void Recommender::load(const Patient& p, std::vector<std::int64_t>& slots) const {
  const std::size_t nf = g_->facts.size();
  slots.resize(nf + g_->defines.size());
  std::copy(p.begin(), p.end(), slots.begin());
  for (std::size_t k = 0; k < defines_.size(); ++k)
    slots[nf + define_order_[k]] = defines_[k].run(slots.data(), nullptr);
}

int Recommender::broken_constraint(const Patient& p) const {
  thread_local std::vector<std::int64_t> slots;
  load(p, slots);
  for (std::size_t i = 0; i < constraints_.size(); ++i)
    if (!constraints_[i].run(slots.data(), nullptr)) return static_cast<int>(i);
  return -1;
}

void Recommender::evaluate(const Patient& p, Outcome& out) const {
  out.fired.resize(g_->rules.size());  // run() overwrites every element
  out.actions.resize(g_->actions.size());
  rules_.run(p.data(), out.fired.data(), out.actions.data());
}

bool Recommender::property_holds(int index, const Patient& p, const Outcome& out) const {
  thread_local std::vector<std::int64_t> slots;
  load(p, slots);
  return properties_[index].run(slots.data(), out.actions.data()) != 0;
}

PatientResult patient_from_json(const Recommender& r, const nlohmann::json& j) {
  const Guideline& g = r.guideline();
  PatientResult res;
  auto fail = [&](const std::string& fact, const std::string& msg) {
    res.fact = fact;
    res.error = msg;
    return res;
  };
  if (!j.is_object()) return fail("", "a patient must be a JSON object mapping fact names to values");
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (g.fact_index(it.key()) < 0) {
      std::vector<std::string> names;
      for (const Item& f : g.facts) names.push_back(f.name);
      std::string near = closest_name(it.key(), names);
      return fail(it.key(), "unknown fact '" + it.key() + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
  Patient p(g.facts.size());
  for (std::size_t i = 0; i < g.facts.size(); ++i) {
    const Item& f = g.facts[i];
    auto it = j.find(f.name);
    if (it == j.end()) return fail(f.name, "missing fact '" + f.name + "' (" + f.description + ")");
    const FactType& t = f.fact_type;
    if (t.kind == Type::Bool) {
      if (!it->is_boolean()) return fail(f.name, "fact '" + f.name + "' must be true or false, got " + it->dump());
      p[i] = it->get<bool>();
    } else if (t.kind == Type::Int) {
      if (!it->is_number_integer())
        return fail(f.name, "fact '" + f.name + "' must be an integer, got " + it->dump());
      std::int64_t v = it->get<std::int64_t>();
      if (v < t.lo || v > t.hi)
        return fail(f.name, "fact '" + f.name + "' = " + std::to_string(v) + " is outside its range " +
                                std::to_string(t.lo) + ".." + std::to_string(t.hi));
      p[i] = v;
    } else {
      if (!it->is_string())
        return fail(f.name, "fact '" + f.name + "' must be one of the names of its enum, got " + it->dump());
      std::string v = it->get<std::string>();
      auto pos = std::find(t.values.begin(), t.values.end(), v);
      if (pos == t.values.end()) {
        std::string near = closest_name(v, t.values);
        return fail(f.name, "fact '" + f.name + "' has no value '" + v + "'" +
                                (near.empty() ? "" : "; did you mean '" + near + "'?"));
      }
      p[i] = pos - t.values.begin();
    }
  }
  if (int c = r.broken_constraint(p); c >= 0) {
    const Item& con = g.constraints[c];
    return fail("", "patient breaks domain constraint " + con.name + " (" + con.description + ")");
  }
  res.patient = std::move(p);
  return res;
}

nlohmann::json patient_to_json(const Guideline& g, const Patient& p) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < g.facts.size(); ++i) {
    const FactType& t = g.facts[i].fact_type;
    if (t.kind == Type::Bool) j[g.facts[i].name] = p[i] != 0;
    else if (t.kind == Type::Int) j[g.facts[i].name] = p[i];
    else j[g.facts[i].name] = t.values[p[i]];
  }
  return j;
}

std::string describe_patient(const Guideline& g, const Patient& p, bool compact) {
  std::string out;
  for (std::size_t i = 0; i < g.facts.size(); ++i) {
    const FactType& t = g.facts[i].fact_type;
    std::string part;
    if (t.kind == Type::Bool) {
      if (p[i]) part = g.facts[i].name;
      else if (!compact) part = "not " + g.facts[i].name;
    } else if (t.kind == Type::Int) {
      part = g.facts[i].name + "=" + std::to_string(p[i]);
    } else {
      part = g.facts[i].name + "=" + t.values[p[i]];
    }
    if (part.empty()) continue;
    out += (out.empty() ? "" : ", ") + part;
  }
  return out;
}

nlohmann::json outcome_to_json(const Guideline& g, const Outcome& out) {
  nlohmann::json actions = nlohmann::json::array();
  nlohmann::json conflicts = nlohmann::json::array();
  for (std::size_t a = 0; a < g.actions.size(); ++a) {
    if (!out.actions[a]) continue;
    nlohmann::json rules = nlohmann::json::array();
    nlohmann::json offered_by = nlohmann::json::array(), avoided_by = nlohmann::json::array();
    for (std::size_t r = 0; r < g.rules.size(); ++r) {
      const Item& rule = g.rules[r];
      if (!out.fired[r] || rule.action_index != static_cast<int>(a)) continue;
      std::string id = g.versioned_id(rule);
      rules.push_back({{"rule", id},
                       {"strength", strength_word(strength_bit(rule.strength))},
                       {"rationale", rule.rationale},
                       {"source", rule.source},
                       {"references", rule.cites}});
      (rule.strength == Strength::Avoid ? avoided_by : offered_by).push_back(id);
    }
    std::uint8_t bits = out.actions[a];
    nlohmann::json strengths = nlohmann::json::array();
    for (std::uint8_t bit : {kRecommended, kConsidered, kAvoided})
      if (bits & bit) strengths.push_back(strength_word(bit));
    actions.push_back({{"action", g.actions[a].name},
                       {"description", g.actions[a].description},
                       {"strengths", strengths},
                       {"conflict", out.conflict(static_cast<int>(a))},
                       {"rules", rules}});
    if (out.conflict(static_cast<int>(a)))
      conflicts.push_back({{"action", g.actions[a].name}, {"offered_by", offered_by}, {"avoided_by", avoided_by}});
  }
  return {{"actions", actions}, {"conflicts", conflicts}};
}

std::string outcome_to_text(const Guideline& g, const Outcome& out) {
  nlohmann::json j = outcome_to_json(g, out);
  std::string text;
  for (const auto& c : j["conflicts"])
    text += "CONFLICT: " + c["action"].get<std::string>() + " is offered by " + c["offered_by"].dump() +
            " and avoided by " + c["avoided_by"].dump() + "\n";
  for (std::uint8_t bit : {kRecommended, kConsidered, kAvoided}) {
    std::string heading = std::string(strength_word(bit));
    heading[0] = static_cast<char>(std::toupper(heading[0]));
    bool any = false;
    for (const auto& a : j["actions"]) {
      bool has = false;
      for (const auto& s : a["strengths"]) has |= s == strength_word(bit);
      if (!has) continue;
      if (!any) text += heading + ":\n";
      any = true;
      text += "  " + a["action"].get<std::string>() + ": " + a["description"].get<std::string>() + "\n";
      for (const auto& r : a["rules"]) {
        if (r["strength"] != strength_word(bit)) continue;
        std::string refs;
        for (const auto& n : r["references"]) refs += (refs.empty() ? "" : ", ") + std::to_string(n.get<int>());
        text += "    - " + r["rule"].get<std::string>() + ": " + r["rationale"].get<std::string>() +
                (refs.empty() ? "" : " [refs " + refs + "]") + "\n";
      }
    }
  }
  if (text.empty()) text = "No rule applies to this patient.\n";
  return text;
}

}  // namespace kb
