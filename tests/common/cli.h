// Running the command-line tools in process, and per-test scratch folders.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tools/kb_cli.h"
#include "tools/kb_verify_cli.h"

namespace kb::testing {

/** What one in-process run of a tool returned and printed. */
struct CliRun {
  int code;         ///< exit code
  std::string out;  ///< standard output
  std::string err;  ///< standard error
};

/** Runs `kb ARGS...` with `input` as standard input. */
inline CliRun run_kb(const std::vector<std::string>& args, const std::string& input = "") {
  std::istringstream in(input);
  std::ostringstream out, err;
  int code = cli::run_kb(args, in, out, err);
  return {code, out.str(), err.str()};
}

/** Runs `kb-verify ARGS...`. */
inline CliRun run_kb_verify(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int code = cli::run_kb_verify(args, out, err);
  return {code, out.str(), err.str()};
}

/** A fresh folder named after the running test and the process (so that
    test runs of several checkouts sharing /tmp do not collide), removed at
    the end. */
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() / ("kb-test-" + std::to_string(::getpid()) + "-" +
                                                      info->test_suite_name() + "-" + info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  /** Path of `name` inside the folder; writes `text` there when it is not empty. */
  std::string file(const std::string& name, const std::string& text = "") const {
    std::string p = (path_ / name).string();
    if (!text.empty()) std::ofstream(p) << text;
    return p;
  }

 private:
  std::filesystem::path path_;
};

}  // namespace kb::testing
