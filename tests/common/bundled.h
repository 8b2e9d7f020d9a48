// The bundled guideline (kb/guidelines/*.kb), loaded once per test binary,
// and helpers that check an inline source or build a hard one.
#pragma once

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "kb/model/guideline.h"
#include "kb/lang/parser.h"
#include "kb/model/checker.h"
#include "kb/model/sources.h"

namespace kb::testing {

/** `text` parsed and checked as one source named `file`; throws with the
    rendered diagnostics when it does not check. */
inline Guideline checked(const std::string& text, const std::string& file = "t.kb") {
  Diagnostics diags;
  auto g = check(parse_source(file, text, diags), diags);
  if (!g) throw std::runtime_error(diags.render({{file, text}}));
  return std::move(*g);
}

/** A guideline whose one property is a pigeonhole problem (9 distinct
    values in 0..7): true, but hard enough for Z3 that a 1 ms limit gives
    unknown. */
inline std::string pigeonhole_source() {
  std::string text = "action a \"a\"\n";
  for (int i = 0; i < 9; ++i) text += "fact x" + std::to_string(i) + ": int 0..7 \"x\"\n";
  std::string distinct;
  for (int i = 0; i < 9; ++i)
    for (int j = i + 1; j < 9; ++j)
      distinct += std::string(distinct.empty() ? "" : " and ") + "x" + std::to_string(i) + " != x" + std::to_string(j);
  return text + "property HARD \"pigeonhole\" not (" + distinct + ")\n";
}

/** Paths of the bundled guideline sources, sorted. */
inline std::vector<std::string> bundled_files() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator("kb/guidelines"))
    if (e.path().extension() == ".kb") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

/** The checked bundled guideline; throws when it does not check. */
/** The .kb files of `folder`, sorted, loaded and checked; throws with the
    rendered diagnostics when they do not check. */
inline Guideline checked_folder(const std::string& folder) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(folder))
    if (e.path().extension() == ".kb") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  SourceMap sources;
  Diagnostics diags;
  auto loaded = load_files(files, sources, diags);
  if (!loaded) throw std::runtime_error(folder + " does not check:\n" + diags.render(sources));
  return std::move(*loaded);
}

inline const Guideline& bundled() {
  static const Guideline g = [] {
    SourceMap sources;
    Diagnostics diags;
    auto loaded = load_files(bundled_files(), sources, diags);
    if (!loaded) throw std::runtime_error("bundled guideline does not check:\n" + diags.render(sources));
    return std::move(*loaded);
  }();
  return g;
}

}  // namespace kb::testing
