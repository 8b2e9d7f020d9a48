// Throughput of advice for partial patients (advice/advice.h) on the bundled
// guideline (kb/guidelines): patients with 1, 3 and 8 unknown facts against
// the same patients complete (BM_Advice/0: advice for a complete patient;
// BM_Evaluate: the two-valued recommender, what `kb recommend` runs for one). Run from the repository root:
//   ./build/bin/advice_bench [benchmark flags]
// Before timing it checks, on every patient of the pools, that the complete
// patient (a valid completion of each of its partial copies) gets every
// answer its partial copies call holds and none they call never (exit code 1
// when not). The counters show the solver checks per patient.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <iostream>
#include <random>
#include <vector>

#include "advice/advice.h"
#include "kb/eval/partial.h"
#include "tests/common/bundled.h"
#include "tests/common/random_patient.h"

namespace {

constexpr std::size_t kPoolSize = 32;      // patients per pool
constexpr std::uint32_t kSeed = 20261130;  // fixed: every run times the same patients

const kb::Recommender* g_recommender = nullptr;
std::vector<kb::Patient> g_complete;

// The pool's patients with `unknown` facts (chosen at random, fixed seed) made unknown.
std::vector<kb::PartialPatient> pool(std::size_t unknown) {
  const kb::Guideline& g = g_recommender->guideline();
  std::mt19937 rng(kSeed + static_cast<std::uint32_t>(unknown));
  std::vector<kb::PartialPatient> out;
  for (const kb::Patient& p : g_complete) {
    kb::PartialPatient pp;
    for (std::int64_t v : p) pp.facts.push_back({{v, v}});
    std::vector<std::size_t> facts(g.facts.size());
    for (std::size_t i = 0; i < facts.size(); ++i) facts[i] = i;
    std::shuffle(facts.begin(), facts.end(), rng);
    for (std::size_t k = 0; k < unknown; ++k) pp.facts[facts[k]] = {{g.facts[facts[k]].fact_type.lo, g.facts[facts[k]].fact_type.hi}};
    out.push_back(std::move(pp));
  }
  return out;
}

void BM_Advice(benchmark::State& state) {
  const std::vector<kb::PartialPatient> patients = pool(static_cast<std::size_t>(state.range(0)));
  advice::Advisor advisor(*g_recommender);
  std::int64_t queries = 0;
  for (auto _ : state)
    for (const kb::PartialPatient& p : patients) {
      advice::Advice a = advisor.advise(p);
      queries += a.solver_queries;
      benchmark::DoNotOptimize(a.strengths.data());
    }
  const double n = static_cast<double>(state.iterations() * patients.size());
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.counters["solver_checks/patient"] = static_cast<double>(queries) / n;
}
BENCHMARK(BM_Advice)->Arg(0)->Arg(1)->Arg(3)->Arg(8)->Unit(benchmark::kMicrosecond);

// As BM_Advice, with a fresh Advisor (so a fresh solver) per patient, as a
// batch line with unknown facts gets one.
void BM_AdviceFreshSolver(benchmark::State& state) {
  const std::vector<kb::PartialPatient> patients = pool(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state)
    for (const kb::PartialPatient& p : patients) {
      advice::Advice a = advice::Advisor(*g_recommender).advise(p);
      benchmark::DoNotOptimize(a.strengths.data());
    }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * patients.size()));
}
BENCHMARK(BM_AdviceFreshSolver)->Arg(1)->Arg(3)->Arg(8)->Unit(benchmark::kMicrosecond);

// The same patients complete through the two-valued recommender, as `kb recommend` evaluates a complete patient.
void BM_Evaluate(benchmark::State& state) {
  kb::Outcome o;
  for (auto _ : state)
    for (const kb::Patient& p : g_complete) {
      g_recommender->evaluate(p, o);
      benchmark::DoNotOptimize(o.actions.data());
    }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * g_complete.size()));
}
BENCHMARK(BM_Evaluate)->Unit(benchmark::kMicrosecond);

// Every answer the partial copies call holds the complete patient gets; none they call never.
bool check() {
  for (std::size_t unknown : {1, 3, 8}) {
    advice::Advisor advisor(*g_recommender);
    std::vector<kb::PartialPatient> patients = pool(unknown);
    for (std::size_t i = 0; i < patients.size(); ++i) {
      advice::Advice a = advisor.advise(patients[i]);
      kb::Outcome o;
      g_recommender->evaluate(g_complete[i], o);
      for (const advice::Answer& s : a.strengths) {
        bool has = o.actions[s.goal.index] & s.goal.strength;
        if ((s.truth == advice::Truth::Holds && !has) || (s.truth == advice::Truth::Never && has)) {
          std::cerr << "advice_bench: " << truth_word(s.truth) << " for action "
                    << g_recommender->guideline().actions[s.goal.index].name << " contradicts the complete patient "
                    << kb::describe_patient(g_recommender->guideline(), g_complete[i]) << "\n";
          return false;
        }
      }
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  static const kb::Guideline g = kb::testing::checked_folder("kb/guidelines");
  static const kb::Recommender r(g);
  g_recommender = &r;
  kb::testing::RandomPatient draw(r);
  std::mt19937 rng(kSeed);
  while (g_complete.size() < kPoolSize)
    if (auto p = draw.draw(rng)) g_complete.push_back(*p);
  if (!check()) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
