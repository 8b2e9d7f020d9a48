// Random valid patients for a guideline: values drawn from each fact's range,
// half the time from its boundary values (the constants the guideline
// compares it with, +-1, and the range ends), kept only when they satisfy
// every domain constraint.
#pragma once

#include <optional>
#include <random>
#include <set>

#include "kb/eval/recommender.h"

namespace kb::testing {

/** Draws valid patients for one compiled guideline. */
class RandomPatient {
 public:
  explicit RandomPatient(const Recommender& r) : r_(r) {
    const Guideline& g = r.guideline();
    interesting_.resize(g.facts.size());
    for (std::size_t i = 0; i < g.facts.size(); ++i) {
      interesting_[i].insert(g.facts[i].fact_type.lo);
      interesting_[i].insert(g.facts[i].fact_type.hi);
    }
    for (const Item* it : g.all_items())
      if (it->expr) collect(*it->expr, g);
  }

  /** A valid patient, or nullopt when 10,000 draws all broke a constraint. */
  std::optional<Patient> draw(std::mt19937& rng) const {
    const Guideline& g = r_.guideline();
    Patient p(g.facts.size());
    for (int attempt = 0; attempt < 10000; ++attempt) {
      for (std::size_t i = 0; i < p.size(); ++i) {
        const FactType& t = g.facts[i].fact_type;
        if (std::uniform_int_distribution<int>(0, 1)(rng)) {
          p[i] = std::uniform_int_distribution<std::int64_t>(t.lo, t.hi)(rng);
        } else {
          auto it = interesting_[i].begin();
          std::advance(it, std::uniform_int_distribution<std::size_t>(0, interesting_[i].size() - 1)(rng));
          p[i] = *it;
        }
      }
      if (r_.broken_constraint(p) < 0) return p;
    }
    return std::nullopt;
  }

 private:
  void collect(const Expr& e, const Guideline& g) {
    if (e.args.size() == 2) {
      for (int side = 0; side < 2; ++side) {
        const Expr& a = *e.args[side];
        const Expr& b = *e.args[1 - side];
        if (a.op != Op::Name || a.name_kind != NameKind::Fact) continue;
        std::int64_t k;
        if (b.op == Op::IntLit || b.op == Op::EnumValue) k = b.int_value;
        else if (b.op == Op::Name && b.name_kind == NameKind::Param) k = g.params[b.index].param_value;
        else continue;
        const FactType& t = g.facts[a.index].fact_type;
        for (std::int64_t v : {k - 1, k, k + 1})
          if (v >= t.lo && v <= t.hi) interesting_[a.index].insert(v);
      }
    }
    for (const auto& a : e.args) collect(*a, g);
  }

  const Recommender& r_;
  std::vector<std::set<std::int64_t>> interesting_;
};

}  // namespace kb::testing
