// The depth of expressions with definitions written out in place
// (check_nesting, kb/lang/parser.h). Walks within one expression recurse
// (parse_source bounds them); the walk across definitions keeps its own stack.
#include <algorithm>
#include <map>
#include <vector>

#include "kb/lang/parser.h"

namespace kb {
namespace {

class Nesting {
 public:
  Nesting(const Module& m, Diagnostics& d) : m_(m), d_(d), depth_(m.items.size(), kUnknown) {
    for (std::size_t i = 0; i < m.items.size(); ++i)
      if (m.items[i].kind == ItemKind::Define && m.items[i].expr) defines_.emplace(m.items[i].name, i);
  }

  void run() {
    for (std::size_t i = 0; i < m_.items.size(); ++i)
      if (m_.items[i].expr) resolve(i);
  }

 private:
  static constexpr int kUnknown = -1;  // not computed yet
  static constexpr int kOpen = -2;     // being computed: a cycle leads back here (the checker reports it)

  // Computes depth_ of item `root` and of every definition it depends on,
  // dependencies first.
  void resolve(std::size_t root) {
    std::vector<std::size_t> stack{root};
    while (!stack.empty()) {
      std::size_t i = stack.back();
      if (depth_[i] >= 0) {
        stack.pop_back();
        continue;
      }
      if (depth_[i] == kUnknown) {
        depth_[i] = kOpen;
        std::size_t before = stack.size();
        uses(*m_.items[i].expr, stack);
        if (stack.size() != before) continue;  // come back once they are done
      }
      finish(i);
      stack.pop_back();
    }
  }

  // Pushes the definitions `e` uses that are not computed yet.
  void uses(const Expr& e, std::vector<std::size_t>& out) {
    if (const std::size_t* d = define(e); d && depth_[*d] == kUnknown) out.push_back(*d);
    for (const auto& a : e.args) uses(*a, out);
  }

  const std::size_t* define(const Expr& e) const {
    if (e.op != Op::Name) return nullptr;
    auto it = defines_.find(e.name);
    return it == defines_.end() ? nullptr : &it->second;
  }

  // Depth of `e`, a definition's name one level above the definition's
  // body; `used` receives the depth of the deepest definition it uses.
  int walk(const Expr& e, int& used) const {
    if (const std::size_t* d = define(e); d && depth_[*d] >= 0) {
      used = std::max(used, depth_[*d]);
      return 1 + depth_[*d];
    }
    int deepest = 0;
    for (const auto& a : e.args) deepest = std::max(deepest, walk(*a, used));
    return 1 + deepest;
  }

  void finish(std::size_t i) {
    const Item& it = m_.items[i];
    int used = 0;
    depth_[i] = walk(*it.expr, used);
    if (depth_[i] > kMaxExpressionDepth && used <= kMaxExpressionDepth)  // report where the limit is crossed
      d_.error(it.loc, "'" + it.name + "' nests " + std::to_string(depth_[i]) +
                           " levels deep with the definitions it uses written out in place; the limit is " +
                           std::to_string(kMaxExpressionDepth), "too-deep");
  }

  const Module& m_;
  Diagnostics& d_;
  std::vector<int> depth_;  // per item: depth with definitions written out, or kUnknown / kOpen
  std::map<std::string, std::size_t> defines_;
};

}  // namespace

void check_nesting(const Module& m, Diagnostics& diags) { Nesting(m, diags).run(); }

}  // namespace kb
