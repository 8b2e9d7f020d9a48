// The formatter (kb/lang/format.h): layout, line breaking, where comments go,
// and on random sources with comments sprinkled in: idempotence and that the
// meaning (the canonical text of every item) never changes.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "kb/lang/format.h"
#include "kb/lang/parser.h"
#include "kb/lang/printer.h"
#include "kb/model/checker.h"
#include "kb/model/guideline.h"
#include "tests/common/bundled.h"
#include "tests/common/cli.h"
#include "tests/common/random_guideline.h"
#include "tools/fmt_cmd.h"

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

TEST(Format, the_bundled_guideline_is_formatted) {
  for (const std::string& file : kb::testing::bundled_files()) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    kb::Diagnostics diags;
    auto formatted = kb::format_source(file, text.str(), diags);
    ASSERT_TRUE(formatted.has_value()) << diags.render({{file, text.str()}});
    EXPECT_EQ(*formatted, text.str()) << file << " is not formatted: run `kb fmt " << file << "`";
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const char* kMessy = "# kept\nfact a: bool \"A\"   # on a\n\n\naction x \"X\"\n";
const char* kTidy = "# kept\nfact a: bool \"A\"  # on a\n\naction x \"X\"\n";

TEST(KbFmt, check_lists_unformatted_files_and_writes_nothing) {
  kb::testing::TempDir dir;
  std::string messy = dir.file("messy.kb", kMessy), tidy = dir.file("tidy.kb", kTidy);
  auto r = kb::testing::run_kb({"fmt", "--check", messy, tidy});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.out, "not formatted: " + kb::display_path(messy) + "\n");
  EXPECT_EQ(read_file(messy), kMessy);
  EXPECT_EQ(kb::testing::run_kb({"fmt", "--check", tidy}).code, 0);
}

TEST(KbFmt, diff_prints_a_unified_line_diff_and_writes_nothing) {
  kb::testing::TempDir dir;
  std::string messy = dir.file("messy.kb", kMessy);
  auto r = kb::testing::run_kb({"fmt", "--diff", messy});
  EXPECT_EQ(r.code, 0) << r.err;
  const std::string name = kb::display_path(messy);
  EXPECT_EQ(r.out, "--- " + name + "\n+++ " + name + " (formatted)\n@@ -1,5 +1,4 @@\n # kept\n"
                   "-fact a: bool \"A\"   # on a\n-\n+fact a: bool \"A\"  # on a\n \n action x \"X\"\n");
  EXPECT_EQ(read_file(messy), kMessy);
  EXPECT_EQ(kb::cli::unified_diff("a\nb\n", "a\nb\n", "x", "y"), "");
}

TEST(KbFmt, rewrites_changed_files_in_place_keeping_their_permissions) {
  kb::testing::TempDir dir;
  std::string messy = dir.file("messy.kb", kMessy), tidy = dir.file("tidy.kb", kTidy);
  ASSERT_EQ(::chmod(messy.c_str(), 0640), 0);
  auto r = kb::testing::run_kb({"fmt", std::filesystem::path(messy).parent_path().string()});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "formatted " + kb::display_path(messy) + "\n") << "unchanged files are not rewritten";
  EXPECT_EQ(read_file(messy), kTidy);
  struct stat st {};
  ASSERT_EQ(::stat(messy.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(std::filesystem::path(messy).parent_path()))
    ++entries;
  EXPECT_EQ(entries, 2u) << "no temporary file left behind";
  auto piped = kb::testing::run_kb({"fmt", "-"}, kMessy);
  EXPECT_EQ(piped.code, 0);
  EXPECT_EQ(piped.out, kTidy);
}

TEST(KbFmt, a_file_that_does_not_parse_is_left_alone) {
  kb::testing::TempDir dir;
  std::string bad = dir.file("bad.kb", "fact a bool \"A\"\n"), messy = dir.file("messy.kb", kMessy);
  auto r = kb::testing::run_kb({"fmt", bad, messy});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(kb::display_path(bad) + ":1:8: error: expected ':' after the fact name"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("it was left as it is"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(bad), "fact a bool \"A\"\n");
  EXPECT_EQ(read_file(messy), kTidy) << "the other files are still formatted";
  EXPECT_EQ(kb::testing::run_kb({"fmt", dir.file("missing.kb")}).code, 2);
}

}  // namespace
