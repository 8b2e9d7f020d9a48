#include "report/shard.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace verify {

nlohmann::json shard_to_json(const Report& r, const ShardInfo& info) {
  nlohmann::json obligations = nlohmann::json::array();
  for (const Obligation& o : r.obligations) {
    nlohmann::json j = {{"id", o.id}, {"status", status_name(o.status)}};
    if (!o.cache_key.empty()) j["cache_key"] = o.cache_key;
    if (!o.cache_answer.empty()) j["answer"] = nlohmann::json::parse(o.cache_answer);
    obligations.push_back(std::move(j));
  }
  nlohmann::json kept = nlohmann::json::array();
  for (const Kept& k : r.kept)
    kept.push_back({{"name", k.name}, {"cache_key", k.key}, {"answer", nlohmann::json::parse(k.answer)}});
  return {{"schema", "kb-verify-shard/1"},
          {"shard", info.shard},
          {"shards", info.shards},
          {"release_hash", info.release_hash},
          {"tool", info.tool_id},
          {"z3_version", info.z3_version},
          {"readings", info.readings},
          {"slicing", info.slicing},
          {"only", info.only},
          {"obligations", obligations},
          {"kept", kept}};
}

std::optional<ShardFile> read_shard(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read the shard file";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (!j.is_object() || j.value("schema", "") != "kb-verify-shard/1") {
    error = path + ": not a kb-verify shard file (schema kb-verify-shard/1)";
    return std::nullopt;
  }
  ShardFile f;
  try {
    f.info.shard = j.at("shard").get<unsigned>();
    f.info.shards = j.at("shards").get<unsigned>();
    f.info.release_hash = j.at("release_hash").get<std::string>();
    f.info.tool_id = j.at("tool").get<std::string>();
    f.info.z3_version = j.at("z3_version").get<std::string>();
    f.info.readings = j.at("readings").get<bool>();
    f.info.slicing = j.at("slicing").get<bool>();
    f.info.only = j.at("only").get<std::vector<std::string>>();
    for (const nlohmann::json& o : j.at("obligations"))
      if (o.contains("answer") && o.contains("cache_key"))
        f.answers[o.at("cache_key").get<std::string>()] = o.at("answer").dump();
    for (const nlohmann::json& k : j.at("kept"))
      f.answers[k.at("cache_key").get<std::string>()] = k.at("answer").dump();
  } catch (const nlohmann::json::exception& x) {
    error = path + ": malformed shard file: " + x.what();
    return std::nullopt;
  }
  if (f.info.shards == 0 || f.info.shard == 0 || f.info.shard > f.info.shards) {
    error = path + ": shard " + std::to_string(f.info.shard) + "/" + std::to_string(f.info.shards) + " is not a share";
    return std::nullopt;
  }
  return f;
}

}  // namespace verify
