#include "synth.h"

#include <algorithm>
#include <random>
#include <vector>

namespace kb::synth {
namespace {

// A section: 20 facts (a gate int, a trigger bool, then bools, ints and enums),
// two definitions, two constraints and one threshold parameter.
constexpr int kFactsPerSection = 20;

class Generator {
 public:
  explicit Generator(const Options& o) : o_(o), rng_(o.seed) {}

  std::string run() {
    int rules = std::max(o_.rules, 10);
    int actions = rules / 10;
    int facts = std::max(rules / 5, kFactsPerSection);
    sections_ = std::max(1, facts / kFactsPerSection);
    out_ += "# Synthetic guideline: " + std::to_string(rules) + " rules, seed " + std::to_string(o_.seed) + "\n";
    out_ += "reference 1 \"Synthetic evidence\"\n";
    for (int s = 0; s < sections_; ++s) section(s);
    for (int a = 0; a < actions; ++a) action(a, a == actions - 1 ? rules - 10 * (actions - 1) : 10);
    return out_;
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::string f(int s, int i) const { return "s" + std::to_string(s) + "_f" + std::to_string(i); }
  std::string sec(int s) const { return "s" + std::to_string(s); }

  // Facts 0 gate (int 0..240), 1 trigger (bool), 2..7 bools, 8..13 ints 0..K, 14..19 enums.
  void section(int s) {
    out_ += "\n# Section " + std::to_string(s) + "\n";
    out_ += "fact " + f(s, 0) + ": int 0..240 \"months of response\"\n";
    for (int i = 1; i < 8; ++i) out_ += "fact " + f(s, i) + ": bool \"finding\"\n";
    for (int i = 8; i < 14; ++i) out_ += "fact " + f(s, i) + ": int 0.." + std::to_string(pick(5, 100)) + " \"count\"\n";
    for (int i = 14; i < 20; ++i) {
      out_ += "fact " + f(s, i) + ": enum { ";
      int n = pick(2, 5);
      for (int v = 0; v < n; ++v) out_ += (v ? ", " : "") + f(s, i) + "_v" + std::to_string(v);
      out_ += " } \"category\"\n";
    }
    out_ += "param " + sec(s) + "_min = 6 allowed 3..6 \"minimum months\"\n";
    out_ += "define " + sec(s) + "_d0 \"selected\" = " + f(s, 2) + " and not " + f(s, 3) + "\n";
    out_ += "define " + sec(s) + "_d1 \"limited burden\" = (" + f(s, 8) + " + " + f(s, 9) + ") <= 12\n";
    out_ += "constraint " + sec(s) + "-C0 \"dependent findings\" " + f(s, 4) + " implies " + f(s, 5) + "\n";
    out_ += "constraint " + sec(s) + "-C1 \"category needs a count\" " + f(s, 14) + " == " + f(s, 14) + "_v1 implies " +
            f(s, 10) + " >= 1\n";
  }

  // A random literal over section s's facts 1 and 4..19 and definitions,
  // each fact at most once per rule (`used`); definitions read 2, 3, 8 and 9
  // and constraint C0 reads 4 and 5 positively, so no rule's literals
  // contradict each other and only injected rules are dead.
  std::string literal(int s, std::vector<int>& used) {
    auto fresh = [&](int lo, int hi) {
      int i = pick(lo, hi);
      while (std::find(used.begin(), used.end(), i) != used.end()) i = i == hi ? lo : i + 1;
      used.push_back(i);
      return i;
    };
    switch (pick(0, 4)) {
      case 0: {
        int i = fresh(4, 7);
        return (i < 6 || pick(0, 1) ? "" : "not ") + f(s, i);
      }
      case 1: return f(s, fresh(10, 13)) + (pick(0, 1) ? " >= " : " <= ") + std::to_string(pick(0, 5));
      case 2: {
        std::string e = f(s, fresh(14, 19));
        return e + " != " + e + "_v0";
      }
      case 3: return sec(s) + (pick(0, 1) ? "_d0" : "_d1");
      default: return f(s, 1);
    }
  }

  std::string literals(int s, int n) {
    std::vector<int> used;
    std::string out;
    for (int i = 0; i < n; ++i) out += (i ? " and " : "") + literal(s, used);
    return out;
  }

  // Action a of section a % sections: 8 offering rules gated by the section's
  // minimum response, 2 avoid rules below the floor of 3 months, and
  // properties of the bundled forms.
  void action(int a, int nrules) {
    int s = a % sections_;
    std::string name = "act" + std::to_string(a), gate = f(s, 0), min = sec(s) + "_min";
    bool conflict = a < o_.conflicts;
    out_ += "\naction " + name + " \"synthetic action\"\n";
    for (int r = 0; r < nrules; ++r) {
      std::string id = "A" + std::to_string(a) + "-R" + std::to_string(r), cond, then;
      if (r == 0) {
        cond = f(s, 1) + " and " + gate + " < 3", then = "avoid";
      } else if (r == 1) {
        cond = conflict ? literals(s, 1) : gate + " < 3 and " + literals(s, 2);
        then = "avoid";
      } else {
        bool gated = !(r == 2 && a < o_.violations);
        cond = (gated ? gate + " >= " + min + " and " : "") + literals(s, pick(1, 3));
        then = r % 2 ? "consider" : "recommend";
      }
      if (dead_ < o_.dead_rules && r == nrules - 1) ++dead_, cond = f(s, 2) + " and not " + f(s, 2);
      out_ += "rule " + id + " when " + cond + " then " + then + " " + name +
              " because \"synthetic\" source \"synthetic sentence\" cites 1\n";
    }
    out_ += "property " + name + "-FLOOR \"never offered below the floor\" offered(" + name + ") implies " + gate +
            " >= 3 cites 1\n";
    out_ += "property " + name + "-MIN \"never offered below the chosen minimum\" offered(" + name + ") implies " + gate +
            " >= " + min + " cites 1\n";
    out_ += "property " + name + "-AVOID \"avoided when triggered below the floor\" " + f(s, 1) + " and " + gate +
            " < 3 implies avoided(" + name + ") cites 1\n";
  }

  const Options& o_;
  std::mt19937 rng_;
  std::string out_;
  int sections_ = 1;
  int dead_ = 0;
};

}  // namespace

std::string generate(const Options& o) { return Generator(o).run(); }

}  // namespace kb::synth
