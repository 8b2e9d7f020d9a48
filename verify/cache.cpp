#include "verify/cache.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "kb/hash/release_hash.h"
#include "kb/hash/sha256.h"
#include "kb/lang/printer.h"

namespace verify {

namespace {

using kb::ItemKind;
using kb::ItemRef;
using nlohmann::json;

// Bumped whenever what a key covers or an answer holds changes meaning.
constexpr const char* kKeyFormat = "kb-verify-cache/1";

// "kind:name" of an item, as answers name items.
std::string ref_name(const kb::Guideline& g, ItemRef r) {
  return std::string(kb::item_kind_name(r.kind)) + ":" + g.item(r).name;
}

std::optional<ItemRef> ref_of(const ItemNames& names, const std::string& s) {
  const auto colon = s.find(':');
  if (colon == std::string::npos) return std::nullopt;
  auto kind = kb::item_kind_from_name(s.substr(0, colon));
  if (!kind) return std::nullopt;
  return names.find(*kind, s.substr(colon + 1));
}

const char* verdict_name(solver::Verdict v) {
  switch (v) {
    case solver::Verdict::Unsat: return "unsat";
    case solver::Verdict::Sat: return "sat";
    case solver::Verdict::Unknown: break;
  }
  return "unknown";
}

}  // namespace

CacheKeys::CacheKeys(const kb::Guideline& g, std::string tool_id)
    : g_(g), head_(std::string(kKeyFormat) + "\n" + tool_id + "\nz3 " + solver::Solver::z3_version() + "\n") {}

const std::string& CacheKeys::line(ItemRef r) {
  auto [at, fresh] = lines_.try_emplace(r);
  if (fresh) {
    const kb::Item& it = g_.item(r);
    auto v = g_.versions.find(kb::item_key(it));
    at->second = kb::release_hash_line(r.kind, it.name, v == g_.versions.end() ? 0 : v->second,
                                       kb::sha256_hex(kb::print_item(it)));
  }
  return at->second;
}

std::string CacheKeys::key(const std::string& kind, ItemRef subject, const solver::SliceItems& slice,
                           const std::vector<ItemRef>& extra) {
  std::vector<ItemRef> roots = extra;
  roots.push_back(subject);
  if (slice.everything) {
    for (const kb::Item* it : g_.all_items())
      roots.push_back({it->kind, static_cast<int>(it - g_.of_kind(it->kind).data())});
  } else {
    auto add = [&](ItemKind k, const std::vector<int>& v) {
      for (int i : v) roots.push_back({k, i});
    };
    add(ItemKind::Fact, slice.facts), add(ItemKind::Param, slice.params), add(ItemKind::Constraint, slice.constraints);
    add(ItemKind::Rule, slice.rules), add(ItemKind::Action, slice.actions);
  }
  // The closure comes in canonical order (kind, then declaration order).
  std::string text = head_ + kind + "\n" + ref_name(g_, subject) + "\n" + (slice.everything ? "whole" : "sliced") + "\n";
  for (ItemRef r : kb::dependency_closure(g_, roots)) text += line(r);
  return kb::sha256_hex(text);
}

std::string CacheKeys::completion_key() {
  std::vector<ItemRef> roots;
  for (int f = 0; f < static_cast<int>(g_.facts.size()); ++f) roots.push_back({ItemKind::Fact, f});
  for (int p = 0; p < static_cast<int>(g_.params.size()); ++p) roots.push_back({ItemKind::Param, p});
  for (int c = 0; c < static_cast<int>(g_.constraints.size()); ++c) roots.push_back({ItemKind::Constraint, c});
  std::string text = head_ + "completion\n";
  for (ItemRef r : kb::dependency_closure(g_, roots)) text += line(r);
  return kb::sha256_hex(text);
}

std::string encode_completion(const kb::Guideline& g, const kb::Patient& p) {
  json facts = json::object();
  for (std::size_t f = 0; f < g.facts.size() && f < p.size(); ++f) facts[g.facts[f].name] = p[f];
  return json{{"verdict", "sat"}, {"witness", facts}, {"params", json::object()}}.dump();
}

std::string encode_answer(const kb::Guideline& g, const Obligation& o, const solver::SliceItems& slice) {
  json j = {{"verdict", verdict_name(o.answer)}};
  if (o.answer == solver::Verdict::Unsat) {
    json core = json::array();
    for (ItemRef r : o.rests_on) core.push_back(ref_name(g, r));
    j["core"] = core;
  }
  if (o.witness) {
    json facts = json::object(), params = json::object();
    auto keep = [&](const std::vector<int>& in, std::size_t i) {
      return slice.everything || std::binary_search(in.begin(), in.end(), static_cast<int>(i));
    };
    for (std::size_t f = 0; f < g.facts.size(); ++f)
      if (keep(slice.facts, f)) facts[g.facts[f].name] = o.witness->at(f);
    for (std::size_t p = 0; p < g.params.size() && p < o.witness_params.size(); ++p)
      if (keep(slice.params, p)) params[g.params[p].name] = o.witness_params[p];
    j["witness"] = facts;
    j["params"] = params;
  }
  if (!o.failing_values.empty()) {
    json failing = json::array();
    for (const ParamFailure& f : o.failing_values) {
      json intervals = json::array();
      for (auto [lo, hi] : f.values.intervals) intervals.push_back({lo, hi});
      failing.push_back({{"param", g.params[f.param].name}, {"intervals", intervals}, {"exact", f.values.exact}});
    }
    j["failing"] = failing;
  }
  if (o.deciding) {
    json deciding = json::array();
    for (const solver::FactRange& r : *o.deciding) deciding.push_back({{"fact", r.fact}, {"lo", r.lo}, {"hi", r.hi}});
    j["deciding"] = deciding;
  }
  return j.dump();
}

ItemNames::ItemNames(const kb::Guideline& g) {
  for (const kb::Item* it : g.all_items()) {
    const auto& same_kind = g.of_kind(it->kind);
    index_.emplace(std::pair{it->kind, it->name}, static_cast<int>(it - same_kind.data()));
  }
}

std::optional<ItemRef> ItemNames::find(ItemKind kind, const std::string& name) const {
  auto found = index_.find({kind, name});
  if (found == index_.end()) return std::nullopt;
  return ItemRef{kind, found->second};
}

std::optional<DecodedAnswer> decode_answer(const kb::Guideline& g, const ItemNames& names, const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("verdict") || !j["verdict"].is_string()) return std::nullopt;
  DecodedAnswer a;
  const std::string verdict = j["verdict"];
  if (verdict == "sat") a.verdict = solver::Verdict::Sat;
  else if (verdict == "unsat") a.verdict = solver::Verdict::Unsat;
  else return std::nullopt;
  try {
    if (j.contains("core"))
      for (const json& r : j.at("core")) {
        auto ref = ref_of(names, r.get<std::string>());
        if (!ref) return std::nullopt;
        a.core.push_back(*ref);
      }
    if (j.contains("witness")) {
      a.witness = kb::Patient(g.facts.size(), 0);
      for (const auto& [name, value] : j.at("witness").items()) {
        auto fact = names.find(ItemKind::Fact, name);
        if (!fact) return std::nullopt;
        const int f = fact->index;
        const std::int64_t v = value.get<std::int64_t>();
        const kb::FactType& t = g.facts[static_cast<std::size_t>(f)].fact_type;
        if (v < t.lo || v > t.hi) return std::nullopt;
        (*a.witness)[static_cast<std::size_t>(f)] = v;
      }
      a.params.assign(g.params.size(), 0);
      for (const auto& [name, value] : j.at("params").items()) {
        auto p = names.find(ItemKind::Param, name);
        if (!p) return std::nullopt;
        const std::int64_t v = value.get<std::int64_t>();
        const kb::Item& param = g.params[static_cast<std::size_t>(p->index)];
        if (v < param.param_lo || v > param.param_hi) return std::nullopt;
        a.params[static_cast<std::size_t>(p->index)] = v;
      }
    }
    if (j.contains("failing"))
      for (const json& f : j.at("failing")) {
        auto p = names.find(ItemKind::Param, f.at("param").get<std::string>());
        if (!p) return std::nullopt;
        ParamFailure pf{p->index, {}};
        pf.values.exact = f.at("exact").get<bool>();
        for (const json& iv : f.at("intervals"))
          pf.values.intervals.emplace_back(iv.at(0).get<std::int64_t>(), iv.at(1).get<std::int64_t>());
        a.failing.push_back(std::move(pf));
      }
    if (j.contains("deciding")) {
      a.deciding.emplace();
      for (const json& r : j.at("deciding")) {
        solver::FactRange fr{r.at("fact").get<std::string>(), r.at("lo").get<std::int64_t>(), r.at("hi").get<std::int64_t>()};
        if (!names.find(ItemKind::Fact, fr.fact)) return std::nullopt;
        a.deciding->push_back(std::move(fr));
      }
    }
  } catch (const json::exception&) {
    return std::nullopt;
  }
  return a;
}

}  // namespace verify
