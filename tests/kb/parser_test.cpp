#include <gtest/gtest.h>
#include "kb/guideline.h"
#include "kb/parser.h"
TEST(Parser, smoke) {
  kb::Diagnostics d;
  auto m = kb::parse_source("x.kb", "fact a: bool \"A\"\n", d);
  EXPECT_TRUE(d.ok());
}
