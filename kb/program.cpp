#include "kb/program.h"

#include <stdexcept>

#include "kb/guideline.h"

namespace kb {
namespace {

constexpr int kMaxDepth = 256;

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
         (e.op == Op::Name && e.name_kind == NameKind::Param);
}

std::int64_t constant_value(const Expr& e, const Guideline& g) {
  if (e.op == Op::BoolLit) return e.bool_value;
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
      if (e.name_kind == NameKind::Param) return push(kConst, 0, constant_value(e, g));
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

}  // namespace kb
