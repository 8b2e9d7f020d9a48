#include "verify/diff.h"

#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kb/printer.h"
#include "kb/recommender.h"
#include "verify/harness.h"

namespace verify {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Line diff by longest common subsequence; items are a few lines long.
std::string line_diff(const std::string& a_text, const std::string& b_text) {
  auto a = lines_of(a_text), b = lines_of(b_text);
  std::vector<std::vector<int>> lcs(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (std::size_t i = a.size(); i-- > 0;)
    for (std::size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::string out;
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      out += "  " + a[i++] + "\n";
      ++j;
    } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out += "- " + a[i++] + "\n";
    } else {
      out += "+ " + b[j++] + "\n";
    }
  }
  return out;
}

std::vector<ItemChange> item_changes(const kb::Guideline& before, const kb::Guideline& after) {
  std::map<std::string, const kb::Item*> old_items, new_items;
  for (const kb::Item* it : before.all_items()) old_items[kb::item_key(*it)] = it;
  for (const kb::Item* it : after.all_items()) new_items[kb::item_key(*it)] = it;
  std::vector<ItemChange> out;
  for (const kb::Item* it : after.all_items()) {
    auto old = old_items.find(kb::item_key(*it));
    std::string text = kb::print_item(*it);
    if (old == old_items.end()) {
      out.push_back({"added", it->kind, it->name, "", after.versioned_id(*it), line_diff("", text)});
    } else if (kb::print_item(*old->second) != text) {
      out.push_back({"changed", it->kind, it->name, before.versioned_id(*old->second), after.versioned_id(*it),
                     line_diff(kb::print_item(*old->second), text)});
    }
  }
  for (const kb::Item* it : before.all_items())
    if (!new_items.count(kb::item_key(*it)))
      out.push_back({"retired", it->kind, it->name, before.versioned_id(*it), "", line_diff(kb::print_item(*it), "")});
  return out;
}

std::uint8_t bit_of(kb::AtomKind k) {
  return k == kb::AtomKind::Recommended ? kb::kRecommended : k == kb::AtomKind::Considered ? kb::kConsidered
                                                                                         : kb::kAvoided;
}

kb::Strength strength_of(kb::AtomKind k) {
  return k == kb::AtomKind::Recommended ? kb::Strength::Recommend
         : k == kb::AtomKind::Considered ? kb::Strength::Consider
                                         : kb::Strength::Avoid;
}

// Replays one side: the atom as the recommender computes it, and the rules
// of that action and strength that fire.
bool replay(const kb::Recommender& r, const kb::Patient& p, const std::string& action, kb::AtomKind atom,
            std::vector<std::string>& rules, bool& valid) {
  const kb::Guideline& g = r.guideline();
  valid = r.broken_constraint(p) < 0;
  kb::Outcome out;
  r.evaluate(p, out);
  for (std::size_t i = 0; i < g.rules.size(); ++i)
    if (out.fired[i] && g.rules[i].action == action && g.rules[i].strength == strength_of(atom))
      rules.push_back(g.versioned_id(g.rules[i]));
  int a = g.action_index(action);
  return a >= 0 && (out.actions[a] & bit_of(atom));
}

std::string describe_ranges(const kb::Guideline& g, const std::vector<solver::FactRange>& ranges) {
  std::string out;
  for (const auto& r : ranges) {
    int f = g.fact_index(r.fact);
    std::string part;
    if (f >= 0 && g.facts[f].fact_type.kind == kb::Type::Bool) part = r.lo ? r.fact : "not " + r.fact;
    else if (f >= 0 && g.facts[f].fact_type.kind == kb::Type::Enum && r.lo == r.hi)
      part = r.fact + "=" + g.facts[f].fact_type.values[r.lo];
    else if (r.lo == r.hi) part = r.fact + "=" + std::to_string(r.lo);
    else part = r.fact + " in " + std::to_string(r.lo) + ".." + std::to_string(r.hi);
    out += (out.empty() ? "" : ", ") + part;
  }
  return out.empty() ? "no fact narrower than its range" : out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

int Diff::exit_code() const {
  bool changed = false;
  for (const auto& a : answers) {
    if (a.status == "unknown" || a.status == "disagreement") return 2;
    changed |= a.status == "changed";
  }
  for (const auto& p : properties) changed |= p.change == "regression";
  return changed ? 1 : 0;
}

Diff semantic_diff(const kb::Guideline& before, const kb::Guideline& after, const std::string& before_name,
                   const std::string& after_name, unsigned timeout_ms) {
  Diff d;
  d.before_name = before_name;
  d.after_name = after_name;
  d.items = item_changes(before, after);

  kb::Recommender rec_before(before), rec_after(after);
  solver::DiffSolver s(before, after, timeout_ms);
  std::vector<std::string> actions;
  for (const kb::Item& a : after.actions) actions.push_back(a.name);
  for (const kb::Item& a : before.actions)
    if (after.action_index(a.name) < 0) actions.push_back(a.name);
  for (const std::string& action : actions) {
    for (kb::AtomKind atom : {kb::AtomKind::Recommended, kb::AtomKind::Considered, kb::AtomKind::Avoided}) {
      AnswerChange c;
      c.action = action;
      c.atom = kb::atom_name(atom);
      solver::DiffAnswer ans = s.differs(action, atom);
      c.millis = ans.millis;
      if (ans.verdict == solver::Verdict::Unsat) {
        c.status = "unchanged";
        c.message = "proved: no patient gets a different answer";
      } else if (ans.verdict == solver::Verdict::Unknown) {
        c.status = "unknown";
        c.message = "solver gave no answer (" + ans.reason + ")";
      } else {
        bool valid_before = false, valid_after = false;
        bool got_before = replay(rec_before, *ans.before, action, atom, c.rules_before, valid_before);
        bool got_after = replay(rec_after, *ans.after, action, atom, c.rules_after, valid_after);
        c.patient_before = ans.before;
        c.patient_after = ans.after;
        c.answer_before = ans.answer_before;
        c.answer_after = ans.answer_after;
        c.ranges = ans.ranges;
        if (!valid_before || !valid_after || got_before != ans.answer_before || got_after != ans.answer_after) {
          c.status = "disagreement";
          c.message = "translator disagreement: the recommenders do not reproduce the solver's witness";
        } else {
          c.status = "changed";
          c.message = std::string(c.atom) + " " + (c.answer_before ? "before, not after" : "after, not before");
        }
      }
      d.answers.push_back(std::move(c));
    }
  }

  Options lintless;
  lintless.timeout_ms = timeout_ms;
  lintless.lints = false;
  std::map<std::string, std::string> old_status, new_status;
  for (const auto& o : run(before, lintless).obligations)
    if (o.kind == "property") old_status[o.id] = status_name(o.status);
  for (const auto& o : run(after, lintless).obligations)
    if (o.kind == "property") new_status[o.id] = status_name(o.status);
  for (const auto& [id, now] : new_status) {
    auto was = old_status.find(id);
    PropertyChange p{id, was == old_status.end() ? "absent" : was->second, now, ""};
    if (p.before == "absent") p.change = "new";
    else if (p.before == "proved" && p.after != "proved") p.change = "regression";
    else if (p.before != "proved" && p.after == "proved") p.change = "fixed";
    else p.change = "unchanged";
    d.properties.push_back(p);
  }
  for (const auto& [id, was] : old_status)
    if (!new_status.count(id)) d.properties.push_back({id, was, "absent", "removed"});
  return d;
}

std::string diff_to_text(const Diff& d, const kb::Guideline& after) {
  std::string out = "Semantic diff: " + d.before_name + " -> " + d.after_name + "\n";
  out += "\nItems (" + std::to_string(d.items.size()) + " changed):\n";
  for (const auto& i : d.items) {
    out += "  " + i.change + " " + kb::item_kind_name(i.kind) + " " + i.name;
    if (!i.before.empty() && !i.after.empty()) out += " (" + i.before + " -> " + i.after + ")";
    out += "\n";
    std::istringstream lines(i.text_diff);
    for (std::string l; std::getline(lines, l);) out += "    " + l + "\n";
  }
  std::size_t unchanged = 0;
  out += "\nAnswers:\n";
  for (const auto& a : d.answers) {
    if (a.status == "unchanged") {
      ++unchanged;
      continue;
    }
    out += "  " + a.status + ": " + a.action + " " + a.message + "\n";
    if (a.status == "unknown") continue;
    out += "    every affected patient has: " + describe_ranges(after, a.ranges) + "\n";
    out += "    witness: " + kb::describe_patient(after, *a.patient_after) + "\n";
    out += "    before: " + std::string(a.answer_before ? "yes" : "no") + " (rules: " + join(a.rules_before) +
           "); after: " + (a.answer_after ? "yes" : "no") + " (rules: " + join(a.rules_after) + ")\n";
  }
  out += "  " + std::to_string(unchanged) + " of " + std::to_string(d.answers.size()) +
         " action/strength answers proved identical for every patient\n";
  out += "\nProperties:\n";
  std::size_t same = 0;
  for (const auto& p : d.properties) {
    if (p.change == "unchanged") ++same;
    else out += "  " + p.change + ": " + p.id + " (" + p.before + " -> " + p.after + ")\n";
  }
  out += "  " + std::to_string(same) + " with the same verdict on both sides\n";
  std::size_t changed = d.answers.size() - unchanged;
  out += changed == 0 ? "\nNo patient is affected (proved).\n"
                      : "\n" + std::to_string(changed) + " answers change for some patient.\n";
  return out;
}

nlohmann::json diff_to_json(const Diff& d, const kb::Guideline& before, const kb::Guideline& after) {
  nlohmann::json items = nlohmann::json::array(), answers = nlohmann::json::array(),
                 props = nlohmann::json::array();
  for (const auto& i : d.items)
    items.push_back({{"change", i.change}, {"kind", kb::item_kind_name(i.kind)}, {"name", i.name},
                     {"before", i.before}, {"after", i.after}, {"text_diff", i.text_diff}});
  for (const auto& a : d.answers) {
    nlohmann::json j = {{"action", a.action}, {"atom", a.atom}, {"status", a.status},
                        {"message", a.message}, {"millis", a.millis}};
    if (a.patient_after) {
      j["witness"] = {{"before", kb::patient_to_json(before, *a.patient_before)},
                      {"after", kb::patient_to_json(after, *a.patient_after)}};
      j["answer"] = {{"before", a.answer_before}, {"after", a.answer_after}};
      j["rules"] = {{"before", a.rules_before}, {"after", a.rules_after}};
      nlohmann::json ranges = nlohmann::json::array();
      for (const auto& r : a.ranges) ranges.push_back({{"fact", r.fact}, {"lo", r.lo}, {"hi", r.hi}});
      j["affected_ranges"] = ranges;
      j["witness_description"] = kb::describe_patient(after, *a.patient_after);
    }
    answers.push_back(std::move(j));
  }
  for (const auto& p : d.properties)
    props.push_back({{"id", p.id}, {"before", p.before}, {"after", p.after}, {"change", p.change}});
  return {{"schema", "kb-diff/1"}, {"before", d.before_name}, {"after", d.after_name}, {"items", items},
          {"answers", answers}, {"properties", props}, {"exit_code", d.exit_code()}};
}

}  // namespace verify
