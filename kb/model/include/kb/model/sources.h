// Guideline sources on disk: files, folders of `.kb` files, standard input.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "kb/lang/diagnostics.h"
#include "kb/model/guideline.h"

namespace kb {

/** The source files `paths` name: a file as given, a folder as its `.kb`
    files (sorted, not recursive), "-" as itself (standard input). A missing
    path and a folder without `.kb` files are errors naming the path.
    @return the files, or nullopt with the errors in `diags` */
std::optional<std::vector<std::string>> expand_sources(const std::vector<std::string>& paths, Diagnostics& diags);

/** Reads, parses and checks sources (expand_sources first). Item locations
    use display_path() of each file.
    @param paths files or folders; "-" reads `in` (named "<stdin>")
    @param sources receives each file's text, for rendering diagnostics
    @param in the stream "-" stands for (required when a path is "-")
    @return the checked guideline, or nullopt (errors, including unreadable
            files, in `diags`) */
std::optional<Guideline> load_files(const std::vector<std::string>& paths, SourceMap& sources, Diagnostics& diags,
                                    std::istream* in = nullptr);

}  // namespace kb
