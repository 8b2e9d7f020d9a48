// Compilers and interpreters for kb/program.h. Program: a recursive emitter of
// stack bytecode and a switch interpreter. RuleProgram: a Builder lowers each
// rule condition to a literal over atoms and AND gates (shared, constants
// folded); compile() keeps the nodes the rules need and lays them out as bits
// of 64-bit words, atoms first, then gates level by level so that a gate only
// reads complete words; run() fills the words in order with one tight loop per
// kind of node, then evaluates each rule.
#include "kb/eval/program.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <tuple>

#include "kb/lang/parser.h"
#include "kb/model/guideline.h"
#include "kb/eval/recommender.h"

namespace kb {
namespace {

// Stack slots of Program::run. An expression needs at most one per level of
// its depth, which the parser bounds.
constexpr int kMaxDepth = 256;
static_assert(kMaxExpressionDepth < kMaxDepth, "Program::run's stack must hold the deepest expression");

enum Code : std::uint8_t {
  kConst, kLoad, kNot, kJumpIfFalseElsePop, kJumpIfTrueElsePop,
  kEq, kNe, kLt, kLe, kGt, kGe, kAdd, kSub,
  kEqSC, kNeSC, kLtSC, kLeSC, kGtSC, kGeSC,  // slot (a) against constant (b)
  kInSlot, kInTop,                            // enum value in mask (b)
  kAtom,                                      // action (a) bits & mask (b)
};

Code compare_code(Op op) {
  switch (op) {
    case Op::Eq: return kEq;
    case Op::Ne: return kNe;
    case Op::Lt: return kLt;
    case Op::Le: return kLe;
    case Op::Gt: return kGt;
    case Op::Ge: return kGe;
    case Op::Add: return kAdd;
    default: return kSub;
  }
}

// `k OP slot` rewritten as `slot OP' k`.
Op flip(Op op) {
  switch (op) {
    case Op::Lt: return Op::Gt;
    case Op::Le: return Op::Ge;
    case Op::Gt: return Op::Lt;
    case Op::Ge: return Op::Le;
    default: return op;
  }
}

bool is_slot(const Expr& e) {
  return e.op == Op::Name && (e.name_kind == NameKind::Fact || e.name_kind == NameKind::Define);
}

bool is_constant(const Expr& e) {
  return e.op == Op::IntLit || e.op == Op::EnumValue || e.op == Op::BoolLit ||
         (e.op == Op::Name && (e.name_kind == NameKind::Param || e.name_kind == NameKind::Question));
}

std::int64_t constant_value(const Expr& e, const Guideline& g) {
  if (e.op == Op::BoolLit) return e.bool_value;
  if (e.op == Op::Name && e.name_kind == NameKind::Question) return g.questions[e.index].chosen_index;
  if (e.op == Op::Name) return g.params[e.index].param_value;
  return e.int_value;
}

int slot_of(const Expr& e, const Guideline& g) {
  return e.name_kind == NameKind::Fact ? e.index : static_cast<int>(g.facts.size()) + e.index;
}

}  // namespace

Program Program::compile(const Expr& e, const Guideline& g) {
  Program p;
  p.emit(e, g, 1);
  if (p.max_depth_ > kMaxDepth) throw std::logic_error("expression nests too deeply to compile");
  return p;
}

void Program::emit(const Expr& e, const Guideline& g, int depth) {
  if (depth > max_depth_) max_depth_ = depth;
  auto push = [&](std::uint8_t op, std::int32_t a = 0, std::int64_t b = 0) { code_.push_back({op, a, b}); };
  switch (e.op) {
    case Op::BoolLit: case Op::IntLit: case Op::EnumValue:
      return push(kConst, 0, constant_value(e, g));
    case Op::Name:
      if (is_constant(e)) return push(kConst, 0, constant_value(e, g));
      if (!is_slot(e)) throw std::logic_error("unresolved name in compile: " + e.name);
      return push(kLoad, slot_of(e, g));
    case Op::Atom: {
      std::int64_t mask = e.atom == AtomKind::Recommended ? 1 : e.atom == AtomKind::Considered ? 2
                        : e.atom == AtomKind::Avoided     ? 4 : 3;
      return push(kAtom, e.index, mask);
    }
    case Op::Not:
      emit(*e.args[0], g, depth);
      return push(kNot);
    case Op::And: case Op::Or: case Op::Implies: {
      // a and b: a; if false jump to end (keeping false) else pop; b.
      emit(*e.args[0], g, depth);
      if (e.op == Op::Implies) push(kNot);
      std::size_t jump = code_.size();
      push(e.op == Op::And ? kJumpIfFalseElsePop : kJumpIfTrueElsePop);
      emit(*e.args[1], g, depth);
      code_[jump].a = static_cast<std::int32_t>(code_.size());
      return;
    }
    case Op::In: {
      std::int64_t mask = 0;
      for (int v : e.value_indexes) mask |= std::int64_t{1} << v;
      if (is_slot(*e.args[0])) return push(kInSlot, slot_of(*e.args[0], g), mask);
      emit(*e.args[0], g, depth);
      return push(kInTop, 0, mask);
    }
    default: {  // comparisons and arithmetic
      const Expr* a = e.args[0].get();
      const Expr* b = e.args[1].get();
      Op op = e.op;
      bool compare = op != Op::Add && op != Op::Sub;
      if (compare && is_constant(*a) && is_slot(*b)) std::swap(a, b), op = flip(op);
      if (compare && is_slot(*a) && is_constant(*b))
        return push(static_cast<std::uint8_t>(kEqSC + (compare_code(op) - kEq)), slot_of(*a, g), constant_value(*b, g));
      emit(*a, g, depth);
      emit(*b, g, depth + 1);
      return push(compare_code(op));
    }
  }
}

std::int64_t Program::run(const std::int64_t* slots, const std::uint8_t* actions) const {
  std::int64_t stack[kMaxDepth];
  int sp = -1;
  const Instr* code = code_.data();
  const std::size_t n = code_.size();
  for (std::size_t pc = 0; pc < n; ++pc) {
    const Instr& i = code[pc];
    switch (i.op) {
      case kConst: stack[++sp] = i.b; break;
      case kLoad: stack[++sp] = slots[i.a]; break;
      case kNot: stack[sp] = !stack[sp]; break;
      case kJumpIfFalseElsePop:
        if (!stack[sp]) pc = static_cast<std::size_t>(i.a) - 1;
        else --sp;
        break;
      case kJumpIfTrueElsePop:
        if (stack[sp]) pc = static_cast<std::size_t>(i.a) - 1;
        else --sp;
        break;
      case kEq: --sp; stack[sp] = stack[sp] == stack[sp + 1]; break;
      case kNe: --sp; stack[sp] = stack[sp] != stack[sp + 1]; break;
      case kLt: --sp; stack[sp] = stack[sp] < stack[sp + 1]; break;
      case kLe: --sp; stack[sp] = stack[sp] <= stack[sp + 1]; break;
      case kGt: --sp; stack[sp] = stack[sp] > stack[sp + 1]; break;
      case kGe: --sp; stack[sp] = stack[sp] >= stack[sp + 1]; break;
      case kAdd: --sp; stack[sp] = stack[sp] + stack[sp + 1]; break;
      case kSub: --sp; stack[sp] = stack[sp] - stack[sp + 1]; break;
      case kEqSC: stack[++sp] = slots[i.a] == i.b; break;
      case kNeSC: stack[++sp] = slots[i.a] != i.b; break;
      case kLtSC: stack[++sp] = slots[i.a] < i.b; break;
      case kLeSC: stack[++sp] = slots[i.a] <= i.b; break;
      case kGtSC: stack[++sp] = slots[i.a] > i.b; break;
      case kGeSC: stack[++sp] = slots[i.a] >= i.b; break;
      case kInSlot: stack[++sp] = (i.b >> slots[i.a]) & 1; break;
      case kInTop: stack[sp] = (i.b >> stack[sp]) & 1; break;
      case kAtom: stack[++sp] = (actions[i.a] & i.b) != 0; break;
    }
  }
  return stack[0];
}

// ---------------------------------------------------------------- RuleProgram

namespace {

// Integers wrap like the machine's (well-formed guidelines never overflow);
// unsigned arithmetic keeps that defined.
std::int64_t wrap_add(std::int64_t a, std::int64_t b) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}
std::int64_t wrap_neg(std::int64_t a) { return static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(a)); }

// A boolean value: node `node` (0 is the constant true), negated when `neg`.
struct Lit {
  int node = 0;
  bool neg = false;
  Lit operator~() const { return {node, !neg}; }
  auto operator<=>(const Lit&) const = default;
};
constexpr Lit kTrue{0, false}, kFalse{0, true};

// An int or enum value: k + the sum of coeff * fact over `terms` (no zero coefficient).
struct Linear {
  std::int64_t k = 0;
  std::map<int, std::int64_t> terms;

  void add(const Linear& o, std::int64_t sign) {
    k = wrap_add(k, sign > 0 ? o.k : wrap_neg(o.k));
    for (const auto& [slot, c] : o.terms) {
      std::int64_t& mine = terms[slot];
      mine = wrap_add(mine, sign > 0 ? c : wrap_neg(c));
      if (mine == 0) terms.erase(slot);
    }
  }
};

// An atom (value in a range, or enum value in a set) or an AND gate.
struct Node {
  enum Kind { True, Bool, Range, Mask, Gate } kind = True;
  int slot = 0;                         // Bool, Range, Mask: the fact, or the sum when `sum`
  bool sum = false;
  std::uint64_t lo = 0, size = 0;       // Range: v - lo < size, in wrapping arithmetic
  std::uint64_t mask = 0;               // Mask: the set, bit v for enum value v
  std::vector<Lit> lits;                // Gate: sorted, each node earlier than this one
  int level = 0;                        // 0 for atoms, 1 + the deepest input for gates
};

// Lowers rule conditions to literals, building the shared atoms, gates and sums.
class Builder {
 public:
  explicit Builder(const Guideline& g)
      : g_(g), define_lit_(g.defines.size()), define_linear_(g.defines.size()),
        define_conjuncts_{std::vector<std::optional<std::vector<Lit>>>(g.defines.size()),
                          std::vector<std::optional<std::vector<Lit>>>(g.defines.size())},
        nodes_(1) {}

  /** The literal equal to the checked boolean expression `e`. */
  Lit lower(const Expr& e) {
    switch (e.op) {
      case Op::BoolLit: return e.bool_value ? kTrue : kFalse;
      case Op::Name:
        if (e.name_kind == NameKind::Fact) return atom(Node{Node::Bool, e.index, false, 0, 0, 0, {}, 0});
        if (e.name_kind == NameKind::Define) {
          if (!define_lit_[e.index]) define_lit_[e.index] = lower(*g_.defines[e.index].expr);
          return *define_lit_[e.index];
        }
        throw std::logic_error("not a boolean name in compile: " + e.name);
      case Op::Not: return ~lower(*e.args[0]);
      case Op::And: case Op::Or: case Op::Implies: {
        // `a and b` is a gate; `a or b` and `a implies b` are the negation of one.
        bool is_and = e.op == Op::And;
        std::vector<Lit> lits;
        conjuncts(e, !is_and, lits);
        Lit l = gate(std::move(lits));
        return is_and ? l : ~l;
      }
      case Op::Eq: case Op::Ne:
        if (e.args[0]->type.kind == Type::Bool) {  // a == b is (a and b) or (not a and not b)
          Lit a = lower(*e.args[0]), b = lower(*e.args[1]);
          Lit differ = gate({~gate({a, b}), ~gate({~a, ~b})});
          return e.op == Op::Eq ? ~differ : differ;
        }
        return compare(e.op, *e.args[0], *e.args[1]);
      case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge:
        return compare(e.op, *e.args[0], *e.args[1]);
      case Op::In: {
        std::uint64_t set = 0;
        for (int v : e.value_indexes) set |= std::uint64_t{1} << v;
        Linear v = linear(*e.args[0]);
        if (v.terms.empty()) return (set >> (v.k & 63)) & 1 ? kTrue : kFalse;
        if (v.terms.size() != 1 || v.terms.begin()->second != 1) throw std::logic_error("enum expression is not a name");
        return atom(Node{Node::Mask, v.terms.begin()->first, false, 0, 0, set, {}, 0});
      }
      default: throw std::logic_error("not a boolean expression in compile");
    }
  }

  /** The atoms and gates built so far; nodes()[0] is the constant true. */
  const std::vector<Node>& nodes() const { return nodes_; }
  /** The sums that comparisons need, each as fact -> coefficient. */
  const std::vector<std::map<int, std::int64_t>>& sums() const { return sums_; }

 private:
  // Appends literals whose conjunction is `e` (its negation when `neg`),
  // flattening nested and / or / implies / not, and definitions: a rule
  // `oligometastatic and not staging_complete` becomes one gate over atoms.
  void conjuncts(const Expr& e, bool neg, std::vector<Lit>& out) {
    if (e.op == Op::Not) return conjuncts(*e.args[0], !neg, out);
    if (e.op == Op::Name && e.name_kind == NameKind::Define) {
      std::optional<std::vector<Lit>>& lits = define_conjuncts_[neg][e.index];
      if (!lits) {  // computed once per definition and polarity, without repeats
        lits.emplace();
        conjuncts(*g_.defines[e.index].expr, neg, *lits);
        std::sort(lits->begin(), lits->end());
        lits->erase(std::unique(lits->begin(), lits->end()), lits->end());
      }
      out.insert(out.end(), lits->begin(), lits->end());
      return;
    }
    if ((e.op == Op::And && !neg) || (e.op == Op::Or && neg) || (e.op == Op::Implies && neg)) {
      conjuncts(*e.args[0], e.op == Op::Or, out);  // not (a implies b) is a and not b
      conjuncts(*e.args[1], neg, out);
      return;
    }
    Lit l = lower(e);
    out.push_back(neg ? ~l : l);
  }

  // The AND of `lits`: a constant, one of them, or a (shared) gate.
  Lit gate(std::vector<Lit> lits) {
    std::sort(lits.begin(), lits.end());
    lits.erase(std::unique(lits.begin(), lits.end()), lits.end());
    std::erase(lits, kTrue);
    if (!lits.empty() && lits[0] == kFalse) return kFalse;
    for (std::size_t i = 1; i < lits.size(); ++i)
      if (lits[i].node == lits[i - 1].node) return kFalse;  // x and not x
    if (lits.empty()) return kTrue;
    if (lits.size() == 1) return lits[0];
    if (auto it = gates_.find(lits); it != gates_.end()) return {it->second, false};
    int level = 0;
    for (Lit l : lits) level = std::max(level, nodes_[l.node].level);
    nodes_.push_back(Node{Node::Gate, 0, false, 0, 0, 0, lits, level + 1});
    gates_[lits] = static_cast<int>(nodes_.size()) - 1;
    return {static_cast<int>(nodes_.size()) - 1, false};
  }

  // The (shared) atom `n`.
  Lit atom(const Node& n) {
    auto key = std::make_tuple(n.kind, n.slot, n.sum, n.lo, n.size, n.mask);
    if (auto it = atoms_.find(key); it != atoms_.end()) return {it->second, false};
    nodes_.push_back(n);
    atoms_[key] = static_cast<int>(nodes_.size()) - 1;
    return {static_cast<int>(nodes_.size()) - 1, false};
  }

  // The atom lo <= v <= hi, v fact `slot` or sum `slot`.
  Lit range(int slot, bool sum, std::int64_t lo, std::int64_t hi) {
    std::uint64_t size = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
    if (size == 0) return kTrue;  // every int64
    return atom(Node{Node::Range, slot, sum, static_cast<std::uint64_t>(lo), size, 0, {}, 0});
  }

  // `a OP b` for int or enum operands, as `slot OP c` over a fact or a sum.
  Lit compare(Op op, const Expr& a, const Expr& b) {
    Linear d = linear(a);
    d.add(linear(b), -1);  // a OP b is d OP 0
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    if (d.terms.empty()) {
      std::int64_t v = d.k;
      bool holds = op == Op::Eq ? v == 0 : op == Op::Ne ? v != 0 : op == Op::Lt ? v < 0
                 : op == Op::Le ? v <= 0 : op == Op::Gt ? v > 0 : v >= 0;
      return holds ? kTrue : kFalse;
    }
    int slot;
    bool sum = false;
    std::int64_t c;
    if (d.terms.size() == 1 && (d.terms.begin()->second == 1 || d.terms.begin()->second == -1)) {
      slot = d.terms.begin()->first;
      if (d.terms.begin()->second == 1) {
        c = wrap_neg(d.k);  // s + k OP 0 is s OP -k
      } else {
        c = d.k;  // k - s OP 0 is s OP' k, OP' the mirror of OP
        op = op == Op::Lt ? Op::Gt : op == Op::Le ? Op::Ge : op == Op::Gt ? Op::Lt : op == Op::Ge ? Op::Le : op;
      }
    } else {
      auto [it, fresh] = sum_slots_.try_emplace(d.terms, static_cast<int>(sums_.size()));
      if (fresh) sums_.push_back(d.terms);
      slot = it->second;
      sum = true;
      c = wrap_neg(d.k);
    }
    switch (op) {
      case Op::Eq: return range(slot, sum, c, c);
      case Op::Ne: return ~range(slot, sum, c, c);
      case Op::Le: return range(slot, sum, kMin, c);
      case Op::Gt: return ~range(slot, sum, kMin, c);
      case Op::Ge: return range(slot, sum, c, kMax);
      default: return ~range(slot, sum, c, kMax);  // Lt
    }
  }

  // The linear form of a checked int or enum expression.
  Linear linear(const Expr& e) {
    Linear out;
    switch (e.op) {
      case Op::IntLit: case Op::EnumValue: out.k = e.int_value; return out;
      case Op::Name:
        if (e.name_kind == NameKind::Fact) out.terms[e.index] = 1;
        else if (e.name_kind == NameKind::Param || e.name_kind == NameKind::Question) out.k = constant_value(e, g_);
        else if (e.name_kind == NameKind::Define) {
          if (!define_linear_[e.index]) define_linear_[e.index] = linear(*g_.defines[e.index].expr);
          out = *define_linear_[e.index];
        } else {
          throw std::logic_error("unresolved name in compile: " + e.name);
        }
        return out;
      case Op::Add: case Op::Sub:
        out = linear(*e.args[0]);
        out.add(linear(*e.args[1]), e.op == Op::Add ? 1 : -1);
        return out;
      default: throw std::logic_error("not an int or enum expression in compile");
    }
  }

  const Guideline& g_;
  std::vector<std::optional<Lit>> define_lit_;
  std::vector<std::optional<Linear>> define_linear_;
  std::vector<std::optional<std::vector<Lit>>> define_conjuncts_[2];  // by negation, then define
  std::vector<Node> nodes_;  // nodes_[0] is the constant true
  std::map<std::tuple<Node::Kind, int, bool, std::uint64_t, std::uint64_t, std::uint64_t>, int> atoms_;
  std::map<std::vector<Lit>, int> gates_;
  std::vector<std::map<int, std::int64_t>> sums_;
  std::map<std::map<int, std::int64_t>, int> sum_slots_;
};

}  // namespace

RuleProgram RuleProgram::compile(const Guideline& g) {
  Builder b(g);
  std::vector<Lit> rule_lits;
  for (const Item& r : g.rules) rule_lits.push_back(b.lower(*r.expr));
  const std::vector<Node>& nodes = b.nodes();

  RuleProgram p;
  for (const auto& terms : b.sums()) {
    for (const auto& [fact, c] : terms) p.sum_terms_.push_back({fact, c});
    p.sums_.push_back({static_cast<std::int32_t>(p.sum_terms_.size())});
  }

  // The nodes the rules need (a gate's inputs are earlier nodes), and the
  // gates that only rules read: a rule's fire tests those itself (when they
  // read at most two words), so they need no bit.
  std::vector<bool> live(nodes.size()), read_by_gate(nodes.size()), in_fire(nodes.size());
  live[0] = true;
  for (Lit l : rule_lits) live[l.node] = true;
  for (std::size_t i = nodes.size(); i-- > 1;)
    if (live[i])
      for (Lit l : nodes[i].lits) live[l.node] = read_by_gate[l.node] = true;
  for (std::size_t i = 0; i < nodes.size(); ++i) in_fire[i] = live[i] && nodes[i].kind == Node::Gate && !read_by_gate[i];

  // Words are filled in order: first the atoms (word 0 starting with the
  // constant true), then the gates level by level, each level starting a new
  // word so that a gate reads only complete words. Within a word, nodes go
  // kind by kind in the order run() evaluates them.
  std::vector<int> position(nodes.size());  // word * 64 + bit
  auto word_of = [&](int node) { return position[node] / 64; };
  auto bit_of = [&](int node) { return position[node] % 64; };
  auto terms_of = [&](const Node& n) {  // one term per word read, by word
    std::map<int, Term> by_word;
    for (Lit l : n.lits) {
      Term& t = by_word.try_emplace(word_of(l.node), Term{word_of(l.node), 0, 0}).first->second;
      t.care |= std::uint64_t{1} << bit_of(l.node);
      if (!l.neg) t.flip |= std::uint64_t{1} << bit_of(l.node);
    }
    std::vector<Term> terms;
    for (const auto& [w, t] : by_word) terms.push_back(t);
    if (terms.size() == 1) terms.push_back({0, 0, 0});  // holds
    return terms;
  };
  // Places `group`, (kind, node) pairs sorted by kind, in new words: emit()
  // appends each node to its kind's array, ends() gives the arrays' sizes.
  auto place = [&](const std::vector<std::pair<int, int>>& group, auto emit, auto ends) {
    for (std::size_t start = 0; start < group.size(); start += 64) {
      const std::size_t n = std::min<std::size_t>(64, group.size() - start);
      const int w = static_cast<int>(p.words_.size());
      for (std::size_t k = 0; k < n; ++k) position[group[start + k].second] = w * 64 + static_cast<int>(n - 1 - k);
      for (std::size_t k = 0; k < n; ++k) emit(group[start + k].second, group[start + k].first);
      p.words_.push_back(ends());
    }
  };
  auto size = [](const auto& v) { return static_cast<std::int32_t>(v.size()); };

  std::vector<std::pair<int, int>> atoms{{-1, 0}};  // the constant true first
  int max_level = 0;
  for (std::size_t i = 1; i < nodes.size(); ++i) {
    const Node& n = nodes[i];
    if (!live[i]) continue;
    int kind = n.kind == Node::Bool ? 0 : n.kind == Node::Range ? (n.sum ? 2 : 1) : 3;  // run()'s order
    if (n.kind != Node::Gate) atoms.push_back({kind, static_cast<int>(i)});
    max_level = std::max(max_level, n.level);
  }
  std::stable_sort(atoms.begin(), atoms.end());
  place(atoms, [&](int i, int kind) {
    const Node& n = nodes[i];
    if (kind == 0) p.bools_.push_back({n.slot});
    if (kind == 1) p.ranges_.push_back({n.slot, n.lo, n.size});
    if (kind == 2) p.sum_ranges_.push_back({n.slot, n.lo, n.size});
    if (kind == 3) p.masks_.push_back({n.slot, n.mask});
  }, [&] { return Word{{size(p.bools_), size(p.ranges_), size(p.sum_ranges_), size(p.masks_)}}; });
  p.atom_words_ = p.words_.size();

  auto emit_gate = [&](int i, int wide) {
    std::vector<Term> terms = terms_of(nodes[i]);
    if (!wide) {
      p.gates_.push_back({terms[0], terms[1]});
    } else {
      p.wide_terms_.insert(p.wide_terms_.end(), terms.begin(), terms.end());
      p.wide_gates_.push_back({size(p.wide_terms_)});
    }
  };
  auto gate_ends = [&] { return Word{{size(p.gates_), size(p.wide_gates_), 0, 0}}; };
  std::vector<std::vector<std::pair<int, int>>> by_level(max_level + 2);  // (wide, node)
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (live[i] && nodes[i].kind == Node::Gate && !in_fire[i]) by_level[nodes[i].level].push_back({0, static_cast<int>(i)});
  for (int level = 1; level <= max_level + 1; ++level) {
    if (level == max_level + 1) {  // once every input has its bit: the rules' own gates too wide for a fire
      for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (in_fire[i] && terms_of(nodes[i]).size() > 2) {
          in_fire[i] = false;
          by_level[level].push_back({0, static_cast<int>(i)});
        }
      }
    }
    for (auto& [wide, i] : by_level[level]) wide = terms_of(nodes[i]).size() > 2;
    std::stable_sort(by_level[level].begin(), by_level[level].end());
    place(by_level[level], emit_gate, gate_ends);
  }

  for (std::size_t i = 0; i < g.rules.size(); ++i) {
    const Lit l = rule_lits[i];
    const std::uint64_t bit = std::uint64_t{1} << bit_of(l.node);
    std::vector<Term> terms = in_fire[l.node] ? terms_of(nodes[l.node])
                                              : std::vector<Term>{{word_of(l.node), bit, bit}, {0, 0, 0}};
    p.fires_.push_back({terms[0], terms[1], static_cast<std::int32_t>(i), g.rules[i].action_index,
                        static_cast<std::uint8_t>(l.neg), strength_bit(g.rules[i].strength), 0});
  }
  std::stable_sort(p.fires_.begin(), p.fires_.end(), [](const Fire& x, const Fire& y) { return x.action < y.action; });
  std::vector<bool> ruled(g.actions.size());
  for (Fire& f : p.fires_) {
    f.keep = ruled[f.action] ? 0xff : 0;
    ruled[f.action] = true;
  }
  for (std::size_t a = 0; a < g.actions.size(); ++a)
    if (!ruled[a]) p.unruled_actions_.push_back(static_cast<std::int32_t>(a));
  return p;
}

// The per-node loops are short and hot: unrolling them saves about 5% of
// run()'s instructions and time on the bundled guideline (GCC and Clang both
// read this pragma).
#define KB_UNROLL _Pragma("GCC unroll 4")

void RuleProgram::run(const std::int64_t* facts, std::uint8_t* fired, std::uint8_t* actions) const {
  // Scratch: the sums, then the bit vector. Unsigned, so arithmetic wraps.
  thread_local std::vector<std::uint64_t> scratch;
  if (scratch.size() < sums_.size() + words_.size()) scratch.resize(sums_.size() + words_.size());
  std::uint64_t* const sums = scratch.data();
  std::uint64_t* const bits = sums + sums_.size();
  const std::uint64_t* const in = reinterpret_cast<const std::uint64_t*>(facts);

  const SumTerm* const sum_terms = sum_terms_.data();
  for (std::size_t s = 0, t = 0, n = sums_.size(); s < n; ++s) {
    std::uint64_t v = 0;
    for (const std::size_t end = sums_[s].terms_end; t < end; ++t)
      v += static_cast<std::uint64_t>(sum_terms[t].coeff) * in[sum_terms[t].fact];
    sums[s] = v;
  }

  // Each word accumulates in a register, node by node (push shifts a node's
  // value in), then is stored. No branch depends on the patient.
  auto push = [](std::uint64_t word, bool v) { return word + word + v; };
  const Word* const words = words_.data();
  std::size_t w = 0;
  const Bool* bool_ = bools_.data();
  const Range* range = ranges_.data();
  const Range* sum_range = sum_ranges_.data();
  const Mask* mask = masks_.data();
  for (; w < atom_words_; ++w) {
    std::uint64_t word = w == 0;  // the constant true
    KB_UNROLL for (const Bool* end = bools_.data() + words[w].end[0]; bool_ < end; ++bool_)
      word = push(word, in[bool_->fact] != 0);
    KB_UNROLL for (const Range* end = ranges_.data() + words[w].end[1]; range < end; ++range)
      word = push(word, in[range->slot] - range->lo < range->size);
    KB_UNROLL for (const Range* end = sum_ranges_.data() + words[w].end[2]; sum_range < end; ++sum_range)
      word = push(word, sums[sum_range->slot] - sum_range->lo < sum_range->size);
    KB_UNROLL for (const Mask* end = masks_.data() + words[w].end[3]; mask < end; ++mask)
      word = push(word, (mask->mask >> (in[mask->fact] & 63)) & 1);
    bits[w] = word;
  }
  // A gate holds when none of its terms finds a literal that fails.
  auto fails = [bits](const Term& t) { return (bits[t.word] ^ t.flip) & t.care; };
  const Gate* gate = gates_.data();
  const WideGate* wide_gate = wide_gates_.data();
  const Term* wide_term = wide_terms_.data();
  for (const std::size_t n = words_.size(); w < n; ++w) {
    std::uint64_t word = 0;
    KB_UNROLL for (const Gate* end = gates_.data() + words[w].end[0]; gate < end; ++gate)
      word = push(word, (fails(gate->a) | fails(gate->b)) == 0);
    for (const WideGate* end = wide_gates_.data() + words[w].end[1]; wide_gate < end; ++wide_gate) {
      std::uint64_t failed = 0;
      for (const Term* terms_end = wide_terms_.data() + wide_gate->terms_end; wide_term < terms_end; ++wide_term)
        failed |= fails(*wide_term);
      word = push(word, failed == 0);
    }
    bits[w] = word;
  }

  for (std::int32_t a : unruled_actions_) actions[a] = 0;
  std::uint8_t strengths = 0;  // of the current action so far, in a register
  KB_UNROLL for (const Fire& f : fires_) {
    const std::uint8_t v = ((fails(f.a) | fails(f.b)) == 0) ^ f.negate;
    fired[f.rule] = v;
    strengths = static_cast<std::uint8_t>((strengths & f.keep) | (f.bit & -v));
    actions[f.action] = strengths;
  }
}

#undef KB_UNROLL

// Three-valued twin of run(): each node has two bits, "surely true" (t) and
// "surely false" (f), in two parallel word arrays; a literal that is surely
// true or surely false is read from whichever bit its sign selects. Sums are
// bounded by interval arithmetic (no overflow: the checker bounds every sum).
void RuleProgram::run_bounds(const FactBounds* facts, std::uint8_t* sure, std::uint8_t* maybe) const {
  __extension__ typedef __int128 Wide;  // sums of checked bounds fit; the products on the way may not fit 64 bits
  std::vector<Wide> sum_lo(sums_.size()), sum_hi(sums_.size());
  for (std::size_t s = 0, t = 0; s < sums_.size(); ++s) {
    Wide lo = 0, hi = 0;
    for (; t < static_cast<std::size_t>(sums_[s].terms_end); ++t) {
      const FactBounds& b = facts[sum_terms_[t].fact];
      const Wide c = sum_terms_[t].coeff;
      lo += c > 0 ? c * b.lo : c * b.hi;
      hi += c > 0 ? c * b.hi : c * b.lo;
    }
    sum_lo[s] = lo, sum_hi[s] = hi;
  }
  // (surely true, surely false) of "v in lo..lo+size-1" for v within vlo..vhi (or the bits `values`).
  auto in_range = [](const Range& r, Wide vlo, Wide vhi, std::uint64_t values) {
    const Wide rlo = static_cast<std::int64_t>(r.lo), rhi = rlo + static_cast<Wide>(r.size) - 1;
    if (values) {
      std::uint64_t inside = 0;
      for (int v = 0; v < 64; ++v)
        if (v >= rlo && v <= rhi) inside |= std::uint64_t{1} << v;
      return std::pair<bool, bool>{(values & ~inside) == 0, (values & inside) == 0};
    }
    return std::pair<bool, bool>{vlo >= rlo && vhi <= rhi, vhi < rlo || vlo > rhi};
  };
  std::vector<std::uint64_t> t_bits(words_.size()), f_bits(words_.size());
  auto push = [](std::uint64_t& t, std::uint64_t& f, std::pair<bool, bool> v) {
    t = t + t + v.first;
    f = f + f + v.second;
  };
  std::size_t w = 0, nb = 0, nr = 0, ns = 0, nm = 0;
  for (; w < atom_words_; ++w) {
    std::uint64_t t = w == 0, f = 0;  // the constant true
    for (; nb < static_cast<std::size_t>(words_[w].end[0]); ++nb) {
      const FactBounds& b = facts[bools_[nb].fact];
      push(t, f, {b.lo > 0 || b.hi < 0, b.lo == 0 && b.hi == 0});
    }
    for (; nr < static_cast<std::size_t>(words_[w].end[1]); ++nr) {
      const FactBounds& b = facts[ranges_[nr].slot];
      push(t, f, in_range(ranges_[nr], b.lo, b.hi, b.values));
    }
    for (; ns < static_cast<std::size_t>(words_[w].end[2]); ++ns)
      push(t, f, in_range(sum_ranges_[ns], sum_lo[sum_ranges_[ns].slot], sum_hi[sum_ranges_[ns].slot], 0));
    for (; nm < static_cast<std::size_t>(words_[w].end[3]); ++nm) {
      const FactBounds& b = facts[masks_[nm].fact];
      std::uint64_t values = b.values;
      if (!values)  // an enum fact always has its bits; lo..hi keeps this total
        for (std::int64_t v = std::max<std::int64_t>(b.lo, 0); v <= std::min<std::int64_t>(b.hi, 63); ++v)
          values |= std::uint64_t{1} << v;
      push(t, f, {(values & ~masks_[nm].mask) == 0, (values & masks_[nm].mask) == 0});
    }
    t_bits[w] = t, f_bits[w] = f;
  }
  // A term's literals: all surely true, and some surely false.
  auto all_true = [&](const Term& term) {
    return (((t_bits[term.word] & term.flip) | (f_bits[term.word] & ~term.flip)) & term.care) == term.care;
  };
  auto some_false = [&](const Term& term) {
    return (((f_bits[term.word] & term.flip) | (t_bits[term.word] & ~term.flip)) & term.care) != 0;
  };
  std::size_t ng = 0, nw = 0, nt = 0;
  for (; w < words_.size(); ++w) {
    std::uint64_t t = 0, f = 0;
    for (; ng < static_cast<std::size_t>(words_[w].end[0]); ++ng) {
      const Gate& g = gates_[ng];
      push(t, f, {all_true(g.a) && all_true(g.b), some_false(g.a) || some_false(g.b)});
    }
    for (; nw < static_cast<std::size_t>(words_[w].end[1]); ++nw) {
      bool every = true, any_false = false;
      for (; nt < static_cast<std::size_t>(wide_gates_[nw].terms_end); ++nt) {
        every = every && all_true(wide_terms_[nt]);
        any_false = any_false || some_false(wide_terms_[nt]);
      }
      push(t, f, {every, any_false});
    }
    t_bits[w] = t, f_bits[w] = f;
  }
  for (const Fire& fire : fires_) {
    bool holds = all_true(fire.a) && all_true(fire.b), fails = some_false(fire.a) || some_false(fire.b);
    if (fire.negate) std::swap(holds, fails);
    sure[fire.rule] = holds;
    maybe[fire.rule] = !fails;
  }
}

}  // namespace kb
