#include "kb/hash/release_hash.h"

#include <algorithm>

#include "kb/hash/sha256.h"
#include "kb/lang/printer.h"

namespace kb {

std::string release_hash_line(ItemKind kind, const std::string& name, int version, const std::string& content_hash) {
  return std::string(item_kind_name(kind)) + " " + name + " " + std::to_string(version) + " " + content_hash + "\n";
}

std::string release_hash_of_lines(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const auto& l : lines) all += l;
  return sha256_hex(all);
}

std::string release_hash(const Guideline& g) {
  std::vector<std::string> lines;
  for (const Item* it : g.all_items()) {
    auto v = g.versions.find(item_key(*it));
    lines.push_back(release_hash_line(it->kind, it->name, v == g.versions.end() ? 0 : v->second,
                                      sha256_hex(print_item(*it))));
  }
  return release_hash_of_lines(std::move(lines));
}

}  // namespace kb
