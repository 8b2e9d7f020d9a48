#include "tools/cli_common.h"

#include <exception>
#include <ostream>
#include <sstream>

#include "kb/lang/diagnostics.h"
#include "tools/version.h"

namespace kb::cli {

void add_version_flag(CLI::App& app, const std::string& tool) {
  app.set_version_flag("--version", tool + " " + kToolVersion, "Print the version and exit");
}

std::optional<int> parse_args(CLI::App& app, const std::vector<std::string>& args, std::ostream& out,
                              std::ostream& err) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  if (!names.empty() && !args.empty() && !args[0].empty() && args[0][0] != '-' &&
      std::find(names.begin(), names.end(), args[0]) == names.end()) {
    err << app.get_name() << ": unknown subcommand '" << args[0] << "'";
    if (std::string near = closest_name(args[0], names); !near.empty()) err << "; did you mean '" << near << "'?";
    err << "\nRun with --help for more information.\n";
    return kExitBadInput;
  }
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them reversed
  } catch (const CLI::ParseError& e) {
    std::ostringstream o, e2;
    int rc = app.exit(e, o, e2);
    out << o.str();
    err << e2.str();
    return rc == 0 ? kExitOk : kExitBadInput;
  }
  return std::nullopt;
}

int guard_main(const std::string& tool, std::ostream& err, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    err << tool << ": internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}

}  // namespace kb::cli
