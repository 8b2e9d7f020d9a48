// `kb-verify`: prove the guideline's properties. All work is in run_kb_verify.
#include <iostream>

#include "tools/cli_common.h"
#include "tools/kb_verify_cli.h"

int main(int argc, char** argv) {
  return kb::cli::guard_main("kb-verify", std::cerr, [&] {
    return kb::cli::run_kb_verify(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
  });
}
