// Shard files (docs/kb-verify.md, "Sharding"): `kb-verify --shard K/N`
// writes the answers of its share of the obligations, under their cache
// keys; `kb-verify merge` reads every shard's file and runs the whole
// verification reusing them (schema: schemas/kb-verify-shard.schema.json).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "report/report.h"
#include "verify/harness.h"

namespace verify {

/** One shard's run: which share, of what, under which options. */
struct ShardInfo {
  /// @var shard
  /// This is share `shard` (1-based) ...
  /// @var shards
  /// ... of `shards`.
  unsigned shard = 1, shards = 1;
  std::string release_hash;        ///< Subject::release_hash of the rule set checked
  std::string tool_id;             ///< Options::tool_id of the run (answers of another build are not reused)
  std::string z3_version;          ///< Z3's version
  bool readings = true;            ///< Options::readings of the run
  bool slicing = true;             ///< Options::slicing of the run
  std::vector<std::string> only;   ///< the --only ids of the run, sorted
};

/** The shard file of `r`, a run of share `info`: `kb-verify-shard/1` JSON
    with every obligation's id, status, cache key and (when kept) answer,
    and the answers kept besides (Report::kept). */
nlohmann::json shard_to_json(const Report& r, const ShardInfo& info);

/** A shard file read back. */
struct ShardFile {
  ShardInfo info;                              ///< what the shard ran
  std::map<std::string, std::string> answers;  ///< cache key -> answer (Obligation::cache_answer, Kept::answer)
};

/** Reads the shard file at `path`. Nullopt, with `error` naming the file and
    the problem, when it cannot be read or is not a kb-verify-shard/1 file. */
std::optional<ShardFile> read_shard(const std::string& path, std::string& error);

}  // namespace verify
