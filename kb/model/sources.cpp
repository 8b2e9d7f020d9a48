// Reading guideline sources from disk into a checked guideline.
#include "kb/model/sources.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "kb/lang/parser.h"
#include "kb/model/checker.h"

namespace kb {
namespace {

Loc whole_file(const std::string& path) { return {std::make_shared<const std::string>(path), 0, 0}; }

}  // namespace

std::optional<std::vector<std::string>> expand_sources(const std::vector<std::string>& paths, Diagnostics& diags) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  std::size_t before = diags.list().size();
  for (const std::string& path : paths) {
    std::error_code ec;
    if (path == "-") {
      out.push_back(path);
    } else if (fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (const auto& e : fs::directory_iterator(path, ec))
        if (e.path().extension() == ".kb" && !fs::is_directory(e.path(), ec)) files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      if (files.empty()) diags.error(whole_file(path), "no .kb files in this folder", "no-sources");
      out.insert(out.end(), files.begin(), files.end());
    } else if (!fs::exists(path, ec)) {
      diags.error(whole_file(path), "no such file or folder", "no-sources");
    } else {
      out.push_back(path);
    }
  }
  if (diags.list().size() != before) return std::nullopt;
  return out;
}

std::optional<Guideline> load_files(const std::vector<std::string>& paths, SourceMap& sources, Diagnostics& diags,
                                    std::istream* in) {
  auto files = expand_sources(paths, diags);
  if (!files) return std::nullopt;
  Module all;
  for (const auto& file : *files) {
    std::stringstream text;
    std::string name = display_path(file);
    if (file == "-" && in) {
      name = "<stdin>";
      text << in->rdbuf();
    } else {
      std::ifstream f(file, std::ios::binary);
      if (!f) {
        diags.error(whole_file(name), "cannot read file", "unreadable");
        continue;
      }
      text << f.rdbuf();
    }
    sources[name] = text.str();
    Module m = parse_source(name, sources[name], diags);
    for (Item& it : m.items) all.items.push_back(std::move(it));
  }
  if (!diags.ok()) return std::nullopt;
  check_nesting(all, diags);  // before the checker, which follows definitions recursively
  if (!diags.ok()) return std::nullopt;
  return check(std::move(all), diags);
}

}  // namespace kb
