// Source locations and diagnostics: every user-facing error names a place
// (file:line:column) and is rendered with the source line and a caret.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kb {

/** A position in a source file; line and column count from 1. */
struct Loc {
  std::shared_ptr<const std::string> file;  ///< file name as given to the parser, shared by every Loc of one file; null prints as "<input>"
  int line = 0;    ///< line, from 1; 0 when the location is the whole file (e.g. it cannot be read)
  int column = 0;  ///< column in bytes, from 1; meaningless when `line` is 0
  int end_line = 0;    ///< last line of a range, from 1; 0 when the location is one point
  int end_column = 0;  ///< column just past the range's last byte; meaningful when end_line > 0
  /** "file:line:column", or "file" when line is 0. */
  std::string str() const;
};

/** How serious a diagnostic is: an error fails the phase; a warning is a
    finding a user may accept (kb-verify --deny-warnings makes it fail); a note
    only informs. */
enum class Severity { Error, Warning, Note };

/** Spelling of a severity ("error", "warning", "note"). */
const char* severity_name(Severity s);

/** A further place a diagnostic refers to (a fired rule, the first declaration). */
struct Related {
  Loc loc;              ///< where
  std::string message;  ///< why it is related, one line
};

/** One finding about user input, from the language front end or from
    verification: the one diagnostic model every output format renders. */
struct Diagnostic {
  Loc loc;              ///< the primary range (file, start and, when known, end)
  std::string message;  ///< what is wrong, one line, without the "file:line:col: error: " prefix
  std::string code;     ///< stable identifier of the kind of finding ("syntax", "unknown-name", "violated-property", ...)
  Severity severity = Severity::Error;  ///< how serious
  std::vector<Related> related;         ///< further locations; may be empty
};

/** Sources by file name, used to print the line under a diagnostic. */
using SourceMap = std::map<std::string, std::string>;

/** Diagnostics of one kind (one code) recorded per file; further ones of
    that kind are only counted (see Diagnostics). */
inline constexpr std::size_t kMaxDiagnosticsPerKind = 20;
/** Diagnostics recorded per file, all kinds together; further ones are only counted. */
inline constexpr std::size_t kMaxDiagnosticsPerFile = 100;
/** Longest message recorded, in bytes; a longer one is cut at a character
    boundary and ends in "...". */
inline constexpr std::size_t kMaxMessageBytes = 500;

/** Collects diagnostics; a phase fails when it added any. Memory stays
    bounded on any input: per file at most kMaxDiagnosticsPerKind of one code
    and kMaxDiagnosticsPerFile in all are recorded, each message at most
    kMaxMessageBytes; the others are counted, by file and code, and render()
    summarises them. The first diagnostic of a file is always recorded, so
    ok() is false whenever anything was added. */
class Diagnostics {
 public:
  /** Records an error at `loc` with the stable `code` ("syntax" when not given). */
  void error(const Loc& loc, std::string message, std::string code = "syntax");
  /** Records any diagnostic, or only counts it when its file or its kind in
      that file is over the cap. */
  void add(Diagnostic d);
  /** True when nothing was added. */
  bool ok() const { return list_.empty(); }
  /** The recorded diagnostics in the order they were found. */
  const std::vector<Diagnostic>& list() const { return list_; }
  /** How many diagnostics were added: recorded plus only counted. */
  std::size_t total() const { return list_.size() + suppressed_; }
  /** Renders every recorded diagnostic as "file:line:col: error: msg
      [code]", the source line (a window around the column when the line is
      long) and a caret under the column (using `sources` when it has the
      file), then its related locations as notes. At most `limit` are
      rendered, then one line says how many more there were; last, one line
      per file and kind that went over the cap ("N more errors of this kind
      not shown"). */
  std::string render(const SourceMap& sources, std::size_t limit = 100) const;

 private:
  struct Count {
    std::size_t recorded = 0, suppressed = 0;
    Severity severity = Severity::Error;  // of the last one counted
  };
  std::vector<Diagnostic> list_;
  std::map<std::pair<std::string, std::string>, Count> kinds_;  // by (file, code)
  std::map<std::string, std::size_t> files_;                    // recorded per file
  std::size_t suppressed_ = 0;
};

/** Names longer than this (bytes) get no "did you mean" suggestion. */
inline constexpr std::size_t kMaxSuggestedNameBytes = 256;

/** The candidate closest to `name` by edit distance, or "" when none is close
    enough to be a plausible misspelling (or `name` is longer than
    kMaxSuggestedNameBytes). Linear memory; time at most proportional to
    kMaxSuggestedNameBytes squared per candidate. */
std::string closest_name(const std::string& name, const std::vector<std::string>& candidates);

}  // namespace kb
