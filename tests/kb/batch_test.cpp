// `kb recommend --batch` through the throughput path (kb/eval/batch.h and
// tools/recommend_cmd.cpp) against the original one-line-at-a-time loop,
// kept as kb::cli::recommend_batch_reference: the same bytes on standard
// output and standard error and the same exit code, for the vignettes,
// 100,000 random patients, adversarial lines, read failures and over-long
// lines, with any number of jobs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <streambuf>

#include "kb/eval/batch.h"
#include "kb/eval/recommender.h"
#include "tests/common/bundled.h"
#include "tests/common/cli.h"
#include "tests/common/random_guideline.h"
#include "tests/common/random_patient.h"
#include "tests/common/scale.h"
#include "tools/recommend_cmd.h"

namespace {

using nlohmann::json;

struct BatchRun {
  int code;
  std::string out, err;
};

BatchRun fast(const kb::Recommender& r, const std::string& input, unsigned jobs = 1, bool summary = false) {
  std::istringstream in(input);
  std::ostringstream out, err;
  kb::cli::RecommendArgs args{"-", "text", true, jobs, summary};
  int code = kb::cli::recommend(r, args, in, out, err);
  return {code, out.str(), err.str()};
}

BatchRun reference(const kb::Recommender& r, const std::string& input) {
  std::istringstream in(input);
  std::ostringstream out, err;
  int code = kb::cli::recommend_batch_reference(r, in, "<stdin>", out, err);
  return {code, out.str(), err.str()};
}

// The first differing line of two outputs, for a readable failure.
std::string first_difference(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string l, m;
  for (int n = 1;; ++n) {
    bool more_x = static_cast<bool>(std::getline(x, l)), more_y = static_cast<bool>(std::getline(y, m));
    if (!more_x && !more_y) return "same lines (the difference is in the final newline)";
    if (l != m || more_x != more_y) return "output line " + std::to_string(n) + ":\n  fast:      " + l + "\n  reference: " + m;
  }
}

void expect_same(const kb::Recommender& r, const std::string& input, unsigned jobs = 1) {
  BatchRun f = fast(r, input, jobs), ref = reference(r, input);
  EXPECT_EQ(f.code, ref.code);
  EXPECT_TRUE(f.out == ref.out) << first_difference(f.out, ref.out);
  EXPECT_EQ(f.err, ref.err);
}

std::string vignette_lines() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator("tests/vignettes"))
    if (e.path().extension() == ".json") files.push_back(e.path().string());  // CHANGES.md sits beside them
  std::sort(files.begin(), files.end());
  std::string lines;
  for (const std::string& f : files) lines += json::parse(std::ifstream(f)).at("patient").dump() + "\n";
  return lines;
}

std::string random_lines(const kb::Recommender& r, int count, std::uint32_t seed) {
  kb::testing::RandomPatient gen(r);
  std::mt19937 rng(seed);
  std::string lines;
  for (int i = 0; i < count; ++i) {
    auto p = gen.draw(rng);
    if (!p) continue;
    lines += kb::patient_to_json(r.guideline(), *p).dump() + "\n";
  }
  return lines;
}

// Patients with every value in range but not drawn to keep the domain
// constraints: many break one, some do not.
std::string unconstrained_lines(const kb::Recommender& r, int count, std::uint32_t seed) {
  const kb::Guideline& g = r.guideline();
  std::mt19937 rng(seed);
  std::string lines;
  kb::Patient p(g.facts.size());
  for (int i = 0; i < count; ++i) {
    for (std::size_t f = 0; f < p.size(); ++f) {
      const kb::FactType& t = g.facts[f].fact_type;
      const std::int64_t picks[] = {t.lo, std::min(t.lo + 1, t.hi), t.hi};
      p[f] = std::uniform_int_distribution<int>(0, 1)(rng) ? picks[std::uniform_int_distribution<int>(0, 2)(rng)]
                                                            : std::uniform_int_distribution<std::int64_t>(t.lo, t.hi)(rng);
    }
    lines += kb::patient_to_json(g, p).dump() + "\n";
  }
  return lines;
}

// The bundled guideline, with stored versions on some rules (so ids read "@3").
const kb::Guideline& versioned() {
  static const kb::Guideline g = [] {
    kb::Guideline c = kb::clone(kb::testing::bundled());
    for (std::size_t i = 0; i < c.rules.size(); i += 2) c.versions[kb::item_key(c.rules[i])] = static_cast<int>(i + 1);
    return c;
  }();
  return g;
}

TEST(Batch, vignettes_give_the_reference_output_byte_for_byte) {
  kb::Recommender r(kb::testing::bundled());
  std::string input = vignette_lines();
  ASSERT_GT(input.size(), 1000u);
  BatchRun f = fast(r, input);
  EXPECT_EQ(std::count(f.out.begin(), f.out.end(), '\n'), std::count(input.begin(), input.end(), '\n'));
  expect_same(r, input);
  kb::Recommender rv(versioned());
  expect_same(rv, input);
  expect_same(rv, input, 3);
}

// The cohort sizes below are those of the Release suite; the sanitizer suite
// runs a tenth of most of them (kb::testing::scaled, tests/common/scale.h),
// still more than one 4 MiB read block where a test is the one that crosses
// blocks in its mode (a patient line is about 800 bytes).
TEST(Batch, hundred_thousand_random_patients_give_the_reference_output) {
  kb::Recommender r(versioned());
  const int patients = kb::testing::scaled(100000);
  std::string input = random_lines(r, patients, 20261129);
  ASSERT_EQ(std::count(input.begin(), input.end(), '\n'), patients);
  BatchRun f = fast(r, input), ref = reference(r, input);
  EXPECT_EQ(f.code, ref.code);
  ASSERT_TRUE(f.out == ref.out) << first_difference(f.out, ref.out);
  EXPECT_EQ(f.err, ref.err);
  for (unsigned jobs : {2u, 3u, 8u}) {
    BatchRun j = fast(r, input, jobs);
    EXPECT_EQ(j.code, ref.code) << jobs;
    EXPECT_TRUE(j.out == ref.out) << "jobs " << jobs << ": " << first_difference(j.out, ref.out);
  }
}

TEST(Batch, patients_breaking_domain_constraints_give_the_reference_output) {
  kb::Recommender r(versioned());
  std::string input = unconstrained_lines(r, kb::testing::scaled(20000), 5);
  BatchRun ref = reference(r, input);
  std::size_t broken = 0, answered = 0;
  for (std::size_t at = ref.out.find("breaks domain constraint"); at != std::string::npos;
       at = ref.out.find("breaks domain constraint", at + 1))
    ++broken;
  for (std::size_t at = ref.out.find("\"result\""); at != std::string::npos; at = ref.out.find("\"result\"", at + 1))
    ++answered;
  EXPECT_GT(broken, static_cast<std::size_t>(kb::testing::scaled(1000)));
  EXPECT_GT(answered, static_cast<std::size_t>(kb::testing::scaled(100)));
  expect_same(r, input);
  expect_same(r, input, 2);
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {  // guidelines with other constraints
    kb::Guideline g = kb::testing::checked(kb::testing::RandomGuideline(seed, seed % 2 == 0).source());
    kb::Recommender rg(g);
    SCOPED_TRACE("seed " + std::to_string(seed));
    expect_same(rg, unconstrained_lines(rg, kb::testing::scaled(500), seed));
  }
}

TEST(Batch, random_guidelines_with_conflicts_and_odd_text_give_the_reference_output) {
  for (std::uint32_t seed = 1; seed <= 40; ++seed) {
    kb::testing::RandomGuideline gen(seed, seed % 2 == 0);
    kb::Guideline g = kb::testing::checked(gen.source());
    for (std::size_t i = 0; i < g.rules.size(); ++i) {  // text the output must escape, or replace
      if (i % 3 == 0) g.rules[i].rationale = "quote \" backslash \\ tab \t newline \n bell \x07 caf\xC3\xA9 \xE2\x9C\x93";
      if (i % 3 == 1) g.rules[i].source = "bad \xFF byte \xC3 cut";
    }
    if (!g.actions.empty()) g.actions[0].description = "\"quoted\" \x01 \xF0\x9D\x91\xA5";
    kb::Recommender r(g);
    std::string input = random_lines(r, kb::testing::scaled(2000), seed);
    SCOPED_TRACE("seed " + std::to_string(seed));
    expect_same(r, input);
    expect_same(r, input, 2);
  }
}

// Lines the throughput reader must not accept on its own (each differs from
// a valid line in one way), and valid lines in unusual spellings.
std::vector<std::string> adversarial(const std::string& good) {
  json j = json::parse(good);
  std::string first = j.begin().key();
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    if (std::size_t at = s.find(from); at != std::string::npos) s.replace(at, from.size(), to);
    return s;
  };
  std::vector<std::string> v = {
      "{not json",
      "{}",
      "[]",
      "null",
      "1",
      "\"x\"",
      "{",
      "}",
      good + "x",
      good + " {}",
      good.substr(0, good.size() - 1),
      good.substr(0, good.size() / 2),
      "\xEF\xBB\xBF" + good,                                   // byte-order mark
      "  \t" + good + " \t\r",                                 // white space around
      replace("{", "{ "),                                      // white space inside
      replace(",", " ,\t"),
      replace(":", " : "),
      replace("\"" + first + "\"", "\"\\u00" + std::string(1, "0123456789abcdef"[first[0] >> 4]) +
                                       std::string(1, "0123456789abcdef"[first[0] & 15]) + first.substr(1) + "\""),
      replace("\"" + first + "\"", "\"" + first + "x\""),      // unknown fact
      replace("\"" + first + "\"", "\"" + first + "\\\"\""),   // escaped quote in a key
      replace("{", "{\"" + first + "\": 1, "),                 // given twice
      replace("{", "{\"zz_extra\": [[[[[[[[[[1]]]]]]]]]], "),  // too deep
      replace("{", "{\"zz_extra\": {\"a\": 1}, "),
      replace("true", "1"),
      replace("true", "\"true\""),
      replace("true", "tru"),
      replace("true", "truex"),
      replace("false", "null"),
      replace("false", "0"),
      replace("true", "TRUE"),
      replace("\"", "'"),
  };
  // Every value of every fact, in every odd spelling.
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string k = "\"" + it.key() + "\":" + it.value().dump();
    auto with = [&](const std::string& value) { return replace(k, "\"" + it.key() + "\":" + value); };
    if (it.value().is_number()) {
      std::string n = it.value().dump();
      for (const std::string& s : std::vector<std::string>{n + ".0", n + "e0", n + "E1", "-" + n, "0" + n, n + "0000000000000000",
                                   "1e400", "-1e400", "18446744073709551615", "-18446744073709551615",
                                   "9223372036854775807", "-9223372036854775808", "999999999999999",
                                   "-999999999999999", "1000000000000000", "-0", "- 1", "+1", "0x1", "1.5",
                                   "NaN", "Infinity", "-", std::string("\"") + n + "\""})
        v.push_back(with(s));
    } else if (it.value().is_string()) {
      std::string s = it.value().get<std::string>();
      for (const std::string& t : std::vector<std::string>{"\"" + s + "x\"", "\"" + s.substr(1) + "\"", "\"\\u00" + std::string("61") + "\"",
                                   "\"" + s + "\\n\"", "\"" + s + "\xFF\"", "\"\"", "1", "true", "[\"" + s + "\"]",
                                   "\"" + s + "\\\"", "\"" + s})
        v.push_back(with(t));
    } else {
      for (const char* t : {"1", "0", "\"true\"", "[true]", "{}", "nul", "t"}) v.push_back(with(t));
    }
    // The fact missing.
    json without = j;
    without.erase(it.key());
    v.push_back(without.dump());
  }
  v.push_back("{\"a\": " + std::string(100000, '[') + std::string(100000, ']') + "}");
  v.push_back(good.substr(0, 10) + "\xC0\xAF" + good.substr(10));
  v.push_back(std::string(1, '\0') + good);
  v.push_back(replace(",", std::string(",\0", 2)));
  return v;
}

TEST(Batch, adversarial_lines_in_the_middle_of_a_batch_give_the_reference_output) {
  kb::Recommender r(versioned());
  std::string goods = random_lines(r, 5, 7);
  std::string good = goods.substr(0, goods.find('\n'));
  std::vector<std::string> bad = adversarial(good);
  ASSERT_GT(bad.size(), 200u);
  std::string input;
  for (const std::string& b : bad) input += good + "\n" + b + "\n\n   \n";
  input += goods;
  BatchRun f = fast(r, input), ref = reference(r, input);
  EXPECT_EQ(f.code, 2);
  expect_same(r, input);
  expect_same(r, input, 4);
  // Every output line is whole JSON; the good lines between the bad ones are answered.
  std::istringstream lines(f.out);
  int results = 0;
  for (std::string l; std::getline(lines, l);) results += json::parse(l).contains("result");
  EXPECT_GE(results, static_cast<int>(bad.size()));
}

TEST(Batch, the_fast_reader_accepts_only_what_the_strict_reader_accepts_with_the_same_values) {
  kb::Recommender r(versioned());
  kb::BatchCodec codec(r);
  kb::BatchCodec::Scratch scratch;
  std::string goods = random_lines(r, 200, 11) + unconstrained_lines(r, 200, 12);
  std::istringstream in(goods);
  int accepted = 0;
  for (std::string good; std::getline(in, good);) {
    std::vector<std::string> lines = adversarial(good);
    lines.push_back(good);
    for (const std::string& line : lines) {
      kb::Patient p;
      if (!codec.read_patient(line, p, scratch)) continue;
      ++accepted;
      kb::PatientResult strict = kb::patient_from_text(r, line);
      ASSERT_TRUE(strict.patient.has_value()) << line << "\n" << strict.error;
      EXPECT_EQ(*strict.patient, p) << line;
    }
  }
  EXPECT_GE(accepted, 200 * 5);  // the good lines and the spellings with white space at least
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

TEST(Batch, read_failures_and_over_long_lines_end_the_batch_as_in_the_reference) {
  kb::Recommender r(kb::testing::bundled());
  std::string goods = random_lines(r, 3, 5);
  for (const std::string& data : std::vector<std::string>{goods + "{\"x\": tr", goods, std::string(), std::string("\n\n"), goods + "\n"}) {
    FailingBuf b1(data), b2(data);
    std::istream in1(&b1), in2(&b2);
    std::ostringstream o1, e1, o2, e2;
    int c1 = kb::cli::recommend(r, {"-", "text", true}, in1, o1, e1);
    int c2 = kb::cli::recommend_batch_reference(r, in2, "<stdin>", o2, e2);
    EXPECT_EQ(c1, c2);
    EXPECT_EQ(c1, 2);
    EXPECT_EQ(o1.str(), o2.str());
    EXPECT_EQ(e1.str(), e2.str());
  }
  const std::size_t max = kb::cli::kMaxPatientBytes;
  std::string at_limit = "{\"note\": \"" + std::string(max - 12, 'a') + "\"}";
  ASSERT_EQ(at_limit.size(), max);
  std::string over = at_limit + " ";
  for (const std::string& input : std::vector<std::string>{goods + over + "\n" + goods, goods + at_limit + "\n" + goods, goods + over,
                                   goods + at_limit, over, goods + std::string(3 * max, 'x')}) {
    expect_same(r, input);
    expect_same(r, input, 2);
  }
}

TEST(Batch, files_and_standard_input_give_the_same_output) {
  kb::Recommender r(kb::testing::bundled());
  std::string input = random_lines(r, 3000, 3) + "{bad\n" + random_lines(r, 3000, 4);
  std::string path = (std::filesystem::temp_directory_path() / ("kb-batch-test-" + std::to_string(::getpid()))).string();
  std::ofstream(path, std::ios::binary) << input;
  std::istringstream none;
  std::ostringstream out, err;
  int code = kb::cli::recommend(r, {path, "text", true, 2}, none, out, err);
  BatchRun ref = reference(r, input);
  EXPECT_EQ(code, ref.code);
  EXPECT_TRUE(out.str() == ref.out) << first_difference(out.str(), ref.out);
  ASSERT_TRUE(ref.err.starts_with("kb: <stdin>:3001: not valid JSON")) << ref.err;
  EXPECT_EQ(err.str(), "kb: " + path + ref.err.substr(std::string("kb: <stdin>").size()));
  std::filesystem::remove(path);
}

TEST(Batch, summary_counts_what_the_lines_say) {
  kb::Recommender r(versioned());
  std::string input = random_lines(r, kb::testing::scaled(20000, 6000), 9) + "{bad\n" + random_lines(r, 100, 10);
  BatchRun ref = reference(r, input);
  const kb::Guideline& g = r.guideline();
  std::map<std::string, std::map<std::string, std::uint64_t>> counts;
  std::uint64_t patients = 0, errors = 0, none = 0;
  std::istringstream lines(ref.out);
  for (std::string l; std::getline(lines, l);) {
    json j = json::parse(l);
    if (j.contains("error")) {
      ++errors;
      continue;
    }
    ++patients;
    none += j["result"]["actions"].empty();
    for (const json& a : j["result"]["actions"])
      for (const json& s : a["strengths"]) ++counts[a["action"].get<std::string>()][s.get<std::string>()];
  }
  for (unsigned jobs : {1u, 2u}) {
    BatchRun s = fast(r, input, jobs, true);
    EXPECT_EQ(s.code, ref.code);
    EXPECT_EQ(s.err, ref.err);
    json sum = json::parse(s.out);
    EXPECT_EQ(sum["schema"], "kb-recommendation-summary/1");
    EXPECT_EQ(sum["patients"], patients);
    EXPECT_EQ(sum["errors"], errors);
    EXPECT_EQ(sum["no_action"], none);
    ASSERT_EQ(sum["actions"].size(), g.actions.size());
    for (const json& a : sum["actions"])
      for (const char* st : {"recommended", "considered", "avoided"})
        EXPECT_EQ(a[st], counts[a["action"].get<std::string>()][st]) << a;
  }
}

TEST(Batch, summary_against_counts_changed_answers_and_flags_are_checked) {
  kb::testing::TempDir dir;
  const std::string head = "fact board: bool \"b\"\nfact bone: bool \"c\"\naction mdt \"m\"\n"
                           "rule OFFER when board then consider mdt because \"b\" source \"s\"\n";
  std::string after = dir.file("after.kb", head + "rule AVOID when bone then avoid mdt because \"b\" source \"s\"\n");
  std::string before = dir.file("before.kb", head);
  std::string other = dir.file("other.kb", "fact board: int 0..3 \"b\"\nfact bone: bool \"c\"\naction mdt \"m\"\n");
  const std::string cohort = "{\"board\": true, \"bone\": true}\n{\"board\": false, \"bone\": true}\n"
                             "{\"board\": true, \"bone\": false}\n{\"board\": 1}\n";
  kb::testing::CliRun r = kb::testing::run_kb(
      {"recommend", "--source", after, "--patient", "-", "--batch", "--summary", "--against", before, "--jobs", "2"},
      cohort);
  EXPECT_EQ(r.code, 2) << r.err;  // the last line is bad
  EXPECT_EQ(r.err, "kb: <stdin>:4: fact 'board': fact 'board' must be true or false, got 1\n");
  json s = json::parse(r.out);
  EXPECT_EQ(s["patients"], 3);
  EXPECT_EQ(s["errors"], 1);
  EXPECT_EQ(s["with_conflict"], 1);
  EXPECT_EQ(s["actions"][0], json({{"action", "mdt"}, {"recommended", 0}, {"considered", 2}, {"avoided", 2},
                                   {"conflicts", 1}}));
  EXPECT_EQ(s["against"]["before"], before);
  EXPECT_EQ(s["against"]["changed_patients"], 2);
  EXPECT_EQ(s["against"]["changes"],
            json::parse(R"([{"action": "mdt", "before": [], "after": ["avoided"], "patients": 1},
                            {"action": "mdt", "before": ["considered"], "after": ["considered", "avoided"], "patients": 1}])"));
  auto code = [&](std::vector<std::string> args) {
    return kb::testing::run_kb(args, "{\"board\": true, \"bone\": true}\n").code;
  };
  EXPECT_EQ(code({"recommend", "--source", after, "--patient", "-", "--summary"}), 2);
  EXPECT_EQ(code({"recommend", "--source", after, "--patient", "-", "--jobs", "2"}), 2);
  EXPECT_EQ(code({"recommend", "--source", after, "--patient", "-", "--batch", "--jobs", "0"}), 2);
  EXPECT_EQ(code({"recommend", "--source", after, "--patient", "-", "--batch", "--against", before}), 2);
  kb::testing::CliRun differ = kb::testing::run_kb(
      {"recommend", "--source", after, "--patient", "-", "--batch", "--summary", "--against", other}, cohort);
  EXPECT_EQ(differ.code, 2);
  EXPECT_NE(differ.err.find("its facts differ"), std::string::npos) << differ.err;
}

}  // namespace
