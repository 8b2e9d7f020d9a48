#include "report/diff_report.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "report/report.h"

namespace verify {
namespace {


std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

std::string boxes_text(const kb::Guideline& g, const std::vector<std::vector<solver::FactRange>>& boxes) {
  std::string out;
  for (const auto& box : boxes)
    out += (out.empty() ? "" : " or ") + std::string(boxes.size() > 1 ? "(" : "") +
           (box.empty() ? "every valid patient" : fact_ranges_text(g, box)) + (boxes.size() > 1 ? ")" : "");
  return out;
}

namespace {

std::string verdict_name(const std::optional<Status>& s) { return s ? status_name(*s) : "absent"; }

}  // namespace

std::string diff_to_text(const Diff& d, const kb::Guideline& after) {
  std::string out = "Semantic diff: " + d.before_name + " -> " + d.after_name + "\n";
  out += "\nItems (" + std::to_string(d.items.size()) + " changed):\n";
  for (const auto& i : d.items) {
    out += "  " + std::string(item_change_name(i.change)) + " " + kb::item_kind_name(i.kind) + " " + i.name;
    if (!i.before.empty() && !i.after.empty()) out += " (" + i.before + " -> " + i.after + ")";
    out += "\n";
    std::istringstream lines(i.text_diff);
    for (std::string l; std::getline(lines, l);) out += "    " + l + "\n";
  }
  std::size_t unchanged = 0;
  out += "\nAnswers:\n";
  for (const auto& a : d.answers) {
    if (a.status == AnswerStatus::Unchanged) {
      ++unchanged;
      continue;
    }
    out += "  " + std::string(answer_status_name(a.status)) + ": " + a.action + " " + a.message + "\n";
    if (a.status == AnswerStatus::Unknown) continue;
    if (a.status == AnswerStatus::Changed) {
      if (a.deciding) out += "    deciding facts: " + deciding_text(after, *a.deciding) + " gets this change\n";
      if (!a.exact.empty()) out += "    exactly the affected patients: " + boxes_text(after, a.exact) + "\n";
      out += "    every affected patient has (necessary, not sufficient): " + fact_ranges_text(after, a.ranges) + "\n";
    }
    out += "    witness: " + kb::describe_patient(after, *a.patient_after) + "\n";
    out += "    before: " + std::string(a.answer_before ? "yes" : "no") + " (rules: " + join(a.rules_before) +
           "); after: " + (a.answer_after ? "yes" : "no") + " (rules: " + join(a.rules_after) + ")\n";
  }
  out += "  " + std::to_string(unchanged) + " of " + std::to_string(d.answers.size()) +
         " action/strength answers proved identical for every patient\n";
  out += "\nProperties:\n";
  std::size_t same = 0;
  for (const auto& p : d.properties) {
    if (p.change == PropertyMove::Unchanged) ++same;
    else
      out += "  " + std::string(property_move_name(p.change)) + ": " + p.id + " (" + verdict_name(p.before) + " -> " +
             verdict_name(p.after) + ")\n";
  }
  out += "  " + std::to_string(same) + " with the same verdict on both sides\n";
  std::size_t changed = d.answers.size() - unchanged;
  out += changed == 0 ? "\nNo patient is affected (proved).\n"
                      : "\n" + plural(changed, "answer") + (changed == 1 ? " changes" : " change") + " for some patient.\n";
  return out;
}

nlohmann::json diff_to_json(const Diff& d, const kb::Guideline& before, const kb::Guideline& after) {
  nlohmann::json items = nlohmann::json::array(), answers = nlohmann::json::array(),
                 props = nlohmann::json::array();
  for (const auto& i : d.items)
    items.push_back({{"change", item_change_name(i.change)}, {"kind", kb::item_kind_name(i.kind)}, {"name", i.name},
                     {"before", i.before}, {"after", i.after}, {"text_diff", i.text_diff}});
  for (const auto& a : d.answers) {
    nlohmann::json j = {{"action", a.action}, {"atom", kb::atom_name(a.atom)}, {"status", answer_status_name(a.status)},
                        {"message", a.message}, {"millis", a.millis}};
    if (a.patient_after) {
      // One patient: the after side's facts, then those only the before side declares.
      nlohmann::json witness = kb::patient_to_json(after, *a.patient_after);
      const nlohmann::json before_side = kb::patient_to_json(before, *a.patient_before);
      for (const auto& [fact, value] : before_side.items())
        if (!witness.contains(fact)) witness[fact] = value;
      j["witness"] = witness;
      j["answer"] = {{"before", a.answer_before}, {"after", a.answer_after}};
      j["rules"] = {{"before", a.rules_before}, {"after", a.rules_after}};
      nlohmann::json ranges = nlohmann::json::array();
      for (const auto& r : a.ranges) ranges.push_back({{"fact", r.fact}, {"lo", r.lo}, {"hi", r.hi}});
      j["necessary_ranges"] = ranges;
      j["deciding_facts"] = a.deciding ? fact_ranges_json(after, *a.deciding) : nlohmann::json(nullptr);
      nlohmann::json exact = nlohmann::json::array();
      for (const auto& box : a.exact) exact.push_back(fact_ranges_json(after, box));
      j["exact"] = exact;
      j["witness_description"] = kb::describe_patient(after, *a.patient_after);
    }
    answers.push_back(std::move(j));
  }
  for (const auto& p : d.properties)
    props.push_back({{"id", p.id}, {"before", verdict_name(p.before)}, {"after", verdict_name(p.after)},
                     {"change", property_move_name(p.change)}});
  return {{"schema", "kb-diff/2"}, {"before", d.before_name}, {"after", d.after_name}, {"items", items},
          {"answers", answers}, {"properties", props}, {"exit_code", d.exit_code()}};
}

std::string readings_to_text(const std::vector<ReadingImpact>& impacts, const kb::Guideline& g) {
  if (g.questions.empty()) return "No question: the guideline has no reading to choose.\n";
  std::string out;
  for (std::size_t q = 0; q < g.questions.size(); ++q) {
    const kb::Item& question = g.questions[q];
    out += "question " + g.versioned_id(question) + ": " + question.description + "\n";
    out += "  chosen: " + question.chosen + " (" + question.rationale + ")\n";
    for (const ReadingImpact& impact : impacts) {
      if (impact.reading.question != static_cast<int>(q)) continue;
      const Diff& d = impact.diff;
      const std::size_t a = static_cast<std::size_t>(impact.reading.alternative);
      out += "  alternative " + question.fact_type.values[a] + ": " + question.alternative_texts[a] + "\n";
      std::size_t changed = 0;
      for (const AnswerChange& c : d.answers) {
        if (c.status == AnswerStatus::Unchanged) continue;
        ++changed;
        out += "    " + std::string(answer_status_name(c.status)) + ": " + c.action + " " + kb::atom_name(c.atom);
        if (c.status == AnswerStatus::Unknown) {
          out += " (" + c.message + ")\n";
          continue;
        }
        out += std::string(c.answer_after ? " only under " : " only under the chosen ") +
               (c.answer_after ? question.fact_type.values[a] : question.chosen) + "\n";
        out += "      witness (replayed either way): " + kb::describe_patient(g, *c.patient_before) + "\n";
        out += "      rules under " + question.chosen + ": " + join(c.rules_before) + "; under " +
               question.fact_type.values[a] + ": " + join(c.rules_after) + "\n";
      }
      if (!changed) out += "    no patient's advice depends on this choice (proved)\n";
      std::vector<std::string> regressions;
      for (const PropertyChange& p : d.properties)
        if (p.change == PropertyMove::Regression) regressions.push_back(p.id);
      if (!regressions.empty()) out += "    properties that fail under it: " + join(regressions) + "\n";
    }
  }
  return out;
}

nlohmann::json readings_to_json(const std::vector<ReadingImpact>& impacts, const kb::Guideline& g) {
  nlohmann::json questions = nlohmann::json::array();
  for (std::size_t q = 0; q < g.questions.size(); ++q) {
    const kb::Item& question = g.questions[q];
    nlohmann::json alternatives = nlohmann::json::array();
    for (std::size_t a = 0; a < question.fact_type.values.size(); ++a) {
      nlohmann::json alt = {{"name", question.fact_type.values[a]},
                            {"description", question.alternative_texts[a]},
                            {"chosen", static_cast<int>(a) == question.chosen_index}};
      for (const ReadingImpact& impact : impacts)
        if (impact.reading.question == static_cast<int>(q) && impact.reading.alternative == static_cast<int>(a))
          alt["diff"] = diff_to_json(impact.diff, g, g);
      alternatives.push_back(std::move(alt));
    }
    questions.push_back({{"name", question.name},
                         {"version", g.version({kb::ItemKind::Question, static_cast<int>(q)})},
                         {"description", question.description},
                         {"chosen", question.chosen},
                         {"because", question.rationale},
                         {"alternatives", alternatives}});
  }
  return {{"schema", "kb-readings/2"}, {"questions", questions}};
}

}  // namespace verify
