// Throughput of the recommender on the bundled guideline as of 2026-11
// (bench/guideline_2026_11, a frozen copy: 33 rules), against the same 33
// rules hand-written in C++ (bench/hand_written.cpp). The copy is frozen so
// the hand-written baseline stays a faithful implementation when the
// bundled guideline changes; the recommender's speed does not depend on
// which clinical content it runs.
//
// Run from the repository root:  ./build/bin/recommender_bench [benchmark flags]
//
// Before timing anything it checks that the hand-written rules agree with
// kb::Recommender on every patient of the benchmark pool and on 100,000 more
// random valid patients (exit code 1, naming the rule, when not). After the
// benchmarks it prints the measured patients per second of both and their
// ratio (hand-written / recommender), and whether the goals are met:
// >= 1,000,000 patients/s on one core, within 3x of the hand-written rules.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "bench/hand_written.h"
#include "kb/eval/recommender.h"
#include "tests/common/bundled.h"
#include "tests/common/random_patient.h"

namespace {

constexpr std::size_t kPoolSize = 4096;      // patients evaluated per benchmark iteration
constexpr std::size_t kExtraChecks = 100000;  // more random patients checked, not timed
constexpr std::uint32_t kSeed = 20240601;     // fixed: every run times the same patients
constexpr double kGoalPerSecond = 1e6;
constexpr double kGoalRatio = 3.0;

const kb::Recommender* g_recommender = nullptr;
const std::vector<kb::Patient>* g_pool = nullptr;

template <class Evaluate>
void run_pool(benchmark::State& state, Evaluate evaluate) {
  const std::vector<kb::Patient>& pool = *g_pool;
  kb::Outcome out;
  for (auto _ : state) {
    for (const kb::Patient& p : pool) {
      evaluate(p, out);
      benchmark::DoNotOptimize(out.fired.data());
      benchmark::DoNotOptimize(out.actions.data());
      benchmark::ClobberMemory();
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pool.size()));
  state.counters["time/patient"] = benchmark::Counter(static_cast<double>(pool.size()),
                                                      benchmark::Counter::kIsIterationInvariantRate |
                                                          benchmark::Counter::kInvert);
}

void BM_Recommender(benchmark::State& state) {
  const kb::Recommender& r = *g_recommender;
  run_pool(state, [&r](const kb::Patient& p, kb::Outcome& out) { r.evaluate(p, out); });
}
BENCHMARK(BM_Recommender);

void BM_HandWritten(benchmark::State& state) {
  run_pool(state, [](const kb::Patient& p, kb::Outcome& out) { kb::bench::hand_written(p, out); });
}
BENCHMARK(BM_HandWritten);

// The console reporter, also keeping the items_per_second of every run.
class Recorder : public benchmark::ConsoleReporter {
 public:
  Recorder() : ConsoleReporter(isatty(fileno(stdout)) ? OO_Color : OO_None) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      const std::string& name = run.run_name.function_name;
      if (run.run_type == Run::RT_Iteration) iterations_[name].push_back(it->second.value);
      else if (run.aggregate_name == "median") medians_[name] = it->second.value;
    }
  }

  /** Patients per second of a benchmark: the median over its repetitions
      (Google Benchmark's own median aggregate when it reported one), or 0. */
  double per_second(const std::string& name) const {
    if (auto m = medians_.find(name); m != medians_.end()) return m->second;
    auto it = iterations_.find(name);
    if (it == iterations_.end() || it->second.empty()) return 0;
    std::vector<double> v = it->second;
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  }

 private:
  std::map<std::string, std::vector<double>> iterations_;
  std::map<std::string, double> medians_;
};

std::string with_commas(double x) {
  std::string digits = std::to_string(static_cast<long long>(x + 0.5));
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// Empty when hand_written and the recommender agree on `p`; else what differs.
std::string disagreement(const kb::Guideline& g, const kb::Recommender& r, const kb::Patient& p) {
  kb::Outcome expected, actual;
  r.evaluate(p, expected);
  kb::bench::hand_written(p, actual);
  if (actual.fired.size() != expected.fired.size() || actual.actions.size() != expected.actions.size())
    return "outcome sizes differ (rules " + std::to_string(actual.fired.size()) + " vs " +
           std::to_string(expected.fired.size()) + ", actions " + std::to_string(actual.actions.size()) + " vs " +
           std::to_string(expected.actions.size()) + ")";
  for (std::size_t i = 0; i < expected.fired.size(); ++i)
    if (actual.fired[i] != expected.fired[i])
      return "rule " + g.rules[i].name + " " + (expected.fired[i] ? "fires" : "does not fire") +
             " in the recommender but " + (actual.fired[i] ? "fires" : "does not fire") + " in hand_written";
  for (std::size_t a = 0; a < expected.actions.size(); ++a)
    if (actual.actions[a] != expected.actions[a])
      return "action " + g.actions[a].name + " has strength bits " + std::to_string(expected.actions[a]) +
             " in the recommender but " + std::to_string(actual.actions[a]) + " in hand_written";
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const std::string folder = "bench/guideline_2026_11";
  if (!std::filesystem::is_directory(folder)) {
    std::cerr << "recommender_bench: no " << folder << " directory here (" << std::filesystem::current_path().string()
              << "); run it from the repository root: ./build/bin/recommender_bench\n";
    return 2;
  }
  try {
    static const kb::Guideline g = kb::testing::checked_folder(folder);
    if (g.rules.empty()) {
      std::cerr << "recommender_bench: " << folder << " holds no rules; run it from the repository root\n";
      return 2;
    }
    static const kb::Recommender recommender(g);
    kb::bench::hand_written_init(g);

    // The pool, then the extra patients, all from one fixed-seed stream.
    kb::testing::RandomPatient draw(recommender);
    std::mt19937 rng(kSeed);
    static std::vector<kb::Patient> pool;
    for (std::size_t n = 0; n < kPoolSize + kExtraChecks; ++n) {
      std::optional<kb::Patient> p = draw.draw(rng);
      if (!p) {
        std::cerr << "recommender_bench: could not draw a patient satisfying the domain constraints\n";
        return 2;
      }
      if (std::string why = disagreement(g, recommender, *p); !why.empty()) {
        std::cerr << "recommender_bench: hand_written disagrees with kb::Recommender: " << why
                  << "\n  patient " << n << ": " << kb::describe_patient(g, *p, false)
                  << "\naborting: the hand-written baseline does not implement the guideline's rules\n";
        return 1;
      }
      if (n < kPoolSize) pool.push_back(std::move(*p));
    }
    std::cout << "hand_written agrees with kb::Recommender on all " << kPoolSize << " pool patients and "
              << kExtraChecks << " more (seed " << kSeed << "; " << g.facts.size() << " facts, " << g.defines.size()
              << " definitions, " << g.rules.size() << " rules, " << g.actions.size() << " actions)\n"
              << "each benchmark iteration evaluates the " << kPoolSize << " pool patients\n"
              << std::flush;
    g_recommender = &recommender;
    g_pool = &pool;
  } catch (const std::exception& e) {
    std::cerr << "recommender_bench: " << e.what() << "\n";
    return 2;
  }

  Recorder recorder;
  benchmark::RunSpecifiedBenchmarks(&recorder);
  benchmark::Shutdown();
  double rec = recorder.per_second("BM_Recommender");
  double hand = recorder.per_second("BM_HandWritten");
  if (rec <= 0 && hand <= 0) return 0;  // nothing ran (--benchmark_list_tests, a filter)
  std::cout << "\n";
  if (rec > 0) std::cout << "recommender:  " << with_commas(rec) << " patients/s (one core)\n";
  if (hand > 0) std::cout << "hand-written: " << with_commas(hand) << " patients/s (one core)\n";
  if (rec <= 0 || hand <= 0) {
    std::cout << "ratio: not computed (run both BM_Recommender and BM_HandWritten)\n";
    return 0;
  }
  double ratio = hand / rec;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", ratio);
  std::cout << "ratio hand-written / recommender: " << buf << "x\n"
            << "goal >= 1,000,000 patients/s per core: " << (rec >= kGoalPerSecond ? "met" : "NOT met") << "\n"
            << "goal within 3x of hand-written:        " << (ratio <= kGoalRatio ? "met" : "NOT met") << "\n";
  return 0;
}
