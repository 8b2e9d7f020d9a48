#include "kb/lang/printer.h"

namespace kb {

int precedence(const Expr& e) {
  switch (e.op) {
    case Op::Implies: return 1;
    case Op::Or: return 2;
    case Op::And: return 3;
    case Op::Not: return 4;
    case Op::Eq: case Op::Ne: case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: case Op::In: return 5;
    case Op::Add: case Op::Sub: return 6;
    default: return 7;
  }
}

namespace {

std::string wrap(const Expr& e, bool parens) {
  if (!parens) return print_expr(e);
  std::string out(1, '(');
  out += print_expr(e);
  out += ')';
  return out;
}

}  // namespace

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string print_expr(const Expr& e) {
  int p = precedence(e);
  switch (e.op) {
    case Op::BoolLit: return e.bool_value ? "true" : "false";
    case Op::IntLit: return std::to_string(e.int_value);
    case Op::Name: case Op::EnumValue: return e.name;
    case Op::Atom: return std::string(atom_name(e.atom)) + "(" + e.name + ")";
    case Op::Not: return "not " + wrap(*e.args[0], precedence(*e.args[0]) < p);
    case Op::In: {
      std::string out = wrap(*e.args[0], precedence(*e.args[0]) <= p) + " in { ";
      for (std::size_t i = 0; i < e.values.size(); ++i) out += (i ? ", " : "") + e.values[i];
      return out + " }";
    }
    default: {
      const Expr& a = *e.args[0];
      const Expr& b = *e.args[1];
      bool left_assoc = e.op != Op::Implies;
      bool compare = p == 5;
      bool pa = precedence(a) < p || (precedence(a) == p && (!left_assoc || compare));
      bool pb = precedence(b) < p || (precedence(b) == p && (left_assoc || compare));
      return wrap(a, pa) + " " + op_spelling(e.op) + " " + wrap(b, pb);
    }
  }
}

static std::string cites_text(const Item& it) {
  if (it.cites.empty()) return "";
  std::string out = "\n  cites ";
  for (std::size_t i = 0; i < it.cites.size(); ++i) out += (i ? ", " : "") + std::to_string(it.cites[i]);
  return out;
}

std::string print_item(const Item& it) {
  switch (it.kind) {
    case ItemKind::Reference: return "reference " + it.name + " " + quote(it.description) + "\n";
    case ItemKind::Fact: {
      std::string type;
      if (it.fact_type.kind == Type::Bool) type = "bool";
      else if (it.fact_type.kind == Type::Int)
        type = "int " + std::to_string(it.fact_type.lo) + ".." + std::to_string(it.fact_type.hi);
      else {
        type = "enum { ";
        for (std::size_t i = 0; i < it.fact_type.values.size(); ++i) type += (i ? ", " : "") + it.fact_type.values[i];
        type += " }";
      }
      return "fact " + it.name + ": " + type + " " + quote(it.description) + "\n";
    }
    case ItemKind::Define:
      return "define " + it.name + " " + quote(it.description) + "\n  = " + print_expr(*it.expr) + "\n";
    case ItemKind::Constraint:
      return "constraint " + it.name + " " + quote(it.description) + "\n  " + print_expr(*it.expr) + "\n";
    case ItemKind::Param:
      return "param " + it.name + " = " + std::to_string(it.param_value) + " allowed " + std::to_string(it.param_lo) +
             ".." + std::to_string(it.param_hi) + " " + quote(it.description) + "\n";
    case ItemKind::Question: {
      std::string out = "question " + it.name + " " + quote(it.description) + "\n";
      for (std::size_t i = 0; i < it.fact_type.values.size(); ++i)
        out += "  alternative " + it.fact_type.values[i] + " " + quote(it.alternative_texts[i]) + "\n";
      return out + "  chosen " + it.chosen + " because " + quote(it.rationale) + "\n";
    }
    case ItemKind::Action: return "action " + it.name + " " + quote(it.description) + "\n";
    case ItemKind::Rule:
      return "rule " + it.name + "\n  when " + print_expr(*it.expr) + "\n  then " + strength_name(it.strength) + " " +
             it.action + "\n  because " + quote(it.rationale) + "\n  source " + quote(it.source) + cites_text(it) +
             "\n";
    case ItemKind::Property:
      return "property " + it.name + " " + quote(it.description) + "\n  " + print_expr(*it.expr) + cites_text(it) +
             "\n";
    case ItemKind::Waiver:
      return "waiver " + it.name + " " + it.lint + " " + item_kind_name(it.target_kind) + ":" + it.target +
             "\n  because " + quote(it.rationale) + "\n  agreed " + quote(it.agreed) + "\n";
  }
  return "";
}

}  // namespace kb
