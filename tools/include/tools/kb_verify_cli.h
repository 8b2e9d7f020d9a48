// The `kb-verify` command line as a function the tests call directly
// (tools/kb_verify.cpp only wraps it). Exit codes (tools/cli_common.h): 0 everything proved and
// no conflict; 1 a property violated or a conflict (or a warning with
// --deny-warnings); 2 unknown, translator disagreement, or bad input.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace kb::cli {

/** Runs `kb-verify` with `args` (without the program name).
    @return the process exit code */
int run_kb_verify(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace kb::cli
