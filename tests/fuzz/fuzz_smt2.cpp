// libFuzzer target: the SMT-LIB export. The input is guideline source text;
// when it parses and checks, kb-verify's obligations are decided (a short
// solver limit per obligation) and every obligation's script is exported
// exactly as the dossier writes it (verify::obligation_scripts). Z3 must
// parse every script in-process; one it rejects aborts the run.
// With KB_FUZZ_SMT2_OUT=DIR, every script is also written to
// DIR/HASH.ANSWER.smt2 (ANSWER: what kb-verify's Z3 said, sat, unsat or
// unknown), for tools/fuzz.sh to run cvc5 over.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "kb/hash/sha256.h"
#include "kb/lang/parser.h"
#include "kb/model/checker.h"
#include "report/dossier.h"
#include "solver/solver.h"
#include "verify/harness.h"

namespace {

const char* answer_name(solver::Verdict v) {
  return v == solver::Verdict::Unsat ? "unsat" : v == solver::Verdict::Sat ? "sat" : "unknown";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const char* out_dir = std::getenv("KB_FUZZ_SMT2_OUT");
  std::string text(reinterpret_cast<const char*>(data), size);
  kb::Diagnostics diags;
  auto g = kb::check(kb::parse_source("fuzz.kb", text, diags), diags);
  if (!g) return 0;
  verify::Options options;
  options.timeout_ms = 200;
  const verify::Report report = verify::run(*g, options);
  verify::Subject subject;
  subject.name = "fuzz.kb";
  subject.tool_version = "fuzz";
  const auto scripts = verify::obligation_scripts(report, *g, subject);
  std::size_t asked = 0;
  for (const verify::Obligation& o : report.obligations) {
    if (!o.query) continue;
    ++asked;
    const std::string& script = scripts.at(o.id);
    if (std::string problem = solver::smt2_parse_error(script); !problem.empty()) {
      std::fprintf(stderr, "Z3 rejects the exported script of %s: %s\n%s\n", o.id.c_str(), problem.c_str(),
                   script.c_str());
      std::abort();
    }
    if (out_dir)
      std::ofstream(std::string(out_dir) + "/" + kb::sha256_hex(script).substr(0, 16) + "." + answer_name(o.answer) +
                    ".smt2")
          << script;
  }
  if (scripts.size() != asked) {  // two obligations with one id would share one dossier file
    std::fprintf(stderr, "%zu obligations asked the solver but %zu scripts were exported\n", asked, scripts.size());
    std::abort();
  }
  return 0;
}
