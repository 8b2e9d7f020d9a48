#include "verify/diff.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "kb/lang/printer.h"
#include "kb/eval/recommender.h"
#include "verify/harness.h"

namespace verify {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
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
      out.push_back({ItemChangeKind::Added, it->kind, it->name, "", after.versioned_id(*it), line_diff("", text)});
    } else if (kb::print_item(*old->second) != text) {
      out.push_back({ItemChangeKind::Changed, it->kind, it->name, before.versioned_id(*old->second), after.versioned_id(*it),
                     line_diff(kb::print_item(*old->second), text)});
    }
  }
  for (const kb::Item* it : before.all_items())
    if (!new_items.count(kb::item_key(*it)))
      out.push_back({ItemChangeKind::Retired, it->kind, it->name, before.versioned_id(*it), "", line_diff(kb::print_item(*it), "")});
  return out;
}

kb::Strength strength_of(kb::AtomKind k) {
  for (kb::Strength s : kb::kStrengths)
    if (kb::atom_of(s) == k) return s;
  return kb::Strength::Avoid;
}

// Replays one side: the atom as the recommender computes it, and the rules
// of that action and strength that fire.
bool replay(const kb::Recommender& r, const kb::Patient& p, const std::string& action, kb::AtomKind atom,
            std::vector<std::string>& rules, bool& valid) {
  const kb::Guideline& g = r.guideline();
  valid = r.broken_constraint(p) < 0;
  kb::Outcome out;
  r.evaluate(p, out);
  int a = g.action_index(action);
  for (std::size_t i = 0; i < g.rules.size(); ++i)
    if (out.fired[i] && g.rules[i].action_index == a && g.rules[i].strength == strength_of(atom))
      rules.push_back(g.versioned_id(g.rules[i]));
  return a >= 0 && (out.actions[a] & kb::strength_bit(strength_of(atom)));
}

// The canonical texts a side's `strength` answer on `action` is computed
// from: its rules of that action and strength and every item they read,
// transitively (facts with their ranges, definitions, parameters with their
// values, questions with their chosen reading). Equal texts on both sides
// give every patient the same answer, so that answer needs no solver call.
std::vector<std::string> answer_sources(const kb::Guideline& g, const std::string& action, kb::Strength strength) {
  std::vector<kb::ItemRef> rules;
  int a = g.action_index(action);
  for (int r = 0; r < static_cast<int>(g.rules.size()); ++r)
    if (a >= 0 && g.rules[r].action_index == a && g.rules[r].strength == strength) rules.push_back({kb::ItemKind::Rule, r});
  std::vector<std::string> out;
  for (kb::ItemRef ref : kb::dependency_closure(g, rules)) out.push_back(kb::print_item(g.item(ref)));
  std::sort(out.begin(), out.end());
  return out;
}

// Deciding facts of a changed answer's witness, the boxes describing the
// affected patients exactly (when at most kMaxBoxes do), and the SMT-LIB.
void explain(solver::DiffSolver& s, AnswerChange& c, const Diff& d) {
  c.deciding = s.deciding_facts(c.action, c.atom, *c.patient_before, *c.patient_after, c.answer_before, c.answer_after);
  std::vector<std::vector<solver::FactRange>> boxes;
  if (c.deciding) boxes.push_back(*c.deciding);
  while (!boxes.empty()) {
    solver::DiffAnswer more = s.differs_outside(c.action, c.atom, boxes, solver::DiffSolver::Detail::Witness);
    if (more.verdict == solver::Verdict::Unsat) {
      c.exact = boxes;
      break;
    }
    if (more.verdict != solver::Verdict::Sat || boxes.size() == kMaxBoxes) break;
    auto box = s.deciding_facts(c.action, c.atom, *more.before, *more.after, more.answer_before, more.answer_after);
    if (!box) break;
    boxes.push_back(*box);
  }
  c.smt2 = s.smt2(c.action, c.atom,
                  {"Does some valid patient get a different answer for " + std::string(kb::atom_name(c.atom)) + " " +
                       c.action + " under " + d.before_name + " (names prefixed before.) and " + d.after_name +
                       " (after.)?",
                   "sat: yes (the answer changed); unsat: no patient is affected"});
}

}  // namespace

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

const char* item_change_name(ItemChangeKind k) {
  switch (k) {
    case ItemChangeKind::Added: return "added";
    case ItemChangeKind::Changed: return "changed";
    case ItemChangeKind::Retired: return "retired";
  }
  return "?";
}

const char* answer_status_name(AnswerStatus s) {
  switch (s) {
    case AnswerStatus::Changed: return "changed";
    case AnswerStatus::Unchanged: return "unchanged";
    case AnswerStatus::Unknown: return "unknown";
    case AnswerStatus::Disagreement: return "disagreement";
  }
  return "?";
}

const char* property_move_name(PropertyMove m) {
  switch (m) {
    case PropertyMove::Regression: return "regression";
    case PropertyMove::Fixed: return "fixed";
    case PropertyMove::New: return "new";
    case PropertyMove::Removed: return "removed";
    case PropertyMove::Unchanged: return "unchanged";
  }
  return "?";
}

int Diff::exit_code() const {
  bool changed = false;
  for (const auto& a : answers) {
    if (a.status == AnswerStatus::Unknown || a.status == AnswerStatus::Disagreement) return 2;
    changed |= a.status == AnswerStatus::Changed;
  }
  for (const auto& p : properties) changed |= p.change == PropertyMove::Regression;
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
      c.atom = atom;
      if (answer_sources(before, action, strength_of(atom)) == answer_sources(after, action, strength_of(atom))) {
        c.status = AnswerStatus::Unchanged;
        c.message = "unchanged by construction: its rules and everything they read are identical on both sides";
        d.answers.push_back(std::move(c));
        continue;
      }
      solver::DiffAnswer ans = s.differs(action, atom);
      c.millis = ans.millis;
      if (ans.verdict == solver::Verdict::Unsat) {
        c.status = AnswerStatus::Unchanged;
        c.message = "proved: no patient gets a different answer";
      } else if (ans.verdict == solver::Verdict::Unknown) {
        c.status = AnswerStatus::Unknown;
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
          c.status = AnswerStatus::Disagreement;
          c.message = "translator disagreement: the recommenders do not reproduce the solver's witness";
        } else {
          c.status = AnswerStatus::Changed;
          c.message = std::string(kb::atom_name(atom)) + " " + (c.answer_before ? "before, not after" : "after, not before");
          explain(s, c, d);
        }
      }
      d.answers.push_back(std::move(c));
    }
  }

  // The properties' verdicts on each side, under the chosen readings; the
  // after side reuses the before side's answer for every property whose
  // slice the change does not touch (its cache key is the same).
  std::map<std::string, Status> old_status, new_status;
  std::map<std::string, CachedAnswer> kept;
  auto verdicts = [&](const kb::Guideline& g, std::map<std::string, Status>& out, bool reuse) {
    Options o;
    o.timeout_ms = timeout_ms;
    o.lints = false;
    o.readings = false;
    o.tool_id = "kb diff";
    for (int p = 0; p < static_cast<int>(g.properties.size()); ++p) o.only.push_back({kb::ItemKind::Property, p});
    if (o.only.empty()) return;  // no property (an empty `only` would mean every obligation)
    if (reuse)
      o.cache = [&kept](const std::string& key) -> std::optional<CachedAnswer> {
        auto found = kept.find(key);
        if (found == kept.end()) return std::nullopt;
        return found->second;
      };
    for (const Obligation& ob : run(g, o).obligations) {
      out[ob.id] = ob.status;
      if (!reuse && !ob.cache_answer.empty()) kept[ob.cache_key] = {"the before side", ob.cache_answer};
    }
  };
  verdicts(before, old_status, false);
  verdicts(after, new_status, true);
  for (const auto& [id, now] : new_status) {
    auto was = old_status.find(id);
    PropertyChange p{id, std::nullopt, now, PropertyMove::Unchanged};
    if (was != old_status.end()) p.before = was->second;
    if (!p.before) p.change = PropertyMove::New;
    else if (*p.before == Status::Proved && now != Status::Proved) p.change = PropertyMove::Regression;
    else if (*p.before != Status::Proved && now == Status::Proved) p.change = PropertyMove::Fixed;
    d.properties.push_back(p);
  }
  for (const auto& [id, was] : old_status)
    if (!new_status.count(id)) d.properties.push_back({id, was, std::nullopt, PropertyMove::Removed});
  return d;
}

std::vector<ReadingImpact> reading_impacts(const kb::Guideline& g, unsigned timeout_ms) {
  std::vector<ReadingImpact> out;
  for (int q = 0; q < static_cast<int>(g.questions.size()); ++q) {
    const kb::Item& question = g.questions[static_cast<std::size_t>(q)];
    for (int a = 0; a < static_cast<int>(question.fact_type.values.size()); ++a) {
      if (a == question.chosen_index) continue;
      kb::Guideline alternative = kb::with_reading(g, q, a);
      out.push_back({{q, a},
                     semantic_diff(g, alternative, question.name + "=" + question.chosen,
                                   question.name + "=" + question.fact_type.values[static_cast<std::size_t>(a)],
                                   timeout_ms)});
    }
  }
  return out;
}

}  // namespace verify
