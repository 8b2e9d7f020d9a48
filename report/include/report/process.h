// Running an external program without a shell: an argument vector, standard
// output captured through a pipe, and a hard wall-clock limit.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace verify {

/** What one run of an external program gave. */
struct ProcessResult {
  bool started = false;    ///< false when it could not be started (not installed, ...); see `error`
  bool timed_out = false;  ///< it outlived its limit and was killed with SIGKILL
  int exit_status = -1;    ///< its exit status when it exited normally, else -1
  std::string out;         ///< standard output, at most the `max_output` bytes asked for
  std::string error;       ///< why it could not be started
};

/** Runs `argv` with posix_spawnp (argv[0] looked up in PATH, no shell):
    standard input and standard error are /dev/null, standard output is read
    through a pipe. A process still running `limit_ms` milliseconds after it
    started is killed with SIGKILL; it is always reaped with waitpid.
    @pre argv is not empty
    @param max_output bytes of standard output kept; the rest is read and dropped */
ProcessResult run_process(const std::vector<std::string>& argv, unsigned limit_ms, std::size_t max_output = 65536);

/** The first line of `text`, without trailing spaces, tabs or carriage returns. */
std::string first_line(const std::string& text);

}  // namespace verify
