// Recursive-descent parser for docs/language.md. A syntax error abandons the
// current item and resumes at the next item keyword.
#include "kb/lang/parser.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>
#include <set>
#include <string_view>

#include "kb/lang/utf8.h"

namespace kb {
namespace {

enum class Tok { Ident, Int, String, Punct, End, Bad };

struct Token {
  Tok kind = Tok::End;
  std::string text;  // identifier, punctuation, decoded string, digits
  Loc loc;
  std::size_t begin = 0, end = 0;  // byte offsets, to test adjacency
  int end_line = 0, end_column = 0;  // just past the token's last byte
};

const std::set<std::string> kKeywords = {
    "fact", "define", "constraint", "param", "action", "reference", "rule", "property",
    "when", "then", "because", "source", "cites", "allowed", "and", "or", "not",
    "implies", "in", "true", "false", "recommended", "considered", "avoided", "offered", "waiver", "agreed",
    "question", "alternative", "chosen"};
const std::set<std::string> kItemKeywords = {"fact",   "define",    "constraint", "param",
                                             "action", "reference", "rule",       "property", "waiver",
                                             "question"};

struct SyntaxError {};

// Comparison operators, longest spelling first so "<=" is tried before "<".
constexpr Op kComparisons[] = {Op::Eq, Op::Ne, Op::Le, Op::Ge, Op::Lt, Op::Gt};

class Lexer {
 public:
  Lexer(std::shared_ptr<const std::string> file, const std::string& text, Diagnostics& diags,
        std::vector<Comment>* comments = nullptr)
      : file_(std::move(file)), text_(text), diags_(diags), comments_(comments) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    if (text_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = line_start_ = 3;  // a UTF-8 byte-order mark: skipped
    for (;;) {
      skip_space();
      Token t;
      t.loc = {file_, line_, col()};
      t.begin = pos_;
      if (pos_ >= text_.size()) {
        t.kind = Tok::End;
        out.push_back(t);
        return out;
      }
      char c = text_[pos_];
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
        t.kind = Tok::Ident;
        t.text = text_.substr(t.begin, pos_ - t.begin);
      } else if (std::isdigit(static_cast<unsigned char>(c))) {
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
        t.kind = Tok::Int;
        t.text = text_.substr(t.begin, pos_ - t.begin);
      } else if (c == '"') {
        t.kind = Tok::String;
        ++pos_;
        bool closed = false;
        while (pos_ < text_.size() && text_[pos_] != '\n') {
          char d = text_[pos_++];
          if (d == '"') { closed = true; break; }
          if (d == '\\' && pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\\')) d = text_[pos_++];
          t.text += d;
        }
        check_utf8(t.begin + 1, pos_);
        if (!closed) {
          diags_.error(t.loc, "unterminated string (strings end on the same line)");
          t.kind = Tok::Bad;
        }
      } else if (static_cast<unsigned char>(c) >= 0x80 || std::iscntrl(static_cast<unsigned char>(c))) {
        unexpected(t);
      } else {
        static const char* two[] = {"==", "!=", "<=", ">=", ".."};
        t.kind = Tok::Punct;
        for (const char* p : two)
          if (text_.compare(pos_, 2, p) == 0) t.text = p;
        if (t.text.empty()) {
          if (std::string("<>(){},:=+-").find(c) == std::string::npos) {
            diags_.error(t.loc, std::string("unexpected character '") + c + "'");
            t.kind = Tok::Bad;
          }
          t.text = std::string(1, c);
        }
        pos_ += t.text.size();
      }
      t.end = pos_;
      t.end_line = line_, t.end_column = col();
      out.push_back(t);
    }
  }

 private:
  int col(std::size_t pos) const { return static_cast<int>(pos - line_start_) + 1; }
  int col() const { return col(pos_); }
  static std::string hex(unsigned char b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02X", b);
    return buf;
  }
  // Reports the first byte of text_[from, to) (one line) that is not
  // well-formed UTF-8: sources must be UTF-8.
  void check_utf8(std::size_t from, std::size_t to) {
    std::size_t bad = utf8_invalid_offset(std::string_view(text_).substr(from, to - from));
    if (bad == std::string_view::npos) return;
    const unsigned char byte = static_cast<unsigned char>(text_[from + bad]);
    diags_.error({file_, line_, col(from + bad)}, "invalid UTF-8 (byte " + hex(byte) + "); sources must be UTF-8",
                 "encoding");
  }
  // A byte no token starts with: a control character, a character outside
  // ASCII (consumed whole), or a byte that is not UTF-8.
  void unexpected(Token& t) {
    t.kind = Tok::Bad;
    const unsigned char c = static_cast<unsigned char>(text_[pos_]);
    std::size_t n = utf8_char_length(text_, pos_);
    if (n == 0) {
      diags_.error(t.loc, "invalid UTF-8 (byte " + hex(c) + "); sources must be UTF-8", "encoding");
      n = 1;
    } else if (c < 0x80) {
      diags_.error(t.loc, "unexpected control character " + hex(c));
    } else {
      diags_.error(t.loc, "unexpected character '" + text_.substr(pos_, n) + "'");
    }
    t.text = text_.substr(pos_, n);
    pos_ += n;
  }
  void skip_space() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\n') {
        ++pos_;
        ++line_;
        line_start_ = pos_;
      } else if (c == '#') {
        std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
        check_utf8(start, pos_);
        if (comments_) keep_comment(start);
      } else if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else {
        return;
      }
    }
  }
  // Records the comment from `start` to pos_ (trailing spaces dropped).
  void keep_comment(std::size_t start) {
    std::size_t end = pos_;
    while (end > start && std::isspace(static_cast<unsigned char>(text_[end - 1]))) --end;
    bool own_line = true;
    for (std::size_t i = line_start_; i < start; ++i)
      if (!std::isspace(static_cast<unsigned char>(text_[i]))) own_line = false;
    Loc loc{file_, line_, static_cast<int>(start - line_start_) + 1};
    comments_->push_back({std::move(loc), text_.substr(start, end - start), own_line});
  }
  std::shared_ptr<const std::string> file_;
  const std::string& text_;
  Diagnostics& diags_;
  std::vector<Comment>* comments_;
  std::size_t pos_ = 0, line_start_ = 0;
  int line_ = 1;
};

class Parser {
 public:
  Parser(std::vector<Token> toks, Diagnostics& diags) : toks_(std::move(toks)), diags_(diags) {}

  Module run() {
    Module m;
    while (peek().kind != Tok::End) {
      if (!is_item_start(peek())) {  // reported here, not thrown: no item to abandon
        if (peek().kind != Tok::Bad)
          diags_.error(peek().loc, "expected an item (fact, define, constraint, param, question, action, reference, "
                                   "rule, property, waiver), found " + describe(peek()));
        recover();
        continue;
      }
      try {
        m.items.push_back(item());
      } catch (const SyntaxError&) {
        recover();
      }
    }
    return m;
  }

 private:
  const Token& peek(std::size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  Token next() {
    Token t = peek();
    if (pos_ < toks_.size() - 1) ++pos_;
    return t;
  }
  static bool is_item_start(const Token& t) { return t.kind == Tok::Ident && kItemKeywords.count(t.text); }
  bool at(const char* text) const {
    const Token& t = peek();
    return (t.kind == Tok::Ident || t.kind == Tok::Punct) && t.text == text;
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::End: return "end of file";
      case Tok::String: return "a string";
      default: return "'" + excerpt(t.text) + "'";
    }
  }
  [[noreturn]] void error_here(const std::string& what) {
    if (peek().kind != Tok::Bad) diags_.error(peek().loc, what + ", found " + describe(peek()));
    throw SyntaxError{};
  }
  void recover() {
    next();
    while (peek().kind != Tok::End && !is_item_start(peek())) next();
  }
  void expect(const char* text, const std::string& context) {
    if (!at(text)) error_here(std::string("expected '") + text + "' " + context);
    next();
  }
  Token name(const std::string& context) {
    if (peek().kind != Tok::Ident || kKeywords.count(peek().text)) error_here("expected a name " + context);
    return next();
  }
  // ID: names and numbers joined by '-' with no spaces.
  Token id(const std::string& context) { return joined(name(context)); }
  // `t` and the names or numbers joined to it by '-' with no spaces.
  Token joined(Token t) {
    while (at("-") && peek().begin == t.end && (peek(1).kind == Tok::Ident || peek(1).kind == Tok::Int) &&
           peek(1).begin == peek().end) {
      next();
      Token part = next();
      t.text += "-" + part.text;
      t.end = part.end;
    }
    return t;
  }
  std::string string(const std::string& context) {
    if (peek().kind != Tok::String) error_here("expected a quoted string " + context);
    return next().text;
  }
  // An integer literal, optionally negative, of at most 15 digits
  // (kMaxIntegerDigits); `loc` receives where its digits are.
  std::int64_t integer(const std::string& context, Loc* loc = nullptr) {
    bool neg = false;
    if (at("-")) {
      next();
      neg = true;
    }
    if (peek().kind != Tok::Int) error_here("expected an integer " + context);
    Token t = next();
    if (loc) *loc = t.loc;
    std::size_t first = std::min(t.text.find_first_not_of('0'), t.text.size() - 1);  // keep one 0
    if (t.text.size() - first > static_cast<std::size_t>(kMaxIntegerDigits)) {
      diags_.error(t.loc,
                   "integer " + std::string(neg ? "-" : "") + excerpt(t.text, 40) +
                       " is out of range: integers have at most " + std::to_string(kMaxIntegerDigits) + " digits",
                   "out-of-range");
      throw SyntaxError{};
    }
    std::int64_t v = 0;
    for (std::size_t i = first; i < t.text.size(); ++i) v = v * 10 + (t.text[i] - '0');
    return neg ? -v : v;
  }
  // A reference number, in `reference N` and after `cites`: 0..kMaxReferenceNumber.
  int reference_number(const std::string& context, Loc* loc) {
    std::int64_t v = integer(context, loc);
    if (v < 0 || v > kMaxReferenceNumber) {
      diags_.error(*loc, "reference number " + std::to_string(v) + " is out of range 0.." +
                             std::to_string(kMaxReferenceNumber), "out-of-range");
      throw SyntaxError{};
    }
    return static_cast<int>(v);
  }

  // One item: its keyword picks the form; `span` covers it from the keyword
  // to its last token.
  Item item() {
    Token kw = next();
    Item it;
    if (kw.text == "fact") fact(it);
    else if (kw.text == "define") define(it);
    else if (kw.text == "constraint" || kw.text == "property") formula(it, kw.text);
    else if (kw.text == "param") param(it);
    else if (kw.text == "action") action(it);
    else if (kw.text == "reference") reference(it);
    else if (kw.text == "waiver") waiver(it);
    else if (kw.text == "question") question(it);
    else rule(it);
    const Token& last = toks_[pos_ == 0 ? 0 : pos_ - 1];
    it.span = kw.loc;
    it.span.end_line = last.end_line, it.span.end_column = last.end_column;
    return it;
  }

  void named(Item& it, ItemKind kind, const Token& n) {
    it.kind = kind;
    it.name = n.text, it.loc = n.loc;
  }

  void fact(Item& it) {
    named(it, ItemKind::Fact, name("after 'fact'"));
    expect(":", "after the fact name");
    Token ty = peek();
    if (at("bool")) {
      next();
      it.fact_type = {Type::Bool, 0, 1, {}};
    } else if (at("int")) {
      next();
      it.fact_type.kind = Type::Int;
      it.fact_type.lo = integer("for the lower bound of the range");
      expect("..", "between the bounds of the range");
      it.fact_type.hi = integer("for the upper bound of the range");
      if (it.fact_type.lo > it.fact_type.hi)
        diags_.error(ty.loc, "empty range " + std::to_string(it.fact_type.lo) + ".." + std::to_string(it.fact_type.hi));
    } else if (at("enum")) {
      next();
      enum_values(it, ty);
    } else {
      error_here("expected a type (bool, int LO..HI, enum { ... })");
    }
    it.description = string("describing the fact");
  }

  void enum_values(Item& it, const Token& ty) {
    it.fact_type.kind = Type::Enum;
    expect("{", "after 'enum'");
    std::set<std::string> seen;
    do {
      Token v = name("for an enum value");
      if (!seen.insert(v.text).second) diags_.error(v.loc, "duplicate enum value '" + v.text + "'");
      it.fact_type.values.push_back(v.text);
    } while (at(",") && (next(), true));
    expect("}", "after the enum values");
    if (it.fact_type.values.size() > 64) diags_.error(ty.loc, "an enum may have at most 64 values");
    it.fact_type.lo = 0;
    it.fact_type.hi = static_cast<std::int64_t>(it.fact_type.values.size()) - 1;
  }

  void define(Item& it) {
    named(it, ItemKind::Define, name("after 'define'"));
    it.description = string("describing the definition");
    expect("=", "after the definition's description");
    it.expr = expr();
  }

  // A constraint or a property: id, description, formula (properties may cite).
  void formula(Item& it, const std::string& kw) {
    named(it, kw == "constraint" ? ItemKind::Constraint : ItemKind::Property, id("after '" + kw + "'"));
    it.description = string("describing the " + kw);
    it.expr = expr();
    if (it.kind == ItemKind::Property) cites(it);
  }

  void param(Item& it) {
    named(it, ItemKind::Param, name("after 'param'"));
    expect("=", "after the parameter name");
    it.param_value = integer("for the parameter value", &it.value_loc);
    expect("allowed", "after the parameter value");
    it.param_lo = integer("for the lowest allowed value");
    expect("..", "between the allowed bounds");
    it.param_hi = integer("for the highest allowed value");
    it.description = string("describing the parameter");
  }

  // question NAME "..." alternative A "..." ... chosen A because "..."
  void question(Item& it) {
    named(it, ItemKind::Question, name("after 'question'"));
    it.description = string("describing the question");
    it.fact_type.kind = Type::Enum;
    std::set<std::string> seen;
    if (!at("alternative")) error_here("expected 'alternative' (a question has at least two)");
    while (at("alternative")) {
      next();
      Token a = name("for the alternative");
      if (!seen.insert(a.text).second) diags_.error(a.loc, "duplicate alternative '" + a.text + "'");
      it.fact_type.values.push_back(a.text);
      it.alternative_locs.push_back(a.loc);
      it.alternative_texts.push_back(string("describing the alternative"));
    }
    if (it.fact_type.values.size() < 2) diags_.error(it.loc, "a question needs at least two alternatives");
    if (it.fact_type.values.size() > 64) diags_.error(it.loc, "a question may have at most 64 alternatives");
    it.fact_type.lo = 0;
    it.fact_type.hi = static_cast<std::int64_t>(it.fact_type.values.size()) - 1;
    expect("chosen", "after the alternatives");
    Token c = name("for the chosen alternative");
    it.chosen = c.text, it.chosen_loc = c.loc;
    it.because_loc = peek().loc;
    expect("because", "before the reason for the choice");
    it.rationale = string("for the reason");
  }

  void action(Item& it) {
    named(it, ItemKind::Action, name("after 'action'"));
    it.description = string("describing the action");
  }

  void reference(Item& it) {
    it.kind = ItemKind::Reference;
    it.name = std::to_string(reference_number("for the reference number", &it.loc));
    it.description = string("with the reference text");
  }

  void rule(Item& it) {
    named(it, ItemKind::Rule, id("after 'rule'"));
    expect("when", "after the rule id");
    it.expr = expr();
    expect("then", "after the rule condition");
    std::optional<Strength> strength =
        peek().kind == Tok::Ident ? strength_from_name(peek().text) : std::nullopt;
    if (!strength) error_here("expected 'recommend', 'consider' or 'avoid' after 'then'");
    it.strength = *strength;
    next();
    Token a = name("for the action");
    it.action = a.text, it.action_loc = a.loc;
    it.because_loc = peek().loc;
    expect("because", "before the rule's rationale");
    it.rationale = string("for the rationale");
    it.source_loc = peek().loc;
    expect("source", "before the guideline sentence");
    it.source = string("quoting the guideline sentence");
    cites(it);
  }

  // waiver ID LINT KIND:NAME because "..." agreed "..."
  void waiver(Item& it) {
    named(it, ItemKind::Waiver, id("after 'waiver'"));
    if (peek().kind != Tok::Ident) error_here("expected the lint the waiver keeps (e.g. restates-rule)");
    Token lint = joined(next());
    it.lint = lint.text, it.lint_loc = lint.loc;
    std::optional<ItemKind> kind = peek().kind == Tok::Ident ? item_kind_from_name(peek().text) : std::nullopt;
    if (!kind) error_here("expected the item whose finding is waived, as KIND:NAME (e.g. property:P-1)");
    next();
    it.target_kind = *kind;
    expect(":", "between the kind and the name of the waived item");
    Token target = id("for the waived item");
    it.target = target.text, it.target_loc = target.loc;
    it.because_loc = peek().loc;
    expect("because", "before the reason for the waiver");
    it.rationale = string("for the reason");
    it.agreed_loc = peek().loc;
    expect("agreed", "before who agreed to the waiver and when");
    it.agreed = string("naming who agreed and when");
  }

  void cites(Item& it) {
    if (!at("cites")) return;
    next();
    do {
      Loc l;
      it.cites.push_back(reference_number("for a reference number", &l));
      it.cite_locs.push_back(l);
    } while (at(",") && (next(), true));
  }

  // An expression as it is parsed, with its depth (kMaxExpressionDepth).
  struct Sub {
    ExprPtr e;
    int depth = 1;
  };

  [[noreturn]] void too_deep(const Loc& loc) {
    diags_.error(loc, "expression nests deeper than the limit of " + std::to_string(kMaxExpressionDepth) +
                          " levels; group its terms with parentheses or definitions", "too-deep");
    throw SyntaxError{};
  }
  // `e`, `depth` levels deep; an error at `loc` past the limit.
  Sub deep(ExprPtr e, int depth, const Loc& loc) {
    if (depth > kMaxExpressionDepth) too_deep(loc);
    return {std::move(e), depth};
  }
  // While alive, one more construct is open (a parenthesis, a `not`, the
  // right side of `implies`): what is parsed inside is at least one level
  // deeper, so nesting stops at the limit before the parser recurses further.
  class Nest {
   public:
    Nest(Parser& p, const Loc& loc) : p_(p) {
      if (p_.open_ + 1 >= kMaxExpressionDepth) p_.too_deep(loc);
      ++p_.open_;
    }
    ~Nest() { --p_.open_; }
    Nest(const Nest&) = delete;
    Nest& operator=(const Nest&) = delete;

   private:
    Parser& p_;
  };

  ExprPtr node(Op op, Loc loc) {
    auto e = std::make_unique<Expr>();
    e->op = op;
    e->loc = std::move(loc);
    return e;
  }
  Sub binary(Op op, const Loc& loc, Sub a, Sub b) {
    auto e = node(op, loc);
    int depth = 1 + std::max(a.depth, b.depth);
    e->args.push_back(std::move(a.e));
    e->args.push_back(std::move(b.e));
    return deep(std::move(e), depth, loc);
  }

  ExprPtr expr() { return implication().e; }
  Sub implication() {
    Sub lhs = disjunction();
    if (at("implies")) {
      Loc l = next().loc;
      Nest nest(*this, l);
      return binary(Op::Implies, l, std::move(lhs), implication());
    }
    return lhs;
  }
  Sub disjunction() {
    Sub e = conjunction();
    while (at("or")) {
      Loc l = next().loc;
      e = binary(Op::Or, l, std::move(e), conjunction());
    }
    return e;
  }
  Sub conjunction() {
    Sub e = negation();
    while (at("and")) {
      Loc l = next().loc;
      e = binary(Op::And, l, std::move(e), negation());
    }
    return e;
  }
  Sub negation() {
    if (at("not")) {
      Loc l = next().loc;
      Nest nest(*this, l);
      Sub a = negation();
      auto e = node(Op::Not, l);
      e->args.push_back(std::move(a.e));
      return deep(std::move(e), a.depth + 1, l);
    }
    return comparison();
  }
  Sub comparison() {
    Sub lhs = sum();
    for (Op op : kComparisons) {
      if (at(op_spelling(op))) {
        Loc l = next().loc;
        Sub e = binary(op, l, std::move(lhs), sum());
        check_no_chain();
        return e;
      }
    }
    if (at("in")) {
      Loc l = next().loc;
      auto e = node(Op::In, l);
      int depth = lhs.depth + 1;
      e->args.push_back(std::move(lhs.e));
      expect("{", "after 'in'");
      do {
        Token v = name("for an enum value");
        e->values.push_back(v.text);
        e->value_locs.push_back(v.loc);
      } while (at(",") && (next(), true));
      expect("}", "after the values of 'in'");
      check_no_chain();
      return deep(std::move(e), depth, l);
    }
    return lhs;
  }
  void check_no_chain() {
    for (Op op : kComparisons)
      if (at(op_spelling(op)) || at("in")) error_here("comparisons do not chain; add 'and' or parentheses");
  }
  Sub sum() {
    Sub e = primary();
    while (at("+") || at("-")) {
      Token t = next();
      e = binary(t.text == "+" ? Op::Add : Op::Sub, t.loc, std::move(e), primary());
    }
    return e;
  }
  Sub primary() {
    const Token& t = peek();
    if (at("(")) {
      Loc l = next().loc;
      Nest nest(*this, l);
      Sub e = implication();
      expect(")", "to close the parenthesis");
      return deep(std::move(e.e), e.depth + 1, l);
    }
    if (at("true") || at("false")) {
      auto e = node(Op::BoolLit, t.loc);
      e->bool_value = t.text == "true";
      next();
      return {std::move(e)};
    }
    if (t.kind == Tok::Int || (at("-") && peek(1).kind == Tok::Int)) {
      auto e = node(Op::IntLit, t.loc);
      e->int_value = integer("");
      return {std::move(e)};
    }
    if (std::optional<AtomKind> kind = t.kind == Tok::Ident ? atom_from_name(t.text) : std::nullopt) {
      std::string text = t.text;
      auto e = node(Op::Atom, next().loc);
      e->atom = *kind;
      expect("(", "after '" + text + "'");
      e->name = name("for the action").text;
      expect(")", "after the action");
      return {std::move(e)};
    }
    if (t.kind == Tok::Ident && !kKeywords.count(t.text)) {
      auto e = node(Op::Name, t.loc);
      e->name = t.text;
      next();
      return {std::move(e)};
    }
    error_here("expected an expression");
  }

  std::vector<Token> toks_;
  std::size_t pos_ = 0;
  int open_ = 0;  // constructs open around the current token (Nest)
  Diagnostics& diags_;
};

}  // namespace

Module parse_source(const std::string& file, const std::string& text, Diagnostics& diags) {
  auto f = std::make_shared<const std::string>(file);
  Lexer lexer(f, text, diags);
  Parser parser(lexer.run(), diags);
  return parser.run();
}

Module parse_with_comments(const std::string& file, const std::string& text, Diagnostics& diags,
                           std::vector<Comment>& comments) {
  auto f = std::make_shared<const std::string>(file);
  Lexer lexer(f, text, diags, &comments);
  Parser parser(lexer.run(), diags);
  return parser.run();
}

}  // namespace kb
