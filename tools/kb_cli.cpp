#include "tools/kb_cli.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "kb/guideline.h"
#include "kb/printer.h"

namespace kb::cli {
namespace {

// `kb check FILE...`: parse and check sources, print nothing on success.
int cmd_check(const std::vector<std::string>& files, std::ostream& out, std::ostream& err) {
  SourceMap sources;
  Diagnostics diags;
  auto g = load_files(files, sources, diags);
  if (!g) {
    err << diags.render(sources);
    return 2;
  }
  out << "ok: " << g->facts.size() << " facts, " << g->rules.size() << " rules, " << g->properties.size()
      << " properties\n";
  return 0;
}

}  // namespace

int run_kb(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
  (void)in;
  CLI::App app{"kb: the guideline knowledge base"};
  app.require_subcommand(1);
  std::vector<std::string> files;
  auto* check = app.add_subcommand("check", "Parse and check guideline source files");
  check->add_option("files", files, "Guideline sources (.kb)")->required();
  try {
    std::vector<std::string> rev(args.rbegin(), args.rend());
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    std::ostringstream o, e2;
    int rc = app.exit(e, o, e2);
    out << o.str();
    err << e2.str();
    return rc == 0 ? 0 : 2;
  }
  if (check->parsed()) return cmd_check(files, out, err);
  return 2;
}

}  // namespace kb::cli
