// The release hash: one fingerprint of a rule set's item versions, the same
// whether `kb release`, `kb releases`, `kb-verify`, its JSON or the dossier
// prints it (docs/store.md, "Release hash").
#pragma once

#include <string>
#include <vector>

#include "kb/model/guideline.h"

namespace kb {

/** One line of the release hash: "kind name version content_hash\n", where
    content_hash is the SHA-256 of the item's canonical text. */
std::string release_hash_line(ItemKind kind, const std::string& name, int version, const std::string& content_hash);

/** SHA-256 of `lines` sorted and concatenated. */
std::string release_hash_of_lines(std::vector<std::string> lines);

/** The release hash of `g`: its items' lines with their stored versions
    (Guideline::version; 0 for items read from files). For a loaded release it
    equals the hash sealed with the release. */
std::string release_hash(const Guideline& g);

}  // namespace kb
