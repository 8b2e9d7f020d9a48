#include "kb/lang/diagnostics.h"

#include <algorithm>
#include <string_view>
#include <tuple>

#include "kb/lang/utf8.h"

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
  add({loc, std::move(message), std::move(code), Severity::Error, {}});
}

void Diagnostics::add(Diagnostic d) {
  std::string file = d.loc.file ? *d.loc.file : std::string("<input>");
  std::size_t& in_file = files_[file];
  Count& kind = kinds_[{file, d.code}];
  kind.severity = d.severity;
  if (in_file >= kMaxDiagnosticsPerFile || kind.recorded >= kMaxDiagnosticsPerKind) {
    ++kind.suppressed, ++suppressed_;
    return;
  }
  ++in_file, ++kind.recorded;
  if (d.message.size() > kMaxMessageBytes) d.message = excerpt(d.message, kMaxMessageBytes);
  for (Related& r : d.related)
    if (r.message.size() > kMaxMessageBytes) r.message = excerpt(r.message, kMaxMessageBytes);
  list_.push_back(std::move(d));
}

namespace {

// Line `line` (from 1) of `text`, without its newline; "" past the end.
std::string_view source_line(std::string_view text, int line) {
  std::size_t begin = 0;
  for (int i = 1; i < line; ++i) {
    begin = text.find('\n', begin);
    if (begin == std::string_view::npos) return {};
    ++begin;
  }
  std::size_t end = text.find('\n', begin);
  return text.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
}

constexpr std::size_t kLineWindow = 160;  // bytes of a long source line shown around the column

// "  LINE\n  ^\n": the line (a window of it around `column` when long, cut
// at character boundaries, invalid bytes shown as '?') and a caret under
// the column, one space per character (tabs kept, so the caret lines up).
std::string line_and_caret(std::string_view l, int column) {
  std::size_t at = static_cast<std::size_t>(std::max(column, 1) - 1);
  at = std::min(at, l.size());
  std::size_t begin = 0, end = l.size();
  if (l.size() > kLineWindow) {
    begin = at > kLineWindow / 2 ? at - kLineWindow / 2 : 0;
    end = std::min(l.size(), begin + kLineWindow);
    auto continuation = [&](std::size_t i) {
      return i < l.size() && (static_cast<unsigned char>(l[i]) & 0xC0) == 0x80;
    };
    while (continuation(begin)) ++begin;
    while (continuation(end)) ++end;
  }
  std::string shown = begin > 0 ? "..." : "", caret = shown.empty() ? "" : "   ";
  for (std::size_t i = begin; i < end;) {
    std::size_t n = utf8_char_length(l, i);
    if (i < at) caret += l[i] == '\t' ? '\t' : ' ';
    if (n == 0) shown += '?', n = 1;
    else shown.append(l.substr(i, n));
    i += n;
  }
  if (end < l.size()) shown += "...";
  return "  " + shown + "\n  " + caret + "^\n";
}

}  // namespace

std::string Diagnostics::render(const SourceMap& sources, std::size_t limit) const {
  std::vector<const Diagnostic*> sorted;
  for (const Diagnostic& d : list_) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic* a, const Diagnostic* b) {
    static const std::string kNoFile;
    const std::string& fa = a->loc.file ? *a->loc.file : kNoFile;
    const std::string& fb = b->loc.file ? *b->loc.file : kNoFile;
    return std::tie(fa, a->loc.line, a->loc.column) < std::tie(fb, b->loc.line, b->loc.column);
  });
  std::string out;
  std::size_t shown = 0;
  for (const Diagnostic* d : sorted) {
    if (shown++ == limit) {
      out += std::to_string(sorted.size() - limit) + " more diagnostics not shown\n";
      break;
    }
    out += d->loc.str() + ": " + severity_name(d->severity) + ": " + d->message + " [" + d->code + "]\n";
    for (const Related& r : d->related) out += "  " + r.loc.str() + ": note: " + r.message + "\n";
    if (!d->loc.file || d->loc.line == 0) continue;
    auto it = sources.find(*d->loc.file);
    if (it == sources.end()) continue;
    out += line_and_caret(source_line(it->second, d->loc.line), d->loc.column);
  }
  for (const auto& [key, count] : kinds_)
    if (count.suppressed)
      out += key.first + ": " + std::to_string(count.suppressed) + " more " + severity_name(count.severity) +
             (count.suppressed == 1 ? "" : "s") + " of this kind not shown [" + key.second + "]\n";
  return out;
}

// Optimal string alignment distance: insertions, deletions, substitutions
// and transpositions of adjacent characters each cost 1. Three rows, so the
// memory is linear in the length of `b`.
static std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_name(const std::string& name, const std::vector<std::string>& candidates) {
  if (name.size() > kMaxSuggestedNameBytes) return "";
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, name.size() / 3) + 1;
  for (const auto& c : candidates) {
    if (c.size() > kMaxSuggestedNameBytes) continue;
    // The lengths alone bound the distance from below: skip what cannot win.
    std::size_t lower = name.size() > c.size() ? name.size() - c.size() : c.size() - name.size();
    std::size_t d = lower < best_d ? edit_distance(name, c) : lower;
    // A prefix of a longer name ("her2_pos" for "her2_positive") is a likely slip too.
    if (c.size() >= 3 && name.size() > c.size() && name.size() <= 2 * c.size() && name.compare(0, c.size(), c) == 0)
      d = std::min<std::size_t>(d, 2);
    if (d < best_d) best = c, best_d = d;
  }
  return best;
}

}  // namespace kb
