// `kb test`: run the guideline's own test cases (docs/testing.md) against a
// rule set. Kept apart from tools/kb_cli.cpp's other commands.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "kb/store/ruleset.h"

namespace kb::cli {

/** Options of `kb test`. */
struct TestArgs {
  std::vector<std::string> paths;  ///< test files or folders of them; empty: kDefaultTestFolder
  std::string format = "text";     ///< text, json, junit or sarif
  std::string out_file;            ///< write the report here instead of standard output
  bool coverage = false;           ///< also list the rules no test case fires
  bool verbose = false;            ///< text: list passed cases too
};

/** The folder `kb test` reads when given no path. */
inline constexpr const char* kDefaultTestFolder = "tests/vignettes";

/** Runs the test cases `args.paths` name against the loaded rule set and
    writes the report; the one-line summary always reaches `err` unless the
    text report already showed it on the terminal.
    @return 0 when every case passes; 1 when one fails; 2 when a test file
            is bad (each problem on `err`, naming the file and the fact or
            action), there is no test case, or --out cannot be written */
int run_test_cases(const LoadedRuleSet& loaded, const TestArgs& args, std::ostream& out, std::ostream& err);

}  // namespace kb::cli
