// `kb fmt`: rewrite guideline sources in the formatter's canonical layout,
// keeping their comments (kb/lang/format.h). Kept apart from
// tools/kb_cli.cpp's other commands.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace kb::cli {

/** Options of `kb fmt`. */
struct FmtArgs {
  std::vector<std::string> files;  ///< files or folders of .kb files; "-" formats standard input to standard output
  bool check = false;              ///< list the files that are not formatted (exit 1); write nothing
  bool diff = false;               ///< print a line diff of each file that is not formatted; write nothing
};

/** Formats every file of `args`. Without --check or --diff, rewrites each
    file whose layout changes through a temporary file in the same folder and
    a rename (keeping its permissions), and names it on `out`.
    @return 0 on success; 1 with --check when some file is not formatted;
            2 when a file is missing, unreadable, does not parse (its errors
            on `err`, the file left alone) or cannot be written */
int format_files(const FmtArgs& args, std::istream& in, std::ostream& out, std::ostream& err);

/** A unified diff of two texts, line by line, with 3 lines of context and
    the headers "--- before_name" and "+++ after_name"; "" when they are equal. */
std::string unified_diff(const std::string& before, const std::string& after, const std::string& before_name,
                         const std::string& after_name);

}  // namespace kb::cli
