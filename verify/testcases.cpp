#include "verify/testcases.h"

#include "advice/advice.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

namespace verify {
namespace {

using nlohmann::json;

// Where a member of a JSON object starts: line and column (bytes), from 1.
struct Place {
  int line = 1, column = 1;
};

// Places of the members of a JSON text's top-level object and of the
// objects directly inside it (nlohmann::json keeps no positions). Only
// meaningful for text that parses.
struct MemberPlaces {
  std::map<std::string, Place> top;                           // member -> place
  std::map<std::string, std::map<std::string, Place>> inner;  // member -> its object's members -> place

  Place of(const std::string& member) const {
    auto it = top.find(member);
    return it == top.end() ? Place{} : it->second;
  }
  Place of(const std::string& member, const std::string& key) const {
    auto m = inner.find(member);
    if (m == inner.end()) return of(member);
    auto it = m->second.find(key);
    return it == m->second.end() ? of(member) : it->second;
  }
};

MemberPlaces member_places(const std::string& text) {
  MemberPlaces out;
  int line = 1, depth = 0;
  std::size_t line_start = 0;
  Place string_place;
  std::string last, current;  // the last string read; the top-level member being read
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
    } else if (c == '"') {
      last.clear();
      string_place = {line, static_cast<int>(i - line_start) + 1};
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
        else last += text[i];
      }
    } else if (c == ':') {
      if (depth == 1) out.top[current = last] = string_place;
      else if (depth == 2) out.inner[current][last] = string_place;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return out;
}

std::string read_text(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  std::ostringstream s;
  if (ok) s << in.rdbuf();
  return s.str();
}

// "line:column: what" of a JSON parse error, without nlohmann's prefix.
std::string parse_problem(const std::string& text, const json::parse_error& e) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, column = 1;
    else ++column;
  }
  std::string what = e.what();
  std::size_t p = what.find("parse error");
  p = p == std::string::npos ? std::string::npos : what.find(": ", p);
  return std::to_string(line) + ":" + std::to_string(column) +
         ": not valid JSON: " + (p == std::string::npos ? what : what.substr(p + 2));
}

std::vector<std::string> action_names(const kb::Guideline& g) {
  std::vector<std::string> out;
  for (const kb::Item& a : g.actions) out.push_back(a.name);
  return out;
}

std::string did_you_mean(const std::string& name, const std::vector<std::string>& candidates) {
  std::string near = kb::closest_name(name, candidates);
  return near.empty() ? "" : "; did you mean '" + near + "'?";
}

// The strength bits one "expect" value spells, or nullopt.
std::optional<std::uint8_t> advice_bits(const json& v) {
  auto one = [](const json& w) -> std::optional<std::uint8_t> {
    if (!w.is_string()) return std::nullopt;
    for (kb::Strength s : kb::kStrengths)
      if (w.get<std::string>() == kb::strength_name(s)) return kb::strength_bit(s);
    return std::nullopt;
  };
  if (v.is_string() && v.get<std::string>() == "absent") return 0;
  if (v.is_string() && v.get<std::string>() == "depends") return kDependsAdvice;
  if (!v.is_array()) return one(v);
  std::uint8_t bits = 0;
  for (const json& w : v) {
    auto b = one(w);
    if (!b || (bits & *b)) return std::nullopt;
    bits |= *b;
  }
  if (bits == 0) return std::nullopt;
  return bits;
}

// Reads one test file's members into `c`; appends problems to `errors`.
class CaseReader {
 public:
  CaseReader(const std::string& file, const kb::Recommender& r, std::vector<std::string>& errors)
      : file_(kb::display_path(file)), r_(r), errors_(errors) {}

  std::optional<TestCase> read(const std::string& path) {
    bool readable = false;
    std::string text = read_text(path, readable);
    if (!readable) return fail(std::nullopt, "cannot read file");
    json j;
    try {
      j = json::parse(text);
    } catch (const json::parse_error& e) {
      errors_.push_back(file_ + ":" + parse_problem(text, e));
      return std::nullopt;
    }
    places_ = member_places(text);
    if (!j.is_object()) return fail(Place{}, "a test file holds one JSON object with name, sentence, patient and expect");
    std::size_t before = errors_.size();
    TestCase c;
    c.loc = {std::make_shared<const std::string>(file_), places_.of("name").line, places_.of("name").column};
    members(j);
    c.name = text_member(j, "name");
    c.sentence = text_member(j, "sentence");
    patient(j, c);
    expect(j, c);
    if (errors_.size() != before) return std::nullopt;
    return c;
  }

 private:
  std::nullopt_t fail(std::optional<Place> at, const std::string& what) {
    std::string where = at ? ":" + std::to_string(at->line) + ":" + std::to_string(at->column) : "";
    errors_.push_back(file_ + where + ": " + what);
    return std::nullopt;
  }

  void members(const json& j) {
    static const std::vector<std::string> known = {"name", "sentence", "patient", "expect"};
    for (auto it = j.begin(); it != j.end(); ++it)
      if (std::find(known.begin(), known.end(), it.key()) == known.end())
        fail(places_.of(it.key()), "unknown member '" + it.key() + "'" + did_you_mean(it.key(), known));
    for (const std::string& k : known)
      if (!j.contains(k)) fail(Place{}, "missing member '" + k + "'");
  }

  std::string text_member(const json& j, const std::string& key) {
    if (!j.contains(key)) return "";
    const json& v = j[key];
    if (!v.is_string() || v.get<std::string>().empty())
      fail(places_.of(key), "'" + key + "' must be a non-empty string, got " + v.dump());
    return v.is_string() ? v.get<std::string>() : "";
  }

  void patient(const json& j, TestCase& c) {
    if (!j.contains("patient")) return;
    kb::PartialPatientResult p = kb::partial_patient_from_json(r_, j["patient"], false);
    if (p.patient) {
      if (std::optional<kb::Patient> whole = p.patient->complete()) c.patient = std::move(*whole);
      else c.partial = std::move(p.patient);
    } else if (p.fact.empty()) fail(places_.of("patient"), p.error);
    else fail(places_.of("patient", p.fact), "fact '" + p.fact + "': " + p.error);
  }

  void expect(const json& j, TestCase& c) {
    if (!j.contains("expect")) return;
    const kb::Guideline& g = r_.guideline();
    c.expect.assign(g.actions.size(), 0);
    c.expect_at.assign(g.actions.size(), {places_.of("expect").line, places_.of("expect").column});
    const json& e = j["expect"];
    if (!e.is_object()) {
      fail(places_.of("expect"), "'expect' must map action names to their advice, got " + e.dump());
      return;
    }
    for (auto it = e.begin(); it != e.end(); ++it) {
      Place at = places_.of("expect", it.key());
      int a = g.action_index(it.key());
      if (a < 0) {
        fail(at, "action '" + it.key() + "': unknown action" + did_you_mean(it.key(), action_names(g)));
        continue;
      }
      auto bits = advice_bits(it.value());
      if (!bits)
        fail(at, "action '" + it.key() + "': the advice must be \"recommend\", \"consider\", \"avoid\", \"absent\", "
                   "\"depends\" or a list of different strengths, got " + it.value().dump());
      else
        c.expect[a] = *bits, c.expect_at[a] = {at.line, at.column};
    }
  }

  std::string file_;
  const kb::Recommender& r_;
  std::vector<std::string>& errors_;
  MemberPlaces places_;
};

}  // namespace

std::vector<std::string> expand_test_paths(const std::vector<std::string>& paths, std::vector<std::string>& errors) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(path, ec))
        if (e.path().extension() == ".json" && !fs::is_directory(e.path(), ec)) files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      if (files.empty()) errors.push_back(path + ": no .json test files in this folder");
      out.insert(out.end(), files.begin(), files.end());
    } else if (!fs::exists(path, ec)) {
      errors.push_back(path + ": no such file or folder");
    } else {
      out.push_back(path);
    }
  }
  return out;
}

LoadedTests load_tests(const std::vector<std::string>& paths, const kb::Recommender& r) {
  LoadedTests out;
  std::map<std::string, std::string> seen;  // name -> file:line
  for (const std::string& file : expand_test_paths(paths, out.errors)) {
    auto c = CaseReader(file, r, out.errors).read(file);
    if (!c) continue;
    auto [pos, fresh] = seen.emplace(c->name, c->loc.str());
    if (!fresh) {
      out.errors.push_back(c->loc.str() + ": test name '" + c->name + "' is already used at " + pos->second);
      continue;
    }
    out.cases.push_back(std::move(*c));
  }
  return out;
}

std::string advice_word(std::uint8_t bits) {
  if (bits == kDependsAdvice) return "depends";
  std::string out;
  for (kb::Strength s : kb::kStrengths)
    if (bits & kb::strength_bit(s)) out += (out.empty() ? "" : "+") + std::string(kb::strength_name(s));
  return out.empty() ? "absent" : out;
}

std::vector<std::string> advice_diff(const Obligation& o, const kb::Guideline& g) {
  std::vector<std::string> out;
  for (std::size_t a = 0; a < o.expected.size() && a < o.actual.size(); ++a)
    if (o.expected[a] != o.actual[a])
      out.push_back(g.actions[a].name + ": expected " + advice_word(o.expected[a]) + ", got " + advice_word(o.actual[a]));
  return out;
}

Obligation run_test(const kb::Recommender& r, const TestCase& c) {
  const kb::Guideline& g = r.guideline();
  auto start = std::chrono::steady_clock::now();
  Obligation o;
  o.kind = Kind::Test;
  o.id = std::string(id_prefix(Kind::Test)) + ":" + c.name;
  o.description = c.sentence;
  o.location = c.loc;
  kb::Outcome out;
  if (c.partial) {  // per action: the strengths every valid completion gets, or "depends"
    try {
      advice::Advice a = advice::Advisor(r).advise(*c.partial);
      out.actions.assign(g.actions.size(), 0);
      out.fired.assign(g.rules.size(), 0);
      for (std::size_t k = 0; k < a.rules.size(); ++k) out.fired[k] = a.rules[k].truth == advice::Truth::Holds;
      for (std::size_t x = 0; x < g.actions.size(); ++x)
        for (int k = 0; k < 3; ++k) {
          const advice::Answer& s = a.strengths[3 * x + k];
          if (s.truth == advice::Truth::Depends) out.actions[x] = kDependsAdvice;
          else if (s.truth == advice::Truth::Holds && out.actions[x] != kDependsAdvice) out.actions[x] |= s.goal.strength;
        }
      // A failed case's patient: a valid completion whose advice differs from
      // the expected, when a "depends" answer has one; else any completion.
      o.witness = a.completion;
      bool shown = false;
      for (std::size_t x = 0; x < g.actions.size() && !shown; ++x) {
        if (c.expect[x] == out.actions[x] || out.actions[x] != kDependsAdvice) continue;
        for (int k = 0; k < 3 && !shown; ++k) {
          const advice::Answer& s = a.strengths[3 * x + k];
          if (s.truth != advice::Truth::Depends) continue;
          o.witness = (c.expect[x] & s.goal.strength) ? *s.when_false : *s.when_true;
          shown = true;
        }
      }
    } catch (const advice::Error& e) {
      o.status = Status::Unknown;
      o.message = e.what();
      return o;
    }
  } else {
    r.evaluate(c.patient, out);
    o.witness = c.patient;
  }
  if (c.partial && c.expect == out.actions) o.witness.reset();  // a passed case with unknown facts has no one patient
  o.millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  o.expected = c.expect;
  o.actual = out.actions;
  std::vector<kb::ItemRef> roots;
  std::set<int> refs;
  for (int k = 0; k < static_cast<int>(g.rules.size()); ++k)
    if (out.fired[k]) {
      o.fired.push_back(k);
      roots.push_back({kb::ItemKind::Rule, k});
      refs.insert(g.rules[k].cites.begin(), g.rules[k].cites.end());
    }
  o.rests_on = kb::dependency_closure(g, roots);
  o.evidence.assign(refs.begin(), refs.end());
  std::vector<std::string> diff = advice_diff(o, g);
  o.status = diff.empty() ? Status::Passed : Status::Failed;
  for (std::size_t a = 0; a < c.expect.size(); ++a)
    if (c.expect[a] != out.actions[a]) {  // point at the first differing expectation
      o.location->line = c.expect_at[a].first;
      o.location->column = c.expect_at[a].second;
      break;
    }
  o.message = "gives the expected advice";
  if (!diff.empty()) {
    o.message.clear();
    for (const std::string& d : diff) o.message += (o.message.empty() ? "" : "; ") + d;
  }
  return o;
}

Report run_tests(const kb::Recommender& r, const std::vector<TestCase>& cases) {
  auto start = std::chrono::steady_clock::now();
  Report out;
  for (const TestCase& c : cases) out.obligations.push_back(run_test(r, c));
  out.total_millis = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::vector<int> unfired_rules(const Report& r, const kb::Guideline& g) {
  std::vector<bool> fired(g.rules.size(), false);
  for (const Obligation& o : r.obligations)
    if (o.kind == Kind::Test)
      for (int k : o.fired) fired[k] = true;
  std::vector<int> out;
  for (std::size_t k = 0; k < fired.size(); ++k)
    if (!fired[k]) out.push_back(static_cast<int>(k));
  return out;
}

}  // namespace verify
