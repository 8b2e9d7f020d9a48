#include "tools/recommend_cmd.h"

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

namespace kb::cli {
namespace {

bool has_conflict(const Outcome& o) {
  for (std::size_t a = 0; a < o.actions.size(); ++a)
    if (o.conflict(static_cast<int>(a))) return true;
  return false;
}

std::string where(const std::string& name, const PatientResult& p) {
  return p.fact.empty() ? name : name + ": fact '" + p.fact + "'";
}

int one(const Recommender& r, const RecommendArgs& args, std::istream& src, const std::string& name,
        std::ostream& out, std::ostream& err) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(src);
  } catch (const nlohmann::json::parse_error& e) {
    err << "kb: " << name << ": not valid JSON: " << e.what() << "\n";
    return 2;
  }
  PatientResult p = patient_from_json(r, j);
  if (!p.patient) {
    err << "kb: " << where(name, p) << ": " << p.error << "\n";
    return 2;
  }
  Outcome o;
  r.evaluate(*p.patient, o);
  if (args.format == "json") out << outcome_to_json(r.guideline(), o).dump(2) << "\n";
  else out << outcome_to_text(r.guideline(), o);
  return has_conflict(o) ? 1 : 0;
}

int batch(const Recommender& r, std::istream& src, const std::string& name, std::ostream& out, std::ostream& err) {
  int code = 0;
  std::string line;
  Outcome o;
  for (int n = 1; std::getline(src, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json result = {{"line", n}};
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    PatientResult p;
    if (j.is_discarded()) p.error = "not valid JSON";
    else p = patient_from_json(r, j);
    if (!p.patient) {
      err << "kb: " << name << ":" << n << (p.fact.empty() ? "" : ": fact '" + p.fact + "'") << ": " << p.error << "\n";
      result["error"] = p.error;
      if (!p.fact.empty()) result["fact"] = p.fact;
      code = 2;
    } else {
      r.evaluate(*p.patient, o);
      result["result"] = outcome_to_json(r.guideline(), o);
      if (has_conflict(o) && code == 0) code = 1;
    }
    out << result.dump() << "\n";
  }
  return code;
}

}  // namespace

int recommend(const Recommender& r, const RecommendArgs& args, std::istream& in, std::ostream& out,
              std::ostream& err) {
  std::ifstream file;
  std::istream* src = &in;
  std::string name = "<stdin>";
  if (args.patient != "-") {
    file.open(args.patient);
    if (!file) {
      err << "kb: " << args.patient << ": cannot read file\n";
      return 2;
    }
    src = &file;
    name = args.patient;
  }
  return args.batch ? batch(r, *src, name, out, err) : one(r, args, *src, name, out, err);
}

}  // namespace kb::cli
