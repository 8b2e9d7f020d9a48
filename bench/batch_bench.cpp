// The library path of `kb recommend --batch` on the bundled guideline, phase
// by phase (docs/performance.md, "Batch"): splitting a block of JSON Lines
// into lines (read), reading a patient line (parse: kb::BatchCodec::read_patient),
// the rules (evaluate), writing the answer line (render:
// BatchCodec::append_result_line), writing the rendered lines to /dev/null
// (write), all of them per line (line), and the same line through the
// original path (reference: patient_from_text, outcome_to_json, dump).
//
// Run from the repository root:  ./build/bin/batch_bench [benchmark flags]
//
// Before timing anything it checks, on every pool line, that the fast reader
// reads the same patient as patient_from_text and that the rendered line is
// byte for byte the reference line (exit code 1 when not).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "kb/eval/batch.h"
#include "kb/eval/recommender.h"
#include "tests/common/bundled.h"
#include "tests/common/random_patient.h"

namespace {

constexpr std::size_t kPoolSize = 4096;
constexpr std::uint32_t kSeed = 20240601;

const kb::Recommender* g_r = nullptr;
const kb::BatchCodec* g_codec = nullptr;
std::vector<std::string> g_lines;    // patient lines, without newline
std::string g_block;                 // the same lines as one JSON Lines block
std::vector<kb::Patient> g_patients;
std::vector<kb::Outcome> g_outcomes;
std::string g_rendered;              // the answer lines of the pool

std::string reference_line(std::uint64_t n, const std::string& line) {
  using nlohmann::json;
  json result = {{"schema", "kb-recommendation-line/1"}, {"line", n}};
  kb::PatientResult p = kb::patient_from_text(*g_r, line);
  kb::Outcome o;
  g_r->evaluate(*p.patient, o);
  result["result"] = kb::outcome_to_json(g_r->guideline(), o);
  return result.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

void per_line(benchmark::State& state) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * kPoolSize));
  state.counters["time/patient"] = benchmark::Counter(
      static_cast<double>(kPoolSize), benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_Read(benchmark::State& state) {  // find the lines of a block
  for (auto _ : state) {
    const char* p = g_block.data();
    const char* end = p + g_block.size();
    std::size_t n = 0;
    while (const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) {
      benchmark::DoNotOptimize(nl);
      p = nl + 1;
      ++n;
    }
    benchmark::DoNotOptimize(n);
  }
  per_line(state);
}
BENCHMARK(BM_Read);

void BM_Parse(benchmark::State& state) {
  kb::Patient p;
  kb::BatchCodec::Scratch s;
  for (auto _ : state)
    for (const std::string& l : g_lines) {
      bool ok = g_codec->read_patient(l, p, s);
      benchmark::DoNotOptimize(ok);
      benchmark::DoNotOptimize(p.data());
    }
  per_line(state);
}
BENCHMARK(BM_Parse);

void BM_Evaluate(benchmark::State& state) {
  kb::Outcome o;
  for (auto _ : state)
    for (const kb::Patient& p : g_patients) {
      g_r->evaluate(p, o);
      benchmark::DoNotOptimize(o.actions.data());
      benchmark::ClobberMemory();
    }
  per_line(state);
}
BENCHMARK(BM_Evaluate);

void BM_Render(benchmark::State& state) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (std::size_t i = 0; i < g_outcomes.size(); ++i) g_codec->append_result_line(i + 1, g_outcomes[i], out);
    benchmark::DoNotOptimize(out.data());
  }
  per_line(state);
}
BENCHMARK(BM_Render);

void BM_Write(benchmark::State& state) {  // the pool's answer lines to /dev/null, one call
  std::FILE* f = std::fopen("/dev/null", "wb");
  for (auto _ : state) benchmark::DoNotOptimize(std::fwrite(g_rendered.data(), 1, g_rendered.size(), f));
  std::fclose(f);
  per_line(state);
}
BENCHMARK(BM_Write);

void BM_Line(benchmark::State& state) {  // parse, evaluate and render, per line
  kb::Patient p;
  kb::Outcome o;
  kb::BatchCodec::Scratch s;
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (std::size_t i = 0; i < g_lines.size(); ++i) {
      if (!g_codec->read_patient(g_lines[i], p, s)) std::abort();
      g_r->evaluate(p, o);
      g_codec->append_result_line(i + 1, o, out);
    }
    benchmark::DoNotOptimize(out.data());
  }
  per_line(state);
}
BENCHMARK(BM_Line);

void BM_ReferenceLine(benchmark::State& state) {
  for (auto _ : state)
    for (std::size_t i = 0; i < g_lines.size(); ++i) benchmark::DoNotOptimize(reference_line(i + 1, g_lines[i]));
  per_line(state);
}
BENCHMARK(BM_ReferenceLine);

}  // namespace

int main(int argc, char** argv) {
  try {
    const kb::Guideline& g = kb::testing::bundled();
    static kb::Recommender r(g);
    static kb::BatchCodec codec(r);
    g_r = &r;
    g_codec = &codec;
    kb::testing::RandomPatient gen(r);
    std::mt19937 rng(kSeed);
    kb::BatchCodec::Scratch s;
    for (std::size_t i = 0; i < kPoolSize; ++i) {
      auto p = gen.draw(rng);
      if (!p) {
        std::cerr << "batch_bench: could not draw a patient satisfying the domain constraints\n";
        return 1;
      }
      g_lines.push_back(kb::patient_to_json(g, *p).dump());
      g_block += g_lines.back() + "\n";
      kb::Patient q;
      if (!codec.read_patient(g_lines.back(), q, s) || q != *p) {
        std::cerr << "batch_bench: the fast reader does not read pool line " << i + 1 << ": " << g_lines.back() << "\n";
        return 1;
      }
      g_patients.push_back(*p);
      g_outcomes.emplace_back();
      r.evaluate(*p, g_outcomes.back());
      std::string line;
      codec.append_result_line(i + 1, g_outcomes.back(), line);
      if (line != reference_line(i + 1, g_lines.back())) {
        std::cerr << "batch_bench: pool line " << i + 1 << " renders differently from the reference:\n"
                  << line << reference_line(i + 1, g_lines.back());
        return 1;
      }
      g_rendered += line;
    }
  } catch (const std::exception& e) {
    std::cerr << "batch_bench: " << e.what() << "\n";
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
