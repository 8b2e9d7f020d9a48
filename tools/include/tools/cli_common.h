// What the kb and kb-verify command lines share: argument parsing with a
// did-you-mean for unknown subcommands, --version, and the exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace kb::cli {

/** The exit codes of both tools (README, "Exit codes"). */
enum ExitCode : int {
  kExitOk = 0,        ///< success: everything checked holds
  kExitFinding = 1,   ///< a finding: violated property, conflict, refused import, failed audit, changed diff
  kExitBadInput = 2,  ///< bad usage or input, or no answer (unknown solver result, translator disagreement)
  kExitInternal = 3,  ///< an internal error (a bug): reported with "internal error"
};

/** Adds `--version`, which prints "<tool> <kToolVersion>" and exits 0. */
void add_version_flag(CLI::App& app, const std::string& tool);

/** Parses `args` (without the program name) into `app`. On --help,
    --version or a usage error prints CLI11's message to `out`/`err` and
    returns the exit code (0 for help and version, 2 for bad usage); an
    unknown subcommand is named with the closest known one. nullopt when the
    command should run. */
std::optional<int> parse_args(CLI::App& app, const std::vector<std::string>& args, std::ostream& out,
                              std::ostream& err);

/** Runs `body`, turning any escaping exception into "<tool>: internal
    error: ..." on `err` and kExitInternal. */
int guard_main(const std::string& tool, std::ostream& err, const std::function<int()>& body);

}  // namespace kb::cli
