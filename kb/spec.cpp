#include "kb/spec.h"

#include <algorithm>
#include <filesystem>

#include "kb/store.h"

namespace kb {

LoadedSpec load_spec(const std::string& spec, const std::string& db) {
  namespace fs = std::filesystem;
  LoadedSpec out;
  std::error_code ec;
  if (spec != "draft" && (fs::is_directory(spec, ec) || spec.ends_with(".kb"))) {
    std::vector<std::string> files;
    if (fs::is_directory(spec, ec)) {
      for (const auto& e : fs::directory_iterator(spec, ec))
        if (e.path().extension() == ".kb") files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        out.error = spec + ": no .kb files in this folder";
        return out;
      }
    } else {
      files.push_back(spec);
    }
    SourceMap sources;
    Diagnostics diags;
    out.guideline = load_files(files, sources, diags);
    if (!out.guideline) out.error = diags.render(sources);
    out.name = "files " + spec;
    return out;
  }
  auto store = Store::open(db, OpenMode::Existing);
  if (!store) {
    out.error = store.error().render();
    return out;
  }
  std::optional<std::string> release;
  if (spec != "draft") release = spec;
  auto loaded = store.value().load(release);
  if (!loaded) {
    out.error = loaded.error().render();
    return out;
  }
  out.guideline.emplace(std::move(loaded.value()));
  out.name = release ? "release " + *release : "draft";
  return out;
}

}  // namespace kb
