// What the kb and kb-verify command lines share: argument parsing with a
// did-you-mean for unknown subcommands, --version, the exit codes, and the
// console (terminal detection, colour, the summary line, --out files).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <iosfwd>
#include <ostream>
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

/** True when `out` is the process's standard output and that is a
    terminal (never for the string streams the tests pass). */
bool is_terminal(const std::ostream& out);

/** True when colour may be written to `out`: it is a terminal
    (is_terminal) and the NO_COLOR environment variable is unset or empty. */
bool use_color(const std::ostream& out);

/** Prints "TOOL: SUMMARY" on `err`, the one line that always reaches the
    console, unless `already_shown` (the text report ending with the same
    summary went to the same terminal). */
void print_summary(const std::string& tool, const std::string& summary, bool already_shown, std::ostream& err);

/** Writes `text` to `path` through a fresh temporary file in the same
    folder and a rename, so a reader never sees half a report; on failure
    removes the temporary file and prints "TOOL: cannot write PATH: why".
    @return true when written */
bool write_atomically(const std::string& path, const std::string& text, const std::string& tool, std::ostream& err);

/** Runs `body`, turning any escaping exception into "<tool>: internal
    error: ..." on `err` and kExitInternal. */
int guard_main(const std::string& tool, std::ostream& err, const std::function<int()>& body);

}  // namespace kb::cli
