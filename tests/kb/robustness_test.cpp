// Hostile and broken input: every case once crashed a tool, exhausted memory
// or was silently misread. Each test runs the tools in process and asserts
// what a user sees: the exit code and a message naming the place.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <streambuf>

#include "kb/lang/diagnostics.h"
#include "kb/lang/parser.h"
#include "kb/lang/printer.h"
#include "kb/eval/recommender.h"
#include "tests/common/bundled.h"
#include "tests/common/cli.h"
#include "tools/recommend_cmd.h"

namespace {

using kb::testing::CliRun;
using kb::testing::run_kb;
using nlohmann::json;

// Three lines; errors in a body appended to it are on line 4 or later.
const std::string kHeader = "fact x: bool \"x\"\nfact n: int 0..10 \"n\"\naction a \"a\"\n";

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// `x and x and ...` (`terms` terms), `glue` between them.
std::string chain(int terms, const std::string& glue = " and ", const std::string& term = "x") {
  std::string out = term;
  for (int i = 1; i < terms; ++i) out += glue + term;
  return out;
}

// `n + (n + (... (n + n)))`: `pluses` operators, each but the innermost in parentheses.
std::string right_sum(int pluses) {
  std::string out = "n + n";
  for (int i = 1; i < pluses; ++i) out = "n + (" + out + ")";
  return out;
}

CliRun check(const std::string& text) { return run_kb({"check", "-"}, text); }

bool has(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// ------------------------------------------------------------ stray tokens, BOM

TEST(Parse, stray_token_between_items_is_an_error_not_an_abort) {
  CliRun r = check(kHeader + "rul X when x then recommend a because \"b\" source \"s\"\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "<stdin>:4:1: error: expected an item (fact, define, constraint, param, question, "
                         "action, reference, rule, property, waiver), found 'rul'")) << r.err;
}

TEST(Parse, byte_order_mark_at_the_start_is_skipped) {
  CliRun r = check("\xEF\xBB\xBF" + kHeader + "rule R when x then recommend a because \"b\" source \"s\"\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "ok: 2 facts, 1 rule")) << r.out;
}

TEST(Parse, byte_order_mark_elsewhere_is_an_error) {
  CliRun r = check(kHeader + "\xEF\xBB\xBF" "action b \"b\"\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "<stdin>:4:1: error: unexpected character '\xEF\xBB\xBF'")) << r.err;
}

// ------------------------------------------------------------------ nesting

TEST(Nesting, ten_thousand_parentheses_are_rejected_naming_the_limit) {
  CliRun r = check(kHeader + "constraint C \"c\" " + repeat("(", 10000) + "x" + repeat(")", 10000) + "\n");
  EXPECT_EQ(r.code, 2);
  // The 200th '(' would put x 201 levels deep: columns start at 18.
  EXPECT_TRUE(has(r.err, "<stdin>:4:217: error: expression nests deeper than the limit of 200 levels")) << r.err;
}

TEST(Nesting, thirty_thousand_nots_are_rejected) {
  CliRun r = check(kHeader + "constraint C \"c\" " + repeat("not ", 30000) + "x\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "<stdin>:4:" + std::to_string(18 + 4 * 199) + ": error: expression nests deeper")) << r.err;
}

TEST(Nesting, fifty_thousand_term_and_chain_is_rejected) {
  CliRun r = check(kHeader + "constraint C \"c\" " + chain(50000) + "\n");
  EXPECT_EQ(r.code, 2);
  // Term k starts at column 18 + 6 (k - 1); the 'and' before term 201 crosses the limit.
  EXPECT_TRUE(has(r.err, "<stdin>:4:" + std::to_string(18 + 6 * 199 + 2) + ": error: expression nests deeper "
                         "than the limit of 200 levels")) << r.err;
}

TEST(Nesting, twenty_thousand_term_chain_is_refused_by_import) {
  kb::testing::TempDir dir;
  std::string db = dir.file("kb.sqlite");
  ASSERT_EQ(run_kb({"init", "--db", db}).code, 0);
  CliRun r = run_kb({"import", "-", "--db", db, "--author", "t", "--reason", "r"},
                    kHeader + "constraint C \"c\" " + chain(20000) + "\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "nests deeper than the limit of 200 levels")) << r.err;
  EXPECT_TRUE(has(r.err, "import refused")) << r.err;
}

TEST(Nesting, right_nested_sum_of_300_terms_is_rejected) {
  CliRun r = check(kHeader + "rule R when " + right_sum(299) + " > 3 then recommend a because \"b\" source \"s\"\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "<stdin>:4:") && has(r.err, "nests deeper than the limit of 200 levels")) << r.err;
}

TEST(Nesting, one_level_past_the_limit_is_rejected) {
  auto rule = [](const std::string& cond) {
    return kHeader + "rule R when " + cond + " then recommend a because \"b\" source \"s\"\n";
  };
  EXPECT_EQ(check(rule(chain(200))).code, 0);
  EXPECT_EQ(check(rule(chain(201))).code, 2);
  EXPECT_EQ(check(rule(repeat("not ", 199) + "x")).code, 0);
  EXPECT_EQ(check(rule(repeat("not ", 200) + "x")).code, 2);
  EXPECT_EQ(check(rule(repeat("(", 199) + "x" + repeat(")", 199))).code, 0);
  EXPECT_EQ(check(rule(repeat("(", 200) + "x" + repeat(")", 200))).code, 2);
  EXPECT_EQ(check(rule(right_sum(99) + " > 3")).code, 0);   // 2 * 99 + 1 levels
  EXPECT_EQ(check(rule(right_sum(100) + " > 3")).code, 2);
}

// A guideline whose expressions are as deep as the language allows, in
// every shape a later stage recurses on differently.
std::string at_the_limit() {
  std::string text = kHeader + "fact y: bool \"y\"\naction b \"b\"\n";
  text += "define d1 \"d\" = x\n";
  for (int i = 2; i <= 100; ++i)  // d_i is 2i - 1 deep with the definitions written out
    text += "define d" + std::to_string(i) + " \"d\" = d" + std::to_string(i - 1) + " and y\n";
  auto rule = [&](const std::string& id, const std::string& cond, const std::string& action) {
    text += "rule " + id + " when " + cond + " then recommend " + action + " because \"b\" source \"s\"\n";
  };
  rule("AND", chain(200, " and ", "y"), "a");
  rule("IMPLIES", chain(200, " implies ", "x"), "b");
  rule("NOT", repeat("not ", 199) + "y", "b");
  rule("RIGHT-SUM", right_sum(99) + " > 3", "b");
  rule("LEFT-SUM", chain(199, " + ", "n") + " > 3", "b");
  rule("PARENS", repeat("(", 199) + "x" + repeat(")", 199), "b");
  rule("DEFINES", "d100", "b");  // 1 + 199 levels
  text += "property P \"p\" " + repeat("(", 198) + "offered(a) implies y" + repeat(")", 198) + "\n";
  return text;
}

TEST(Nesting, expressions_at_the_limit_pass_every_stage) {
  kb::testing::TempDir dir;
  std::string src = dir.file("deep.kb", at_the_limit()), db = dir.file("kb.sqlite");
  CliRun c = run_kb({"check", src});
  ASSERT_EQ(c.code, 0) << c.err;
  ASSERT_EQ(run_kb({"init", "--db", db}).code, 0);
  CliRun imp = run_kb({"import", src, "--db", db, "--author", "t", "--reason", "r"});
  ASSERT_EQ(imp.code, 0) << imp.err;
  CliRun exp = run_kb({"export", "--db", db});
  ASSERT_EQ(exp.code, 0) << exp.err;
  CliRun again = run_kb({"import", "-", "--db", db, "--author", "t", "--reason", "r"}, exp.out);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_TRUE(has(again.out, "0 added, 0 changed, 0 retired")) << again.out;
  CliRun rec = run_kb({"recommend", "--db", db, "--patient", "-", "--format", "json"},
                      R"({"x": true, "y": true, "n": 5})");
  ASSERT_EQ(rec.code, 0) << rec.err;
  EXPECT_EQ(json::parse(rec.out)["actions"].size(), 2u) << rec.out;
  CliRun verify = kb::testing::run_kb_verify({src});
  EXPECT_TRUE(verify.code == 0 || verify.code == 1) << verify.err;  // warnings allowed, no error
  EXPECT_TRUE(has(verify.out, "1 proved, 0 violated")) << verify.out;
}

TEST(Nesting, definition_chains_count_toward_the_limit) {
  std::string text = kHeader + "define d1 \"d\" = x\n";
  for (int i = 2; i <= 300; ++i) text += "define d" + std::to_string(i) + " \"d\" = d" + std::to_string(i - 1) + "\n";
  text += "rule R when d300 then recommend a because \"b\" source \"s\"\n";
  CliRun r = check(text);
  EXPECT_EQ(r.code, 2);
  // d_i is i deep; d201 (line 204) crosses the limit, and only it is reported.
  EXPECT_TRUE(has(r.err, "<stdin>:204:8: error: 'd201' nests 201 levels deep with the definitions it uses written "
                         "out in place; the limit is 200 [too-deep]")) << r.err;
  EXPECT_FALSE(has(r.err, "'d202'")) << r.err;
}

// Depth of `e` with the definitions of `g` written out in place.
int expanded_depth(const kb::Expr& e, const kb::Guideline& g) {
  if (e.op == kb::Op::Name && e.name_kind == kb::NameKind::Define)
    return 1 + expanded_depth(*g.defines[e.index].expr, g);
  int deepest = 0;
  for (const auto& a : e.args) deepest = std::max(deepest, expanded_depth(*a, g));
  return 1 + deepest;
}

TEST(Nesting, bundled_guideline_is_far_below_the_limit) {
  const kb::Guideline& g = kb::testing::bundled();
  int deepest = 0;
  for (const kb::Item* it : g.all_items())
    if (it->expr) deepest = std::max(deepest, expanded_depth(*it->expr, g));
  EXPECT_LE(deepest, kb::kMaxExpressionDepth / 4) << "deepest bundled expression: " << deepest;
}

TEST(Nesting, doubling_definitions_compile_without_blowing_up) {
  std::string text = kHeader + "define d0 \"d\" = x\n";
  for (int i = 1; i < 60; ++i) {  // written out, d59 has 2^59 terms
    std::string prev = "d" + std::to_string(i - 1);
    text += "define d" + std::to_string(i) + " \"d\" = " + prev + " and " + prev + "\n";
  }
  text += "rule R when d59 then recommend a because \"b\" source \"s\"\n";
  kb::testing::TempDir dir;
  CliRun r = run_kb({"recommend", "--source", dir.file("d.kb", text), "--patient", "-"}, R"({"x": true, "n": 1})");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(has(r.out, "R@draft")) << r.out;
}

// ------------------------------------------------------------------ numbers

TEST(Numbers, cites_beyond_int_is_an_error_not_truncated) {
  CliRun r = check(kHeader + "reference 1 \"r\"\n"
                             "rule R when x then recommend a because \"b\" source \"s\" cites 4294967297\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "<stdin>:5:61: error: reference number 4294967297 is out of range 0..2147483647")) << r.err;
}

TEST(Numbers, out_of_range_numbers_are_errors_everywhere) {
  CliRun ref = check("reference 2147483648 \"r\"\n");
  EXPECT_EQ(ref.code, 2);
  EXPECT_TRUE(has(ref.err, "<stdin>:1:11: error: reference number 2147483648 is out of range")) << ref.err;
  CliRun lit = check(kHeader + "constraint C \"c\" n < 1000000000000000\n");
  EXPECT_EQ(lit.code, 2);
  EXPECT_TRUE(has(lit.err, "<stdin>:4:22: error: integer 1000000000000000 is out of range: integers have at most 15 "
                           "digits")) << lit.err;
  CliRun range = check("fact f: int -99999999999999999999..0 \"f\"\n");
  EXPECT_EQ(range.code, 2);
  EXPECT_TRUE(has(range.err, "<stdin>:1:14: error: integer -99999999999999999999 is out of range")) << range.err;
  CliRun param = check("param p = 18446744073709551617 allowed 0..1 \"p\"\n");
  EXPECT_EQ(param.code, 2);
  EXPECT_TRUE(has(param.err, "<stdin>:1:11: error: integer 18446744073709551617 is out of range")) << param.err;
  EXPECT_EQ(check(kHeader + "constraint C \"c\" n < 000000000000000000010\n").code, 0);  // leading zeros are fine
}

// -------------------------------------------------------------------- UTF-8

TEST(Utf8, invalid_utf8_in_a_string_is_an_error_naming_the_place) {
  CliRun r = check(kHeader + "rule R when x then recommend a because \"b\xFF\xFE\" source \"s\"\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "<stdin>:4:42: error: invalid UTF-8 (byte 0xFF); sources must be UTF-8 [encoding]")) << r.err;
}

TEST(Utf8, invalid_utf8_in_a_comment_or_between_tokens_is_an_error) {
  CliRun comment = check(kHeader + "# caf\xC3\n");
  EXPECT_EQ(comment.code, 2);
  EXPECT_TRUE(has(comment.err, "<stdin>:4:6: error: invalid UTF-8 (byte 0xC3)")) << comment.err;
  CliRun loose = check(kHeader + "action b \xC0\xAF \"b\"\n");  // an overlong '/'
  EXPECT_EQ(loose.code, 2);
  EXPECT_TRUE(has(loose.err, "<stdin>:4:10: error: invalid UTF-8 (byte 0xC0)")) << loose.err;
  EXPECT_EQ(check(kHeader + "# café ✓\naction b \"Médecin — 𝑥\"\n").code, 0);  // UTF-8 is fine
}

TEST(Utf8, json_output_replaces_text_that_is_not_utf8) {
  // Sources cannot hold such text any more; the output must survive it anyway.
  kb::Guideline g = kb::testing::checked(kHeader + "rule R when x then recommend a because \"b\" source \"s\"\n");
  g.rules[0].rationale = "bad \xFF byte";
  kb::Recommender rec(g);
  std::istringstream in(R"({"x": true, "n": 1})");
  std::ostringstream out, err;
  kb::cli::RecommendArgs args{"-", "json", false};
  EXPECT_EQ(kb::cli::recommend(rec, args, in, out, err), 0) << err.str();
  EXPECT_TRUE(has(out.str(), "bad \xEF\xBF\xBD byte")) << out.str();  // U+FFFD
  std::istringstream batch_in(R"({"x": true, "n": 1})");
  std::ostringstream batch_out;
  args.batch = true;
  EXPECT_EQ(kb::cli::recommend(rec, args, batch_in, batch_out, err), 0) << err.str();
  EXPECT_TRUE(has(batch_out.str(), "bad \xEF\xBF\xBD byte")) << batch_out.str();
}

// -------------------------------------------------------------- diagnostics

TEST(Diagnostics, capped_per_file_and_kind_with_one_summary_line) {
  std::string text = kHeader;
  for (int i = 0; i < 1000; ++i)
    text += "constraint C" + std::to_string(i) + " \"c\" unknown" + std::to_string(i) + "\n";
  CliRun r = check(text);
  EXPECT_EQ(r.code, 2);
  std::size_t shown = 0;
  for (std::size_t p = r.err.find("[unknown-name]"); p != std::string::npos; p = r.err.find("[unknown-name]", p + 1))
    ++shown;
  EXPECT_EQ(shown, kb::kMaxDiagnosticsPerKind + 1) << r.err;  // the errors kept, and the summary line
  EXPECT_TRUE(has(r.err, "<stdin>: 980 more errors of this kind not shown [unknown-name]")) << r.err;
  EXPECT_TRUE(has(r.err, "<stdin>:4:19: error: unknown name 'unknown0'")) << r.err;
}

TEST(Diagnostics, memory_stays_bounded_past_the_cap) {
  kb::Diagnostics d;
  auto file = std::make_shared<const std::string>("f.kb");
  const std::string huge = "unknown name '" + std::string(1 << 20, 'x') + "'";
  for (int i = 0; i < 40; ++i) d.error({file, 1 + i, 1}, huge, "a");
  for (int i = 0; i < 100000; ++i) d.error({file, 1 + i, 1}, "m", i % 2 ? "a" : "b");
  for (int i = 0; i < 1000; ++i) d.error({file, 1, 1}, "m", "kind" + std::to_string(i));
  EXPECT_EQ(d.list().size(), kb::kMaxDiagnosticsPerFile);
  EXPECT_EQ(d.total(), 101040u);
  for (const auto& diag : d.list()) EXPECT_LE(diag.message.size(), kb::kMaxMessageBytes + 3);
  std::string shown = d.render({{"f.kb", "x\n"}});
  EXPECT_TRUE(has(shown, "f.kb: 50020 more errors of this kind not shown [a]")) << shown.substr(0, 2000);
  EXPECT_LT(shown.size(), 200000u);
}

TEST(Diagnostics, long_lines_show_a_window_around_the_column) {
  std::string line = "constraint C \"c\" " + chain(90, " and ", "x") + " and nope" + repeat(" and x", 90) + "\n";
  CliRun r = check(kHeader + line);
  EXPECT_EQ(r.code, 2);
  std::istringstream lines(r.err);
  std::string first, source, caret;
  std::getline(lines, first);
  std::getline(lines, source);
  std::getline(lines, caret);
  EXPECT_TRUE(has(first, "unknown name 'nope'")) << r.err;
  EXPECT_LT(source.size(), 200u) << source;
  ASSERT_EQ(caret.size(), caret.find('^') + 1) << caret;
  EXPECT_EQ(source.compare(caret.size() - 1, 4, "nope"), 0) << source << "\n" << caret;
}

TEST(Diagnostics, huge_names_get_no_suggestion_and_a_bounded_message) {
  std::string huge(1 << 20, 'x');
  EXPECT_EQ(kb::closest_name(huge, {"x", "xx", "bone_mets"}), "");
  EXPECT_EQ(kb::closest_name("bone_met", {"x", "bone_mets"}), "bone_mets");
  CliRun r = check(kHeader + "constraint C \"c\" " + huge + "y\n");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "<stdin>:4:18: error: unknown name 'xxx")) << r.err.substr(0, 500);
  EXPECT_LT(r.err.size(), 2000u);
}

// ------------------------------------------------------------------ patients

// `kb recommend --source` over a small guideline with an int fact `age`.
struct PatientKb {
  kb::testing::TempDir dir;
  std::string src = dir.file("p.kb", "fact age: int 0..120 \"age\"\nfact x: bool \"x\"\naction a \"a\"\n"
                                     "rule R when x and age > 3 then recommend a because \"b\" source \"s\"\n");
  CliRun one(const std::string& patient) { return run_kb({"recommend", "--source", src, "--patient", "-"}, patient); }
  CliRun batch(const std::string& lines) {
    return run_kb({"recommend", "--source", src, "--patient", "-", "--batch"}, lines);
  }
};

const std::string kGood = R"({"age": 62, "x": true})";

TEST(Patient, number_beyond_a_double_names_the_fact) {
  PatientKb k;
  CliRun r = k.one(R"({"age": 1e400, "x": true})");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "kb: <stdin>: fact 'age': number 1e400 is out of range\n");
}

TEST(Patient, integer_beyond_64_bits_is_out_of_range_never_wrapped) {
  PatientKb k;
  CliRun r = k.one(R"({"age": 18446744073709551615, "x": true})");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "fact 'age' = 18446744073709551615 is outside its range 0..120")) << r.err;
  CliRun neg = k.one(R"({"age": -18446744073709551615, "x": true})");
  EXPECT_EQ(neg.code, 2);
  EXPECT_TRUE(has(neg.err, "fact 'age': fact 'age' = ") && has(neg.err, "is outside its range 0..120")) << neg.err;
}

TEST(Patient, fraction_for_an_int_fact_is_an_error) {
  PatientKb k;
  CliRun r = k.one(R"({"age": 3.5, "x": true})");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "kb: <stdin>: fact 'age': fact 'age' must be an integer, got 3.5\n");
}

TEST(Patient, folder_as_patient_is_an_error_naming_it) {
  PatientKb k;
  std::string folder = k.dir.file("");
  CliRun r = run_kb({"recommend", "--source", k.src, "--patient", folder});
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "kb: " + folder + ": is a folder")) << r.err;
  CliRun b = run_kb({"recommend", "--source", k.src, "--patient", folder, "--batch"});
  EXPECT_EQ(b.code, 2);
}

TEST(Patient, duplicate_key_is_rejected_naming_it) {
  PatientKb k;
  CliRun r = k.one(R"({"age": 500, "x": true, "age": 62})");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "kb: <stdin>: fact 'age': key 'age' is given twice\n");
}

TEST(Patient, huge_unknown_key_gives_a_bounded_message) {
  PatientKb k;
  CliRun r = k.one(R"({"age": 62, "x": true, ")" + std::string(1000000, 'k') + R"(": 1})");
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(has(r.err, "unknown fact 'kkkk")) << r.err.substr(0, 300);
  EXPECT_LT(r.err.size(), 400u);
}

TEST(Patient, deep_json_is_rejected_naming_the_fact) {
  PatientKb k;
  CliRun r = k.one(R"({"x": true, "age": )" + repeat("[", 100000) + repeat("]", 100000) + "}");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "kb: <stdin>: fact 'age': JSON nested deeper than 8 levels; a patient is one flat object\n");
  CliRun shallow = k.one(R"({"x": true, "age": [[1]]})");
  EXPECT_EQ(shallow.err, "kb: <stdin>: fact 'age': fact 'age' must be an integer, got an array\n");
}

// -------------------------------------------------------------------- batch

std::vector<json> lines_of(const std::string& out) {
  std::vector<json> v;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) v.push_back(json::parse(l));  // throws on a half-written line
  return v;
}

TEST(Batch, over_deep_line_is_reported_and_the_rest_processed) {
  PatientKb k;
  std::string input = repeat(kGood + "\n", 49) + R"({"age": )" + repeat("[", 100000) + repeat("]", 100000) +
                      "}\n" + repeat(kGood + "\n", 51);
  CliRun r = k.batch(input);
  EXPECT_EQ(r.code, 2);
  std::vector<json> out = lines_of(r.out);
  ASSERT_EQ(out.size(), 101u);
  EXPECT_EQ(out[49]["line"], 50);
  EXPECT_EQ(out[49]["fact"], "age");
  EXPECT_TRUE(has(out[49]["error"].get<std::string>(), "nested deeper than 8 levels"));
  EXPECT_TRUE(out[100].contains("result"));
  EXPECT_TRUE(has(r.err, "kb: <stdin>:50: fact 'age': JSON nested deeper")) << r.err;
}

TEST(Batch, bad_lines_are_reported_with_their_numbers) {
  PatientKb k;
  CliRun r = k.batch(kGood + "\n{not json\n" + R"({"age": 62, "x": "b)" + "\xFF" + "\"}\n" +
                     R"({"age": 1000, "x": true})" + "\n" + kGood + "\n");
  EXPECT_EQ(r.code, 2);
  std::vector<json> out = lines_of(r.out);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_TRUE(has(out[1]["error"].get<std::string>(), "not valid JSON")) << out[1];
  EXPECT_EQ(out[2]["fact"], "x");
  EXPECT_TRUE(has(out[2]["error"].get<std::string>(), "ill-formed UTF-8")) << out[2];
  EXPECT_EQ(out[3]["error"], "fact 'age' = 1000 is outside its range 0..120");
  EXPECT_TRUE(out[4].contains("result"));
  EXPECT_TRUE(has(r.err, "kb: <stdin>:2: not valid JSON")) << r.err;
  EXPECT_TRUE(has(r.err, "kb: <stdin>:3: fact 'x': not valid JSON")) << r.err;
  EXPECT_TRUE(has(r.err, "kb: <stdin>:4: fact 'age': fact 'age' = 1000 is outside")) << r.err;
}

// A stream whose reads fail (its buffer throws) once `data` is consumed.
class FailingBuf : public std::streambuf {
 public:
  explicit FailingBuf(std::string data) : data_(std::move(data)) {
    setg(data_.data(), data_.data(), data_.data() + data_.size());
  }

 protected:
  int_type underflow() override { throw std::ios_base::failure("simulated read error"); }

 private:
  std::string data_;
};

TEST(Batch, read_failure_ends_the_batch_with_exit_2) {
  kb::Guideline g = kb::testing::checked(kHeader + "rule R when x then recommend a because \"b\" source \"s\"\n");
  kb::Recommender rec(g);
  const std::string good = R"({"x": true, "n": 1})";
  FailingBuf buf(good + "\n" + good + "\n{\"x\": tr");
  std::istream in(&buf);
  std::ostringstream out, err;
  EXPECT_EQ(kb::cli::recommend(rec, {"-", "text", true}, in, out, err), 2);
  std::vector<json> lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 3u) << out.str();
  EXPECT_TRUE(lines[1].contains("result"));
  EXPECT_EQ(lines[2]["line"], 3);
  EXPECT_TRUE(has(lines[2]["error"].get<std::string>(), "cannot read: simulated read error")) << lines[2];
  EXPECT_TRUE(has(err.str(), "kb: <stdin>:3: cannot read: simulated read error") &&
              has(err.str(), "; the batch stops here\n")) << err.str();

  std::istringstream bad(good + "\n");
  bad.setstate(std::ios::badbit);
  std::ostringstream out2, err2;
  EXPECT_EQ(kb::cli::recommend(rec, {"-", "text", true}, bad, out2, err2), 2);
  EXPECT_TRUE(has(err2.str(), "<stdin>:1: cannot read")) << err2.str();
}

TEST(Batch, over_long_line_ends_the_batch_with_exit_2) {
  PatientKb k;
  std::string long_line = R"({"age": 62, "x": true, "note": ")" + std::string(kb::cli::kMaxPatientBytes, 'a') + "\"}";
  CliRun r = k.batch(kGood + "\n" + long_line + "\n" + kGood + "\n");
  EXPECT_EQ(r.code, 2);
  std::vector<json> out = lines_of(r.out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1]["error"], "line longer than 1048576 bytes");
  EXPECT_TRUE(has(r.err, "kb: <stdin>:2: line longer than 1048576 bytes; the batch stops here")) << r.err;
  CliRun one = k.one(long_line);
  EXPECT_EQ(one.code, 2);
  EXPECT_TRUE(has(one.err, "kb: <stdin>: longer than 1048576 bytes")) << one.err;
}

}  // namespace
