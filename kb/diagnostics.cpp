#include "kb/diagnostics.h"

#include <algorithm>
#include <sstream>
#include <tuple>

namespace kb {

std::string Loc::str() const {
  std::string f = file ? *file : std::string("<input>");
  if (line == 0) return f;
  return f + ":" + std::to_string(line) + ":" + std::to_string(column);
}

void Diagnostics::error(const Loc& loc, std::string message) {
  list_.push_back({loc, std::move(message)});
}

static std::string source_line(const std::string& text, int line) {
  std::istringstream in(text);
  std::string l;
  for (int i = 1; std::getline(in, l); ++i)
    if (i == line) return l;
  return "";
}

std::string Diagnostics::render(const SourceMap& sources) const {
  std::vector<Diagnostic> sorted = list_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    std::string fa = a.loc.file ? *a.loc.file : "", fb = b.loc.file ? *b.loc.file : "";
    return std::tie(fa, a.loc.line, a.loc.column) < std::tie(fb, b.loc.line, b.loc.column);
  });
  std::string out;
  for (const auto& d : sorted) {
    out += d.loc.str() + ": error: " + d.message + "\n";
    if (!d.loc.file || d.loc.line == 0) continue;
    auto it = sources.find(*d.loc.file);
    if (it == sources.end()) continue;
    std::string l = source_line(it->second, d.loc.line);
    out += "  " + l + "\n  ";
    for (int i = 1; i < d.loc.column && i <= static_cast<int>(l.size()); ++i)
      out += l[i - 1] == '\t' ? '\t' : ' ';
    out += "^\n";
  }
  return out;
}

static std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string closest_name(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(1, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(name, c);
    if (d < best_d) best = c, best_d = d;
  }
  return best;
}

}  // namespace kb
