#include "tools/fmt_cmd.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "kb/lang/format.h"
#include "kb/model/guideline.h"
#include "kb/model/sources.h"

namespace kb::cli {
namespace {

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t nl = s.find('\n', start);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// One line of an edit script: ' ' kept, '-' removed, '+' added; `a` and `b`
// count the lines of each side before it.
struct Edit {
  char op;
  const std::string* line;
  std::size_t a, b;
};

// The edit script from `a` to `b`: common prefix and suffix, and a longest
// common subsequence of the middle (all removed then added when too large).
std::vector<Edit> edit_script(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t pre = 0, suf = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  while (suf < a.size() - pre && suf < b.size() - pre && a[a.size() - 1 - suf] == b[b.size() - 1 - suf]) ++suf;
  const std::size_t n = a.size() - pre - suf, m = b.size() - pre - suf;
  std::vector<std::vector<std::uint32_t>> lcs;
  if (n * m <= 16'000'000) {
    lcs.assign(n + 1, std::vector<std::uint32_t>(m + 1, 0));
    for (std::size_t i = n; i-- > 0;)
      for (std::size_t j = m; j-- > 0;)
        lcs[i][j] = a[pre + i] == b[pre + j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  std::vector<Edit> out;
  std::size_t i = 0, j = 0;
  for (; i < pre; ++i, ++j) out.push_back({' ', &a[i], i, j});
  std::size_t ei = 0, ej = 0;  // in the middle
  while (ei < n || ej < m) {
    bool same = !lcs.empty() && ei < n && ej < m && a[pre + ei] == b[pre + ej];
    if (same) out.push_back({' ', &a[pre + ei], pre + ei, pre + ej}), ++ei, ++ej;
    else if (ei < n && (ej == m || lcs.empty() || lcs[ei + 1][ej] >= lcs[ei][ej + 1]))
      out.push_back({'-', &a[pre + ei], pre + ei, pre + ej}), ++ei;
    else
      out.push_back({'+', &b[pre + ej], pre + ei, pre + ej}), ++ej;
  }
  for (std::size_t k = 0; k < suf; ++k) out.push_back({' ', &a[pre + n + k], pre + n + k, pre + m + k});
  return out;
}

std::string range(std::size_t start, std::size_t count) {
  return std::to_string(count ? start + 1 : start) + "," + std::to_string(count);
}

// Writes `text` over `path` through a temporary file in the same folder and
// a rename, with the file's permissions; a link is followed.
bool replace_file(const std::string& path, const std::string& text, std::string& problem) {
  std::error_code ec;
  std::filesystem::path target = std::filesystem::is_symlink(path, ec) ? std::filesystem::canonical(path, ec)
                                                                        : std::filesystem::path(path);
  struct stat st {};
  if (ec || ::stat(target.c_str(), &st) != 0) {
    problem = ec ? ec.message() : std::strerror(errno);
    return false;
  }
  std::string pattern = (target.parent_path() / ("." + target.filename().string() + ".kbfmt-XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0) {
    problem = std::strerror(errno);
    return false;
  }
  int error = ::fchmod(fd, st.st_mode & 07777) == 0 ? 0 : errno;
  for (std::size_t done = 0; !error && done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) error = n < 0 ? errno : EIO;
    else done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && !error) error = errno;
  if (!error && std::rename(name.data(), target.c_str()) != 0) error = errno;
  if (!error) return true;
  ::unlink(name.data());
  problem = std::strerror(error);
  return false;
}

// Formats one file (or standard input); returns its exit code.
int format_one(const std::string& file, const FmtArgs& args, std::istream& in, std::ostream& out, std::ostream& err) {
  const bool stdin_file = file == "-";
  const std::string name = stdin_file ? "<stdin>" : display_path(file);
  std::stringstream text;
  if (stdin_file) {
    text << in.rdbuf();
  } else {
    std::ifstream f(file, std::ios::binary);
    if (!f) {
      err << "kb fmt: " << name << ": cannot read file\n";
      return 2;
    }
    text << f.rdbuf();
  }
  const std::string before = text.str();
  Diagnostics diags;
  auto after = format_source(name, before, diags);
  if (!after) {
    err << diags.render({{name, before}}) << "kb fmt: " << name << " does not parse; it was left as it is\n";
    return 2;
  }
  if (stdin_file && !args.check && !args.diff) {
    out << *after;
    return 0;
  }
  if (*after == before) return 0;
  if (args.diff) out << unified_diff(before, *after, name, name + " (formatted)");
  if (args.check) out << "not formatted: " << name << "\n";
  if (args.check || args.diff) return args.check ? 1 : 0;
  std::string problem;
  if (!replace_file(file, *after, problem)) {
    err << "kb fmt: cannot write " << name << ": " << problem << "\n";
    return 2;
  }
  out << "formatted " << name << "\n";
  return 0;
}

}  // namespace

std::string unified_diff(const std::string& before, const std::string& after, const std::string& before_name,
                         const std::string& after_name) {
  const std::vector<std::string> a = split_lines(before), b = split_lines(after);
  const std::vector<Edit> edits = edit_script(a, b);
  constexpr std::size_t kContext = 3;
  std::string out;
  for (std::size_t i = 0; i < edits.size();) {
    if (edits[i].op == ' ') {
      ++i;
      continue;
    }
    std::size_t last = i, end = i;  // the hunk's last change; the end of its trailing context
    for (end = i; end < edits.size(); ++end) {
      if (edits[end].op != ' ') last = end;
      else if (end - last > 2 * kContext) break;
    }
    end = std::min(edits.size(), last + 1 + kContext);
    const std::size_t start = i > kContext ? i - kContext : 0;
    std::size_t na = 0, nb = 0;
    std::string body;
    for (std::size_t k = start; k < end; ++k) {
      na += edits[k].op != '+', nb += edits[k].op != '-';
      body += std::string(1, edits[k].op) + *edits[k].line + "\n";
    }
    if (out.empty()) out = "--- " + before_name + "\n+++ " + after_name + "\n";
    out += "@@ -" + range(edits[start].a, na) + " +" + range(edits[start].b, nb) + " @@\n" + body;
    i = end;
  }
  return out;
}

int format_files(const FmtArgs& args, std::istream& in, std::ostream& out, std::ostream& err) {
  Diagnostics diags;
  auto files = expand_sources(args.files, diags);
  if (!files) {
    err << diags.render({});
    return 2;
  }
  int code = 0;
  for (const std::string& file : *files) code = std::max(code, format_one(file, args, in, out, err));
  return code;
}

}  // namespace kb::cli
