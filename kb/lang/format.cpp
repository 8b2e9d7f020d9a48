// The formatter: items laid out as lines, each anchored at the source
// position of its first located token, so that comments can be put back next
// to the tokens they were written by (docs/language.md, "Formatting").
#include "kb/lang/format.h"

#include <algorithm>
#include <stdexcept>
#include <utility>
#include <vector>

#include "kb/lang/parser.h"
#include "kb/lang/printer.h"

namespace kb {
namespace {

using Pos = std::pair<int, int>;  // line, column

Pos pos_of(const Loc& l) { return {l.line, l.column}; }

// The earliest source position of any token of `e` (parentheses aside).
Pos first_pos(const Expr& e) {
  Pos p = pos_of(e.loc);
  for (const auto& a : e.args) p = std::min(p, first_pos(*a));
  return p;
}

bool is_chain(const Expr& e) { return e.op == Op::And || e.op == Op::Or || e.op == Op::Implies; }

// One output line of an item, and the comments placed with it.
struct Line {
  std::size_t indent = 0;
  std::string text;
  Pos anchor{0, 0};                   // where its first located token is written
  bool anchored = false;
  std::vector<std::string> before;    // own-line comments above it
  std::vector<std::string> trailing;  // comments at its end
};

// An operand of a flattened chain (a and b and c): the expression, whether
// it is printed in parentheses, and the operator node written before it.
struct Operand {
  const Expr* e;
  bool parens;
  const Expr* op;
};

// Flattens a chain the way print_expr prints it: `and` and `or` group to the
// left, `implies` to the right; any other grouping keeps its parentheses.
void flatten(const Expr& e, const Expr* op_before, std::vector<Operand>& out) {
  const Expr& a = *e.args[0];
  const Expr& b = *e.args[1];
  const int p = precedence(e);
  if (e.op != Op::Implies) {
    if (a.op == e.op) flatten(a, op_before, out);
    else out.push_back({&a, precedence(a) < p, op_before});
    out.push_back({&b, precedence(b) <= p, &e});
  } else {
    out.push_back({&a, precedence(a) <= p, op_before});
    if (b.op == e.op) flatten(b, &e, out);
    else out.push_back({&b, precedence(b) < p, &e});
  }
}

// Builds the lines of one item.
class Layout {
 public:
  explicit Layout(std::size_t width) : width_(width) {}

  void start(std::size_t indent) { lines_.push_back({indent, "", {}, false, {}, {}}); }
  void text(const std::string& s) { lines_.back().text += s; }
  void locate(Pos p) {
    if (!lines_.back().anchored) lines_.back().anchor = p, lines_.back().anchored = true;
  }
  // A line of its own at `indent`, anchored at `at`.
  void line(std::size_t indent, const Loc& at, const std::string& s) {
    start(indent);
    locate(pos_of(at));
    text(s);
  }
  // `keyword` and the expression on a clause line; continuation lines at 4.
  void formula(const std::string& keyword, const Expr& e) {
    start(2);
    text(keyword);
    expr(e, 4);
  }

  std::vector<Line> take() {
    for (std::size_t i = 1; i < lines_.size(); ++i)
      if (!lines_[i].anchored) lines_[i].anchor = lines_[i - 1].anchor, lines_[i].anchored = true;
    return std::move(lines_);
  }

 private:
  bool fits(std::size_t n) const { return lines_.back().indent + lines_.back().text.size() + n <= width_; }

  // `e` at the current column; a chain that does not fit is broken with its
  // continuation lines at `indent`.
  void expr(const Expr& e, std::size_t indent) {
    const std::string flat = print_expr(e);
    locate(first_pos(e));
    if (fits(flat.size())) return text(flat);
    if (is_chain(e)) return chain(e, indent);
    if (e.op == Op::Not) {
      text("not ");
      return operand({e.args[0].get(), precedence(*e.args[0]) < precedence(e), nullptr}, indent);
    }
    text(flat);  // nothing to break at
  }

  void operand(const Operand& o, std::size_t indent) {
    if (!o.parens) return expr(*o.e, indent);
    const std::string flat = "(" + print_expr(*o.e) + ")";
    locate(first_pos(*o.e));
    if (fits(flat.size())) return text(flat);
    text("(");
    expr(*o.e, indent);
    text(")");
  }

  // As many operands per line as fit; each further line starts with the
  // operator. Operands that must break themselves nest 2 deeper.
  void chain(const Expr& e, std::size_t indent) {
    std::vector<Operand> ops;
    flatten(e, nullptr, ops);
    operand(ops[0], indent + 2);
    for (std::size_t k = 1; k < ops.size(); ++k) {
      const std::string op = op_spelling(ops[k].op->op);
      const std::string flat = ops[k].parens ? "(" + print_expr(*ops[k].e) + ")" : print_expr(*ops[k].e);
      if (fits(1 + op.size() + 1 + flat.size())) {
        text(" " + op + " " + flat);
        continue;
      }
      start(indent);
      locate(pos_of(ops[k].op->loc));
      text(op + " ");
      operand(ops[k], indent + 2);
    }
  }

  std::size_t width_;
  std::vector<Line> lines_;
};

std::string cites_list(const Item& it) {
  std::string out = "cites ";
  for (std::size_t i = 0; i < it.cites.size(); ++i) out += (i ? ", " : "") + std::to_string(it.cites[i]);
  return out;
}

// The item's lines, each anchored at its first located token.
std::vector<Line> item_lines(const Item& it, std::size_t width) {
  Layout l(width);
  const std::string head = std::string(item_kind_name(it.kind)) + " " + it.name;
  auto cites = [&] {
    if (!it.cites.empty()) l.line(2, it.cite_locs.empty() ? Loc{} : it.cite_locs[0], cites_list(it));
  };
  switch (it.kind) {
    case ItemKind::Reference: case ItemKind::Fact: case ItemKind::Param: case ItemKind::Action: {
      std::string one = print_item(it);
      one.pop_back();  // the newline
      l.line(0, it.span, one);
      break;
    }
    case ItemKind::Define:
      l.line(0, it.span, head + " " + quote(it.description));
      l.formula("= ", *it.expr);
      break;
    case ItemKind::Constraint:
      l.line(0, it.span, head + " " + quote(it.description));
      l.formula("", *it.expr);
      break;
    case ItemKind::Rule:
      l.line(0, it.span, head);
      l.formula("when ", *it.expr);
      l.line(2, it.action_loc, std::string("then ") + strength_name(it.strength) + " " + it.action);
      l.line(2, it.because_loc, "because " + quote(it.rationale));
      l.line(2, it.source_loc, "source " + quote(it.source));
      cites();
      break;
    case ItemKind::Property:
      l.line(0, it.span, head + " " + quote(it.description));
      l.formula("", *it.expr);
      cites();
      break;
    case ItemKind::Question:
      l.line(0, it.span, head + " " + quote(it.description));
      for (std::size_t i = 0; i < it.fact_type.values.size(); ++i)
        l.line(2, it.alternative_locs.size() > i ? it.alternative_locs[i] : Loc{},
               "alternative " + it.fact_type.values[i] + " " + quote(it.alternative_texts[i]));
      l.line(2, it.chosen_loc, "chosen " + it.chosen + " because " + quote(it.rationale));
      break;
    case ItemKind::Waiver:
      l.line(0, it.span, head + " " + it.lint + " " + item_kind_name(it.target_kind) + ":" + it.target);
      l.line(2, it.because_loc, "because " + quote(it.rationale));
      l.line(2, it.agreed_loc, "agreed " + quote(it.agreed));
      break;
  }
  return l.take();
}

void render_line(const Line& line, std::string& out) {
  const std::string pad(line.indent, ' ');
  for (const auto& c : line.before) out += pad + c + "\n";
  // Several comments trailing one line: all but the last go above it.
  for (std::size_t i = 0; i + 1 < line.trailing.size(); ++i) out += pad + line.trailing[i] + "\n";
  out += pad + line.text;
  if (!line.trailing.empty()) out += "  " + line.trailing.back();
  out += "\n";
}

// A comment inside item `lines` (or trailing its last line): a trailing
// comment goes to the end of the line holding the token it follows, an
// own-line comment above the first line that starts after it.
void place_inside(std::vector<Line>& lines, const Comment& c) {
  const Pos p = pos_of(c.loc);
  if (!c.own_line) {
    std::size_t i = 0;
    while (i + 1 < lines.size() && lines[i + 1].anchor <= p) ++i;
    lines[i].trailing.push_back(c.text);
    return;
  }
  std::size_t j = 1;
  while (j + 1 < lines.size() && lines[j].anchor <= p) ++j;
  lines[std::min(j, lines.size() - 1)].before.push_back(c.text);
}

// A top-level entry in source order: a comment between items, or an item.
struct Entry {
  int first_line, last_line;
  const Comment* comment;
  std::size_t item;
};

std::string render(const Module& m, std::vector<std::vector<Line>>& lines, const std::vector<Comment>& comments) {
  std::vector<Entry> entries;
  std::size_t next = 0;  // the first item not yet entered
  for (const Comment& c : comments) {
    const Pos p = pos_of(c.loc);
    while (next < m.items.size() && pos_of(m.items[next].span) < p) {
      entries.push_back({m.items[next].span.line, m.items[next].span.end_line, nullptr, next});
      ++next;
    }
    const Item* last = next ? &m.items[next - 1] : nullptr;
    if (last && (!c.own_line || p < Pos{last->span.end_line, last->span.end_column}))
      place_inside(lines[next - 1], c);
    else
      entries.push_back({c.loc.line, c.loc.line, &c, 0});
  }
  for (; next < m.items.size(); ++next)
    entries.push_back({m.items[next].span.line, m.items[next].span.end_line, nullptr, next});
  std::string out;
  for (std::size_t e = 0; e < entries.size(); ++e) {
    if (e > 0 && entries[e].first_line > entries[e - 1].last_line + 1) out += "\n";
    if (entries[e].comment) out += entries[e].comment->text + "\n";
    else
      for (const Line& line : lines[entries[e].item]) render_line(line, out);
  }
  return out;
}

std::vector<std::string> sorted_texts(const std::vector<Comment>& comments) {
  std::vector<std::string> out;
  for (const Comment& c : comments) out.push_back(c.text);
  std::sort(out.begin(), out.end());
  return out;
}

// The guard behind the contract: the result parses to items with the same
// canonical text and keeps every comment; anything else is a bug.
void self_check(const Module& before, const std::vector<Comment>& comments, const std::string& formatted) {
  Diagnostics diags;
  std::vector<Comment> after_comments;
  Module after = parse_with_comments("<formatted>", formatted, diags, after_comments);
  bool same = diags.ok() && after.items.size() == before.items.size() &&
              sorted_texts(after_comments) == sorted_texts(comments);
  for (std::size_t i = 0; same && i < after.items.size(); ++i)
    same = print_item(after.items[i]) == print_item(before.items[i]);
  if (!same) throw std::logic_error("the formatter changed the meaning or the comments of the source");
}

}  // namespace

std::string format_item(const Item& item, std::size_t width) {
  std::string out;
  for (const Line& line : item_lines(item, width)) render_line(line, out);
  return out;
}

std::optional<std::string> format_source(const std::string& file, const std::string& text, Diagnostics& diags,
                                         std::size_t width) {
  std::vector<Comment> comments;
  Module m = parse_with_comments(file, text, diags, comments);
  if (!diags.ok()) return std::nullopt;
  std::vector<std::vector<Line>> lines;
  for (const Item& it : m.items) lines.push_back(item_lines(it, width));
  std::string out = render(m, lines, comments);
  self_check(m, comments, out);
  return out;
}

}  // namespace kb
