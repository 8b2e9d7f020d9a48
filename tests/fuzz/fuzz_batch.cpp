// libFuzzer target: the batch patient reader (`kb recommend --batch`). The
// input is a JSON Lines cohort for the bundled guideline; bad lines must give
// error lines, never a crash. Differential oracles, each an abort:
//  - per line, the fast reader (kb::BatchCodec::read_patient) accepts only
//    what the strict reader (kb::patient_from_text) accepts, with the same
//    values; and the fast writer renders every accepted patient's outcome
//    byte for byte as outcome_to_json() dumps it;
//  - the whole batch through kb::cli::recommend (two threads) writes the same
//    output and messages, with the same exit code, as the reference loop
//    kb::cli::recommend_batch_reference;
//  - with --summary it exits alike and counts as many patients and errors as
//    the reference writes result and error lines (a line with unknown facts,
//    an advice line in the reference, is an error in the summary: exit 2).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "kb/eval/batch.h"
#include "kb/eval/recommender.h"
#include "tests/common/bundled.h"
#include "tools/recommend_cmd.h"

namespace {

[[noreturn]] void fail(const std::string& what, std::string_view input) {
  std::fprintf(stderr, "%s\ninput line: %.*s\n", what.c_str(), static_cast<int>(input.size()), input.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const kb::Recommender rec(kb::testing::bundled());
  static const kb::BatchCodec codec(rec);
  const std::string text(reinterpret_cast<const char*>(data), size);

  kb::BatchCodec::Scratch scratch;
  kb::Patient fast;
  kb::Outcome outcome;
  for (std::size_t begin = 0; begin <= text.size();) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string_view line(text.data() + begin, end - begin);
    begin = end + 1;
    const bool accepted = codec.read_patient(line, fast, scratch);
    const kb::PatientResult strict = kb::patient_from_text(rec, line);
    if (accepted && !strict.patient) fail("the fast reader accepts a line the strict reader rejects: " + strict.error, line);
    if (accepted && *strict.patient != fast) fail("the fast and strict readers read different values", line);
    if (!strict.patient) continue;
    rec.evaluate(*strict.patient, outcome);
    std::string written;
    codec.append_outcome(outcome, written);
    if (written != kb::outcome_to_json(rec.guideline(), outcome).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      fail("the fast writer's outcome differs from outcome_to_json()", line);
  }

  std::istringstream in(text), ref_in(text), sum_in(text);
  std::ostringstream out, err, ref_out, ref_err, sum_out, sum_err;
  kb::cli::RecommendArgs args;
  args.patient = "-";
  args.batch = true;
  args.jobs = 2;
  const int code = kb::cli::recommend(rec, args, in, out, err);
  const int ref_code = kb::cli::recommend_batch_reference(rec, ref_in, "<stdin>", ref_out, ref_err);
  if (code != ref_code || out.str() != ref_out.str() || err.str() != ref_err.str())
    fail("the batch differs from the reference loop (exit " + std::to_string(code) + " vs " + std::to_string(ref_code) +
             ")\nbatch:\n" + out.str() + err.str() + "reference:\n" + ref_out.str() + ref_err.str(),
         "(whole input)");

  // The summary counts answers of complete patients only: a line with
  // unknown facts (an "advice" line) is an error there, and exits 2.
  std::uint64_t results = 0, errors = 0;
  bool partial = false;
  std::istringstream lines(ref_out.str());
  for (std::string l; std::getline(lines, l);) {
    const nlohmann::json line = nlohmann::json::parse(l);
    (line.contains("result") ? results : errors) += 1;
    partial |= line.contains("advice");
  }
  args.summary = true;
  const int sum_code = kb::cli::recommend(rec, args, sum_in, sum_out, sum_err);
  const nlohmann::json summary = nlohmann::json::parse(sum_out.str());
  if (sum_code != (partial ? 2 : ref_code) || summary["patients"] != results || summary["errors"] != errors)
    fail("--summary (exit " + std::to_string(sum_code) + ") counts " + summary["patients"].dump() + " patients and " + summary["errors"].dump() +
             " errors; the reference wrote " + std::to_string(results) + " and " + std::to_string(errors),
         "(whole input)");
  return 0;
}
