// The proof cache and sharding (docs/kb-verify.md, "Proof cache" and
// "Sharding"): after one rule changes, exactly the obligations whose slice
// holds it are asked again; a run reusing answers reports what a fresh run
// reports; answers that do not decode or replay are asked again; unknowns
// and disagreements are never kept; shards merge into the unsharded report.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <mutex>
#include <regex>
#include <set>

#include "kb/eval/recommender.h"
#include "kb/lang/printer.h"
#include "solver/solver.h"
#include "synth.h"
#include "tests/common/bundled.h"
#include "tests/common/random_guideline.h"
#include "verify/harness.h"

namespace {

using verify::Obligation;
using verify::Status;

// Answers by cache key, as a store keeps them, and the lookups it answered.
struct MemoryCache {
  std::map<std::string, verify::CachedAnswer> answers;
  std::mutex m;

  verify::CacheLookup lookup() {
    return [this](const std::string& key) -> std::optional<verify::CachedAnswer> {
      std::lock_guard lock(m);
      auto found = answers.find(key);
      if (found == answers.end()) return std::nullopt;
      return found->second;
    };
  }
  void keep(const verify::Report& r, const std::string& origin) {
    for (const Obligation& o : r.obligations)
      if (!o.cache_answer.empty()) answers.emplace(o.cache_key, verify::CachedAnswer{origin, o.cache_answer});
  }
};

verify::Options options(bool readings = true) {
  verify::Options o;
  o.timeout_ms = 0;
  o.readings = readings;
  o.tool_id = "test build";
  return o;
}

// A run of `g` that reuses what `cache` holds.
verify::Report run_reusing(const kb::Guideline& g, MemoryCache& cache, bool readings = true) {
  verify::Options o = options(readings);
  o.cache = cache.lookup();
  return verify::run(g, o);
}

// `g`'s text with rule `rule`'s condition negated.
std::string with_rule_negated(const kb::Guideline& g, int rule) {
  std::string text;
  for (const kb::Item* it : g.all_items()) {
    std::string item = kb::print_item(*it);
    if (it == &g.rules[static_cast<std::size_t>(rule)]) {
      const auto when = item.find("when ") + 5;
      const auto end = item.find('\n', when);
      item = item.substr(0, when) + "not (" + item.substr(when, end - when) + ")" + item.substr(end);
    }
    text += item + "\n";
  }
  return text;
}

// The message without the "(cached from ...)" a reused answer adds.
std::string uncached(const std::string& message) {
  return std::regex_replace(message, std::regex(" \\(cached from [^)]*\\)$"), "");
}

// Whether the slice the answers of `o` (an obligation of a run on `g`) are
// asked within holds rule `rule`: the subject, or a rule of its slice.
bool slice_holds(const kb::Guideline& g, solver::Solver& s, const Obligation& o, int rule) {
  if (o.subject == kb::ItemRef{kb::ItemKind::Rule, rule}) return true;
  solver::SliceItems sl = o.query ? s.slice(*o.query, o.query_index)
                                  : s.slice(solver::Query::PremiseHolds, o.subject.index);  // restates-rule
  (void)g;
  return sl.everything || std::find(sl.rules.begin(), sl.rules.end(), rule) != sl.rules.end();
}

// Runs `g`, changes rule `rule`, and checks that the run of the changed
// guideline asks exactly the obligations whose slice holds the rule (and
// those the first run did not have), reusing every other, and reports what
// a fresh run reports.
void expect_exact_reuse(const kb::Guideline& g, int rule, bool some_of_each = true) {
  MemoryCache cache;
  verify::Report first = verify::run(g, options(false));
  cache.keep(first, "run 1");
  std::set<std::string> first_ids;
  for (const Obligation& o : first.obligations) first_ids.insert(o.id);

  const std::string changed_text = with_rule_negated(g, rule);
  SCOPED_TRACE(changed_text.substr(0, 2000));
  kb::Guideline changed = kb::testing::checked(changed_text);
  verify::Report cached = run_reusing(changed, cache, false), fresh = verify::run(changed, options(false));
  solver::Solver reference(changed, 0), whole(changed, 0, false);
  ASSERT_EQ(cached.obligations.size(), fresh.obligations.size());
  std::size_t reused = 0, asked = 0;
  for (std::size_t i = 0; i < cached.obligations.size(); ++i) {
    const Obligation &c = cached.obligations[i], &f = fresh.obligations[i];
    ASSERT_EQ(c.id, f.id);
    if (c.cache_key.empty()) continue;  // derived, never asked: uncovered rules, waivers
    const bool expect_asked = !first_ids.count(c.id) || slice_holds(changed, reference, c, rule);
    EXPECT_EQ(!c.cached_from, expect_asked) << c.id << " (changed rule " << changed.rules[rule].name << ")";
    ++(c.cached_from ? reused : asked);
    if (c.cached_from) {
      EXPECT_EQ(*c.cached_from, "run 1");
    }
    EXPECT_EQ(c.status, f.status) << c.id;
    EXPECT_EQ(c.answer, f.answer) << c.id;
    EXPECT_EQ(c.cache_key, f.cache_key) << c.id;
    const bool replayed = c.query && *c.query != solver::Query::PremiseHolds && *c.query != solver::Query::FailsWithoutRules;
    if (c.answer == solver::Verdict::Unsat || !replayed) {
      // Proofs and witness-free answers are the same, word for word.
      EXPECT_EQ(uncached(c.message), f.message) << c.id;
      EXPECT_EQ(c.rests_on, f.rests_on) << c.id;
      EXPECT_EQ(c.evidence, f.evidence) << c.id;
      if (c.kind == verify::Kind::Property && c.status == Status::Proved) {  // a reused core still re-proves
        solver::RuleSet only{false, {}};
        for (kb::ItemRef ref : c.rests_on)
          if (ref.kind == kb::ItemKind::Rule) only.only.push_back(ref.index);
        EXPECT_EQ(whole.prove_property(c.subject.index, only).verdict, solver::Verdict::Unsat) << c.id;
      }
    } else if (c.witness) {
      // A reused witness may be another patient than a fresh run finds:
      // it must be valid and fail the same way.
      const kb::Guideline at_values = kb::with_param_values(changed, c.witness_params);
      kb::Recommender rec(at_values);
      EXPECT_EQ(rec.broken_constraint(*c.witness), -1) << c.id;
      if (c.kind == verify::Kind::Property) {
        kb::Outcome out;
        rec.evaluate(*c.witness, out);
        EXPECT_FALSE(rec.property_holds(c.subject.index, *c.witness, out)) << c.id;
      }
    }
  }
  if (some_of_each) {  // the change reaches some obligations and not others
    EXPECT_GT(reused, 0u);
    EXPECT_GT(asked, 0u);
  }
}

TEST(ProofCache, a_changed_rule_asks_again_exactly_the_obligations_whose_slice_holds_it) {
  kb::Guideline g = kb::testing::checked(
      kb::synth::generate({.rules = 120, .seed = 11, .conflicts = 1, .dead_rules = 2, .violations = 1}));
  for (int rule : {0, 37, 119}) {
    SCOPED_TRACE(g.rules[rule].name);
    expect_exact_reuse(g, rule);
  }
}

TEST(ProofCache, a_changed_rule_of_the_bundled_guideline_asks_again_only_its_slice) {
  const kb::Guideline& g = kb::testing::bundled();
  expect_exact_reuse(g, g.rule_index("SYSTEMIC-TNBC-IMMUNOTHERAPY"));
}

RC_GTEST_PROP(ProofCache, random_guidelines_reuse_exactly_and_give_the_fresh_verdicts, (std::uint32_t seed)) {
  kb::Guideline g = kb::testing::checked(kb::testing::RandomGuideline(seed).source());
  RC_PRE(!g.rules.empty());
  const int rule = *rc::gen::inRange(0, static_cast<int>(g.rules.size()));
  expect_exact_reuse(g, rule, false);
  RC_ASSERT(!::testing::Test::HasFailure());
}

// Nothing changed: every answer is reused, under every reading, and the
// report is the one a fresh run gives.
TEST(ProofCache, an_unchanged_guideline_reuses_every_answer_under_every_reading) {
  const kb::Guideline& g = kb::testing::bundled();
  MemoryCache cache;
  verify::Report first = verify::run(g, options());
  cache.keep(first, "run 7");
  verify::Report again = run_reusing(g, cache);
  ASSERT_EQ(again.obligations.size(), first.obligations.size());
  for (std::size_t i = 0; i < again.obligations.size(); ++i) {
    const Obligation &a = again.obligations[i], &f = first.obligations[i];
    EXPECT_EQ(a.id, f.id);
    EXPECT_EQ(a.status, f.status) << a.id;
    if (a.cache_key.empty()) continue;
    ASSERT_TRUE(a.cached_from) << a.id;
    EXPECT_EQ(*a.cached_from, "run 7");
    EXPECT_EQ(uncached(a.message), f.message) << a.id;
    EXPECT_EQ(a.rests_on, f.rests_on) << a.id;
    EXPECT_EQ(a.witness, f.witness) << a.id;
    EXPECT_EQ(a.deciding.has_value(), f.deciding.has_value()) << a.id;
    EXPECT_EQ(a.millis, 0) << a.id;
  }
}

// An answer that does not decode, names what the guideline lacks, or whose
// witness does not replay, is asked again; nothing is taken from it.
TEST(ProofCache, answers_that_do_not_decode_or_replay_are_asked_again) {
  const kb::Guideline& g = kb::testing::bundled();
  verify::Report fresh = verify::run(g, options(false));
  for (const std::string& bad : {std::string("not json"), std::string(R"({"verdict":"unknown"})"),
                                 std::string(R"({"verdict":"unsat","core":["rule:NO-SUCH-RULE"]})"),
                                 std::string(R"({"verdict":"sat","witness":{"age":-5},"params":{}})")}) {
    verify::Options o = options(false);
    o.cache = [&](const std::string&) { return std::optional<verify::CachedAnswer>{{"run 1", bad}}; };
    verify::Report r = verify::run(g, o);
    ASSERT_EQ(r.obligations.size(), fresh.obligations.size()) << bad;
    for (std::size_t i = 0; i < r.obligations.size(); ++i) {
      const Obligation& o2 = r.obligations[i];
      EXPECT_FALSE(o2.cached_from) << bad << ": " << o2.id;
      EXPECT_EQ(o2.status, fresh.obligations[i].status) << o2.id;
    }
  }
}

// A disagreement (here forced by replaying through other rules) and an
// unknown are never kept for reuse.
TEST(ProofCache, disagreements_and_unknowns_are_never_kept) {
  kb::Guideline encoded = kb::testing::checked(R"(
reference 1 "r"
fact months: int 0..240 "months"
action mdt "mdt"
rule OFFER when months >= 3 then recommend mdt because "x" source "y" cites 1
property P "no MDT below 6 months" offered(mdt) implies months >= 6 cites 1
)");
  kb::Guideline replayed = kb::testing::checked(R"(
reference 1 "r"
fact months: int 0..240 "months"
action mdt "mdt"
rule OFFER when months >= 9 then recommend mdt because "x" source "y" cites 1
property P "no MDT below 6 months" offered(mdt) implies months >= 6 cites 1
)");
  verify::Report r = verify::run_split(encoded, replayed, options(false));
  std::size_t disagreements = 0;
  for (const Obligation& o : r.obligations) {
    if (o.status == Status::Disagreement || o.status == Status::Unknown) {
      disagreements += o.status == Status::Disagreement;
      EXPECT_TRUE(o.cache_answer.empty()) << o.id;
    }
  }
  EXPECT_GT(disagreements, 0u);
}

// Shards together check every obligation once; a run reusing their answers
// asks nothing and reports what the unsharded run reports.
void expect_shards_merge(const kb::Guideline& g, unsigned shards) {
  verify::Report whole = verify::run(g, options());
  MemoryCache cache;
  std::multiset<std::string> checked;
  for (unsigned k = 1; k <= shards; ++k) {
    verify::Options o = options();
    o.shard = k, o.shards = shards;
    verify::Report part = verify::run(g, o);
    for (const Obligation& ob : part.obligations) {
      if (shards > 1) {  // what needs every answer is left to the merge
        EXPECT_FALSE(ob.kind == verify::Kind::UncoveredRule || ob.kind == verify::Kind::UnusedWaiver) << ob.id;
      }
      checked.insert(ob.id);
    }
    cache.keep(part, "shard " + std::to_string(k) + "/" + std::to_string(shards));
  }
  verify::Report merged = run_reusing(g, cache);
  ASSERT_EQ(merged.obligations.size(), whole.obligations.size());
  for (std::size_t i = 0; i < merged.obligations.size(); ++i) {
    const Obligation &m = merged.obligations[i], &w = whole.obligations[i];
    EXPECT_EQ(m.id, w.id);
    EXPECT_EQ(m.status, w.status) << m.id;
    EXPECT_EQ(m.answer, w.answer) << m.id;
    if (m.cache_key.empty()) continue;
    EXPECT_EQ(checked.count(m.id), 1u) << m.id << " is checked by exactly one shard";
    EXPECT_TRUE(m.cached_from) << m.id << " was asked again in the merge";
    if (m.answer == solver::Verdict::Unsat) {
      EXPECT_EQ(m.rests_on, w.rests_on) << m.id;
    }
  }
}

TEST(Sharding, shards_of_the_bundled_guideline_merge_into_the_unsharded_report) {
  expect_shards_merge(kb::testing::bundled(), 3);
}

TEST(Sharding, shards_of_a_synthetic_guideline_merge_into_the_unsharded_report) {
  expect_shards_merge(kb::testing::checked(kb::synth::generate(
                          {.rules = 150, .seed = 5, .conflicts = 1, .dead_rules = 2, .violations = 1})),
                      4);
}

RC_GTEST_PROP(Sharding, random_guidelines_merge_into_the_unsharded_report, (std::uint32_t seed)) {
  kb::Guideline g = kb::testing::checked(kb::testing::RandomGuideline(seed).source());
  expect_shards_merge(g, *rc::gen::inRange(1u, 5u));
  RC_ASSERT(!::testing::Test::HasFailure());
}

}  // namespace
