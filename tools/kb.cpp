// `kb`: manage the guideline knowledge base. All work is in run_kb.
#include <exception>
#include <iostream>

#include "tools/kb_cli.h"

int main(int argc, char** argv) {
  try {
    return kb::cli::run_kb(std::vector<std::string>(argv + 1, argv + argc), std::cin, std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "kb: internal error: " << e.what() << "\n";
    return 3;
  }
}
