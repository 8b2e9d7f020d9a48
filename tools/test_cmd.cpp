#include "tools/test_cmd.h"

#include <nlohmann/json.hpp>
#include <ostream>

#include "report/report.h"
#include "report/sarif.h"
#include "report/test_report.h"
#include "tools/cli_common.h"
#include "tools/version.h"
#include "verify/testcases.h"

namespace kb::cli {
namespace {

std::string render(const TestArgs& args, const verify::Report& r, const Guideline& g, const verify::Subject& s,
                   bool color) {
  if (args.format == "json") return verify::tests_to_json(r, g, s, args.coverage).dump(2) + "\n";
  if (args.format == "junit") return verify::to_junit(r, g, s, false);
  if (args.format == "sarif") return verify::sarif_log(verify::sarif_run(r, g, s, args.coverage)).dump(2) + "\n";
  return verify::tests_to_text(r, g, s, {color, !args.verbose}, args.coverage);
}

}  // namespace

int run_test_cases(const LoadedRuleSet& loaded, const TestArgs& args, std::ostream& out, std::ostream& err) {
  const Guideline& g = *loaded.guideline;
  Recommender rec(g);
  std::vector<std::string> paths = args.paths;
  if (paths.empty()) paths.push_back(kDefaultTestFolder);
  verify::LoadedTests tests = verify::load_tests(paths, rec);
  for (const std::string& e : tests.errors) err << "kb: " << e << "\n";
  if (!tests.errors.empty()) return kExitBadInput;
  if (tests.cases.empty()) {
    err << "kb: no test cases to run\n";
    return kExitBadInput;
  }
  verify::Report report = verify::run_tests(rec, tests.cases);
  verify::Subject subject{loaded.name, loaded.release_hash, kToolVersion, "kb", "test"};
  std::string text = render(args, report, g, subject, use_color(out));
  if (!args.out_file.empty()) {
    if (!write_atomically(args.out_file, text, "kb", err)) return kExitBadInput;
  } else {
    out << text;
  }
  bool shown = args.format == "text" && args.out_file.empty() && is_terminal(out);
  print_summary("kb test", verify::tests_summary(report), shown, err);
  return report.count(verify::Status::Failed) ? kExitFinding : kExitOk;
}

}  // namespace kb::cli
