#include "tools/recommend_cmd.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

namespace kb::cli {
namespace {

using nlohmann::json;

bool has_conflict(const Outcome& o) {
  for (std::size_t a = 0; a < o.actions.size(); ++a)
    if (o.conflict(static_cast<int>(a))) return true;
  return false;
}

std::string where(const std::string& name, const PatientResult& p) {
  return p.fact.empty() ? name : name + ": fact '" + p.fact + "'";
}

// JSON output: text that is not UTF-8 (a corrupted store, say) is replaced
// by U+FFFD rather than thrown on.
std::string dump(const json& j, int indent = -1) { return j.dump(indent, ' ', false, json::error_handler_t::replace); }

enum class Read { Text, End, TooLong, Failed };

// Reads up to the next newline (dropped) or, when `whole`, to the end, at
// most kMaxPatientBytes. End: nothing was left. Failed: the stream is bad or
// its buffer threw (a read error), with the reason in `why`.
Read read_text(std::istream& src, bool whole, std::string& text, std::string& why) {
  text.clear();
  std::streambuf* buf = src.rdbuf();
  if (!buf || src.bad()) {
    why = "the input stream has failed";
    return Read::Failed;
  }
  try {
    for (bool any = false;; any = true) {
      const int c = buf->sbumpc();
      if (c == std::char_traits<char>::eof()) return any ? Read::Text : Read::End;
      if (c == '\n' && !whole) return Read::Text;
      if (text.size() == kMaxPatientBytes) return Read::TooLong;
      text += static_cast<char>(c);
    }
  } catch (const std::exception& e) {
    why = e.what();
  } catch (...) {
    why = "unknown read error";
  }
  src.setstate(std::ios::badbit);
  return Read::Failed;
}

int one(const Recommender& r, const RecommendArgs& args, std::istream& src, const std::string& name,
        std::ostream& out, std::ostream& err) {
  std::string text, why;
  Read got = read_text(src, true, text, why);
  if (got == Read::Failed) {
    err << "kb: " << name << ": cannot read: " << why << "\n";
    return 2;
  }
  if (got == Read::TooLong) {
    err << "kb: " << name << ": longer than " << kMaxPatientBytes << " bytes; a patient is one small JSON object\n";
    return 2;
  }
  PatientResult p = patient_from_text(r, text);
  if (!p.patient) {
    err << "kb: " << where(name, p) << ": " << p.error << "\n";
    return 2;
  }
  Outcome o;
  r.evaluate(*p.patient, o);
  const Guideline& g = r.guideline();
  if (args.format == "json") {
    json j = outcome_to_json(g, o);
    j["schema"] = kRecommendationSchema;
    out << dump(j, 2) + "\n";
  } else {
    out << outcome_to_text(g, o);
  }
  return has_conflict(o) ? 1 : 0;
}

// One output line per input line, each built whole and written in one call.
int batch(const Recommender& r, std::istream& src, const std::string& name, std::ostream& out, std::ostream& err) {
  int code = 0;
  std::string line, why;
  Outcome o;
  for (std::uint64_t n = 1;; ++n) {
    const Read got = read_text(src, false, line, why);
    if (got == Read::End) return code;
    const std::string at = "kb: " + name + ":" + std::to_string(n) + ": ";
    if (got != Read::Text) {  // the rest of the input cannot be trusted: stop
      std::string error = got == Read::TooLong ? "line longer than " + std::to_string(kMaxPatientBytes) + " bytes"
                                               : "cannot read: " + why;
      err << at + error + "; the batch stops here\n";
      out << dump({{"schema", kRecommendationLineSchema}, {"line", n}, {"error", error}}) + "\n";
      return 2;
    }
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json result = {{"schema", kRecommendationLineSchema}, {"line", n}};
    PatientResult p = patient_from_text(r, line);
    if (!p.patient) {
      err << at + (p.fact.empty() ? "" : "fact '" + p.fact + "': ") + p.error + "\n";
      result["error"] = p.error;
      if (!p.fact.empty()) result["fact"] = p.fact;
      code = 2;
    } else {
      r.evaluate(*p.patient, o);
      result["result"] = outcome_to_json(r.guideline(), o);
      if (has_conflict(o) && code == 0) code = 1;
    }
    out << dump(result) + "\n";
  }
}

}  // namespace

int recommend(const Recommender& r, const RecommendArgs& args, std::istream& in, std::ostream& out,
              std::ostream& err) {
  std::ifstream file;
  std::istream* src = &in;
  std::string name = "<stdin>";
  if (args.patient != "-") {
    std::error_code ec;
    if (std::filesystem::is_directory(args.patient, ec)) {
      err << "kb: " << args.patient << ": is a folder; --patient takes a file (or - for standard input)\n";
      return 2;
    }
    file.open(args.patient, std::ios::binary);
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
