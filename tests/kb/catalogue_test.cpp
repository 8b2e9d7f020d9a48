// docs/properties.md stays in step with the bundled guideline's properties.
#include <gtest/gtest.h>

#include <fstream>

#include "kb/lang/printer.h"
#include "tests/common/bundled.h"

namespace {

TEST(Catalogue, lists_every_property_with_its_current_formula) {
  std::ifstream in("docs/properties.md");
  std::string doc((std::istreambuf_iterator<char>(in)), {});
  ASSERT_FALSE(doc.empty());
  for (const kb::Item& p : kb::testing::bundled().properties) {
    std::string row = "| `" + p.name + "` | " + p.description + " | `" + kb::print_expr(*p.expr) + "` |";
    EXPECT_NE(doc.find(row), std::string::npos) << "docs/properties.md lacks or misstates " << p.name;
  }
}

}  // namespace
