#include "tools/cli_common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <ostream>
#include <sstream>

#include "kb/lang/diagnostics.h"
#include "tools/version.h"

namespace kb::cli {

void add_version_flag(CLI::App& app, const std::string& tool) {
  app.set_version_flag("--version", tool + " " + kToolVersion, "Print the version and exit");
}

std::optional<int> parse_args(CLI::App& app, const std::vector<std::string>& args, std::ostream& out,
                              std::ostream& err) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
  if (!names.empty() && !args.empty() && !args[0].empty() && args[0][0] != '-' &&
      std::find(names.begin(), names.end(), args[0]) == names.end()) {
    err << app.get_name() << ": unknown subcommand '" << args[0] << "'";
    if (std::string near = closest_name(args[0], names); !near.empty()) err << "; did you mean '" << near << "'?";
    err << "\nRun with --help for more information.\n";
    return kExitBadInput;
  }
  try {
    app.parse(std::vector<std::string>(args.rbegin(), args.rend()));  // CLI11 takes them reversed
  } catch (const CLI::ParseError& e) {
    std::ostringstream o, e2;
    int rc = app.exit(e, o, e2);
    out << o.str();
    err << e2.str();
    return rc == 0 ? kExitOk : kExitBadInput;
  }
  return std::nullopt;
}

bool write_atomically(const std::string& path, const std::string& text, const std::string& tool, std::ostream& err) {
  std::filesystem::path target(path);
  std::string pattern = (target.parent_path() / (target.filename().string() + ".tmp-XXXXXX")).string();
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  if (fd < 0) {
    err << tool << ": cannot write " << path << ": " << std::strerror(errno) << "\n";
    return false;
  }
  mode_t mask = umask(022);  // mkstemp makes the file private; give it a new file's permissions
  umask(mask);
  int error = fchmod(fd, 0666 & ~mask) == 0 ? 0 : errno;
  for (std::size_t done = 0; !error && done < text.size();) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) error = n < 0 ? errno : EIO;
    else done += static_cast<std::size_t>(n);
  }
  if (close(fd) != 0 && !error) error = errno;
  if (!error && std::rename(name.data(), path.c_str()) != 0) error = errno;
  if (!error) return true;
  err << tool << ": cannot write " << path << ": " << std::strerror(error) << "\n";
  unlink(name.data());
  return false;
}

bool is_terminal(const std::ostream& out) { return &out == &std::cout && isatty(STDOUT_FILENO); }

bool use_color(const std::ostream& out) {
  const char* no_color = std::getenv("NO_COLOR");
  return is_terminal(out) && (!no_color || !*no_color);
}

void print_summary(const std::string& tool, const std::string& summary, bool already_shown, std::ostream& err) {
  if (!already_shown) err << tool << ": " << summary << "\n";
}

int guard_main(const std::string& tool, std::ostream& err, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    err << tool << ": internal error: " << e.what() << "\n";
    return kExitInternal;
  }
}

}  // namespace kb::cli
