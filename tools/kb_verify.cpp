// `kb-verify`: prove the guideline's properties. All work is in run_kb_verify.
#include <exception>
#include <iostream>

#include "tools/kb_verify_cli.h"

int main(int argc, char** argv) {
  try {
    return kb::cli::run_kb_verify(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "kb-verify: internal error: " << e.what() << "\n";
    return 2;
  }
}
