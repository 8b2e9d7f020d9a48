// The formatter (kb/lang/format.h): layout, line breaking, where comments go,
// and on random sources with comments sprinkled in: idempotence and that the
// meaning (the canonical text of every item) never changes.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "kb/lang/format.h"
#include "kb/lang/parser.h"
#include "kb/lang/printer.h"
#include "kb/model/checker.h"
#include "kb/model/guideline.h"
#include "tests/common/random_guideline.h"

namespace {

std::string fmt(const std::string& text, std::size_t width = kb::kFormatWidth) {
  kb::Diagnostics diags;
  auto out = kb::format_source("t.kb", text, diags, width);
  EXPECT_TRUE(out.has_value()) << diags.render({{"t.kb", text}});
  return out.value_or("");
}

TEST(Format, breaks_long_expressions_before_and_or_with_nested_indentation) {
  const std::string src =
      "define both \"both\" = a and b and (a or b or a or b or a or b) and not (a and b and a and b and a and b)\n";
  EXPECT_EQ(fmt(src, 40),
            "define both \"both\"\n"
            "  = a and b\n"
            "    and (a or b or a or b or a or b)\n"
            "    and not (a and b and a and b and a\n"
            "      and b)\n");
  EXPECT_EQ(fmt(src), "define both \"both\"\n  = a and b and (a or b or a or b or a or b) and not (a and b and a and b "
                      "and a and b)\n")
      << "fits in 100 columns: one line";
}

TEST(Format, implies_chains_break_and_keep_their_grouping) {
  const std::string src = "property P \"p\" (aaaa implies bbbb) implies cccc implies dddd or eeee or ffff cites 1\n";
  EXPECT_EQ(fmt(src, 30),
            "property P \"p\"\n"
            "  (aaaa implies bbbb)\n"
            "    implies cccc\n"
            "    implies dddd or eeee\n"
            "      or ffff\n"
            "  cites 1\n");
}

TEST(Format, string_literals_and_unbreakable_expressions_may_run_past_the_width) {
  const std::string long_text(120, 'x');
  const std::string src = "action a \"" + long_text + "\"\nconstraint C \"c\" aaaaaaaaaaaa + bbbbbbbbbbbb >= cccccccccccc\n";
  EXPECT_EQ(fmt(src, 20), src.substr(0, src.find("constraint")) + "constraint C \"c\"\n  aaaaaaaaaaaa + bbbbbbbbbbbb >= cccccccccccc\n");
}

TEST(Format, keeps_comments_and_blank_line_groups) {
  const std::string src =
      "# header\n\n# section\nfact a: bool \"A\"   # on a\nfact b: bool \"B\"\n\n\n"
      "action x \"X\"\nrule R-1 # about R-1\n  when a\n  # before then\n  then recommend x because \"why\" "
      "source \"s\" cites 1\n# the end\n";
  const std::string want =
      "# header\n\n# section\nfact a: bool \"A\"  # on a\nfact b: bool \"B\"\n\n"
      "action x \"X\"\nrule R-1  # about R-1\n  when a\n  # before then\n  then recommend x\n  because \"why\"\n"
      "  source \"s\"\n  cites 1\n# the end\n";
  EXPECT_EQ(fmt(src), want);
  EXPECT_EQ(fmt(want), want);
}

TEST(Format, comments_trailing_lines_that_are_joined_stay_with_the_joined_line) {
  const std::string src = "rule R\n  when a # one\n   and b # two\n  then avoid x because \"w\" source \"s\"\n";
  const std::string want = "rule R\n  # one\n  when a and b  # two\n  then avoid x\n  because \"w\"\n  source \"s\"\n";
  EXPECT_EQ(fmt(src), want);
  EXPECT_EQ(fmt(want), want);
}

TEST(Format, a_comment_inside_a_one_line_item_goes_above_it) {
  const std::string src = "fact a:\n    # the type\n  bool \"A\"\n";
  EXPECT_EQ(fmt(src), "# the type\nfact a: bool \"A\"\n");
  EXPECT_EQ(fmt("# only a comment\n\n\n"), "# only a comment\n");
  EXPECT_EQ(fmt(""), "");
}

TEST(Format, syntax_errors_are_reported_and_nothing_is_formatted) {
  kb::Diagnostics diags;
  EXPECT_FALSE(kb::format_source("bad.kb", "fact a bool \"A\"\n", diags).has_value());
  ASSERT_FALSE(diags.ok());
  EXPECT_EQ(diags.list()[0].loc.line, 1);
}

// Inserts comments, blank lines and line breaks at random token boundaries
// (spaces and newlines outside strings; RandomGuideline strings have no
// escapes). Each comment is "# cN", so every one can be counted afterwards.
std::string sprinkle(const std::string& src, std::uint32_t seed, int& count) {
  std::mt19937 rng(seed);
  std::string out;
  bool in_string = false;
  for (char c : src) {
    if (c == '"') in_string = !in_string;
    if (in_string || (c != ' ' && c != '\n')) {
      out += c;
      continue;
    }
    switch (std::uniform_int_distribution<int>(0, 9)(rng)) {
      case 0: out += "  # c" + std::to_string(count++) + "\n"; break;
      case 1: out += "\n# c" + std::to_string(count++) + "\n"; break;
      case 2: out += "\n\n"; break;
      case 3: out += "\n      # c" + std::to_string(count++) + "\n\n   "; break;
      case 4: out += "\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string canonical_of(const std::string& text) {
  kb::Diagnostics diags;
  auto g = kb::check(kb::parse_source("x.kb", text, diags), diags);
  RC_ASSERT(g.has_value());
  return kb::guideline_text(*g);
}

RC_GTEST_PROP(FormatProperty, formatting_is_idempotent_keeps_comments_and_never_changes_meaning,
              (std::uint32_t seed, std::uint32_t sprinkle_seed)) {
  const std::string original = kb::testing::RandomGuideline(seed).source();
  int comments = 0;
  const std::string messy = sprinkle(original, sprinkle_seed, comments);
  const std::size_t width = *rc::gen::inRange<std::size_t>(20, 121);
  kb::Diagnostics diags;
  auto once = kb::format_source("m.kb", messy, diags, width);
  RC_ASSERT(once.has_value());
  kb::Diagnostics diags2;
  auto twice = kb::format_source("m.kb", *once, diags2, width);
  RC_ASSERT(twice.has_value());
  RC_ASSERT(*twice == *once);
  RC_ASSERT(canonical_of(*once) == canonical_of(original));
  for (int k = 0; k < comments; ++k) RC_ASSERT(once->find("# c" + std::to_string(k) + "\n") != std::string::npos);
  RC_ASSERT(once->find("\n\n\n") == std::string::npos);
  RC_ASSERT(once->back() == '\n');
}

RC_GTEST_PROP(FormatProperty, format_item_is_print_item_when_everything_fits, (std::uint32_t seed)) {
  kb::Diagnostics diags;
  auto g = kb::check(kb::parse_source("r.kb", kb::testing::RandomGuideline(seed).source(), diags), diags);
  RC_ASSERT(g.has_value());
  for (const kb::Item* it : g->all_items())
    RC_ASSERT(kb::format_item(*it, std::numeric_limits<std::size_t>::max()) == kb::print_item(*it));
}

}  // namespace
