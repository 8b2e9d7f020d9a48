// The recommender (kb/recommender.h): compiling a guideline, evaluating a
// patient with the compiled rules, and the JSON and text forms of patients
// and outcomes. Definitions are also compiled one Program each, in dependency
// order, for broken_constraint() and property_holds(), which need their values.
#include "kb/eval/recommender.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "kb/eval/partial.h"
#include "kb/lang/utf8.h"

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

namespace {

using nlohmann::json;

constexpr std::size_t kQuoted = 64;  // bytes of user text quoted in a message

// A JSON value in a message: a short scalar as written, else its kind.
std::string describe_json(const json& v) {
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return excerpt(v.dump(-1, ' ', false, json::error_handler_t::replace), kQuoted);
}

// The fact value `v` as an int of `t`, or the error about it.
std::optional<std::string> read_int(const Item& f, const json& v, std::int64_t& out) {
  const FactType& t = f.fact_type;
  auto outside = [&](const std::string& value) {
    return "fact '" + f.name + "' = " + value + " is outside its range " + std::to_string(t.lo) + ".." +
           std::to_string(t.hi);
  };
  if (v.is_number_float() && std::abs(v.get<double>()) >= 0x1p63)  // an integer too long for int64 reads as a float
    return outside(describe_json(v));
  if (!v.is_number_integer()) return "fact '" + f.name + "' must be an integer, got " + describe_json(v);
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
    return outside(v.dump());  // beyond int64: never wrapped
  out = v.get<std::int64_t>();
  if (out < t.lo || out > t.hi) return outside(std::to_string(out));
  return std::nullopt;
}

// The value of fact `f` in `v`, or the error about it.
std::optional<std::string> read_fact(const Item& f, const json& v, std::int64_t& out) {
  const FactType& t = f.fact_type;
  if (t.kind == Type::Bool) {
    if (!v.is_boolean()) return "fact '" + f.name + "' must be true or false, got " + describe_json(v);
    out = v.get<bool>();
    return std::nullopt;
  }
  if (t.kind == Type::Int) return read_int(f, v, out);
  if (!v.is_string()) return "fact '" + f.name + "' must be one of the names of its enum, got " + describe_json(v);
  const std::string& name = v.get_ref<const std::string&>();
  auto pos = std::find(t.values.begin(), t.values.end(), name);
  if (pos == t.values.end()) {
    std::string near = closest_name(name, t.values);
    return "fact '" + f.name + "' has no value '" + excerpt(name, kQuoted) + "'" +
           (near.empty() ? "" : "; did you mean '" + near + "'?");
  }
  out = pos - t.values.begin();
  return std::nullopt;
}

// The first key of patient object `j` that names no fact of `g`: the key (as
// quoted in messages) and the message, with a did-you-mean.
std::optional<std::pair<std::string, std::string>> unknown_fact(const Guideline& g, const nlohmann::json& j) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (g.fact_index(it.key()) >= 0) continue;
    std::vector<std::string> names;
    for (const Item& f : g.facts) names.push_back(f.name);
    std::string near = closest_name(it.key(), names);
    std::string key = excerpt(it.key(), kQuoted);
    return std::pair{key, "unknown fact '" + key + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?")};
  }
  return std::nullopt;
}

}  // namespace

PatientResult patient_from_json(const Recommender& r, const nlohmann::json& j) {
  const Guideline& g = r.guideline();
  PatientResult res;
  auto fail = [&](const std::string& fact, const std::string& msg) {
    res.fact = fact;
    res.error = msg;
    return res;
  };
  if (!j.is_object()) return fail("", "a patient must be a JSON object mapping fact names to values");
  if (auto unknown = unknown_fact(g, j)) return fail(unknown->first, unknown->second);
  Patient p(g.facts.size());
  for (std::size_t i = 0; i < g.facts.size(); ++i) {
    const Item& f = g.facts[i];
    auto it = j.find(f.name);
    if (it == j.end()) return fail(f.name, "missing fact '" + f.name + "' (" + f.description + ")");
    if (std::optional<std::string> error = read_fact(f, *it, p[i])) return fail(f.name, *error);
  }
  if (int c = r.broken_constraint(p); c >= 0) {
    const Item& con = g.constraints[c];
    return fail("", "patient breaks domain constraint " + con.name + " (" + con.description + ")");
  }
  res.patient = std::move(p);
  return res;
}

namespace {

// A SAX handler that reads JSON text as one object of facts (a value may be
// an object or array, for partial patients); keys of the outer object are
// checked for repeats. Nesting deeper than
// kMaxPatientJsonDepth, a repeated key and a syntax error stop the parse.
class FlatReader : public json::json_sax_t {
 public:
  json value;                // the value read: the patient object, or whatever else the text holds
  std::string error, fact;   // the first problem, and the fact whose value it is in ("" if none)

  bool null() override { return scalar(nullptr); }
  bool boolean(bool v) override { return scalar(v); }
  bool number_integer(number_integer_t v) override { return scalar(v); }
  bool number_unsigned(number_unsigned_t v) override { return scalar(v); }
  bool number_float(number_float_t v, const string_t&) override { return scalar(v); }
  bool string(string_t& v) override { return scalar(std::move(v)); }
  bool binary(binary_t&) override { return scalar(nullptr); }  // not produced by JSON text
  bool start_object(std::size_t) override { return open(json::object()); }
  bool start_array(std::size_t) override { return open(json::array()); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& k) override {
    level_keys_[depth_ - 1] = k;
    if (depth_ != 1) return true;
    key_ = k;
    in_value_ = true;
    if (!keys_.insert(k).second) return fail("key '" + excerpt(k, kQuoted) + "' is given twice");
    return true;
  }
  bool parse_error(std::size_t, const std::string& last, const json::exception& e) override {
    if (e.id == 406) return fail("number " + excerpt(last, kQuoted) + " is out of range");
    std::string what = e.what();
    if (std::size_t end = what.find("] "); what.starts_with("[json.exception.") && end != std::string::npos)
      what.erase(0, end + 2);
    return fail("not valid JSON: " + excerpt(what, 200));
  }

 private:
  bool fail(const std::string& message) {
    error = message;
    if (depth_ >= 1 && in_value_) fact = excerpt(key_, kQuoted);
    return false;
  }
  bool scalar(json v) {
    if (depth_ == 0) value = std::move(v);
    else place(std::move(v));
    if (depth_ == 1) in_value_ = false;
    return true;
  }
  // Adds `v` to the innermost open container; returns where it now is.
  json* place(json v) {
    json& top = *open_.back();
    if (top.is_object()) return &(top[level_keys_[depth_ - 1]] = std::move(v));
    top.push_back(std::move(v));
    return &top.back();
  }
  bool open(json empty) {
    if (depth_ + 1 > kMaxPatientJsonDepth)
      return fail("JSON nested deeper than " + std::to_string(kMaxPatientJsonDepth) +
                  " levels; a patient is one flat object");
    if (depth_ == 0) {
      value = std::move(empty);
      open_.push_back(&value);
    } else {
      open_.push_back(place(std::move(empty)));
    }
    ++depth_;
    level_keys_.resize(depth_);
    return true;
  }
  bool close() {
    open_.pop_back();
    if (--depth_ == 1) in_value_ = false;
    return true;
  }

  int depth_ = 0;          // containers open
  std::string key_;        // the last key of the outermost object
  bool in_value_ = false;  // between that key and the end of its value
  std::set<std::string> keys_;
  std::vector<json*> open_;              // the containers open, outermost first
  std::vector<std::string> level_keys_;  // per open container: its last key (objects)
};

}  // namespace

PatientResult patient_from_text(const Recommender& r, std::string_view text) {
  FlatReader reader;
  if (!json::sax_parse(text, &reader)) {
    PatientResult res;
    res.fact = reader.fact;
    res.error = reader.error.empty() ? "not valid JSON" : reader.error;
    return res;
  }
  return patient_from_json(r, reader.value);
}

namespace {

// The values partial fact `f` may take, read from `v`, or the error about it.
std::optional<std::string> read_partial_fact(const Item& f, const json& v, FactValues& out) {
  const FactType& t = f.fact_type;
  std::vector<std::int64_t> values;
  if (v.is_null()) {
    out = {{t.lo, t.hi}};
    return std::nullopt;
  }
  if (!v.is_object()) {
    std::int64_t x = 0;
    if (std::optional<std::string> error = read_fact(f, v, x)) return error;
    out = {{x, x}};
    return std::nullopt;
  }
  const std::string form = "fact '" + f.name + "': an unknown or narrowed value is null, {\"range\": [lo, hi]} or {\"one_of\": [...]}";
  if (v.size() != 1) return form;
  if (auto range = v.find("range"); range != v.end()) {
    if (t.kind != Type::Int) return "fact '" + f.name + "': a range is for int facts; use {\"one_of\": [...]}";
    if (!range->is_array() || range->size() != 2) return "fact '" + f.name + "': a range is [lo, hi]";
    std::int64_t lo = 0, hi = 0;
    if (std::optional<std::string> error = read_int(f, (*range)[0], lo)) return error;
    if (std::optional<std::string> error = read_int(f, (*range)[1], hi)) return error;
    if (lo > hi) return "fact '" + f.name + "': the range [" + std::to_string(lo) + ", " + std::to_string(hi) + "] is empty";
    out = {{lo, hi}};
    return std::nullopt;
  }
  auto one_of = v.find("one_of");
  if (one_of == v.end()) return form;
  if (!one_of->is_array()) return "fact '" + f.name + "': one_of is a list of values";
  if (one_of->empty()) return "fact '" + f.name + "': one_of is empty; a fact has at least one value";
  for (const json& e : *one_of) {
    std::int64_t x = 0;
    if (std::optional<std::string> error = read_fact(f, e, x)) return error;
    values.push_back(x);
  }
  std::sort(values.begin(), values.end());
  out.clear();
  for (std::int64_t x : values)
    if (!out.empty() && x <= out.back().second + 1) out.back().second = std::max(out.back().second, x);
    else out.push_back({x, x});
  return std::nullopt;
}

}  // namespace

std::optional<Patient> PartialPatient::complete() const {
  Patient p;
  for (std::size_t i = 0; i < facts.size(); ++i) {
    if (!known(i)) return std::nullopt;
    p.push_back(facts[i][0].first);
  }
  return p;
}

bool PartialPatient::admits(const Patient& p) const {
  for (std::size_t i = 0; i < facts.size(); ++i)
    if (std::none_of(facts[i].begin(), facts[i].end(), [&](const auto& iv) { return p[i] >= iv.first && p[i] <= iv.second; }))
      return false;
  return true;
}

std::vector<FactBounds> PartialPatient::bounds() const {
  std::vector<FactBounds> out;
  for (const FactValues& v : facts) {
    FactBounds b{v.front().first, v.back().second, 0};
    if (b.lo >= 0 && b.hi < 64)
      for (const auto& [lo, hi] : v)
        for (std::int64_t x = lo; x <= hi; ++x) b.values |= std::uint64_t{1} << x;
    out.push_back(b);
  }
  return out;
}

PartialPatientResult partial_patient_from_json(const Recommender& r, const nlohmann::json& j, bool omitted_unknown) {
  const Guideline& g = r.guideline();
  PartialPatientResult res;
  auto fail = [&](const std::string& fact, const std::string& msg) {
    res.fact = fact;
    res.error = msg;
    return res;
  };
  if (!j.is_object()) return fail("", "a patient must be a JSON object mapping fact names to values");
  if (auto unknown = unknown_fact(g, j)) return fail(unknown->first, unknown->second);
  PartialPatient p;
  p.facts.resize(g.facts.size());
  for (std::size_t i = 0; i < g.facts.size(); ++i) {
    const Item& f = g.facts[i];
    auto it = j.find(f.name);
    if (it == j.end()) {
      if (!omitted_unknown)
        return fail(f.name, "missing fact '" + f.name + "' (" + f.description + ")");
      p.facts[i] = {{f.fact_type.lo, f.fact_type.hi}};
      continue;
    }
    if (std::optional<std::string> error = read_partial_fact(f, *it, p.facts[i])) return fail(f.name, *error);
  }
  if (std::optional<Patient> whole = p.complete()) {
    if (int c = r.broken_constraint(*whole); c >= 0) {
      const Item& con = g.constraints[c];
      return fail("", "patient breaks domain constraint " + con.name + " (" + con.description + ")");
    }
  }
  res.patient = std::move(p);
  return res;
}

PartialPatientResult partial_patient_from_text(const Recommender& r, std::string_view text, bool omitted_unknown) {
  FlatReader reader;
  if (!json::sax_parse(text, &reader)) {
    PartialPatientResult res;
    res.fact = reader.fact;
    res.error = reader.error.empty() ? "not valid JSON" : reader.error;
    return res;
  }
  return partial_patient_from_json(r, reader.value, omitted_unknown);
}

nlohmann::json partial_patient_to_json(const Guideline& g, const PartialPatient& p) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < g.facts.size(); ++i) {
    const FactType& t = g.facts[i].fact_type;
    auto value = [&](std::int64_t x) -> nlohmann::json {
      if (t.kind == Type::Bool) return x != 0;
      if (t.kind == Type::Int) return x;
      return t.values[x];
    };
    const FactValues& v = p.facts[i];
    if (p.known(i)) {
      j[g.facts[i].name] = value(v[0].first);
    } else if (v.size() == 1 && v[0].first == t.lo && v[0].second == t.hi) {
      j[g.facts[i].name] = nullptr;
    } else if (t.kind == Type::Int && v.size() == 1) {
      j[g.facts[i].name] = {{"range", {v[0].first, v[0].second}}};
    } else {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [lo, hi] : v)
        for (std::int64_t x = lo; x <= hi; ++x) list.push_back(value(x));
      j[g.facts[i].name] = {{"one_of", list}};
    }
  }
  return j;
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

std::string describe_patient(const Guideline& g, const Patient& p, bool compact, const std::vector<int>* only) {
  std::string out;
  std::vector<int> all;
  if (!only) {
    for (std::size_t i = 0; i < g.facts.size(); ++i) all.push_back(static_cast<int>(i));
    only = &all;
  }
  for (int fact : *only) {
    const std::size_t i = static_cast<std::size_t>(fact);
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
