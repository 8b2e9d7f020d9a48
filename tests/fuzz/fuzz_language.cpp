// libFuzzer target: the language front end. Any input must parse and check
// without crashing, hanging or exhausting memory; a source that checks must
// print canonically and parse back to the same canonical text.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kb/lang/parser.h"
#include "kb/lang/printer.h"
#include "kb/model/checker.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  kb::Diagnostics diags;
  auto g = kb::check(kb::parse_source("fuzz.kb", text, diags), diags);
  (void)diags.render({{"fuzz.kb", text}});
  if (!g) return 0;
  std::string printed = kb::guideline_text(*g);
  kb::Diagnostics again;
  auto g2 = kb::check(kb::parse_source("printed.kb", printed, again), again);
  if (!g2 || kb::guideline_text(*g2) != printed) throw std::logic_error("canonical text does not round-trip");
  return 0;
}
