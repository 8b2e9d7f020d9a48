// The bundled guideline (kb/guidelines/*.kb), loaded once per test binary,
// and a helper that checks an inline source.
#pragma once

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "kb/guideline.h"
#include "kb/parser.h"

namespace kb::testing {

/** `text` parsed and checked as one source named `file`; throws with the
    rendered diagnostics when it does not check. */
inline Guideline checked(const std::string& text, const std::string& file = "t.kb") {
  Diagnostics diags;
  auto g = check(parse_source(file, text, diags), diags);
  if (!g) throw std::runtime_error(diags.render({{file, text}}));
  return std::move(*g);
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
