// `kb`: manage the guideline knowledge base. All work is in run_kb.
#include <iostream>

#include "tools/cli_common.h"
#include "tools/kb_cli.h"

int main(int argc, char** argv) {
  return kb::cli::guard_main("kb", std::cerr, [&] {
    return kb::cli::run_kb(std::vector<std::string>(argv + 1, argv + argc), std::cin, std::cout, std::cerr);
  });
}
