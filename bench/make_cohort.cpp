// Writes a cohort of random valid patients of the bundled guideline as JSON
// Lines, for timing `kb recommend --batch` (docs/performance.md):
//
//   ./build/bin/make_cohort N [SEED] > cohort.jsonl
//
// Run from the repository root (it reads kb/guidelines). Patients come from
// tests/common/random_patient.h; each line is patient_to_json() dumped
// compactly, keys in sorted order, as a JSON library writes them. Same N
// and SEED, same file.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "kb/eval/recommender.h"
#include "tests/common/bundled.h"
#include "tests/common/random_patient.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: make_cohort N [SEED] > cohort.jsonl\n";
    return 2;
  }
  const long long n = std::atoll(argv[1]);
  const std::uint32_t seed = argc == 3 ? static_cast<std::uint32_t>(std::atoll(argv[2])) : 20261129u;
  try {
    const kb::Guideline& g = kb::testing::bundled();
    kb::Recommender r(g);
    kb::testing::RandomPatient gen(r);
    std::mt19937 rng(seed);
    std::string buf;
    for (long long i = 0; i < n; ++i) {
      auto p = gen.draw(rng);
      if (!p) {
        std::cerr << "make_cohort: could not draw a patient satisfying the domain constraints\n";
        return 1;
      }
      buf += kb::patient_to_json(g, *p).dump();
      buf += '\n';
      if (buf.size() > (1u << 22)) {
        std::fwrite(buf.data(), 1, buf.size(), stdout);
        buf.clear();
      }
    }
    std::fwrite(buf.data(), 1, buf.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "make_cohort: " << e.what() << "\n";
    return 1;
  }
}
