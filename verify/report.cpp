#include "verify/report.h"

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

std::string to_text(const Report& r, const kb::Guideline& g, const Subject& s) {
  std::string out = "kb-verify " + s.tool_version + " (Z3 " + r.z3_version + ") on " + s.name + " [" +
                    s.content_hash.substr(0, 12) + "]\n";
  for (const Obligation& o : r.obligations) {
    bool property_line = o.kind == "property";
    if (!property_line && !needs_attention(o.status)) continue;
    out += std::string(status_name(o.status)) + "  " + o.id + "  " + o.message + "\n";
    if (o.status == Status::Proved && !o.core.empty()) out += "      rests on: " + join(o.core) + "\n";
    if (o.witness) {
      out += "      patient: " + kb::describe_patient(g, *o.witness) + "\n";
      out += "      rules fired: " + (o.fired.empty() ? std::string("none") : join(o.fired)) + "\n";
    }
    if (o.status == Status::Disagreement)
      out += "      solver: " + o.solver_says + "\n      recommender: " + o.recommender_says + "\n";
  }
  out += std::to_string(r.count(Status::Proved)) + " proved, " + std::to_string(r.count(Status::Violated)) +
         " violated, " + std::to_string(r.count(Status::Conflict)) + " conflicts, " +
         std::to_string(r.count(Status::Unknown)) + " unknown, " + std::to_string(r.count(Status::Disagreement)) +
         " disagreements, " + std::to_string(r.count(Status::Warning)) + " warnings (" +
         std::to_string(r.obligations.size()) + " obligations, " + millis_text(r.total_millis) + ")\n";
  return out;
}

nlohmann::json to_json(const Report& r, const kb::Guideline& g, const Subject& s) {
  nlohmann::json obligations = nlohmann::json::array();
  for (const Obligation& o : r.obligations) {
    nlohmann::json j = {{"id", o.id},         {"kind", o.kind},       {"subject", o.subject},
                        {"description", o.description}, {"status", status_name(o.status)}, {"message", o.message},
                        {"millis", o.millis}, {"core", o.core},       {"evidence", o.evidence},
                        {"fired", o.fired}};
    j["counterexample"] = o.witness ? kb::patient_to_json(g, *o.witness) : nlohmann::json(nullptr);
    if (o.status == Status::Disagreement) j["disagreement"] = {{"solver", o.solver_says}, {"recommender", o.recommender_says}};
    obligations.push_back(std::move(j));
  }
  nlohmann::json summary;
  for (Status st : {Status::Proved, Status::Violated, Status::Conflict, Status::NoConflict, Status::Unknown,
                    Status::Disagreement, Status::Warning, Status::Ok})
    summary[status_name(st)] = r.count(st);
  return {{"schema", "kb-verify-report/1"},
          {"subject", {{"name", s.name}, {"content_hash", s.content_hash}}},
          {"tool_version", s.tool_version},
          {"z3_version", r.z3_version},
          {"total_millis", r.total_millis},
          {"summary", summary},
          {"obligations", obligations}};
}

std::string to_junit(const Report& r, const Subject& s, bool deny_warnings) {
  std::size_t failures = 0;
  std::string cases;
  for (const Obligation& o : r.obligations) {
    bool fail = o.status == Status::Violated || o.status == Status::Conflict || o.status == Status::Unknown ||
                o.status == Status::Disagreement || (deny_warnings && o.status == Status::Warning);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.4f", o.millis / 1000.0);
    cases += "    <testcase classname=\"kb-verify." + markup_escape(o.kind) + "\" name=\"" + markup_escape(o.id) +
             "\" time=\"" + secs + "\">";
    if (fail) {
      ++failures;
      cases += "<failure type=\"" + std::string(status_name(o.status)) + "\" message=\"" + markup_escape(o.message) +
               "\">" + markup_escape(o.subject + ": " + o.description) + "</failure>";
    } else if (o.status == Status::Warning) {
      cases += "<system-out>" + markup_escape("warning: " + o.message) + "</system-out>";
    }
    cases += "</testcase>\n";
  }
  char secs[32];
  std::snprintf(secs, sizeof secs, "%.4f", r.total_millis / 1000.0);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"kb-verify " +
         markup_escape(s.name) + "\" tests=\"" + std::to_string(r.obligations.size()) + "\" failures=\"" +
         std::to_string(failures) + "\" errors=\"0\" time=\"" + secs + "\">\n" + cases + "  </testsuite>\n</testsuites>\n";
}

}  // namespace verify
