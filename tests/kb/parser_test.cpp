// Parser and checker: accepted sources, one test per error kind (line,
// column and message), and the print/parse round trip on random sources.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "kb/model/guideline.h"
#include "kb/lang/parser.h"
#include "kb/model/checker.h"
#include "kb/model/sources.h"
#include "kb/lang/printer.h"
#include "tests/common/random_guideline.h"

namespace {

const char* kHeader = R"(reference 1 "ref one"
fact months: int 0..240 "Months of response"
fact lesions: int 0..50 "Lesions"
fact subtype: enum { hr_pos_her2_neg, her2_pos, triple_negative } "Subtype"
fact board: bool "Tumour board done"
param min_months = 3 allowed 3..6 "Minimum months"
action mdt "MDT"
)";

struct Checked {
  std::optional<kb::Guideline> g;
  kb::Diagnostics diags;
  std::string rendered;
};

Checked check_text(const std::string& body) {
  Checked c;
  std::string text = kHeader + body;
  kb::Module m = kb::parse_source("test.kb", text, c.diags);
  if (c.diags.ok()) c.g = kb::check(std::move(m), c.diags);
  c.rendered = c.diags.render({{"test.kb", text}});
  return c;
}

// Line numbers below count the 7 header lines.
void expect_error(const std::string& body, int line, int column, const std::string& message) {
  Checked c = check_text(body);
  ASSERT_FALSE(c.g.has_value()) << "accepted: " << body;
  ASSERT_FALSE(c.diags.ok());
  bool found = false;
  for (const auto& d : c.diags.list())
    if (d.loc.line == line && d.loc.column == column && d.message.find(message) != std::string::npos) found = true;
  EXPECT_TRUE(found) << "wanted " << line << ":" << column << " '" << message << "', got:\n" << c.rendered;
}

TEST(Parser, accepts_a_complete_source) {
  Checked c = check_text(R"(
define ready "Ready for MDT" = board and months >= min_months
constraint C-1 "few lesions when none" lesions >= 0
rule MDT-1
  when ready and lesions <= 5 and subtype in { hr_pos_her2_neg, her2_pos }
  then recommend mdt
  because "controlled disease"
  source "Documented tumor response"
  cites 1
property P-1 "no MDT without response" offered(mdt) implies months >= 3 cites 1
)");
  ASSERT_TRUE(c.g.has_value()) << c.rendered;
  EXPECT_EQ(c.g->rules.size(), 1u);
  EXPECT_EQ(c.g->rules[0].name, "MDT-1");
  EXPECT_EQ(c.g->rules[0].strength, kb::Strength::Recommend);
  EXPECT_EQ(c.g->rules[0].cites, std::vector<int>{1});
  EXPECT_EQ(kb::print_expr(*c.g->properties[0].expr), "offered(mdt) implies months >= 3");
}

TEST(Parser, syntax_error_points_at_the_token) {
  expect_error("rule R-1 when board then recomend mdt because \"x\" source \"y\"\n", 8, 26,
               "expected 'recommend', 'consider' or 'avoid' after 'then', found 'recomend'");
}

TEST(Parser, reports_every_syntax_error) {
  Checked c = check_text("fact x int 0..3 \"x\"\naction a \"a\"\nfact y: int 0.. \"y\"\n");
  ASSERT_EQ(c.diags.list().size(), 2u) << c.rendered;
  EXPECT_EQ(c.diags.list()[0].loc.line, 8);
  EXPECT_EQ(c.diags.list()[1].loc.line, 10);
}

TEST(Parser, comparisons_do_not_chain) {
  expect_error("property P \"p\" 1 < months < 5\n", 8, 27, "comparisons do not chain");
}

TEST(Parser, unterminated_string) { expect_error("action a \"oops\n", 8, 10, "unterminated string"); }

TEST(Checker, unknown_name_suggests_a_spelling) {
  expect_error("property P \"p\" bord\n", 8, 16, "unknown name 'bord'; did you mean 'board'?");
}

TEST(Checker, unknown_action_suggests_a_spelling) {
  expect_error("rule R when board then recommend mtd because \"x\" source \"y\"\n", 8, 34,
               "unknown action 'mtd'; did you mean 'mdt'?");
}

TEST(Checker, int_where_bool_is_needed) {
  expect_error("rule R when months then recommend mdt because \"x\" source \"y\"\n", 8, 13,
               "a rule condition must be bool, but this is int");
}

TEST(Checker, enum_compared_with_int) {
  expect_error("property P \"p\" subtype == 2\n", 8, 24, "cannot compare enum of subtype with int");
}

TEST(Checker, enum_value_that_does_not_exist) {
  expect_error("property P \"p\" subtype == her2_positive\n", 8, 27,
               "unknown value of enum subtype 'her2_positive'; did you mean 'her2_pos'?");
  expect_error("property P \"p\" subtype in { her2_pos, tnbc }\n", 8, 39, "unknown value of enum subtype 'tnbc'");
}

TEST(Checker, constant_outside_fact_range) {
  expect_error("property P \"p\" months >= 300\n", 8, 26, "constant 300 is outside the range 0..240 of fact 'months'");
  expect_error("property P \"p\" 51 > lesions\n", 8, 16, "constant 51 is outside the range 0..50 of fact 'lesions'");
}

TEST(Checker, parameter_outside_allowed_range) {
  expect_error("param p = 2 allowed 3..6 \"p\"\n", 8, 11, "value 2 of parameter 'p' is outside its allowed range 3..6");
}

TEST(Checker, duplicate_ids) {
  expect_error("action mdt \"again\"\n", 8, 8, "duplicate name 'mdt' (first declared at test.kb:7:8)");
  expect_error("reference 1 \"again\"\n", 8, 11, "duplicate reference number '1'");
}

TEST(Checker, citing_an_undeclared_reference) {
  expect_error("property P \"p\" board cites 1, 7\n", 8, 31, "reference 7 is not declared");
}

TEST(Checker, cyclic_definitions) {
  expect_error("define a \"a\" = b\ndefine b \"b\" = c and board\ndefine c \"c\" = a\n", 10, 16,
               "cyclic definition: a -> b -> c -> a");
}

TEST(Checker, atoms_only_in_properties) {
  expect_error("rule R when offered(mdt) then recommend mdt because \"x\" source \"y\"\n", 8, 13,
               "'offered(...)' may be used only in properties");
}

TEST(Checker, reports_every_semantic_error_in_one_pass) {
  Checked c = check_text("property P \"p\" bord and months >= 300\nrule R when months then avoid mtd because \"x\" source \"y\" cites 9\n");
  EXPECT_EQ(c.diags.list().size(), 5u) << c.rendered;
}

TEST(Parser, waivers_parse_print_and_resolve_their_item) {
  Checked c = check_text(R"(
property P-1 "p" board implies board
rule R-1 when board then recommend mdt because "x" source "y"
waiver W-1 restates-rule property:P-1 because "kept on purpose" agreed "committee 2026-11"
waiver W-2 rule-free-property property:P-1
  because "a patient-only statement the committee wants proved"
  agreed "committee 2026-11"
)");
  ASSERT_TRUE(c.g.has_value()) << c.rendered;
  ASSERT_EQ(c.g->waivers.size(), 2u);
  const kb::Item& w = c.g->waivers[0];
  EXPECT_EQ(w.name, "W-1");
  EXPECT_EQ(w.lint, "restates-rule");
  EXPECT_EQ(w.target_kind, kb::ItemKind::Property);
  EXPECT_EQ(w.target, "P-1");
  EXPECT_EQ(w.rationale, "kept on purpose");
  EXPECT_EQ(w.agreed, "committee 2026-11");
  EXPECT_EQ(kb::print_item(w), "waiver W-1 restates-rule property:P-1\n  because \"kept on purpose\"\n"
                               "  agreed \"committee 2026-11\"\n");
  EXPECT_EQ(c.g->waivers[1].lint, "rule-free-property") << "a lint may start with a keyword";
  EXPECT_EQ(kb::item_key(w), "waiver:W-1");
}

TEST(Checker, a_waiver_names_a_known_lint_and_an_item_of_its_kind) {
  const std::string prop = "property P-1 \"p\" board implies board\n";
  expect_error(prop + "waiver W restate-rule property:P-1 because \"x\" agreed \"y\"\n", 9, 10,
               "unknown lint 'restate-rule'; did you mean 'restates-rule'?");
  expect_error(prop + "waiver W dead-rule property:P-1 because \"x\" agreed \"y\"\n", 9, 29,
               "the lint dead-rule is about a rule, not a property");
  expect_error(prop + "waiver W restates-rule property:P-2 because \"x\" agreed \"y\"\n", 9, 33,
               "unknown property 'P-2'; did you mean 'P-1'?");
  expect_error("waiver W restates-rule P-1 because \"x\" agreed \"y\"\n", 8, 24,
               "expected the item whose finding is waived, as KIND:NAME");
  expect_error(prop + "waiver W restates-rule property:P-1 because \"x\"\n", 10, 1, "expected 'agreed'");
  expect_error(prop + "action W \"w\"\nwaiver W restates-rule property:P-1 because \"x\" agreed \"y\"\n", 10, 8,
               "duplicate name 'W'");
}

TEST(Diagnostics, render_shows_line_and_caret) {
  Checked c = check_text("property P \"p\" bord\n");
  EXPECT_EQ(c.rendered,
            "test.kb:8:16: error: unknown name 'bord'; did you mean 'board'? [unknown-name]\n"
            "  property P \"p\" bord\n"
            "                 ^\n");
}

TEST(Printer, minimal_parentheses_keep_structure) {
  Checked c = check_text(
      "property P \"p\" (board or board) and not (months < 3) implies (board implies board) cites 1\n");
  ASSERT_TRUE(c.g.has_value()) << c.rendered;
  EXPECT_EQ(kb::print_expr(*c.g->properties[0].expr),
            "(board or board) and not months < 3 implies board implies board");
}

bool same_expr(const kb::Expr& a, const kb::Expr& b) {
  if (a.op != b.op || a.bool_value != b.bool_value || a.int_value != b.int_value || a.name != b.name ||
      a.values != b.values || a.atom != b.atom || a.args.size() != b.args.size())
    return false;
  for (std::size_t i = 0; i < a.args.size(); ++i)
    if (!same_expr(*a.args[i], *b.args[i])) return false;
  return true;
}

RC_GTEST_PROP(Printer, random_sources_print_and_parse_back_to_the_same_tree, (std::uint32_t seed)) {
  std::string text = kb::testing::RandomGuideline(seed).source();
  kb::Diagnostics d1;
  auto g1 = kb::check(kb::parse_source("random.kb", text, d1), d1);
  RC_ASSERT(d1.ok());
  std::string printed;
  for (const kb::Item* it : g1->all_items()) printed += kb::print_item(*it);
  kb::Diagnostics d2;
  auto g2 = kb::check(kb::parse_source("printed.kb", printed, d2), d2);
  RC_ASSERT(d2.ok());
  auto a = g1->all_items(), b = g2->all_items();
  RC_ASSERT(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    RC_ASSERT(a[i]->name == b[i]->name);
    RC_ASSERT(kb::print_item(*a[i]) == kb::print_item(*b[i]));
    RC_ASSERT((a[i]->expr == nullptr) == (b[i]->expr == nullptr));
    if (a[i]->expr) RC_ASSERT(same_expr(*a[i]->expr, *b[i]->expr));
  }
}

}  // namespace
