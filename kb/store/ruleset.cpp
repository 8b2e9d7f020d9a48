#include "kb/store/ruleset.h"

#include <filesystem>

#include "kb/hash/release_hash.h"
#include "kb/model/sources.h"

namespace kb {

LoadedRuleSet load_rule_set(const RuleSetSource& source, std::istream* in) {
  LoadedRuleSet out;
  if (!source.paths.empty()) {
    SourceMap sources;
    Diagnostics diags;
    out.guideline = load_files(source.paths, sources, diags, in);
    if (!out.guideline) out.error = diags.render(sources);
    out.name = "files";
    for (const auto& p : source.paths) out.name += " " + p;
  } else {
    auto store = Store::open(source.db, source.mode);
    if (!store) {
      out.error = store.error().render();
      return out;
    }
    auto loaded = store.value().load(source.release);
    if (!loaded) {
      out.error = loaded.error().render();
      return out;
    }
    out.guideline.emplace(std::move(loaded.value()));
    out.store.emplace(std::move(store.value()));
    out.name = source.release ? "release " + *source.release : "draft";
  }
  if (out.guideline) out.release_hash = release_hash(*out.guideline);
  return out;
}

RuleSetSource rule_set_source(const std::string& word, const std::string& db) {
  RuleSetSource s;
  s.db = db;
  std::error_code ec;
  if (word == "draft") return s;
  if (std::filesystem::exists(word, ec) || word.ends_with(".kb") || word.find('/') != std::string::npos)
    s.paths = {word};
  else
    s.release = word;
  return s;
}

}  // namespace kb
