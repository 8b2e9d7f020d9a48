// kb-synth: writes a synthetic guideline (bench/synth/synth.h) to stdout.
// Usage: kb-synth RULES [SEED] [--conflicts K] [--dead K] [--violations K]
#include <cstdlib>
#include <iostream>
#include <string>

#include "synth.h"

int main(int argc, char** argv) {
  kb::synth::Options o;
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> int {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a number");
      return std::stoi(argv[++i]);
    };
    try {
      if (arg == "--conflicts") o.conflicts = value();
      else if (arg == "--dead") o.dead_rules = value();
      else if (arg == "--violations") o.violations = value();
      else if (positional == 0) o.rules = std::stoi(arg), ++positional;
      else if (positional == 1) o.seed = static_cast<std::uint32_t>(std::stoul(arg)), ++positional;
      else throw std::invalid_argument("unexpected argument " + arg);
    } catch (const std::exception& e) {
      std::cerr << "kb-synth: " << e.what() << "\nusage: kb-synth RULES [SEED] [--conflicts K] [--dead K] [--violations K]\n";
      return 2;
    }
  }
  std::cout << kb::synth::generate(o);
  return 0;
}
