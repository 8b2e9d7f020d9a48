// Argument parsing shared by the kb and kb-verify drivers.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace kb::cli {

/** Parses `args` (without the program name) into `app`. On --help or a
    usage error prints CLI11's message to `out`/`err` and returns the exit
    code (0 for help, 2 for bad usage); nullopt when the command should run. */
inline std::optional<int> parse_args(CLI::App& app, const std::vector<std::string>& args, std::ostream& out,
                                     std::ostream& err) {
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them reversed
  } catch (const CLI::ParseError& e) {
    std::ostringstream o, e2;
    int rc = app.exit(e, o, e2);
    out << o.str();
    err << e2.str();
    return rc == 0 ? 0 : 2;
  }
  return std::nullopt;
}

}  // namespace kb::cli
