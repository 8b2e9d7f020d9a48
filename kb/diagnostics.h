// Source locations and diagnostics: every user-facing error names a place
// (file:line:column) and is rendered with the source line and a caret.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kb {

/** A position in a source file; line and column count from 1. */
struct Loc {
  std::shared_ptr<const std::string> file;  ///< file name as given to the parser, shared by every Loc of one file; null prints as "<input>"
  int line = 0;    ///< line, from 1; 0 when the location is the whole file (e.g. it cannot be read)
  int column = 0;  ///< column in bytes, from 1; meaningless when `line` is 0
  /** "file:line:column", or "file" when line is 0. */
  std::string str() const;
};

/** One error found in user input. */
struct Diagnostic {
  Loc loc;              ///< where the error is
  std::string message;  ///< what is wrong, one line, without the "file:line:col: error: " prefix
};

/** Sources by file name, used to print the line under a diagnostic. */
using SourceMap = std::map<std::string, std::string>;

/** Collects diagnostics; a phase fails when it added any. */
class Diagnostics {
 public:
  /** Records an error at `loc`. */
  void error(const Loc& loc, std::string message);
  /** True when no error was recorded. */
  bool ok() const { return list_.empty(); }
  /** All errors in the order they were found. */
  const std::vector<Diagnostic>& list() const { return list_; }
  /** Renders every error as "file:line:col: error: msg", the source line and
      a caret under the column, using `sources` when it has the file. */
  std::string render(const SourceMap& sources) const;

 private:
  std::vector<Diagnostic> list_;
};

/** The candidate closest to `name` by edit distance, or "" when none is close
    enough to be a plausible misspelling. */
std::string closest_name(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace kb
