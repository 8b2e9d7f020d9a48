// The `kb` command line, as a function the tests call directly (tools/kb.cpp
// only wraps it). Exit codes (tools/cli_common.h): 0 success, 1 a finding (failed audit, refused
// import, conflict), 2 bad usage or bad input.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace kb::cli {

/** Runs `kb` with `args` (without the program name).
    @param in standard input (for `-` arguments)
    @return the process exit code */
int run_kb(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace kb::cli
