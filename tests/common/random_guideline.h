// Random well-typed guideline sources, for round-trip and differential
// property tests. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace kb::testing {

/** Builds the text of a random, well-typed guideline: facts of every type,
    parameters, definitions, a satisfiable constraint, actions, references,
    rules, properties (which use atoms) and sometimes a waiver. */
class RandomGuideline {
 public:
  /** @param wide int facts and parameters get ranges up to +-10^15 (the
      language's largest literals) and sums nest deeper, for the integer
      soundness tests; otherwise ranges are small. */
  explicit RandomGuideline(std::uint32_t seed, bool wide = false) : rng_(seed), wide_(wide) {}

  /** Makes the constraint (when there is one) a real restriction, which may
      leave no valid patient, instead of a tautology; the draws are the same. */
  RandomGuideline& constrained() {
    constrained_ = true;
    return *this;
  }

  /** The source text. */
  std::string source() {
    std::string out;
    int nrefs = pick(1, 3);
    for (int i = 1; i <= nrefs; ++i) out += "reference " + std::to_string(i) + " \"ref " + std::to_string(i) + "\"\n";
    int nfacts = pick(2, 6);
    for (int i = 0; i < nfacts; ++i) {
      Fact f;
      f.name = "f" + std::to_string(i);
      f.kind = pick(0, 2);
      if (f.kind == 1) {
        if (wide_) {
          std::int64_t scale = kScales[pick(0, 4)];
          f.lo = -scale * pick(0, 1), f.hi = scale;
        } else {
          f.lo = pick(-3, 5), f.hi = f.lo + pick(0, 20);
        }
      }
      if (f.kind == 2) f.values = pick(1, 4);
      facts_.push_back(f);
      out += "fact " + f.name + ": ";
      if (f.kind == 0) out += "bool";
      if (f.kind == 1) out += "int " + std::to_string(f.lo) + ".." + std::to_string(f.hi);
      if (f.kind == 2) {
        out += "enum { ";
        for (int v = 0; v < f.values; ++v) out += (v ? ", " : "") + f.name + "_v" + std::to_string(v);
        out += " }";
      }
      out += " \"fact " + std::to_string(i) + "\"\n";
    }
    int nparams = pick(0, 2);
    for (int i = 0; i < nparams; ++i) {
      std::int64_t lo = pick(0, 5), hi = lo + pick(0, 5);
      if (wide_) lo = -kScales[pick(0, 4)], hi = kScales[pick(0, 4)];
      params_.push_back("p" + std::to_string(i));
      out += "param p" + std::to_string(i) + " = " + std::to_string(wide_ ? hi : pick64(lo, hi)) + " allowed " +
             std::to_string(lo) + ".." + std::to_string(hi) + " \"param\"\n";
    }
    int ndefs = pick(0, 3);
    for (int i = 0; i < ndefs; ++i) {
      std::string body = bool_expr(2, false);
      defines_.push_back("d" + std::to_string(i));
      out += "define d" + std::to_string(i) + " \"definition\" = " + body + "\n";
    }
    if (pick(0, 1))
      out += "constraint C-1 \"some constraint\" " + bool_expr(1, false) + (constrained_ ? "" : " or true") + "\n";
    int nactions = pick(1, 3);
    for (int i = 0; i < nactions; ++i) {
      actions_.push_back(std::string("a").append(std::to_string(i)));
      out += "action a" + std::to_string(i) + " \"action\"\n";
    }
    static const char* strengths[] = {"recommend", "consider", "avoid"};
    int nrules = pick(1, 6);
    for (int i = 0; i < nrules; ++i)
      out += "rule R-" + std::to_string(i) + " when " + bool_expr(3, false) + " then " + strengths[pick(0, 2)] + " " +
             actions_[pick(0, nactions - 1)] + " because \"why\" source \"sentence\" cites " +
             std::to_string(pick(1, nrefs)) + "\n";
    int nprops = pick(0, 3);
    for (int i = 0; i < nprops; ++i)
      out += "property P-" + std::to_string(i) + " \"property\" " + bool_expr(3, true) + "\n";
    if (pick(0, 2) == 0) out += waiver(nrules, nprops);
    return out;
  }

  /** A uniformly chosen integer in lo..hi. */
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  /** A uniformly chosen 64-bit integer in lo..hi. */
  std::int64_t pick64(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
  }

 private:
  static constexpr std::int64_t kScales[] = {7, 1000, 1000000, 1000000000000, 999999999999999};

  struct Fact {
    std::string name;
    int kind = 0;  // 0 bool, 1 int, 2 enum
    std::int64_t lo = 0, hi = 1;
    int values = 0;
  };

  std::vector<const Fact*> of_kind(int kind) const {
    std::vector<const Fact*> out;
    for (const Fact& f : facts_)
      if (f.kind == kind) out.push_back(&f);
    return out;
  }

  // A bare literal only inside + and -, so a fact is never compared with a
  // constant outside its range (the checker rejects that).
  std::string int_expr(int depth, bool literal_ok = false) {
    auto ints = of_kind(1);
    int choice = pick(0, depth > 0 ? (wide_ ? 5 : 3) : 1);
    if (choice > 3) choice = pick(2, 3);  // wide: more sums
    if (choice == 0 && !ints.empty()) return ints[pick(0, static_cast<int>(ints.size()) - 1)]->name;
    if (choice == 1 && !params_.empty()) return params_[pick(0, static_cast<int>(params_.size()) - 1)];
    if (choice >= 2 || !literal_ok)
      return "(" + int_expr(depth - 1, true) + (choice == 2 ? " + " : " - ") + int_expr(depth - 1, true) + ")";
    return std::to_string(wide_ ? pick64(-kScales[4], kScales[4]) : pick(-5, 25));
  }

  std::string bool_expr(int depth, bool atoms) {
    int choice = pick(0, depth > 0 ? 9 : 5);
    auto bools = of_kind(0), ints = of_kind(1), enums = of_kind(2);
    switch (choice) {
      case 0:
        if (!bools.empty()) return bools[pick(0, static_cast<int>(bools.size()) - 1)]->name;
        return pick(0, 1) ? "true" : "false";
      case 1:
        if (!ints.empty()) {  // fact against an in-range constant
          const Fact* f = ints[pick(0, static_cast<int>(ints.size()) - 1)];
          static const char* ops[] = {"<", "<=", ">", ">=", "==", "!="};
          return f->name + " " + ops[pick(0, 5)] + " " + std::to_string(pick64(f->lo, f->hi));
        }
        return "true";
      case 2:
        if (!enums.empty()) {
          const Fact* f = enums[pick(0, static_cast<int>(enums.size()) - 1)];
          if (pick(0, 1)) return f->name + (pick(0, 1) ? " == " : " != ") + f->name + "_v" + std::to_string(pick(0, f->values - 1));
          std::string set;
          int n = pick(1, f->values);
          for (int v = 0; v < n; ++v) set += (v ? ", " : "") + f->name + "_v" + std::to_string(pick(0, f->values - 1));
          return f->name + " in { " + set + " }";
        }
        return "false";
      case 3:
        if (!defines_.empty()) return defines_[pick(0, static_cast<int>(defines_.size()) - 1)];
        return "true";
      case 4:
        if (atoms) {
          static const char* names[] = {"recommended", "considered", "avoided", "offered"};
          return std::string(names[pick(0, 3)]) + "(" + actions_[pick(0, static_cast<int>(actions_.size()) - 1)] + ")";
        }
        return pick(0, 1) ? "true" : "false";
      case 5: {
        static const char* ops[] = {"<", "<=", ">", ">=", "==", "!="};
        return int_expr(wide_ ? 4 : 1) + " " + ops[pick(0, 5)] + " " + int_expr(wide_ ? 4 : 1);
      }
      case 6: return "not " + paren(bool_expr(depth - 1, atoms));
      case 7: return paren(bool_expr(depth - 1, atoms)) + " and " + paren(bool_expr(depth - 1, atoms));
      case 8: return paren(bool_expr(depth - 1, atoms)) + " or " + paren(bool_expr(depth - 1, atoms));
      default: return paren(bool_expr(depth - 1, atoms)) + " implies " + paren(bool_expr(depth - 1, atoms));
    }
  }

  static std::string paren(const std::string& s) { return "(" + s + ")"; }

  // A waiver of some lint about one of the rules or properties.
  std::string waiver(int nrules, int nprops) {
    static const char* rule_lints[] = {"dead-rule", "redundant-rule", "uncovered-rule"};
    static const char* property_lints[] = {"vacuous-property", "rule-free-property", "restates-rule"};
    const bool on_rule = nprops == 0 || pick(0, 1) == 1;
    const std::string lint = on_rule ? rule_lints[pick(0, 2)] : property_lints[pick(0, 2)];
    const std::string target = on_rule ? "rule:R-" + std::to_string(pick(0, nrules - 1))
                                       : "property:P-" + std::to_string(pick(0, nprops - 1));
    return "waiver W-1 " + lint + " " + target + " because \"why\" agreed \"who\"\n";
  }

  std::mt19937 rng_;
  bool wide_ = false;
  bool constrained_ = false;
  std::vector<Fact> facts_;
  std::vector<std::string> params_, defines_, actions_;
};

}  // namespace kb::testing
