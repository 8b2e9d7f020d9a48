// libFuzzer target: the patient reader. Any bytes, as a patient JSON object
// for the bundled guideline, must give a patient or an error naming the
// problem, never a crash; an accepted patient is evaluated and explained.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "kb/eval/recommender.h"
#include "tests/common/bundled.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const kb::Recommender rec(kb::testing::bundled());
  nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, false);
  if (j.is_discarded()) return 0;
  kb::PatientResult p = kb::patient_from_json(rec, j);
  if (!p.patient) return 0;
  kb::Outcome out;
  rec.evaluate(*p.patient, out);
  (void)kb::outcome_to_json(rec.guideline(), out).dump();
  return 0;
}
