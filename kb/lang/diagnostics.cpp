#include "kb/lang/diagnostics.h"

#include <algorithm>
#include <sstream>
#include <tuple>

namespace kb {

std::string Loc::str() const {
  std::string f = file ? *file : std::string("<input>");
  if (line == 0) return f;
  return f + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "?";
}

void Diagnostics::error(const Loc& loc, std::string message, std::string code) {
  list_.push_back({loc, std::move(message), std::move(code), Severity::Error, {}});
}

static std::string source_line(const std::string& text, int line) {
  std::istringstream in(text);
  std::string l;
  for (int i = 1; std::getline(in, l); ++i)
    if (i == line) return l;
  return "";
}

std::string Diagnostics::render(const SourceMap& sources, std::size_t limit) const {
  std::vector<Diagnostic> sorted = list_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    std::string fa = a.loc.file ? *a.loc.file : "", fb = b.loc.file ? *b.loc.file : "";
    return std::tie(fa, a.loc.line, a.loc.column) < std::tie(fb, b.loc.line, b.loc.column);
  });
  std::string out;
  std::size_t shown = 0;
  for (const auto& d : sorted) {
    if (shown++ == limit) {
      out += std::to_string(sorted.size() - limit) + " more diagnostics not shown\n";
      break;
    }
    out += d.loc.str() + ": " + severity_name(d.severity) + ": " + d.message + " [" + d.code + "]\n";
    for (const Related& r : d.related) out += "  " + r.loc.str() + ": note: " + r.message + "\n";
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

// Optimal string alignment distance: insertions, deletions, substitutions
// and transpositions of adjacent characters each cost 1.
static std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

std::string closest_name(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(name, c);
    // A prefix of a longer name ("her2_pos" for "her2_positive") is a likely slip too.
    if (c.size() >= 3 && name.size() > c.size() && name.compare(0, c.size(), c) == 0) d = std::min<std::size_t>(d, 2);
    if (d < best_d) best = c, best_d = d;
  }
  return best;
}

}  // namespace kb
