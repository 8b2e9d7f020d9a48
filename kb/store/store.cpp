#include "kb/store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>

#include "kb/hash/release_hash.h"
#include "kb/hash/sha256.h"
#include "kb/lang/parser.h"
#include "kb/lang/printer.h"
#include "kb/lang/utf8.h"
#include "kb/model/checker.h"
#include "kb/store/migrations.h"

namespace kb {
namespace {

constexpr int kBusyTimeoutMs = 10000;

StoreError error(StoreErrorKind kind, std::string message, std::vector<std::string> details = {}) {
  StoreError e;
  e.kind = kind;
  e.message = std::move(message);
  e.details = std::move(details);
  return e;
}

StoreError database_error(const std::string& path, const std::exception& e) {
  return error(StoreErrorKind::Database, "database error in " + path + ": " + e.what());
}

// A stored row that no version of this tool writes (a kind it does not know).
struct CorruptRow : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs `body`, turning SQLite exceptions into Database errors and corrupt
// rows into BadInput.
template <class F>
auto guarded(const std::string& path, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const SQLite::Exception& e) {
    return database_error(path, e);
  } catch (const CorruptRow& e) {
    return error(StoreErrorKind::BadInput, path + ": " + e.what() + " (run `kb audit`)");
  }
}

std::string key_of(ItemKind kind, const std::string& name) { return std::string(item_kind_name(kind)) + ":" + name; }

ItemKind kind_column(const SQLite::Column& c) {
  auto kind = item_kind_from_name(c.getString());
  if (!kind) throw CorruptRow("unknown item kind '" + excerpt(c.getString()) + "' in the database");
  return *kind;
}

std::optional<std::string> optional_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

void bind_optional(SQLite::Statement& st, int index, const std::optional<std::string>& v) {
  if (v) st.bind(index, *v);
  else st.bind(index);
}

constexpr const char* kRowColumns =
    "seq, kind, name, version, retired, strength, action, source, author, created_utc, reason, content_hash, "
    "prev_hash, row_hash, origin_file, origin_line, origin_column, origin_end_line, origin_end_column, hash_format";

int optional_int(const SQLite::Column& c) { return c.isNull() ? 0 : c.getInt(); }

ItemVersion read_row(SQLite::Statement& st) {
  ItemVersion r;
  r.seq = st.getColumn(0).getInt64();
  r.kind = kind_column(st.getColumn(1));
  r.name = st.getColumn(2).getString();
  r.version = st.getColumn(3).getInt();
  r.retired = st.getColumn(4).getInt() != 0;
  r.strength = optional_text(st.getColumn(5));
  r.action = optional_text(st.getColumn(6));
  r.source = st.getColumn(7).getString();
  r.author = st.getColumn(8).getString();
  r.created_utc = st.getColumn(9).getString();
  r.reason = st.getColumn(10).getString();
  r.content_hash = st.getColumn(11).getString();
  r.prev_hash = st.getColumn(12).getString();
  r.row_hash = st.getColumn(13).getString();
  r.origin.file = optional_text(st.getColumn(14));
  r.origin.line = optional_int(st.getColumn(15));
  r.origin.column = optional_int(st.getColumn(16));
  r.origin.end_line = optional_int(st.getColumn(17));
  r.origin.end_column = optional_int(st.getColumn(18));
  r.hash_format = st.getColumn(19).getInt();
  return r;
}

void insert_row(SQLite::Database& db, const ItemVersion& r) {
  SQLite::Statement st(db,
                       "INSERT INTO item_version (seq, kind, name, version, retired, strength, action, source, author, "
                       "created_utc, reason, content_hash, prev_hash, row_hash, origin_file, origin_line, "
                       "origin_column, origin_end_line, origin_end_column, hash_format) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, static_cast<int64_t>(r.seq));
  st.bind(2, item_kind_name(r.kind));
  st.bind(3, r.name);
  st.bind(4, r.version);
  st.bind(5, r.retired ? 1 : 0);
  bind_optional(st, 6, r.strength);
  bind_optional(st, 7, r.action);
  st.bind(8, r.source);
  st.bind(9, r.author);
  st.bind(10, r.created_utc);
  st.bind(11, r.reason);
  st.bind(12, r.content_hash);
  st.bind(13, r.prev_hash);
  st.bind(14, r.row_hash);
  bind_optional(st, 15, r.origin.file);
  st.bind(16, r.origin.line);
  st.bind(17, r.origin.column);
  st.bind(18, r.origin.end_line);
  st.bind(19, r.origin.end_column);
  st.bind(20, r.hash_format);
  st.exec();
}

int user_version(SQLite::Database& db) { return db.execAndGet("PRAGMA user_version").getInt(); }

std::string describe(const ItemVersion& r) {
  return std::string(item_kind_name(r.kind)) + " " + r.name + " version " + std::to_string(r.version);
}

// "by alice at 2026-..., reason: ..." for conflict and show messages.
std::string provenance(const ItemVersion& r) {
  return std::string(r.retired ? "retired by " : "by ") + r.author + " at " + r.created_utc + ", reason: " + r.reason;
}

// The latest row of every item (retired or not), by key.
std::map<std::string, ItemVersion> latest_rows(SQLite::Database& db) {
  std::map<std::string, ItemVersion> out;
  SQLite::Statement st(db, std::string("SELECT ") + kRowColumns + " FROM latest_item");
  while (st.executeStep()) {
    ItemVersion r = read_row(st);
    out.emplace(key_of(r.kind, r.name), std::move(r));
  }
  return out;
}

// Live rows (current items, or a release's pins), grouped by kind in canonical
// order and within a kind by the seq of version 1.
std::vector<ItemVersion> live_rows(SQLite::Database& db, const std::optional<std::int64_t>& release_id) {
  std::string sql = std::string("SELECT ") + kRowColumns + ", first FROM item_version v JOIN " +
                    "(SELECT kind AS fk, name AS fn, min(seq) AS first FROM item_version GROUP BY kind, name) " +
                    "ON fk = v.kind AND fn = v.name WHERE ";
  if (release_id)
    sql += "v.seq IN (SELECT version_seq FROM release_item WHERE release_id = ?)";
  else
    sql += "v.retired = 0 AND v.version = (SELECT max(w.version) FROM item_version w WHERE w.kind = v.kind AND "
           "w.name = v.name)";
  sql += " ORDER BY first";
  SQLite::Statement st(db, sql);
  if (release_id) st.bind(1, static_cast<int64_t>(*release_id));
  std::vector<ItemVersion> rows;
  while (st.executeStep()) rows.push_back(read_row(st));
  std::stable_sort(rows.begin(), rows.end(),
                   [](const ItemVersion& a, const ItemVersion& b) { return a.kind < b.kind; });
  return rows;
}

std::optional<std::int64_t> release_id(SQLite::Database& db, const std::string& name) {
  SQLite::Statement st(db, "SELECT id FROM release WHERE name = ? AND sealed = 1");
  st.bind(1, name);
  if (!st.executeStep()) return std::nullopt;
  return st.getColumn(0).getInt64();
}

StoreError unknown_release(SQLite::Database& db, const std::string& name) {
  std::vector<std::string> names;
  SQLite::Statement st(db, "SELECT name FROM release ORDER BY id");
  while (st.executeStep()) names.push_back(st.getColumn(0).getString());
  std::string msg = "no release named '" + name + "'";
  if (std::string near = closest_name(name, names); !near.empty()) msg += "; did you mean '" + near + "'?";
  else if (names.empty()) msg += " (there are no releases yet)";
  return error(StoreErrorKind::BadInput, msg);
}

// Parses each item text as its own source named `file`, adding to `module`.
void parse_item(const std::string& file, const std::string& text, Module& module, Diagnostics& diags,
                SourceMap& sources) {
  sources[file] = text;
  Module m = parse_source(file, text, diags);
  for (Item& it : m.items) module.items.push_back(std::move(it));
}

// Appends a row for `row` (seq, prev_hash, hashes computed here) and returns it.
ItemVersion append(SQLite::Database& db, ItemVersion row, std::int64_t& seq, std::string& prev) {
  row.seq = seq++;
  row.content_hash = sha256_hex(row.source);
  row.prev_hash = prev;
  row.row_hash = row_hash(row);
  insert_row(db, row);
  prev = row.row_hash;
  return row;
}

bool valid_release_name(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

}  // namespace

Origin Origin::of(const Loc& span) {
  Origin o;
  if (span.file) o.file = *span.file;
  o.line = span.line, o.column = span.column, o.end_line = span.end_line, o.end_column = span.end_column;
  return o;
}

Loc Origin::loc() const {
  return {std::make_shared<const std::string>(file ? *file : std::string("<unknown origin>")), line, column, end_line,
          end_column};
}

std::string StoreError::render() const {
  std::string out = message + "\n";
  for (const auto& d : details) out += "  " + d + "\n";
  out += diags.render(sources);
  return out;
}

int known_schema_version() { return static_cast<int>(std::size(schema::kMigrations)); }

std::string utc_now() {
  if (const char* fixed = std::getenv("KB_NOW"); fixed && *fixed) return fixed;
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string row_hash(const ItemVersion& r) {
  std::string s;
  auto field = [&s](const std::optional<std::string>& v) {
    if (!v) {
      s += "-\n";
      return;
    }
    s += std::to_string(v->size()) + ":" + *v + "\n";
  };
  field(std::to_string(r.seq));
  field(std::string(item_kind_name(r.kind)));
  field(r.name);
  field(std::to_string(r.version));
  field(std::string(r.retired ? "1" : "0"));
  field(r.strength);
  field(r.action);
  field(r.source);
  field(r.author);
  field(r.created_utc);
  field(r.reason);
  field(r.content_hash);
  field(r.prev_hash);
  if (r.hash_format >= 2) {
    field(r.origin.file);
    for (int v : {r.origin.line, r.origin.column, r.origin.end_line, r.origin.end_column}) field(std::to_string(v));
  }
  return sha256_hex(s);
}

Store::Store(std::string path, std::unique_ptr<SQLite::Database> db) : path_(std::move(path)), db_(std::move(db)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Result<Store> Store::open(const std::string& path, OpenMode mode) {
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (mode == OpenMode::Existing && !exists)
    return error(StoreErrorKind::BadInput,
                 "no knowledge base at " + path + " (create one with `kb init --db " + path + "`)");
  return guarded(path, [&]() -> Result<Store> {
    int flags = SQLite::OPEN_READWRITE | (mode == OpenMode::Create ? SQLite::OPEN_CREATE : 0);
    auto db = std::make_unique<SQLite::Database>(path, flags, kBusyTimeoutMs);
    db->exec("PRAGMA foreign_keys = ON");
    db->exec("PRAGMA journal_mode = WAL");
    const int known = known_schema_version();
    int version = user_version(*db);
    if (version > known)
      return error(StoreErrorKind::BadInput, "database schema version " + std::to_string(version) +
                                                 " is newer than this tool (" + std::to_string(known) +
                                                 "); upgrade kb");
    if (version == 0 && mode == OpenMode::Existing)
      return error(StoreErrorKind::BadInput,
                   path + " is not a kb database (create one with `kb init --db " + path + "`)");
    while (version < known) {
      SQLite::Transaction tx(*db, SQLite::TransactionBehavior::IMMEDIATE);
      version = user_version(*db);  // another process may have migrated meanwhile
      if (version >= known) break;
      db->exec(schema::kMigrations[version].second);
      db->exec("PRAGMA user_version = " + std::to_string(version + 1));
      tx.commit();
      ++version;
    }
    return Store(path, std::move(db));
  });
}

Result<int> Store::schema_version() {
  return guarded(path_, [&]() -> Result<int> { return user_version(*db_); });
}

Result<Guideline> Store::load(const std::optional<std::string>& release) {
  return guarded(path_, [&]() -> Result<Guideline> {
    SQLite::Transaction snapshot(*db_);  // one consistent read
    std::optional<std::int64_t> id;
    if (release) {
      id = release_id(*db_, *release);
      if (!id) return unknown_release(*db_, *release);
    }
    std::vector<ItemVersion> rows = live_rows(*db_, id);
    const std::string what = release ? "release " + *release : "the current items";
    StoreError bad = error(StoreErrorKind::BadInput, "the stored items of " + what +
                                                         " do not parse and check (run `kb audit`)");
    Module module;
    for (const auto& r : rows) {
      // Each version parses as its own text, so a language error names it.
      std::string name = "<stored " + std::string(item_kind_name(r.kind)) + " " + r.name + "@" + std::to_string(r.version) + ">";
      std::size_t before = module.items.size();
      parse_item(name, r.source, module, bad.diags, bad.sources);
      if (module.items.size() != before + 1 ||
          item_key(module.items.back()) != key_of(r.kind, r.name)) {
        bad.details.push_back("row seq " + std::to_string(r.seq) + " (" + describe(r) +
                              ") does not hold exactly the text of that item");
        return bad;
      }
      module.items.back().span = r.origin.loc();
    }
    if (!bad.diags.ok()) return bad;
    check_nesting(module, bad.diags);  // before the checker, which follows definitions recursively
    if (!bad.diags.ok()) return bad;
    auto g = check(std::move(module), bad.diags);
    if (!g) return bad;
    for (const auto& r : rows) g->versions[key_of(r.kind, r.name)] = r.version;
    return std::move(*g);
  });
}

namespace {

// One version an import will append.
struct Planned {
  ItemVersion row;
  ChangeKind change;
};

// Versions for every input item whose text differs from its live version and,
// with `prune`, retirements of live items the input lacks.
std::vector<Planned> plan_import(const Guideline& input, const std::map<std::string, ItemVersion>& latest,
                                 const std::vector<ItemVersion>& live_now, bool prune, ImportReport& report) {
  std::vector<Planned> plan;
  std::set<std::string> input_keys;
  for (const Item* item : input.all_items()) {
    const std::string key = item_key(*item);
    input_keys.insert(key);
    const std::string text = print_item(*item);
    auto cur = latest.find(key);
    bool live = cur != latest.end() && !cur->second.retired;
    if (live && cur->second.source == text) {
      ++report.unchanged;
      continue;
    }
    Planned p{{}, live ? ChangeKind::Changed : ChangeKind::Added};
    p.row.kind = item->kind;
    p.row.name = item->name;
    p.row.version = cur == latest.end() ? 1 : cur->second.version + 1;
    p.row.source = text;
    p.row.origin = Origin::of(item->span);
    if (item->kind == ItemKind::Rule) {
      p.row.strength = strength_name(item->strength);
      p.row.action = item->action;
    }
    plan.push_back(std::move(p));
  }
  if (prune)
    for (const auto& r : live_now) {
      if (input_keys.count(key_of(r.kind, r.name))) continue;
      Planned p{{}, ChangeKind::Retired};
      p.row.kind = r.kind;
      p.row.name = r.name;
      p.row.version = r.version + 1;
      p.row.retired = true;
      plan.push_back(std::move(p));
    }
  return plan;
}

// Optimistic concurrency: one line per planned item whose live version is not
// the one pinned in the base release.
std::vector<std::string> base_conflicts(const std::vector<Planned>& plan, const std::map<std::string, ItemVersion>& latest,
                                        const std::map<std::string, int>& pinned, const std::string& base) {
  std::vector<std::string> conflicts;
  for (const auto& p : plan) {
    const std::string key = key_of(p.row.kind, p.row.name);
    auto pin = pinned.find(key);
    int base_version = pin == pinned.end() ? 0 : pin->second;
    auto cur = latest.find(key);
    int live_version = cur != latest.end() && !cur->second.retired ? cur->second.version : 0;
    if (base_version == live_version) continue;
    std::string based = base_version ? "version " + std::to_string(base_version) + " (release " + base + ")"
                                     : "no version (it is not in release " + base + ")";
    const ItemVersion& c = cur->second;  // live_version != base_version implies the item is stored
    std::string now = c.retired ? "it was retired in version " + std::to_string(c.version)
                                : "version " + std::to_string(c.version) + " is current";
    conflicts.push_back(std::string(item_kind_name(p.row.kind)) + " " + p.row.name + ": your change is based on " +
                        based + ", but " + now + " (" + provenance(c) + ")");
  }
  return conflicts;
}

// The knowledge base as it would be after the import must still check;
// problems go into `bad`.
bool merged_checks(const Guideline& input, const std::vector<ItemVersion>& live_now, bool prune, StoreError& bad) {
  std::map<std::string, const Item*> by_key;
  for (const Item* item : input.all_items()) by_key[item_key(*item)] = item;
  Module merged;
  std::set<std::string> placed;
  for (const auto& r : live_now) {
    const std::string key = key_of(r.kind, r.name);
    auto in = by_key.find(key);
    if (in != by_key.end()) {
      parse_item("<import " + std::string(item_kind_name(r.kind)) + " " + r.name + ">", print_item(*in->second),
                 merged, bad.diags, bad.sources);
      placed.insert(key);
    } else if (!prune) {
      parse_item("<stored " + std::string(item_kind_name(r.kind)) + " " + r.name + "@" + std::to_string(r.version) + ">",
                 r.source, merged, bad.diags, bad.sources);
    }
  }
  for (const Item* item : input.all_items())
    if (!placed.count(item_key(*item)))
      parse_item("<import " + std::string(item_kind_name(item->kind)) + " " + item->name + ">", print_item(*item),
                 merged, bad.diags, bad.sources);
  return bad.diags.ok() && check(std::move(merged), bad.diags);
}

}  // namespace

Result<ImportReport> Store::import(const Guideline& input, const ImportOptions& options) {
  if (options.author.empty()) return error(StoreErrorKind::BadInput, "an import needs an author");
  if (options.reason.empty()) return error(StoreErrorKind::BadInput, "an import needs a reason");
  return guarded(path_, [&]() -> Result<ImportReport> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    std::map<std::string, ItemVersion> latest = latest_rows(*db_);
    std::map<std::string, int> pinned;
    if (options.base) {
      auto id = release_id(*db_, *options.base);
      if (!id) return unknown_release(*db_, *options.base);
      for (const auto& r : live_rows(*db_, id)) pinned[key_of(r.kind, r.name)] = r.version;
    }
    ImportReport report;
    std::vector<ItemVersion> live_now = live_rows(*db_, std::nullopt);
    std::vector<Planned> plan = plan_import(input, latest, live_now, options.prune, report);
    if (plan.empty()) return report;
    if (options.base) {
      std::vector<std::string> conflicts = base_conflicts(plan, latest, pinned, *options.base);
      if (!conflicts.empty()) {
        std::string summary = "import refused: " + std::to_string(conflicts.size()) +
                              " item(s) changed since release " + *options.base +
                              "; nothing was written (rebase your edit on the current items)";
        return error(StoreErrorKind::Finding, std::move(summary), std::move(conflicts));
      }
    }
    StoreError bad = error(StoreErrorKind::BadInput,
                           "the import would leave the knowledge base inconsistent; nothing was written");
    if (!merged_checks(input, live_now, options.prune, bad)) return bad;

    std::int64_t seq = db_->execAndGet("SELECT coalesce(max(seq), 0) + 1 FROM item_version").getInt64();
    std::string prev = kZeroHash;
    {
      SQLite::Statement last(*db_, "SELECT row_hash FROM item_version ORDER BY seq DESC LIMIT 1");
      if (last.executeStep()) prev = last.getColumn(0).getString();
    }
    const std::string now = utc_now();
    for (auto& p : plan) {
      p.row.author = options.author;
      p.row.reason = options.reason;
      p.row.created_utc = now;
      ItemVersion written = append(*db_, std::move(p.row), seq, prev);
      report.changes.push_back({p.change, written.kind, written.name, written.version});
    }
    tx.commit();
    return report;
  });
}

Result<ReleaseInfo> Store::release(const std::string& name, const std::string& author, const std::string& reason) {
  if (!valid_release_name(name))
    return error(StoreErrorKind::BadInput,
                 "bad release name '" + name + "': use letters, digits, '.', '_' and '-' (at most 200)");
  if (author.empty()) return error(StoreErrorKind::BadInput, "a release needs an author");
  return guarded(path_, [&]() -> Result<ReleaseInfo> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    {
      SQLite::Statement st(*db_, "SELECT author, created_utc FROM release WHERE name = ?");
      st.bind(1, name);
      if (st.executeStep())
        return error(StoreErrorKind::Finding, "release '" + name + "' already exists (by " +
                                                  st.getColumn(0).getString() + " at " + st.getColumn(1).getString() +
                                                  "); releases are immutable, choose another name");
    }
    std::vector<ItemVersion> rows = live_rows(*db_, std::nullopt);
    if (rows.empty())
      return error(StoreErrorKind::Finding, "nothing to release: the knowledge base has no current items");
    ReleaseInfo info{name, author, utc_now(), reason, "", rows.size()};
    SQLite::Statement ins(*db_, "INSERT INTO release (name, author, created_utc, reason) VALUES (?, ?, ?, ?)");
    ins.bind(1, name);
    ins.bind(2, author);
    ins.bind(3, info.created_utc);
    ins.bind(4, reason);
    ins.exec();
    const std::int64_t id = db_->getLastInsertRowid();
    SQLite::Statement pin(*db_, "INSERT INTO release_item (release_id, version_seq) VALUES (?, ?)");
    std::vector<std::string> lines;
    for (const auto& r : rows) {
      pin.bind(1, static_cast<int64_t>(id));
      pin.bind(2, static_cast<int64_t>(r.seq));
      pin.exec();
      pin.reset();
      lines.push_back(release_hash_line(r.kind, r.name, r.version, r.content_hash));
    }
    info.content_hash = release_hash_of_lines(std::move(lines));
    SQLite::Statement seal(*db_, "UPDATE release SET sealed = 1, content_hash = ? WHERE id = ?");
    seal.bind(1, info.content_hash);
    seal.bind(2, static_cast<int64_t>(id));
    seal.exec();
    tx.commit();
    return info;
  });
}

Result<std::int64_t> Store::record_verification(const VerificationRun& run) {
  return guarded(path_, [&]() -> Result<std::int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    std::optional<std::int64_t> rel;
    if (run.release) {
      rel = release_id(*db_, *run.release);
      if (!rel) return error(StoreErrorKind::BadInput, "unknown release '" + *run.release + "'");
    }
    SQLite::Statement ins(*db_,
                          "INSERT INTO verify_run (release_id, content_hash, tool_version, z3_version, started_utc, "
                          "exit_code, mutation_score) VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (rel) ins.bind(1, static_cast<int64_t>(*rel));
    else ins.bind(1);
    ins.bind(2, run.content_hash);
    ins.bind(3, run.tool_version);
    ins.bind(4, run.z3_version);
    ins.bind(5, utc_now());
    ins.bind(6, run.exit_code);
    if (run.mutation_score) ins.bind(7, *run.mutation_score);
    else ins.bind(7);
    ins.exec();
    const std::int64_t id = db_->getLastInsertRowid();
    SQLite::Statement res(*db_,
                          "INSERT INTO verify_result (run_id, obligation, verdict, millis, core, counterexample, detail, "
                          "location) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    for (const VerificationResult& r : run.results) {
      res.bind(1, static_cast<int64_t>(id));
      res.bind(2, r.obligation);
      res.bind(3, r.verdict);
      res.bind(4, r.millis);
      res.bind(5, r.core);
      if (r.counterexample) res.bind(6, *r.counterexample);
      else res.bind(6);
      res.bind(7, r.detail);
      bind_optional(res, 8, r.location);
      res.exec();
      res.reset();
    }
    SQLite::Statement mut(*db_,
                          "INSERT INTO mutation_result (run_id, mutant, op, site, status, killed_by, restating_only, "
                          "summary, witness) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const MutationRow& m : run.mutants) {
      mut.bind(1, static_cast<int64_t>(id));
      mut.bind(2, m.mutant);
      mut.bind(3, m.op);
      mut.bind(4, m.site);
      mut.bind(5, m.status);
      mut.bind(6, m.killed_by);
      mut.bind(7, m.restating_only ? 1 : 0);
      mut.bind(8, m.summary);
      bind_optional(mut, 9, m.witness);
      mut.exec();
      mut.reset();
    }
    tx.commit();
    return id;
  });
}

Result<std::vector<ReleaseInfo>> Store::releases() {
  return guarded(path_, [&]() -> Result<std::vector<ReleaseInfo>> {
    std::vector<ReleaseInfo> out;
    SQLite::Statement st(*db_,
                         "SELECT r.name, r.author, r.created_utc, r.reason, r.content_hash, "
                         "(SELECT count(*) FROM release_item ri WHERE ri.release_id = r.id) "
                         "FROM release r WHERE r.sealed = 1 ORDER BY r.id");
    while (st.executeStep())
      out.push_back({st.getColumn(0).getString(), st.getColumn(1).getString(), st.getColumn(2).getString(),
                     st.getColumn(3).getString(), st.getColumn(4).getString(),
                     static_cast<std::size_t>(st.getColumn(5).getInt64())});
    return out;
  });
}

Result<std::vector<ItemVersion>> Store::current_items() {
  return guarded(path_, [&]() -> Result<std::vector<ItemVersion>> { return live_rows(*db_, std::nullopt); });
}

Result<std::vector<ItemVersion>> Store::history(const std::string& id) {
  return guarded(path_, [&]() -> Result<std::vector<ItemVersion>> {
    std::string name = id;
    std::optional<ItemKind> kind;
    if (auto colon = id.find(':'); colon != std::string::npos) {
      kind = item_kind_from_name(id.substr(0, colon));
      if (!kind) return error(StoreErrorKind::BadInput, "unknown item kind '" + id.substr(0, colon) + "' in '" + id + "'");
      name = id.substr(colon + 1);
    }
    std::vector<std::pair<ItemKind, std::string>> matches;
    std::vector<std::string> all_names;
    SQLite::Statement st(*db_, "SELECT DISTINCT kind, name FROM item_version");
    while (st.executeStep()) {
      ItemKind k = kind_column(st.getColumn(0));
      std::string n = st.getColumn(1).getString();
      if (!kind || *kind == k) all_names.push_back(n);
      if (n == name && (!kind || *kind == k)) matches.emplace_back(k, n);
    }
    if (matches.empty()) {
      std::string msg = "no item '" + id + "' in the knowledge base";
      if (std::string near = closest_name(name, all_names); !near.empty()) msg += "; did you mean '" + near + "'?";
      return error(StoreErrorKind::BadInput, msg);
    }
    if (matches.size() > 1) {
      std::string msg = "'" + id + "' names more than one item; write it as";
      for (const auto& [k, n] : matches) msg += " " + key_of(k, n);
      return error(StoreErrorKind::BadInput, msg);
    }
    SQLite::Statement rows(*db_, std::string("SELECT ") + kRowColumns +
                                     " FROM item_version WHERE kind = ? AND name = ? ORDER BY version");
    rows.bind(1, item_kind_name(matches[0].first));
    rows.bind(2, matches[0].second);
    std::vector<ItemVersion> out;
    while (rows.executeStep()) out.push_back(read_row(rows));
    return out;
  });
}

Result<AuditReport> Store::audit() {
  return guarded(path_, [&]() -> Result<AuditReport> {
    SQLite::Transaction snapshot(*db_);
    AuditReport report;
    std::string prev = kZeroHash;
    std::int64_t prev_seq = 0;
    std::map<std::string, int> last_version;
    SQLite::Statement st(*db_, std::string("SELECT ") + kRowColumns + " FROM item_version ORDER BY seq");
    while (st.executeStep()) {
      ItemVersion r = read_row(st);
      std::string wrong;
      int& last = last_version[key_of(r.kind, r.name)];
      if (sha256_hex(r.source) != r.content_hash)
        wrong = "its source does not match its content_hash";
      else if (r.prev_hash != prev)
        wrong = prev_seq ? "its prev_hash is not the row_hash of the row before it (seq " + std::to_string(prev_seq) +
                               "): a row was altered, inserted or deleted"
                         : "it is the first row but its prev_hash is not 64 zeros";
      else if (row_hash(r) != r.row_hash)
        wrong = "its fields do not match its row_hash";
      else if (r.version != last + 1)
        wrong = "it is version " + std::to_string(r.version) + " but the previous version of the item is " +
                std::to_string(last);
      else if (r.hash_format == 1 && (r.origin.file || r.origin.line))
        wrong = "it has hash format 1, which covers no origin, but records one";
      else if (r.retired && !r.source.empty())
        wrong = "it is retired but has a source";
      if (!wrong.empty())
        return error(StoreErrorKind::Finding, "audit failed: row seq " + std::to_string(r.seq) + " (" + describe(r) +
                                                  ") was altered: " + wrong);
      last = r.version;
      prev = r.row_hash;
      prev_seq = r.seq;
      ++report.rows;
    }
    SQLite::Statement rel(*db_, "SELECT id, name, sealed, content_hash FROM release ORDER BY id");
    while (rel.executeStep()) {
      const std::string name = rel.getColumn(1).getString();
      if (rel.getColumn(2).getInt() != 1)
        return error(StoreErrorKind::Finding, "audit failed: release '" + name + "' was never sealed");
      SQLite::Statement pins(*db_,
                             "SELECT v.kind, v.name, v.version, v.content_hash FROM release_item ri "
                             "JOIN item_version v ON v.seq = ri.version_seq WHERE ri.release_id = ?");
      pins.bind(1, rel.getColumn(0).getInt64());
      std::vector<std::string> lines;
      while (pins.executeStep())
        lines.push_back(release_hash_line(kind_column(pins.getColumn(0)), pins.getColumn(1).getString(),
                                          pins.getColumn(2).getInt(), pins.getColumn(3).getString()));
      if (release_hash_of_lines(std::move(lines)) != rel.getColumn(3).getString())
        return error(StoreErrorKind::Finding, "audit failed: release '" + name +
                                                  "' was altered: its pinned versions do not match its content_hash");
      ++report.releases;
    }
    return report;
  });
}

}  // namespace kb
