#include "report/report.h"

#include <map>
#include <sstream>

#include <algorithm>
#include <array>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "kb/lang/utf8.h"
#include "verify/testcases.h"

namespace verify {
namespace {

std::string millis_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  return buf;
}

std::string seconds_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6f", ms / 1000.0);
  return buf;
}

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::vector<std::string> fired_ids(const Obligation& o, const kb::Guideline& g) {
  std::vector<std::string> out;
  for (int r : o.fired) out.push_back(g.versioned_id(g.rules[r]));
  return out;
}

const char* code_of(const Obligation& o) {
  if (o.status == Status::Unknown) return "unknown";
  if (o.status == Status::Disagreement) return "translator-disagreement";
  if (o.kind == Kind::Property) return o.status == Status::Violated ? "violated-property" : "property";
  if (o.kind == Kind::Test) return o.status == Status::Failed ? "failed-test" : "test";
  return kind_name(o.kind);
}

std::string fact_value(const kb::Guideline& g, const kb::Patient& p, std::size_t i) {
  const kb::FactType& t = g.facts[i].fact_type;
  if (t.kind == kb::Type::Bool) return p[i] ? "true" : "false";
  if (t.kind == kb::Type::Int) return std::to_string(p[i]);
  return t.values[static_cast<std::size_t>(p[i])];
}

// Every fact of `p` as "name=value", the facts `first` names first (each
// group in declaration order), and how many `first` names.
std::pair<std::vector<std::string>, std::size_t> ordered_facts(const kb::Guideline& g, const kb::Patient& p,
                                                               const std::vector<kb::ItemRef>& first) {
  std::vector<bool> read(g.facts.size(), false);
  for (kb::ItemRef r : first)
    if (r.kind == kb::ItemKind::Fact) read[static_cast<std::size_t>(r.index)] = true;
  std::vector<std::string> mine, others;
  for (std::size_t i = 0; i < g.facts.size() && i < p.size(); ++i)
    (read[i] ? mine : others).push_back(g.facts[i].name + "=" + fact_value(g, p, i));
  std::size_t n = mine.size();
  mine.insert(mine.end(), others.begin(), others.end());
  return {mine, n};
}

// A failed test's differing actions as an aligned table.
std::string advice_table(const Obligation& o, const kb::Guideline& g, const std::string& indent) {
  std::vector<std::array<std::string, 3>> rows{{"action", "expected", "actual"}};
  for (std::size_t a = 0; a < o.expected.size() && a < o.actual.size(); ++a)
    if (o.expected[a] != o.actual[a])
      rows.push_back({g.actions[a].name, advice_word(o.expected[a]), advice_word(o.actual[a])});
  std::size_t w0 = 0, w1 = 0;
  for (const auto& r : rows) w0 = std::max(w0, r[0].size()), w1 = std::max(w1, r[1].size());
  std::string out;
  for (const auto& r : rows)
    out += indent + r[0] + std::string(w0 + 2 - r[0].size(), ' ') + r[1] + std::string(w1 + 2 - r[1].size(), ' ') +
           r[2] + "\n";
  return out;
}

}  // namespace

bool needs_attention(Status s) {
  return s != Status::Proved && s != Status::NoConflict && s != Status::Ok && s != Status::Passed && s != Status::Waived;
}

bool needs_attention(const Obligation& o) {
  if (o.reading) return o.status == Status::Unknown || o.status == Status::Disagreement;
  return needs_attention(o.status);
}

std::string fact_ranges_text(const kb::Guideline& g, const std::vector<solver::FactRange>& ranges) {
  std::string out;
  for (const auto& r : ranges) {
    int f = g.fact_index(r.fact);
    std::string part;
    if (f >= 0 && g.facts[f].fact_type.kind == kb::Type::Bool) part = r.lo ? r.fact : "not " + r.fact;
    else if (f >= 0 && g.facts[f].fact_type.kind == kb::Type::Enum && r.lo == r.hi)
      part = r.fact + "=" + g.facts[f].fact_type.values[static_cast<std::size_t>(r.lo)];
    else if (r.lo == r.hi) part = r.fact + "=" + std::to_string(r.lo);
    else part = r.fact + " in " + std::to_string(r.lo) + ".." + std::to_string(r.hi);
    out += (out.empty() ? "" : ", ") + part;
  }
  return out.empty() ? "no fact narrower than its range" : out;
}

nlohmann::json fact_ranges_json(const kb::Guideline& g, const std::vector<solver::FactRange>& ranges) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : ranges) {
    int f = g.fact_index(r.fact);
    if (f < 0) continue;
    const kb::FactType& t = g.facts[f].fact_type;
    if (r.lo != r.hi) out.push_back({{"fact", r.fact}, {"range", {r.lo, r.hi}}});
    else if (t.kind == kb::Type::Bool) out.push_back({{"fact", r.fact}, {"value", r.lo != 0}});
    else if (t.kind == kb::Type::Enum) out.push_back({{"fact", r.fact}, {"value", t.values[static_cast<std::size_t>(r.lo)]}});
    else out.push_back({{"fact", r.fact}, {"value", r.lo}});
  }
  return out;
}

std::string deciding_text(const kb::Guideline& g, const std::vector<solver::FactRange>& deciding) {
  return deciding.empty() ? "every valid patient" : "every valid patient with " + fact_ranges_text(g, deciding);
}

std::string reading_text(const kb::Guideline& g, const Reading& r) {
  const kb::Item& q = g.questions.at(static_cast<std::size_t>(r.question));
  return q.name + "=" + q.fact_type.values.at(static_cast<std::size_t>(r.alternative));
}

std::string witness_params_text(const Obligation& o, const kb::Guideline& g) {
  std::string out;
  for (std::size_t i = 0; i < o.witness_params.size() && i < g.params.size(); ++i)
    if (o.witness_params[i] != g.params[i].param_value)
      out += (out.empty() ? "" : ", ") + g.params[i].name + " = " + std::to_string(o.witness_params[i]) +
             " (the release sets " + std::to_string(g.params[i].param_value) + ")";
  return out;
}

std::string plural(std::size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::string colored(const std::string& word, Status status, bool color) {
  if (!color) return word;
  const char* code = "32";  // green: holds
  if (status == Status::Warning || status == Status::Unknown) code = "33";
  else if (needs_attention(status)) code = "31";
  return std::string("\033[") + code + "m" + word + "\033[0m";
}

std::string patient_text(const kb::Guideline& g, const kb::Patient& p, const std::vector<kb::ItemRef>& first) {
  auto [facts, read] = ordered_facts(g, p, first);
  std::vector<std::string> mine(facts.begin(), facts.begin() + static_cast<long>(read)),
      others(facts.begin() + static_cast<long>(read), facts.end());
  if (mine.empty() || others.empty()) return join(facts);
  return join(mine) + "; other facts: " + join(others);
}

std::string markup_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string rests_on_text(const kb::Guideline& g, kb::ItemRef r) {
  const kb::Item& it = g.item(r);
  std::string out = std::string(kb::item_kind_name(r.kind)) + " " + g.versioned_id(it);
  if (r.kind == kb::ItemKind::Param)
    out += " = " + std::to_string(it.param_value) + " (allowed " + std::to_string(it.param_lo) + ".." +
           std::to_string(it.param_hi) + ")";
  if (r.kind == kb::ItemKind::Question) out += " = " + it.chosen;
  return out;
}

nlohmann::json rests_on_json(const kb::Guideline& g, kb::ItemRef r) {
  const kb::Item& it = g.item(r);
  int v = g.version(r);
  nlohmann::json j = {{"kind", kb::item_kind_name(r.kind)}, {"name", it.name}};
  j["version"] = v ? nlohmann::json(v) : nlohmann::json("draft");
  if (r.kind == kb::ItemKind::Param) {
    j["value"] = it.param_value;
    j["allowed"] = {it.param_lo, it.param_hi};
  }
  if (r.kind == kb::ItemKind::Question) j["chosen"] = it.chosen;
  return j;
}

nlohmann::json location_json(const kb::Loc& loc) {
  return {{"file", loc.file ? *loc.file : std::string("<input>")},
          {"line", loc.line},
          {"column", loc.column},
          {"end_line", loc.end_line ? loc.end_line : loc.line},
          {"end_column", loc.end_line ? loc.end_column : loc.column}};
}

kb::Diagnostic finding(const Obligation& o, const kb::Guideline& g) {
  kb::Diagnostic d;
  d.code = code_of(o);
  d.loc = location_of(o, g);
  d.message = o.id + ": " + o.message;
  switch (o.status) {
    case Status::Violated: case Status::Conflict: case Status::Failed: case Status::Unknown: case Status::Disagreement:
      d.severity = kb::Severity::Error;
      break;
    case Status::Warning: case Status::Waived: d.severity = kb::Severity::Warning; break;
    default: d.severity = kb::Severity::Note;
  }
  for (int r : o.fired) d.related.push_back({g.rules[r].span, "rule " + g.versioned_id(g.rules[r]) + " fires for the patient"});
  if (o.kind == Kind::RestatesRule && o.status == Status::Warning)
    for (kb::ItemRef ref : o.rests_on)
      if (ref.kind == kb::ItemKind::Rule)
        d.related.push_back({g.item(ref).span, "rule " + g.versioned_id(ref) + " is the rule the property restates"});
  return d;
}

std::string summary_line(const Report& r) {
  std::size_t tests = r.count(Status::Passed) + r.count(Status::Failed);
  std::string out = std::to_string(r.count(Status::Proved)) + " proved, " + std::to_string(r.count(Status::Violated)) +
                    " violated, " + plural(r.count(Status::Conflict), "conflict") + ", " +
                    std::to_string(r.count(Status::Unknown)) + " unknown, " +
                    plural(r.count(Status::Disagreement), "disagreement") + ", " +
                    plural(r.count(Status::Warning), "warning");
  if (r.count(Status::Waived)) out += ", " + std::to_string(r.count(Status::Waived)) + " waived";
  std::size_t other = r.count_other_readings(Status::Violated) + r.count_other_readings(Status::Conflict);
  if (other || r.count_other_readings(Status::Proved))
    out += "; under other readings " + std::to_string(other) + " failing";
  if (tests)
    out += "; " + plural(tests, "test") + ": " + std::to_string(r.count(Status::Passed)) + " passed, " +
           std::to_string(r.count(Status::Failed)) + " failed";
  const auto reused = std::count_if(r.obligations.begin(), r.obligations.end(), [](const Obligation& o) { return o.cached_from.has_value(); });
  return out + " (" + plural(r.obligations.size(), "obligation") + (reused ? ", " + std::to_string(reused) + " reused" : "") +
         ", " + millis_text(r.total_millis) + ")";
}

std::string obligation_text(const Obligation& o, const kb::Guideline& g, const TextOptions& t) {
  bool attention = needs_attention(o) || (o.reading && needs_attention(o.status));
  std::string where = attention ? location_of(o, g).str() + ": " : "";
  std::string out = where + colored(status_name(o.status), o.status, t.color) + "  " + o.id;
  if (o.status == Status::Failed) out += "\n      exercises \"" + o.description + "\"\n" + advice_table(o, g, "      ");
  else out += "  " + o.message + "\n";
  if (o.status == Status::Proved) {
    std::vector<std::string> items;
    for (kb::ItemRef ref : o.rests_on)
      if (ref.kind != kb::ItemKind::Fact && ref != o.subject) items.push_back(rests_on_text(g, ref));
    if (!items.empty()) out += "      rests on: " + join(items) + "\n";
  }
  if (o.witness && attention) {
    if (o.deciding)
      out += "      fails for " + deciding_text(g, *o.deciding) + "\n";
    out += "      patient: " + patient_text(g, *o.witness, o.rests_on) + "\n";
    if (std::string params = witness_params_text(o, g); !params.empty()) out += "      with " + params + "\n";
    std::vector<std::string> fired = fired_ids(o, g);
    out += "      rules fired: " + (fired.empty() ? std::string("none") : join(fired)) + "\n";
    for (int rule : o.fired) out += "        " + g.rules[rule].span.str() + ": " + g.versioned_id(g.rules[rule]) + "\n";
  }
  if (o.status == Status::Disagreement)
    out += "      solver: " + o.solver_says + "\n      recommender: " + o.recommender_says + "\n";
  return out;
}

std::string to_text(const Report& r, const kb::Guideline& g, const Subject& s, const TextOptions& t) {
  std::string out = s.tool + " " + s.tool_version + " (Z3 " + r.z3_version + ") on " + s.name + " [release hash " +
                    s.release_hash.substr(0, 12) + "]\n";
  for (const Obligation& o : r.obligations) {
    if (o.reading) continue;
    bool listed = o.kind == Kind::Property || o.kind == Kind::Test || o.status == Status::Waived;
    if (needs_attention(o.status) || (listed && !t.failures_only)) out += obligation_text(o, g, t);
  }
  return out + other_readings_text(r, g, t) + summary_line(r) + "\n";
}

std::string other_readings_text(const Report& r, const kb::Guideline& g, const TextOptions& t) {
  std::map<Reading, std::vector<const Obligation*>> by_reading;
  for (const Obligation& o : r.obligations)
    if (o.reading) by_reading[*o.reading].push_back(&o);
  if (by_reading.empty()) return "";
  std::string out = "under other readings (reported, not part of the exit code):\n", holds;
  for (const auto& [reading, obligations] : by_reading) {
    std::string failing;
    for (const Obligation* o : obligations)
      if (needs_attention(o->status)) failing += obligation_text(*o, g, t);
    if (failing.empty()) holds += (holds.empty() ? "" : ", ") + reading_text(g, reading);
    else out += "  " + reading_text(g, reading) + ":\n" + failing;
  }
  if (!holds.empty()) out += "  every property holds and no conflict under " + holds + "\n";
  return out;
}

nlohmann::json subject_json(const Obligation& o, const kb::Guideline& g) {
  if (has_subject(o)) return rests_on_json(g, o.subject);
  return {{"kind", kind_name(o.kind)}, {"name", o.id.substr(o.id.find(':') + 1)}};
}

namespace {

// A test's expected and actual advice as {"action": ["recommend", ...]}, for the actions either side gives.
void add_advice(nlohmann::json& j, const Obligation& o, const kb::Guideline& g) {
  nlohmann::json expected = nlohmann::json::object(), actual = nlohmann::json::object();
  for (std::size_t a = 0; a < o.expected.size() && a < o.actual.size(); ++a) {
    if (!o.expected[a] && !o.actual[a]) continue;
    expected[g.actions[a].name] = advice_word(o.expected[a]);
    actual[g.actions[a].name] = advice_word(o.actual[a]);
  }
  j["expected"] = expected;
  j["actual"] = actual;
}

}  // namespace

nlohmann::json to_json(const Report& r, const kb::Guideline& g, const Subject& s) {
  nlohmann::json obligations = nlohmann::json::array();
  for (const Obligation& o : r.obligations) {
    nlohmann::json rests_on = nlohmann::json::array();
    for (kb::ItemRef ref : o.rests_on) {
      rests_on.push_back(rests_on_json(g, ref));
      if (o.reading && ref == kb::ItemRef{kb::ItemKind::Question, o.reading->question})
        rests_on.back()["chosen"] = g.questions[static_cast<std::size_t>(o.reading->question)]
                                        .fact_type.values[static_cast<std::size_t>(o.reading->alternative)];
    }
    kb::Diagnostic d = finding(o, g);
    nlohmann::json related = nlohmann::json::array();
    for (const kb::Related& rel : d.related)
      related.push_back({{"location", location_json(rel.loc)}, {"message", rel.message}});
    nlohmann::json j = {{"id", o.id},
                        {"kind", kind_name(o.kind)},
                        {"subject", subject_json(o, g)},
                        {"description", o.description},
                        {"status", status_name(o.status)},
                        {"code", d.code},
                        {"severity", kb::severity_name(d.severity)},
                        {"message", o.message},
                        {"location", location_json(d.loc)},
                        {"related", related},
                        {"millis", o.millis},
                        {"rests_on", rests_on},
                        {"evidence", o.evidence},
                        {"fired", fired_ids(o, g)}};
    j["counterexample"] = o.witness ? kb::patient_to_json(g, *o.witness) : nlohmann::json(nullptr);
    if (o.cached_from) j["cached_from"] = *o.cached_from;
    if (o.deciding) j["deciding_facts"] = fact_ranges_json(g, *o.deciding);
    if (o.witness && !g.params.empty()) {
      nlohmann::json params = nlohmann::json::object();
      for (std::size_t i = 0; i < o.witness_params.size() && i < g.params.size(); ++i)
        params[g.params[i].name] = o.witness_params[i];
      j["parameters"] = params;
    }
    if (!o.failing_values.empty()) {
      nlohmann::json failing = nlohmann::json::object();
      for (const ParamFailure& f : o.failing_values) {
        nlohmann::json intervals = nlohmann::json::array();
        for (auto [lo, hi] : f.values.intervals) intervals.push_back({lo, hi});
        failing[g.params[static_cast<std::size_t>(f.param)].name] = {
            {"intervals", intervals}, {"exact", f.values.exact}, {"unknown", f.values.unknown}};
      }
      j["failing_values"] = failing;
    }
    if (o.reading)
      j["reading"] = {{"question", g.questions[static_cast<std::size_t>(o.reading->question)].name},
                      {"alternative", g.questions[static_cast<std::size_t>(o.reading->question)]
                                          .fact_type.values[static_cast<std::size_t>(o.reading->alternative)]}};
    if (o.status == Status::Disagreement) j["disagreement"] = {{"solver", o.solver_says}, {"recommender", o.recommender_says}};
    if (o.waived_by) j["waived_by"] = rests_on_json(g, *o.waived_by);
    if (o.kind == Kind::Test) add_advice(j, o, g);
    obligations.push_back(std::move(j));
  }
  nlohmann::json summary;
  for (Status st : kStatuses) summary[status_name(st)] = r.count(st);
  nlohmann::json other = nlohmann::json::object();
  for (Status st : kStatuses)
    if (r.count_other_readings(st)) other[status_name(st)] = r.count_other_readings(st);
  summary["other_readings"] = other;
  return {{"schema", "kb-verify-report/3"},
          {"subject", {{"name", s.name}, {"release_hash", s.release_hash}}},
          {"tool_version", s.tool_version},
          {"z3_version", r.z3_version},
          {"total_millis", r.total_millis},
          {"summary", summary},
          {"obligations", obligations}};
}

namespace {

// The text of a JUnit <failure>: where, what, the patient and the fired rules.
std::string failure_text(const Obligation& o, const kb::Guideline& g) {
  std::string out = location_of(o, g).str() + ": " + o.id + ": " + o.description + "\n" + o.message + "\n";
  if (o.kind == Kind::Test) out += "advice:\n" + advice_table(o, g, "  ");
  if (o.witness) {
    if (o.deciding) out += "fails for " + deciding_text(g, *o.deciding) + "\n";
    auto [facts, read] = ordered_facts(g, *o.witness, o.rests_on);
    out += "patient (" + plural(read, "fact") + " the verdict reads, then the others):\n";
    for (const std::string& f : facts) out += "  " + f + "\n";
    if (std::string params = witness_params_text(o, g); !params.empty()) out += "with " + params + "\n";
    out += "rules fired:" + std::string(o.fired.empty() ? " none" : "") + "\n";
    for (int rule : o.fired) out += "  " + g.versioned_id(g.rules[rule]) + " at " + g.rules[rule].span.str() + "\n";
  }
  if (o.status == Status::Disagreement) out += "solver: " + o.solver_says + "\nrecommender: " + o.recommender_says + "\n";
  return out;
}

std::string tool_label(const Subject& s) { return s.tool + (s.command.empty() ? "" : " " + s.command); }

}  // namespace

std::string xml_text(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = kb::utf8_char_length(s, i);
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (n == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')) {
      out += '?';
      i += n ? n : 1;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

std::string to_junit(const Report& r, const kb::Guideline& g, const Subject& s, bool deny_warnings,
                     const std::function<void(pugi::xml_node&)>& extra) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node suites = doc.append_child("testsuites");
  pugi::xml_node suite = suites.append_child("testsuite");
  auto text = [](pugi::xml_node n, const std::string& t) { n.text().set(xml_text(t).c_str()); };
  auto attr = [](pugi::xml_node n, const char* name, const std::string& v) {
    n.append_attribute(name) = xml_text(v).c_str();
  };
  attr(suite, "name", tool_label(s) + " " + s.name);
  attr(suite, "tests", std::to_string(r.obligations.size()));
  pugi::xml_attribute failures_attr = suite.append_attribute("failures");
  attr(suite, "errors", "0");
  pugi::xml_attribute skipped_attr = suite.append_attribute("skipped");
  attr(suite, "time", seconds_text(r.total_millis));
  std::size_t failures = 0, skipped = 0;
  for (const Obligation& o : r.obligations) {
    bool fail = (needs_attention(o) && o.status != Status::Warning) || (deny_warnings && o.status == Status::Warning);
    kb::Loc loc = location_of(o, g);
    pugi::xml_node c = suite.append_child("testcase");
    attr(c, "classname", s.tool + "." + kind_name(o.kind));
    attr(c, "name", o.id);
    attr(c, "time", seconds_text(o.millis));
    attr(c, "file", loc.file ? *loc.file : "<input>");
    attr(c, "line", std::to_string(loc.line));
    if (fail) {
      ++failures;
      pugi::xml_node f = c.append_child("failure");
      attr(f, "type", status_name(o.status));
      attr(f, "message", o.message);
      text(f, failure_text(o, g));
    } else if (o.status == Status::Warning) {
      text(c.append_child("system-out"), loc.str() + ": warning: " + o.message);
    } else if (o.reading && needs_attention(o.status)) {
      text(c.append_child("system-out"),
           "under reading " + reading_text(g, *o.reading) + " (not a failure): " + failure_text(o, g));
    } else if (o.status == Status::Waived) {
      ++skipped;
      attr(c.append_child("skipped"), "message", o.message);
    }
  }
  failures_attr = std::to_string(failures).c_str();
  skipped_attr = std::to_string(skipped).c_str();
  if (extra) extra(suites);
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
  return out.str();
}

}  // namespace verify
