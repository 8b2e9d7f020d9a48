// The throughput path of batch recommendation (kb/eval/batch.h).
#include "kb/eval/batch.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

namespace kb {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::uint64_t load_partial(const char* p, std::size_t n) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, n < 8 ? n : 8);
  return v;
}

std::uint64_t key_hash(const char* key, std::size_t len) {
  std::uint64_t a = load_partial(key, len);
  std::uint64_t b = len > 8 ? load_partial(key + len - 8, 8) : 0;
  std::uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full) ^ (len * 0x165667B19E3779F9ull);
  return h ^ (h >> 29);
}

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// JSON white space skipped; the common case (none) costs one compare.
[[gnu::always_inline]] inline const char* skip_ws(const char* q, const char* end) {
  while (q < end && static_cast<unsigned char>(*q) <= ' ' && is_ws(*q)) ++q;
  return q;
}

// a[0..n) == b[0..n), for the short names here: 8 bytes at a time (the
// last 8 overlapping), inline, the first 8 first so a mismatch costs little.
[[gnu::always_inline]] inline std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
[[gnu::always_inline]] inline bool same_bytes(const char* a, const char* b, std::size_t n) {
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  if (load8(a) != load8(b)) return false;
  for (std::size_t i = 8; i + 8 < n; i += 8)
    if (load8(a + i) != load8(b + i)) return false;
  return load8(a + n - 8) == load8(b + n - 8);
}

}  // namespace

BatchCodec::BatchCodec(const Recommender& r) : r_(&r) {
  const Guideline& g = r.guideline();
  facts_ = g.facts.size();
  {
    // Constraint c broken <=> rule c ("when not c") fires.
    Guideline cg = clone(g);
    cg.rules.clear();
    if (cg.actions.empty()) {
      Item a;
      a.kind = ItemKind::Action;
      a.name = "constraint";
      cg.actions.push_back(std::move(a));
    }
    for (const Item& c : g.constraints) {
      Item rule;
      rule.kind = ItemKind::Rule;
      rule.name = c.name;
      rule.strength = Strength::Avoid;
      rule.action = cg.actions[0].name;
      rule.action_index = 0;
      auto negated = std::make_unique<Expr>();
      negated->op = Op::Not;
      negated->type.kind = Type::Bool;
      negated->loc = c.expr->loc;
      negated->args.push_back(c.expr->clone());
      rule.expr = std::move(negated);
      cg.rules.push_back(std::move(rule));
    }
    constraints_ = RuleProgram::compile(cg);
    constraint_count_ = cg.rules.size();
    constraint_actions_ = cg.actions.size();
  }
  std::size_t size = 16;
  while (size < 4 * facts_) size *= 2;
  table_.assign(size, 0);
  table_mask_ = size - 1;
  for (std::size_t i = 0; i < facts_; ++i) {
    const std::string& n = g.facts[i].name;
    std::uint64_t k = key_hash(n.data(), n.size()) & table_mask_;
    while (table_[k]) k = (k + 1) & table_mask_;
    table_[k] = static_cast<std::int32_t>(i + 1);
  }
  for (std::size_t i = 0; i < facts_; ++i) {
    sorted_.push_back(static_cast<std::int32_t>(i));
    key_quoted_.push_back(g.facts[i].name + "\"");
    values_quoted_.emplace_back();
    for (const std::string& v : g.facts[i].fact_type.values) values_quoted_.back().push_back(v + "\"");
  }
  std::sort(sorted_.begin(), sorted_.end(), [&](int a, int b) { return g.facts[a].name < g.facts[b].name; });
  sorted_pos_.resize(facts_);
  for (std::size_t k = 0; k < facts_; ++k) sorted_pos_[sorted_[k]] = static_cast<std::int32_t>(k);

  // Output fragments: the members of each object in the order nlohmann::json
  // dumps them (sorted by key), each value dumped by nlohmann::json itself.
  action_rules_.resize(g.actions.size());
  for (std::size_t a = 0; a < g.actions.size(); ++a) {
    action_head_.push_back("{\"action\":" + dump(g.actions[a].name) + ",\"conflict\":");
    action_mid_.push_back(",\"description\":" + dump(g.actions[a].description) + ",\"rules\":[");
    conflict_head_.push_back("{\"action\":" + dump(g.actions[a].name) + ",\"avoided_by\":[");
  }
  for (std::uint8_t bits = 1; bits < 8; ++bits) {
    json strengths = json::array();
    for (std::uint8_t bit : {kRecommended, kConsidered, kAvoided})
      if (bits & bit) strengths.push_back(strength_word(bit));
    strengths_tail_[bits] = "],\"strengths\":" + dump(strengths) + "}";
  }
  for (std::size_t i = 0; i < g.rules.size(); ++i) {
    const Item& rule = g.rules[i];
    std::string id = g.versioned_id(rule);
    rule_json_.push_back(dump({{"rule", id},
                               {"strength", strength_word(strength_bit(rule.strength))},
                               {"rationale", rule.rationale},
                               {"source", rule.source},
                               {"references", rule.cites}}));
    rule_id_.push_back(dump(id));
    rule_avoids_.push_back(rule.strength == Strength::Avoid);
    if (rule.action_index >= 0 && static_cast<std::size_t>(rule.action_index) < g.actions.size())
      action_rules_[rule.action_index].push_back(static_cast<std::int32_t>(i));
  }
}

int BatchCodec::lookup(const char* key, std::size_t len) const {
  const Guideline& g = r_->guideline();
  for (std::uint64_t k = key_hash(key, len) & table_mask_;; k = (k + 1) & table_mask_) {
    std::int32_t f = table_[k];
    if (!f) return -1;
    const std::string& n = g.facts[f - 1].name;
    if (n.size() == len && std::memcmp(n.data(), key, len) == 0) return f - 1;
  }
}

bool BatchCodec::read_patient(std::string_view line, Patient& p, Scratch& s) const {
  const Guideline& g = r_->guideline();
  p.resize(facts_);
  s.seen.assign(facts_, 0);  // no allocation once sized
  const char* q = line.data();
  const char* end = q + line.size();
  q = skip_ws(q, end);
  if (q == end || *q != '{') return false;
  ++q;
  std::size_t count = 0;
  std::int32_t guess = 0;  // position in sorted_ of the key expected next
  q = skip_ws(q, end);
  if (q < end && *q == '}') return false;  // empty object: missing facts
  for (;;) {
    // "key"
    if (q == end || *q != '"') return false;
    ++q;
    // The key expected next (facts in sorted order), matched in place; else
    // up to the next quote and looked up. Fact names are identifiers, so an
    // exact match is a key without escapes.
    int f = -1;
    if (guess < static_cast<std::int32_t>(facts_)) {
      const std::string& k = key_quoted_[sorted_[guess]];
      if (static_cast<std::size_t>(end - q) > k.size() && same_bytes(q, k.data(), k.size())) {
        f = sorted_[guess];
        q += k.size();
      }
    }
    if (f < 0) {
      const char* key = q;
      const char* close = static_cast<const char*>(std::memchr(q, '"', static_cast<std::size_t>(end - q)));
      if (!close) return false;
      f = lookup(key, static_cast<std::size_t>(close - key));
      q = close + 1;
    }
    if (f < 0 || s.seen[f]) return false;  // unknown or repeated: the strict reader words the error
    s.seen[f] = 1;
    ++count;
    guess = sorted_pos_[f] + 1;
    q = skip_ws(q, end);
    if (q == end || *q != ':') return false;
    ++q;
    q = skip_ws(q, end);
    if (q == end) return false;
    const FactType& t = g.facts[f].fact_type;
    if (t.kind == Type::Bool) {
      if (end - q >= 4 && std::memcmp(q, "true", 4) == 0) {
        p[f] = 1;
        q += 4;
      } else if (end - q >= 5 && std::memcmp(q, "false", 5) == 0) {
        p[f] = 0;
        q += 5;
      } else {
        return false;
      }
    } else if (t.kind == Type::Int) {
      bool neg = *q == '-';
      if (neg) ++q;
      if (q == end || *q < '0' || *q > '9') return false;
      std::int64_t v = 0;
      if (*q == '0') {
        ++q;
      } else {
        const char* start = q;
        while (q < end && *q >= '0' && *q <= '9') {
          if (q - start == 15) return false;  // long integers: the strict reader decides
          v = 10 * v + (*q - '0');
          ++q;
        }
      }
      if (q < end && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E')) return false;
      if (neg) v = -v;
      if (v < t.lo || v > t.hi) return false;
      p[f] = v;
    } else {
      if (*q != '"') return false;
      ++q;
      const std::size_t left = static_cast<std::size_t>(end - q);
      int found = -1;
      const std::vector<std::string>& values = values_quoted_[f];
      for (std::size_t k = 0; k < values.size(); ++k)  // value names are identifiers: no escapes
        if (values[k].size() <= left && same_bytes(values[k].data(), q, values[k].size())) {
          found = static_cast<int>(k);
          q += values[k].size();
          break;
        }
      if (found < 0) return false;
      p[f] = found;
    }
    q = skip_ws(q, end);
    if (q == end) return false;
    if (*q == ',') {
      ++q;
      q = skip_ws(q, end);
      continue;
    }
    if (*q != '}') return false;
    ++q;
    break;
  }
  q = skip_ws(q, end);
  if (q != end || count != facts_) return false;
  s.broken.resize(constraint_count_);
  s.actions.resize(constraint_actions_);
  constraints_.run(p.data(), s.broken.data(), s.actions.data());
  return s.actions[0] == 0;  // no constraint broken
}

void BatchCodec::append_outcome(const Outcome& o, std::string& out) const {
  out += "{\"actions\":[";
  bool first = true, any_conflict = false;
  const std::size_t actions = action_head_.size();
  for (std::size_t a = 0; a < actions; ++a) {
    const std::uint8_t bits = o.actions[a];
    if (!bits) continue;
    if (!first) out += ',';
    first = false;
    const bool conflict = o.conflict(static_cast<int>(a));
    any_conflict |= conflict;
    out += action_head_[a];
    out += conflict ? "true" : "false";
    out += action_mid_[a];
    bool first_rule = true;
    for (std::int32_t r : action_rules_[a]) {
      if (!o.fired[r]) continue;
      if (!first_rule) out += ',';
      first_rule = false;
      out += rule_json_[r];
    }
    out += strengths_tail_[bits & 7];
  }
  out += "],\"conflicts\":[";
  if (any_conflict) {
    first = true;
    for (std::size_t a = 0; a < actions; ++a) {
      if (!o.actions[a] || !o.conflict(static_cast<int>(a))) continue;
      if (!first) out += ',';
      first = false;
      out += conflict_head_[a];
      for (int pass = 0; pass < 2; ++pass) {  // avoided_by, then offered_by
        bool first_id = true;
        for (std::int32_t r : action_rules_[a]) {
          if (!o.fired[r] || rule_avoids_[r] != (pass == 0)) continue;
          if (!first_id) out += ',';
          first_id = false;
          out += rule_id_[r];
        }
        out += pass == 0 ? "],\"offered_by\":[" : "]}";
      }
    }
  }
  out += "]}";
}

void BatchCodec::append_result_line(std::uint64_t line, const Outcome& o, std::string& out) const {
  char digits[24];
  auto [ptr, ec] = std::to_chars(digits, digits + sizeof digits, line);
  (void)ec;
  out += "{\"line\":";
  out.append(digits, ptr);
  out += ",\"result\":";
  append_outcome(o, out);
  out += ",\"schema\":\"kb-recommendation-line/1\"}\n";
}

}  // namespace kb
