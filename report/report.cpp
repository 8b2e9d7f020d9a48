#include "report/report.h"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace verify {
namespace {

bool needs_attention(Status s) { return s != Status::Proved && s != Status::NoConflict && s != Status::Ok; }

std::string millis_text(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  return buf;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
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
  return kind_name(o.kind);
}

}  // namespace

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
  d.loc = g.item(o.subject).span;
  d.message = o.id + ": " + o.message;
  switch (o.status) {
    case Status::Violated: case Status::Conflict: case Status::Unknown: case Status::Disagreement:
      d.severity = kb::Severity::Error;
      break;
    case Status::Warning: d.severity = kb::Severity::Warning; break;
    default: d.severity = kb::Severity::Note;
  }
  for (int r : o.fired) d.related.push_back({g.rules[r].span, "rule " + g.versioned_id(g.rules[r]) + " fires for the patient"});
  return d;
}

std::string to_text(const Report& r, const kb::Guideline& g, const Subject& s) {
  std::string out = "kb-verify " + s.tool_version + " (Z3 " + r.z3_version + ") on " + s.name + " [release hash " +
                    s.release_hash.substr(0, 12) + "]\n";
  for (const Obligation& o : r.obligations) {
    bool property_line = o.kind == Kind::Property;
    if (!property_line && !needs_attention(o.status)) continue;
    std::string where = needs_attention(o.status) ? g.item(o.subject).span.str() + ": " : "";
    out += where + status_name(o.status) + "  " + o.id + "  " + o.message + "\n";
    if (o.status == Status::Proved) {
      std::vector<std::string> items;
      for (kb::ItemRef ref : o.rests_on)
        if (ref.kind != kb::ItemKind::Fact && ref != o.subject) items.push_back(rests_on_text(g, ref));
      if (!items.empty()) out += "      rests on: " + join(items) + "\n";
    }
    if (o.witness) {
      out += "      patient: " + kb::describe_patient(g, *o.witness) + "\n";
      std::vector<std::string> fired = fired_ids(o, g);
      out += "      rules fired: " + (fired.empty() ? std::string("none") : join(fired)) + "\n";
      for (int rule : o.fired) out += "        " + g.rules[rule].span.str() + ": " + g.versioned_id(g.rules[rule]) + "\n";
    }
    if (o.status == Status::Disagreement)
      out += "      solver: " + o.solver_says + "\n      recommender: " + o.recommender_says + "\n";
  }
  out += std::to_string(r.count(Status::Proved)) + " proved, " + std::to_string(r.count(Status::Violated)) +
         " violated, " + std::to_string(r.count(Status::Conflict)) + " conflicts, " +
         std::to_string(r.count(Status::Unknown)) + " unknown, " + std::to_string(r.count(Status::Disagreement)) +
         " disagreements, " + std::to_string(r.count(Status::Warning)) + " warnings" +
         (r.count(Status::Waived) ? ", " + std::to_string(r.count(Status::Waived)) + " waived" : std::string()) + " (" +
         std::to_string(r.obligations.size()) + " obligations, " + millis_text(r.total_millis) + ")\n";
  return out;
}

nlohmann::json to_json(const Report& r, const kb::Guideline& g, const Subject& s) {
  nlohmann::json obligations = nlohmann::json::array();
  for (const Obligation& o : r.obligations) {
    nlohmann::json rests_on = nlohmann::json::array();
    for (kb::ItemRef ref : o.rests_on) rests_on.push_back(rests_on_json(g, ref));
    kb::Diagnostic d = finding(o, g);
    nlohmann::json related = nlohmann::json::array();
    for (const kb::Related& rel : d.related)
      related.push_back({{"location", location_json(rel.loc)}, {"message", rel.message}});
    nlohmann::json j = {{"id", o.id},
                        {"kind", kind_name(o.kind)},
                        {"subject", rests_on_json(g, o.subject)},
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
    if (o.status == Status::Disagreement) j["disagreement"] = {{"solver", o.solver_says}, {"recommender", o.recommender_says}};
    if (o.waived_by) j["waived_by"] = rests_on_json(g, *o.waived_by);
    obligations.push_back(std::move(j));
  }
  nlohmann::json summary;
  for (Status st : kStatuses) summary[status_name(st)] = r.count(st);
  return {{"schema", "kb-verify-report/2"},
          {"subject", {{"name", s.name}, {"release_hash", s.release_hash}}},
          {"tool_version", s.tool_version},
          {"z3_version", r.z3_version},
          {"total_millis", r.total_millis},
          {"summary", summary},
          {"obligations", obligations}};
}

std::string to_junit(const Report& r, const Subject& s, bool deny_warnings, const std::string& extra_suites) {
  std::size_t failures = 0, skipped = 0;
  std::string cases;
  for (const Obligation& o : r.obligations) {
    bool fail = o.status == Status::Violated || o.status == Status::Conflict || o.status == Status::Unknown ||
                o.status == Status::Disagreement || (deny_warnings && o.status == Status::Warning);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.4f", o.millis / 1000.0);
    cases += "    <testcase classname=\"kb-verify." + std::string(kind_name(o.kind)) + "\" name=\"" +
             markup_escape(o.id) + "\" time=\"" + secs + "\">";
    if (fail) {
      ++failures;
      cases += "<failure type=\"" + std::string(status_name(o.status)) + "\" message=\"" + markup_escape(o.message) +
               "\">" + markup_escape(o.id + ": " + o.description) + "</failure>";
    } else if (o.status == Status::Warning) {
      cases += "<system-out>" + markup_escape("warning: " + o.message) + "</system-out>";
    } else if (o.status == Status::Waived) {
      ++skipped;
      cases += "<skipped message=\"" + markup_escape(o.message) + "\"/>";
    }
    cases += "</testcase>\n";
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.4f", r.total_millis / 1000.0);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"kb-verify " +
         markup_escape(s.name) + "\" tests=\"" + std::to_string(r.obligations.size()) + "\" failures=\"" +
         std::to_string(failures) + "\" errors=\"0\" skipped=\"" + std::to_string(skipped) + "\" time=\"" + secs +
         "\">\n" + cases + "  </testsuite>\n" + extra_suites + "</testsuites>\n";
}

}  // namespace verify
