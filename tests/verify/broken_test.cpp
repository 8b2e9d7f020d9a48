// Mutation tests for the guideline's properties: for every property P of the
// bundled guideline, tests/cases/broken/P.kb holds a deliberately broken copy
// of a few items (a realistic committee mistake). The bundled sources with
// those items replaced (same kind and name) or added (new name) must check,
// and kb-verify must report exactly the properties the case's first line
// names as violated, each with a counterexample that really breaks the
// property when the recommender evaluates it.
//
// Case file layout:
//   # expect-violated: P [Q ...]     (first line: exactly the violated set)
//   # mistake: what the committee got wrong
//   rule ...                         (the overriding items)
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kb/model/guideline.h"
#include "kb/lang/parser.h"
#include "kb/model/checker.h"
#include "kb/model/sources.h"
#include "kb/eval/recommender.h"
#include "tests/common/bundled.h"
#include "verify/harness.h"

namespace {

namespace fs = std::filesystem;

const char* kCaseDir = "tests/cases/broken";

std::string read_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/** Property ids that have a case file, sorted (empty when the directory is missing). */
std::vector<std::string> case_ids() {
  std::vector<std::string> ids;
  std::error_code ec;
  if (!fs::is_directory(kCaseDir, ec)) return ids;
  for (const auto& e : fs::directory_iterator(kCaseDir))
    if (e.path().extension() == ".kb") ids.push_back(e.path().stem().string());
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::string case_path(const std::string& id) { return std::string(kCaseDir) + "/" + id + ".kb"; }

/** The header of a case file. */
struct CaseHeader {
  std::set<std::string> expected;  ///< from "# expect-violated:" on the first line
  std::string mistake;             ///< from "# mistake:"
};

CaseHeader read_header(const std::string& text) {
  CaseHeader h;
  std::istringstream in(text);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    const std::string ev = "# expect-violated:", mk = "# mistake:";
    if (first) {
      if (line.rfind(ev, 0) == 0) {
        std::istringstream ids(line.substr(ev.size()));
        std::string id;
        while (ids >> id) h.expected.insert(id);
      }
      first = false;
    }
    if (h.mistake.empty() && line.rfind(mk, 0) == 0) h.mistake = line.substr(mk.size());
  }
  return h;
}

/** The bundled sources with the case's items replacing those of the same
    kind and name (or appended when the name is new), checked. Fails the test
    (returns nullopt) when a file does not parse or the result does not check. */
std::optional<kb::Guideline> broken_guideline(const std::string& case_file, std::vector<std::string>& overridden,
                                              std::vector<std::string>& added) {
  kb::SourceMap sources;
  kb::Diagnostics diags;
  kb::Module all;
  for (const std::string& file : kb::testing::bundled_files()) {
    sources[file] = read_text(file);
    kb::Module m = kb::parse_source(file, sources[file], diags);
    for (kb::Item& it : m.items) all.items.push_back(std::move(it));
  }
  sources[case_file] = read_text(case_file);
  kb::Module over = kb::parse_source(case_file, sources[case_file], diags);
  if (!diags.ok()) {
    ADD_FAILURE() << "does not parse:\n" << diags.render(sources);
    return std::nullopt;
  }
  if (over.items.empty()) {
    ADD_FAILURE() << case_file << " has no items";
    return std::nullopt;
  }
  std::set<std::string> seen;
  for (kb::Item& it : over.items) {
    std::string key = kb::item_key(it);
    if (!seen.insert(key).second) {
      ADD_FAILURE() << case_file << " overrides " << key << " twice";
      return std::nullopt;
    }
    auto same = std::find_if(all.items.begin(), all.items.end(),
                             [&](const kb::Item& b) { return b.kind == it.kind && b.name == it.name; });
    if (same != all.items.end()) {
      *same = std::move(it);
      overridden.push_back(key);
    } else {
      all.items.push_back(std::move(it));
      added.push_back(key);
    }
  }
  auto g = kb::check(std::move(all), diags);
  if (!g) ADD_FAILURE() << "broken copy does not check:\n" << diags.render(sources);
  return g;
}

std::string join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : " ") + x;
  return out.empty() ? "(none)" : out;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  std::replace(n.begin(), n.end(), '-', '_');
  return n;
}

class Broken : public ::testing::TestWithParam<std::string> {};

TEST_P(Broken, kb_verify_reports_exactly_the_expected_violations_with_real_counterexamples) {
  const std::string id = GetParam();
  const std::string file = case_path(id);
  const CaseHeader header = read_header(read_text(file));
  ASSERT_FALSE(header.expected.empty()) << file << ": first line must be '# expect-violated: " << id << " ...'";
  EXPECT_TRUE(header.expected.count(id)) << file << ": the case for " << id << " must violate " << id;
  EXPECT_FALSE(header.mistake.empty()) << file << ": say which mistake it makes in a '# mistake:' comment";

  std::vector<std::string> overridden, added;
  auto g = broken_guideline(file, overridden, added);
  ASSERT_TRUE(g.has_value());
  ASSERT_GE(g->property_index(id), 0) << id << " is not a property of the guideline";
  for (const std::string& p : header.expected)
    EXPECT_GE(g->property_index(p), 0) << file << " expects unknown property " << p;

  verify::Options options;
  options.lints = false;
  options.readings = false;  // each case breaks the chosen reading; other readings are reported elsewhere
  const verify::Report report = verify::run(*g, options);

  std::set<std::string> violated;
  std::map<std::string, const verify::Obligation*> by_property;
  for (const verify::Obligation& o : report.obligations) {
    EXPECT_TRUE(o.status != verify::Status::Unknown && o.status != verify::Status::Disagreement)
        << o.id << " is " << verify::status_name(o.status) << ": " << o.message << " (solver: " << o.solver_says
        << "; recommender: " << o.recommender_says << ")";
    if (o.kind != verify::Kind::Property) continue;
    std::string name = o.id.substr(std::string("property:").size());
    EXPECT_TRUE(by_property.emplace(name, &o).second) << "two obligations for " << name;
    if (o.status == verify::Status::Violated) violated.insert(name);
  }

  std::string messages;
  for (const std::string& v : violated) messages += "\n  " + v + ": " + by_property[v]->message;
  EXPECT_EQ(join(violated), join(header.expected))
      << "mistake:" << header.mistake << "\noverridden: " << ::testing::PrintToString(overridden)
      << ", added: " << ::testing::PrintToString(added) << "\nviolated:" << messages;

  // Every property has an obligation; the ones not expected to fail are proved.
  ASSERT_EQ(by_property.size(), g->properties.size());
  for (const kb::Item& p : g->properties) {
    ASSERT_TRUE(by_property.count(p.name)) << "no obligation for " << p.name;
    if (!header.expected.count(p.name)) {
      EXPECT_STREQ(verify::status_name(by_property[p.name]->status), "proved")
          << p.name << ": " << by_property[p.name]->message;
    }
  }

  // Every counterexample really breaks its property when evaluated concretely,
  // and the obligation names exactly the rules the recommender fires for it.
  for (const std::string& name : violated) {
    const verify::Obligation& o = *by_property[name];
    SCOPED_TRACE(o.id);
    // The witness holds at the parameter values it names (any allowed value).
    ASSERT_EQ(o.witness_params.size(), g->params.size());
    const kb::Guideline at = kb::with_param_values(*g, o.witness_params);
    kb::Recommender rec(at);
    ASSERT_TRUE(o.witness.has_value()) << "violated without a counterexample";
    const kb::Patient& patient = *o.witness;
    ASSERT_EQ(patient.size(), g->facts.size());
    for (std::size_t f = 0; f < patient.size(); ++f) {
      const kb::FactType& t = g->facts[f].fact_type;
      EXPECT_GE(patient[f], t.lo) << g->facts[f].name;
      EXPECT_LE(patient[f], t.hi) << g->facts[f].name;
    }
    int broken = rec.broken_constraint(patient);
    ASSERT_EQ(broken, -1) << "counterexample breaks constraint " << g->constraints[broken].name;
    kb::Outcome out;
    rec.evaluate(patient, out);
    EXPECT_FALSE(rec.property_holds(g->property_index(name), patient, out))
        << "the counterexample satisfies the property: " << kb::describe_patient(*g, patient);
    std::vector<int> fired;
    for (std::size_t r = 0; r < g->rules.size(); ++r)
      if (out.fired[r]) fired.push_back(static_cast<int>(r));
    EXPECT_EQ(o.fired, fired);
    // The finding points at the property's source line; the fired rules are related locations.
    const kb::Item& prop = g->properties[g->property_index(name)];
    EXPECT_EQ(o.subject, (kb::ItemRef{kb::ItemKind::Property, g->property_index(name)}));
    EXPECT_GT(prop.span.line, 0);
    EXPECT_NE(prop.span.file->find("90_properties.kb"), std::string::npos) << *prop.span.file;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, Broken, ::testing::ValuesIn(case_ids()), test_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Broken);

TEST(BrokenCoverage, every_property_has_a_broken_case_and_every_case_a_property) {
  const kb::Guideline& g = kb::testing::bundled();
  std::vector<std::string> ids = case_ids();
  std::set<std::string> cases(ids.begin(), ids.end());
  ASSERT_FALSE(g.properties.empty());
  for (const kb::Item& p : g.properties)
    EXPECT_TRUE(cases.count(p.name)) << "property " << p.name << " has no broken case " << case_path(p.name)
                                     << " (write a copy of the guideline that violates it)";
  for (const std::string& id : ids)
    EXPECT_GE(g.property_index(id), 0) << case_path(id) << " names no property of the bundled guideline";
}

TEST(BrokenCoverage, the_bundled_guideline_proves_every_property) {
  verify::Options options;
  options.lints = false;
  const verify::Report report = verify::run(kb::testing::bundled(), options);
  for (const verify::Obligation& o : report.obligations)
    if (o.kind == verify::Kind::Property && !o.reading) {
      EXPECT_STREQ(verify::status_name(o.status), "proved") << o.id << ": " << o.message;
    }
}

}  // namespace
