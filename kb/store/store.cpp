#include "kb/store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

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
  return std::string(r.retired ? "retired by " : "by ") + escape_control(r.author) + " at " +
         escape_control(r.created_utc) + ", reason: " + escape_control(r.reason);
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

// The state a load reads: the release, or the draft after its newest row.
ImportBase state_of(SQLite::Database& db, const std::optional<std::string>& release,
                    const std::optional<std::int64_t>& id) {
  ImportBase b;
  std::string hash;
  if (release) {
    b.release = release;
    hash = db.execAndGet("SELECT content_hash FROM release WHERE id = " + std::to_string(*id)).getString();
  } else {
    SQLite::Statement st(db, "SELECT seq, row_hash FROM item_version ORDER BY seq DESC LIMIT 1");
    if (st.executeStep()) b.seq = st.getColumn(0).getInt64(), hash = st.getColumn(1).getString();
  }
  b.hash_prefix = hash.substr(0, 12);
  return b;
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

// One field of a hash input: "<byte length>:<text>\n", or "-\n" for NULL.
void hash_field(std::string& s, const std::optional<std::string>& v) {
  if (!v) {
    s += "-\n";
    return;
  }
  s += std::to_string(v->size()) + ":" + *v + "\n";
}

// A column as hash input: its text, or nullopt for NULL.
std::optional<std::string> column_text(const SQLite::Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getString();
}

// Appends every column of every row `st` returns to `s`, after the row count.
void hash_rows(std::string& s, SQLite::Statement& st) {
  std::string rows;
  std::size_t n = 0;
  while (st.executeStep()) {
    ++n;
    for (int i = 0; i < st.getColumnCount(); ++i) hash_field(rows, column_text(st.getColumn(i)));
  }
  hash_field(s, std::to_string(n));
  s += rows;
}

// The body hash of a release's ledger entry: its columns and its pins (seq
// and row_hash of each pinned version, in seq order).
std::string release_body(SQLite::Database& db, std::int64_t id) {
  std::string s = "release\n";
  SQLite::Statement r(db, "SELECT id, name, author, created_utc, reason, content_hash, sealed FROM release WHERE id = ?");
  r.bind(1, static_cast<int64_t>(id));
  hash_rows(s, r);
  SQLite::Statement pins(db,
                         "SELECT ri.version_seq, v.row_hash FROM release_item ri LEFT JOIN item_version v ON v.seq = "
                         "ri.version_seq WHERE ri.release_id = ? ORDER BY ri.version_seq");
  pins.bind(1, static_cast<int64_t>(id));
  hash_rows(s, pins);
  return sha256_hex(s);
}

// Whether the database has table `name` (a migration may not have run yet).
bool has_table(SQLite::Database& db, const char* name) {
  SQLite::Statement st(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  st.bind(1, name);
  return st.executeStep();
}

// The body hash of a verification run's ledger entry: the run's columns, its
// results (by obligation), its mutants (by mutant id) and its kept answers.
std::string run_body(SQLite::Database& db, std::int64_t id) {
  std::string s = "verify\n";
  const char* queries[] = {
      "SELECT id, release_id, content_hash, tool_version, z3_version, started_utc, exit_code, mutation_score "
      "FROM verify_run WHERE id = ?",
      "SELECT obligation, verdict, millis, core, counterexample, detail, location FROM verify_result "
      "WHERE run_id = ? ORDER BY obligation",
      "SELECT mutant, op, site, status, killed_by, restating_only, summary, witness FROM mutation_result "
      "WHERE run_id = ? ORDER BY mutant"};
  for (const char* q : queries) {
    SQLite::Statement st(db, q);
    st.bind(1, static_cast<int64_t>(id));
    hash_rows(s, st);
  }
  // The kept answers (migration 7), only when the run has any: the bodies of
  // runs written before keep their hashes.
  if (has_table(db, "verify_answer")) {
    SQLite::Statement any(db, "SELECT count(*) FROM verify_answer WHERE run_id = ?");
    any.bind(1, static_cast<int64_t>(id));
    if (any.executeStep() && any.getColumn(0).getInt64() > 0) {
      s += "answers\n";
      SQLite::Statement st(db, "SELECT obligation, cache_key, answer FROM verify_answer WHERE run_id = ? ORDER BY obligation");
      st.bind(1, static_cast<int64_t>(id));
      hash_rows(s, st);
    }
  }
  return sha256_hex(s);
}

// Where the next ledger entry goes.
struct LedgerTail {
  std::int64_t next = 1;
  std::string prev = kZeroHash;
};

LedgerTail ledger_tail(SQLite::Database& db) {
  LedgerTail t;
  SQLite::Statement st(db, "SELECT seq, entry_hash FROM ledger ORDER BY seq DESC LIMIT 1");
  if (st.executeStep()) t.next = st.getColumn(0).getInt64() + 1, t.prev = st.getColumn(1).getString();
  return t;
}

// Appends one ledger entry; returns its entry_hash.
std::string append_entry(SQLite::Database& db, LedgerTail& t, const char* entry, std::int64_t ref,
                         const std::string& body) {
  const std::string hash = ledger_entry_hash(t.next, entry, ref, body, t.prev);
  SQLite::Statement ins(db,
                        "INSERT INTO ledger (seq, entry, ref, body_hash, prev_hash, entry_hash, hash_format) "
                        "VALUES (?, ?, ?, ?, ?, ?, 1)");
  ins.bind(1, static_cast<int64_t>(t.next));
  ins.bind(2, entry);
  ins.bind(3, static_cast<int64_t>(ref));
  ins.bind(4, body);
  ins.bind(5, t.prev);
  ins.bind(6, hash);
  ins.exec();
  ++t.next;
  t.prev = hash;
  return hash;
}

// Migration 5: the ledger entries of the records a database already holds,
// in the order items, releases, runs.
void write_ledger_of_existing_records(SQLite::Database& db) {
  LedgerTail t = ledger_tail(db);
  std::vector<std::pair<std::int64_t, std::string>> items;
  {
    SQLite::Statement st(db, "SELECT seq, row_hash FROM item_version ORDER BY seq");
    while (st.executeStep()) items.emplace_back(st.getColumn(0).getInt64(), st.getColumn(1).getString());
  }
  for (const auto& [seq, hash] : items) append_entry(db, t, "item", seq, hash);
  std::vector<std::int64_t> ids;
  {
    SQLite::Statement st(db, "SELECT id FROM release WHERE sealed = 1 ORDER BY id");
    while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
  }
  for (auto id : ids) append_entry(db, t, "release", id, release_body(db, id));
  ids.clear();
  {
    SQLite::Statement st(db, "SELECT id FROM verify_run ORDER BY id");
    while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
  }
  for (auto id : ids) append_entry(db, t, "verify", id, run_body(db, id));
}

// Whether run `id`'s records still hash to the body of its ledger entry, the
// entry's own hash recomputes, and it links to the entry before it.
bool run_matches_ledger(SQLite::Database& db, std::int64_t id) {
  SQLite::Statement st(db, "SELECT seq, body_hash, prev_hash, entry_hash FROM ledger WHERE entry = 'verify' AND ref = ?");
  st.bind(1, static_cast<int64_t>(id));
  if (!st.executeStep()) return false;
  const std::int64_t seq = st.getColumn(0).getInt64();
  const std::string body = st.getColumn(1).getString(), prev = st.getColumn(2).getString(),
                    hash = st.getColumn(3).getString();
  if (run_body(db, id) != body || ledger_entry_hash(seq, "verify", id, body, prev) != hash) return false;
  SQLite::Statement before(db, "SELECT entry_hash FROM ledger WHERE seq = ?");
  before.bind(1, static_cast<int64_t>(seq - 1));
  return before.executeStep() ? before.getColumn(0).getString() == prev : (seq == 1 && prev == kZeroHash);
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
  auto field = [&s](const std::optional<std::string>& v) { hash_field(s, v); };
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

std::string ledger_entry_hash(std::int64_t seq, const std::string& entry, std::int64_t ref, const std::string& body_hash,
                              const std::string& prev_hash) {
  std::string s;
  for (const std::string& f : {std::to_string(seq), entry, std::to_string(ref), body_hash, prev_hash}) hash_field(s, f);
  return sha256_hex(s);
}

std::string release_signing_message(const std::string& release, const std::string& chain_head) {
  return "kb-release-head/1 " + release + " " + chain_head;
}

Store::Store(std::string path, std::unique_ptr<SQLite::Database> db) : path_(std::move(path)), db_(std::move(db)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

namespace {

bool busy(const SQLite::Exception& e) {
  const int c = e.getErrorCode() & 0xff;
  return c == SQLITE_BUSY || c == SQLITE_LOCKED;
}

// `path` as an SQLite URI that opens it read-only and immutable.
std::string immutable_uri(const std::string& path) {
  std::string uri = "file:";
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : std::filesystem::absolute(path).string()) {
    if (std::isalnum(c) || std::strchr("/-._~", c)) uri += static_cast<char>(c);
    else uri += '%', uri += hex[c >> 4], uri += hex[c & 15];
  }
  return uri + "?immutable=1";
}

// Opens `path` without ever writing to it or beside it. A WAL database needs
// its -shm file; where that cannot be created (a read-only folder), the file
// is opened as immutable instead.
std::unique_ptr<SQLite::Database> open_read_only(const std::string& path, int busy_ms) {
  try {
    auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY, busy_ms);
    db->execAndGet("SELECT count(*) FROM sqlite_master");
    return db;
  } catch (const SQLite::Exception& e) {
    const int c = e.getErrorCode() & 0xff;
    if (c != SQLITE_CANTOPEN && c != SQLITE_READONLY && c != SQLITE_IOERR) throw;
  }
  auto db = std::make_unique<SQLite::Database>(immutable_uri(path), SQLite::OPEN_READONLY | SQLite::OPEN_URI, busy_ms);
  db->execAndGet("SELECT count(*) FROM sqlite_master");
  return db;
}

// The schema version checks every mode shares; nullopt when it is usable.
std::optional<StoreError> version_problem(const std::string& path, int version, OpenMode mode) {
  const int known = known_schema_version();
  if (version > known)
    return error(StoreErrorKind::BadInput, "database schema version " + std::to_string(version) +
                                               " is newer than this tool (" + std::to_string(known) + "); upgrade kb");
  if (version == 0 && mode != OpenMode::Create)
    return error(StoreErrorKind::BadInput,
                 path + " is not a kb database (create one with `kb init --db " + path + "`)");
  if (version < known && mode == OpenMode::ReadOnly)
    return error(StoreErrorKind::BadInput,
                 path + " has schema version " + std::to_string(version) + " and needs migration to version " +
                     std::to_string(known) + "; this command only reads, so it does not migrate: run `kb init --db " +
                     path + "` (it writes) and try again");
  return std::nullopt;
}

}  // namespace

Result<Store> Store::open(const std::string& path, OpenMode mode) {
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (mode != OpenMode::Create && !exists)
    return error(StoreErrorKind::BadInput,
                 "no knowledge base at " + path + " (create one with `kb init --db " + path + "`)");
  // Several processes creating or migrating one file at once can see
  // SQLITE_BUSY where SQLite does not wait (changing the journal mode):
  // start again until the busy timeout has passed.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  for (;;) {
    try {
      return open_once(path, mode);
    } catch (const SQLite::Exception& e) {
      if (!busy(e) || std::chrono::steady_clock::now() > deadline) return database_error(path, e);
    } catch (const CorruptRow& e) {
      return error(StoreErrorKind::BadInput, path + ": " + e.what() + " (run `kb audit`)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + ::getpid() % 20));
  }
}

Result<Store> Store::open_once(const std::string& path, OpenMode mode) {
  if (mode == OpenMode::ReadOnly) {
    auto db = open_read_only(path, kBusyTimeoutMs);
    if (auto bad = version_problem(path, user_version(*db), mode)) return *bad;
    db->exec("PRAGMA foreign_keys = ON");
    Store s(path, std::move(db));
    s.read_only_ = true;
    return s;
  }
  std::error_code ec;
  std::filesystem::path folder = std::filesystem::absolute(path, ec).parent_path();
  if ((std::filesystem::exists(path, ec) && ::access(path.c_str(), W_OK) != 0) || ::access(folder.c_str(), W_OK) != 0)
    return error(StoreErrorKind::BadInput, "cannot write " + path +
                                               ": the file or its folder is read-only, and this command writes to the "
                                               "knowledge base (commands that only read work on it)");
  int flags = SQLite::OPEN_READWRITE | (mode == OpenMode::Create ? SQLite::OPEN_CREATE : 0);
  auto db = std::make_unique<SQLite::Database>(path, flags, kBusyTimeoutMs);
  db->exec("PRAGMA foreign_keys = ON");
  if (auto bad = version_problem(path, user_version(*db), mode)) return *bad;
  if (db->execAndGet("PRAGMA journal_mode").getString() != "wal") db->exec("PRAGMA journal_mode = WAL");
  const int known = known_schema_version();
  int version = user_version(*db);
  while (version < known) {
    db->exec("PRAGMA foreign_keys = OFF");  // a migration may rebuild a table others refer to
    SQLite::Transaction tx(*db, SQLite::TransactionBehavior::IMMEDIATE);
    version = user_version(*db);  // another process may have migrated meanwhile
    if (version >= known) break;
    db->exec(schema::kMigrations[version].second);
    if (version + 1 == 5) write_ledger_of_existing_records(*db);
    {
      SQLite::Statement fk(*db, "PRAGMA foreign_key_check");
      if (fk.executeStep())
        throw std::logic_error(std::string("migration ") + schema::kMigrations[version].first +
                               " leaves a dangling reference in table " + fk.getColumn(0).getString());
    }
    db->exec("PRAGMA user_version = " + std::to_string(version + 1));
    tx.commit();
    ++version;
  }
  db->exec("PRAGMA foreign_keys = ON");
  return Store(path, std::move(db));
}

Result<int> Store::schema_version() {
  return guarded(path_, [&]() -> Result<int> { return user_version(*db_); });
}

Result<Guideline> Store::load(const std::optional<std::string>& release, ImportBase* state) {
  return guarded(path_, [&]() -> Result<Guideline> {
    SQLite::Transaction snapshot(*db_);  // one consistent read
    std::optional<std::int64_t> id;
    if (release) {
      id = release_id(*db_, *release);
      if (!id) return unknown_release(*db_, *release);
    }
    if (state) *state = state_of(*db_, release, id);
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
  std::string note;  // forced: what it overrides
};

// What an import will do: versions to append, others' changes it keeps, and
// the items it refuses (one message each, with the command that shows why).
struct Plan {
  std::vector<Planned> writes;
  std::vector<ItemChange> kept;
  std::vector<std::string> refusals;
  std::size_t unchanged = 0;
};

// An item's text on one side of the merge; nullopt when absent (never
// written, or retired).
using Text = std::optional<std::string>;
Text text_of(const ItemVersion* r) { return r && !r->retired ? Text(r->source) : std::nullopt; }

// `s` as one shell word.
std::string shell_word(const std::string& s) {
  bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_./:@%+=,-", c);
  });
  if (plain) return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Everything one merge decision needs.
struct Merge {
  SQLite::Database& db;
  const ImportOptions& options;
  const std::map<std::string, ItemVersion>& latest;
  const std::optional<std::map<std::string, ItemVersion>>& base;  // rows of the base state
  std::string db_path;
};

// The version that writes `in` (a retirement when null) after `cur`.
Planned planned_row(ItemKind kind, const std::string& name, const Item* in, const ItemVersion* cur) {
  Planned p{{}, ChangeKind::Retired, ""};
  p.row.kind = kind;
  p.row.name = name;
  p.row.version = cur ? cur->version + 1 : 1;
  if (!in) {
    p.row.retired = true;
    return p;
  }
  p.change = cur && !cur->retired ? ChangeKind::Changed : ChangeKind::Added;
  p.row.source = print_item(*in);
  p.row.origin = Origin::of(in->span);
  if (kind == ItemKind::Rule) {
    p.row.strength = strength_name(in->strength);
    p.row.action = in->action;
  }
  return p;
}

// "version 2 is current (by alice at ..., reason: ...)" or "it was retired in version 2 (...)".
std::string current_text(const ItemVersion& c) {
  return (c.retired ? "it was retired in version " + std::to_string(c.version)
                    : "version " + std::to_string(c.version) + " is current") +
         " (" + provenance(c) + ")";
}

// The newest version of the item before `below` whose text is `text`, or 0.
int earlier_version(SQLite::Database& db, ItemKind kind, const std::string& name, const std::string& text, int below) {
  SQLite::Statement st(db,
                       "SELECT version FROM item_version WHERE kind = ? AND name = ? AND retired = 0 AND source = ? "
                       "AND version < ? ORDER BY version DESC LIMIT 1");
  st.bind(1, item_kind_name(kind));
  st.bind(2, name);
  st.bind(3, text);
  st.bind(4, below);
  return st.executeStep() ? st.getColumn(0).getInt() : 0;
}

// The base side of one item: what kept it, or why changing it is refused.
// Returns true when the item is decided (kept); sets `refusal` on a conflict.
bool against_base(Plan& plan, const Merge& m, const std::string& key, const Text& mine, const ItemVersion* cur,
                  std::string& refusal, std::string& note) {
  auto b = m.base->find(key);
  const ItemVersion* base = b == m.base->end() ? nullptr : &b->second;
  const Text was = text_of(base), now = text_of(cur);
  const std::string where = m.options.base->describe();
  if (mine == was) {  // only others changed it: keep theirs
    if (cur) {
      ChangeKind k = cur->retired ? ChangeKind::Retired : was ? ChangeKind::Changed : ChangeKind::Added;
      static const char* did[] = {"added", "changed", "retired"};
      plan.kept.push_back({k, cur->kind, cur->name, cur->version,
                           escape_control(cur->author) + " " + did[static_cast<int>(k)] + " it after " + where + "; your input " +
                               (k == ChangeKind::Added ? "does not have it" : "has it as it was then")});
    }
    return true;
  }
  if (now == was || !cur) return false;
  std::string based = was ? "version " + std::to_string(base->version) + " (" + where + ")"
                          : "no version (it is not in " + where + ")";
  refusal = "your change is based on " + based + ", but " + current_text(*cur);
  note = "overwrote version " + std::to_string(cur->version) + " by " + cur->author + ", based on " + where;
  return false;
}

// Decides one item: unchanged, kept, written, or refused.
void merge_item(Plan& plan, const Merge& m, ItemKind kind, const std::string& name, const Item* in) {
  const std::string key = key_of(kind, name);
  auto c = m.latest.find(key);
  const ItemVersion* cur = c == m.latest.end() ? nullptr : &c->second;
  const Text mine = in ? Text(print_item(*in)) : std::nullopt;
  if (mine == text_of(cur)) {
    if (in) ++plan.unchanged;
    return;
  }
  std::string refusal, note;
  if (m.base) {
    if (against_base(plan, m, key, mine, cur, refusal, note)) return;
  } else if (mine && cur) {
    if (int v = earlier_version(m.db, kind, name, *mine, cur->version)) {
      refusal = "your text is version " + std::to_string(v) + "'s, but " + current_text(*cur) +
                ": this looks like a stale copy";
      note = "set back to version " + std::to_string(v) + " over version " + std::to_string(cur->version) + " by " +
             cur->author;
    }
  }
  Planned p = planned_row(kind, name, in, cur);
  if (!refusal.empty()) {
    const std::string id = std::string(item_kind_name(kind)) + " " + name;
    if (!m.options.force) {
      plan.refusals.push_back(id + ": " + refusal);
      plan.refusals.push_back("  see the other change: kb history --db " + shell_word(m.db_path) + " " + key);
      return;
    }
    p.note = note;
  }
  plan.writes.push_back(std::move(p));
}

// The merge of `input` into the store, item by item, in input order, then
// retirements of live items the input lacks (with prune).
Plan plan_import(const Guideline& input, const Merge& m, const std::vector<ItemVersion>& live_now) {
  Plan plan;
  std::set<std::string> input_keys;
  for (const Item* item : input.all_items()) {
    input_keys.insert(item_key(*item));
    merge_item(plan, m, item->kind, item->name, item);
  }
  if (m.options.prune)
    for (const auto& r : live_now)
      if (!input_keys.count(key_of(r.kind, r.name))) merge_item(plan, m, r.kind, r.name, nullptr);
  return plan;
}

// The refusal of a whole import: its items and how to rebase.
StoreError refusal_error(const Plan& plan, const ImportOptions& o, const std::string& db_path) {
  const std::size_t n = plan.refusals.size() / 2;
  std::string summary =
      o.base ? "import refused: " + std::to_string(n) + " item(s) changed both in your input and by someone else since " +
                   o.base->describe() + "; nothing was written"
             : "import refused: " + std::to_string(n) +
                   " item(s) would go back to an earlier version's text, as from a stale copy; nothing was written";
  std::vector<std::string> details = plan.refusals;
  const std::string db = shell_word(db_path);
  details.push_back("to rebase: kb export --db " + db + " > current.kb, reapply your edits to current.kb, then kb import "
                    "--db " + db + " current.kb --author ... --reason ... (its first line names the base)");
  details.push_back("to overwrite the other change instead: add --force (recorded in the reason of each version)");
  return error(StoreErrorKind::Finding, std::move(summary), std::move(details));
}

// The knowledge base as it would be after the planned writes must still
// check; problems go into `bad`.
bool merged_checks(const std::vector<Planned>& writes, const std::vector<ItemVersion>& live_now, StoreError& bad) {
  std::map<std::string, const Planned*> planned;
  for (const auto& p : writes) planned[key_of(p.row.kind, p.row.name)] = &p;
  auto import_name = [](const ItemVersion& r) {
    return "<import " + std::string(item_kind_name(r.kind)) + " " + r.name + ">";
  };
  Module merged;
  std::set<std::string> placed;
  for (const auto& r : live_now) {
    const std::string key = key_of(r.kind, r.name);
    auto p = planned.find(key);
    if (p == planned.end())
      parse_item("<stored " + std::string(item_kind_name(r.kind)) + " " + r.name + "@" + std::to_string(r.version) + ">",
                 r.source, merged, bad.diags, bad.sources);
    else if (!p->second->row.retired)
      parse_item(import_name(r), p->second->row.source, merged, bad.diags, bad.sources);
    placed.insert(key);
  }
  for (const auto& p : writes)
    if (!p.row.retired && !placed.count(key_of(p.row.kind, p.row.name)))
      parse_item(import_name(p.row), p.row.source, merged, bad.diags, bad.sources);
  return bad.diags.ok() && check(std::move(merged), bad.diags);
}

// The rows of the base state by key: a release's pins, or the latest row of
// each item up to the base seq (retired rows included: they mean absent).
Result<std::map<std::string, ItemVersion>> base_rows(SQLite::Database& db, const ImportBase& base) {
  std::map<std::string, ItemVersion> out;
  const std::string foreign = "; was the input exported from another knowledge base?";
  if (base.release) {
    auto id = release_id(db, *base.release);
    if (!id) return unknown_release(db, *base.release);
    std::string hash = db.execAndGet("SELECT content_hash FROM release WHERE id = " + std::to_string(*id)).getString();
    if (hash.rfind(base.hash_prefix, 0) != 0)
      return error(StoreErrorKind::BadInput, "the input's base, release " + *base.release + " " + base.hash_prefix +
                                                 ", does not match this knowledge base's (release hash " + hash + ")" + foreign);
    for (auto& r : live_rows(db, id)) out.emplace(key_of(r.kind, r.name), std::move(r));
    return out;
  }
  const std::int64_t head = db.execAndGet("SELECT coalesce(max(seq), 0) FROM item_version").getInt64();
  std::string hash;
  if (base.seq > 0 && base.seq <= head) {
    SQLite::Statement h(db, "SELECT row_hash FROM item_version WHERE seq = ?");
    h.bind(1, static_cast<int64_t>(base.seq));
    if (h.executeStep()) hash = h.getColumn(0).getString();
  }
  if (base.seq < 0 || base.seq > head || (base.seq > 0 && hash.empty()) || hash.rfind(base.hash_prefix, 0) != 0)
    return error(StoreErrorKind::BadInput, "the input's base, seq " + std::to_string(base.seq) + " " + base.hash_prefix +
                                               ", is not a row of this knowledge base (newest: seq " +
                                               std::to_string(head) + ")" + foreign);
  SQLite::Statement st(db, std::string("SELECT ") + kRowColumns +
                               " FROM item_version v WHERE v.seq <= ?1 AND v.version = (SELECT max(w.version) FROM "
                               "item_version w WHERE w.kind = v.kind AND w.name = v.name AND w.seq <= ?1)");
  st.bind(1, static_cast<int64_t>(base.seq));
  while (st.executeStep()) {
    ItemVersion r = read_row(st);
    out.emplace(key_of(r.kind, r.name), std::move(r));
  }
  return out;
}

std::string forced_note(const Planned& p) { return p.note.empty() ? "" : "forced: " + p.note; }

// Appends the planned versions, stamped with author, reason and time.
void write_plan(SQLite::Database& db, std::vector<Planned>& writes, const ImportOptions& o, ImportReport& report) {
  std::int64_t seq = db.execAndGet("SELECT coalesce(max(seq), 0) + 1 FROM item_version").getInt64();
  std::string prev = kZeroHash;
  {
    SQLite::Statement last(db, "SELECT row_hash FROM item_version ORDER BY seq DESC LIMIT 1");
    if (last.executeStep()) prev = last.getColumn(0).getString();
  }
  const std::string now = utc_now();
  LedgerTail tail = ledger_tail(db);
  for (auto& p : writes) {
    p.row.author = o.author;
    p.row.reason = p.note.empty() ? o.reason : o.reason + " [--force: " + p.note + "]";
    p.row.created_utc = now;
    ItemVersion written = append(db, std::move(p.row), seq, prev);
    append_entry(db, tail, "item", written.seq, written.row_hash);
    report.changes.push_back({p.change, written.kind, written.name, written.version, forced_note(p)});
  }
}

}  // namespace

std::string ImportBase::describe() const { return release ? "release " + *release : "seq " + std::to_string(seq); }

std::optional<ImportBase> parse_base_option(const std::string& text) {
  ImportBase b;
  if (text.rfind("seq:", 0) == 0) {
    const std::string n = text.substr(4);
    if (n.empty() || n.size() > 18 || !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    b.seq = std::stoll(n);
    return b;
  }
  if (!valid_release_name(text)) return std::nullopt;
  b.release = text;
  return b;
}

std::string base_marker(const ImportBase& base) {
  return "# kb-base: " + base.describe() + (base.hash_prefix.empty() ? "" : " " + base.hash_prefix) +
         "  (keep this line: kb import merges your edits from this state)";
}

std::optional<ImportBase> read_base_marker(const std::string& text, std::string& problem) {
  std::optional<ImportBase> found;
  std::istringstream lines(text);
  const std::string tag = "# kb-base:";
  for (std::string line; std::getline(lines, line);) {
    std::size_t at = line.find_first_not_of(" \t");
    if (at == std::string::npos || line.compare(at, tag.size(), tag) != 0) continue;
    std::istringstream words(line.substr(at + tag.size()));
    std::string kind, value, hash;
    words >> kind >> value >> hash;
    bool hex = hash.size() >= 8 && hash.size() <= 64 && std::all_of(hash.begin(), hash.end(), [](char c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    });
    std::optional<ImportBase> b = kind == "release" ? parse_base_option(value)
                                  : kind == "seq"   ? parse_base_option("seq:" + value)
                                                    : std::nullopt;
    if (!b || (kind == "release") != b->release.has_value()) {
      problem = "malformed base marker '" + line + "' (expected '# kb-base: release NAME' or '# kb-base: seq N')";
      return std::nullopt;
    }
    if (hex) b->hash_prefix = hash;
    if (found && !(*found == *b)) {
      problem = "two different base markers: " + found->describe() + " and " + b->describe();
      return std::nullopt;
    }
    found = b;
  }
  return found;
}

Result<ImportReport> Store::import(const Guideline& input, const ImportOptions& options) {
  if (options.author.empty()) return error(StoreErrorKind::BadInput, "an import needs an author");
  if (options.reason.empty()) return error(StoreErrorKind::BadInput, "an import needs a reason");
  return guarded(path_, [&]() -> Result<ImportReport> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    std::map<std::string, ItemVersion> latest = latest_rows(*db_);
    std::optional<std::map<std::string, ItemVersion>> base;
    if (options.base) {
      auto rows = base_rows(*db_, *options.base);
      if (!rows) return rows.error();
      base = std::move(rows.value());
    }
    std::vector<ItemVersion> live_now = live_rows(*db_, std::nullopt);
    Plan plan = plan_import(input, Merge{*db_, options, latest, base, path_}, live_now);
    if (!plan.refusals.empty()) return refusal_error(plan, options, path_);
    ImportReport report{{}, std::move(plan.kept), plan.unchanged};
    if (plan.writes.empty()) return report;
    StoreError bad = error(StoreErrorKind::BadInput,
                           "the import would leave the knowledge base inconsistent; nothing was written");
    if (!merged_checks(plan.writes, live_now, bad)) return bad;
    if (options.dry_run) {
      for (const auto& p : plan.writes)
        report.changes.push_back({p.change, p.row.kind, p.row.name, p.row.version, forced_note(p)});
      return report;  // the transaction rolls back
    }
    write_plan(*db_, plan.writes, options, report);
    tx.commit();
    return report;
  });
}

Result<ReleaseInfo> Store::release(const std::string& name, const std::string& author, const std::string& reason,
                                   const sign::Key* key) {
  if (key && !key->is_private)
    return error(StoreErrorKind::BadInput, "a release is signed with a private key, not a public one");
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
                                                  escape_control(st.getColumn(0).getString()) + " at " +
                                                  escape_control(st.getColumn(1).getString()) +
                                                  "); releases are immutable, choose another name");
    }
    std::vector<ItemVersion> rows = live_rows(*db_, std::nullopt);
    if (rows.empty())
      return error(StoreErrorKind::Finding, "nothing to release: the knowledge base has no current items");
    ReleaseInfo info{name, author, utc_now(), reason, "", rows.size(), "", {}};
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
    LedgerTail tail = ledger_tail(*db_);
    info.chain_head = append_entry(*db_, tail, "release", id, release_body(*db_, id));
    if (key) {
      SQLite::Statement sig(*db_,
                            "INSERT INTO release_signature (release_id, key_id, chain_head, signature) VALUES (?, ?, ?, ?)");
      sig.bind(1, static_cast<int64_t>(id));
      sig.bind(2, key->id);
      sig.bind(3, info.chain_head);
      sig.bind(4, sign::sign(*key, release_signing_message(name, info.chain_head)));
      sig.exec();
      info.signers.push_back(key->id);
    }
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
    SQLite::Statement ans(*db_, "INSERT INTO verify_answer (run_id, obligation, cache_key, answer) VALUES (?, ?, ?, ?)");
    auto keep = [&](const std::string& name, const std::string& key, const std::string& answer) {
      ans.bind(1, static_cast<int64_t>(id));
      ans.bind(2, name);
      ans.bind(3, key);
      ans.bind(4, answer);
      ans.exec();
      ans.reset();
    };
    for (const VerificationResult& r : run.results)
      if (r.cache_key && r.answer) keep(r.obligation, *r.cache_key, *r.answer);
    for (const KeptAnswer& k : run.kept) keep(k.name, k.cache_key, k.answer);
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
    LedgerTail tail = ledger_tail(*db_);
    append_entry(*db_, tail, "verify", id, run_body(*db_, id));
    tx.commit();
    return id;
  });
}

Result<std::vector<ReleaseInfo>> Store::releases() {
  return guarded(path_, [&]() -> Result<std::vector<ReleaseInfo>> {
    std::vector<ReleaseInfo> out;
    SQLite::Transaction snapshot(*db_);
    SQLite::Statement st(*db_,
                         "SELECT r.name, r.author, r.created_utc, r.reason, r.content_hash, "
                         "(SELECT count(*) FROM release_item ri WHERE ri.release_id = r.id), "
                         "(SELECT l.entry_hash FROM ledger l WHERE l.entry = 'release' AND l.ref = r.id), r.id "
                         "FROM release r WHERE r.sealed = 1 ORDER BY r.id");
    SQLite::Statement sigs(*db_, "SELECT key_id FROM release_signature WHERE release_id = ? ORDER BY key_id");
    while (st.executeStep()) {
      ReleaseInfo info{st.getColumn(0).getString(), st.getColumn(1).getString(), st.getColumn(2).getString(),
                       st.getColumn(3).getString(), st.getColumn(4).getString(),
                       static_cast<std::size_t>(st.getColumn(5).getInt64()), st.getColumn(6).getString(), {}};
      sigs.bind(1, st.getColumn(7).getInt64());
      while (sigs.executeStep()) info.signers.push_back(sigs.getColumn(0).getString());
      sigs.reset();
      out.push_back(std::move(info));
    }
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

namespace {

// What `kb audit` found, one line per problem, each naming its table and row.
struct Audit {
  SQLite::Database& db;
  const AuditOptions& options;
  std::vector<std::string> findings;
  AuditReport report;
  void add(std::string f) { findings.push_back(std::move(f)); }
};

// Stored text as a finding quotes it: one line, control characters escaped.
std::string shown(const std::string& s) { return s.size() > 80 ? escape_control(s.substr(0, 80)) + "..." : escape_control(s); }

struct SchemaObject {
  std::string type, table, sql;
};

std::map<std::string, SchemaObject> schema_objects(SQLite::Database& db) {
  std::map<std::string, SchemaObject> out;
  SQLite::Statement st(db, "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE substr(name, 1, 7) <> 'sqlite_'");
  while (st.executeStep())
    out[st.getColumn(1).getString()] = {st.getColumn(0).getString(), st.getColumn(2).getString(),
                                        st.getColumn(3).getString()};
  return out;
}

// The schema the migrations create, built once in memory.
const std::map<std::string, SchemaObject>& expected_schema() {
  static const std::map<std::string, SchemaObject> objects = [] {
    SQLite::Database mem(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (const auto& m : schema::kMigrations) mem.exec(m.second);
    return schema_objects(mem);
  }();
  return objects;
}

void audit_integrity(Audit& a) {
  SQLite::Statement ic(a.db, "PRAGMA integrity_check(20)");
  std::vector<std::string> lines;
  while (ic.executeStep()) lines.push_back(ic.getColumn(0).getString());
  if (!(lines.size() == 1 && lines[0] == "ok"))
    for (const auto& l : lines) a.add("integrity_check: the database file is damaged: " + shown(l));
  SQLite::Statement fk(a.db, "PRAGMA foreign_key_check");
  while (fk.executeStep())
    a.add(shown(fk.getColumn(0).getString()) + " rowid " + fk.getColumn(1).getString() + ": refers to a missing row of " +
          shown(fk.getColumn(2).getString()));
}

void audit_schema(Audit& a) {
  const auto& want = expected_schema();
  const auto have = schema_objects(a.db);
  for (const auto& [name, w] : want) {
    auto h = have.find(name);
    if (h == have.end())
      a.add("schema: " + w.type + " " + name + " is missing (dropped); the store's rules no longer hold");
    else if (h->second.type != w.type || h->second.table != w.table || h->second.sql != w.sql)
      a.add("schema: " + w.type + " " + name + " differs from its definition in schema/ (altered or replaced)");
  }
  for (const auto& [name, h] : have)
    if (!want.count(name)) a.add("schema: unexpected " + h.type + " " + shown(name) + " (not created by any migration)");
}

// Column types every row must have: table, how a row is named, then
// (column, allowed typeof() values) pairs.
struct TypedTable {
  const char* table;
  const char* row;  // the row label, followed by its rowid
  std::vector<std::pair<const char*, const char*>> columns;
};

void audit_types(Audit& a) {
  const char* text = "'text'";
  const char* opt_text = "'text','null'";
  const char* integer = "'integer'";
  const char* opt_int = "'integer','null'";
  const std::vector<TypedTable> tables = {
      {"item_version", "item_version row seq",
       {{"kind", text}, {"name", text}, {"version", integer}, {"retired", integer}, {"strength", opt_text},
        {"action", opt_text}, {"source", text}, {"author", text}, {"created_utc", text}, {"reason", text},
        {"content_hash", text}, {"prev_hash", text}, {"row_hash", text}, {"origin_file", opt_text},
        {"origin_line", opt_int}, {"origin_column", opt_int}, {"origin_end_line", opt_int},
        {"origin_end_column", opt_int}, {"hash_format", integer}}},
      {"release", "release id",
       {{"name", text}, {"author", text}, {"created_utc", text}, {"reason", text}, {"content_hash", opt_text},
        {"sealed", integer}}},
      {"release_item", "release_item rowid", {{"release_id", integer}, {"version_seq", integer}}},
      {"verify_run", "verify_run id",
       {{"release_id", opt_int}, {"content_hash", text}, {"tool_version", text}, {"z3_version", text},
        {"started_utc", text}, {"exit_code", integer}, {"mutation_score", "'real','null'"}}},
      {"verify_result", "verify_result rowid",
       {{"run_id", integer}, {"obligation", text}, {"verdict", text}, {"millis", "'real'"}, {"core", opt_text},
        {"counterexample", opt_text}, {"detail", opt_text}, {"location", opt_text}}},
      {"verify_answer", "verify_answer rowid",
       {{"run_id", integer}, {"obligation", text}, {"cache_key", text}, {"answer", text}}},
      {"mutation_result", "mutation_result rowid",
       {{"run_id", integer}, {"mutant", text}, {"op", text}, {"site", text}, {"status", text}, {"killed_by", text},
        {"restating_only", integer}, {"summary", text}, {"witness", opt_text}}},
      {"ledger", "ledger seq",
       {{"entry", text}, {"ref", integer}, {"body_hash", text}, {"prev_hash", text}, {"entry_hash", text},
        {"hash_format", integer}}},
      {"release_signature", "release_signature rowid",
       {{"release_id", integer}, {"key_id", text}, {"chain_head", text}, {"signature", text}}},
  };
  for (const auto& t : tables) {
    for (const auto& [col, allowed] : t.columns) {
      try {
        SQLite::Statement st(a.db, std::string("SELECT rowid, typeof(") + col + "), quote(" + col + ") FROM " +
                                       t.table + " WHERE typeof(" + col + ") NOT IN (" + allowed + ")");
        while (st.executeStep())
          a.add(std::string(t.row) + " " + st.getColumn(0).getString() + ": column " + col + " holds " +
                st.getColumn(1).getString() + " " + shown(st.getColumn(2).getString()) + ", expected " + allowed);
      } catch (const SQLite::Exception&) {
        break;  // the table or column is gone: the schema check names it
      }
    }
  }
}

// Item versions: hashes, the row chain, versions counting up. Fills
// `row_hashes` (seq -> stored row_hash) for the ledger check.
void audit_items(Audit& a, std::map<std::int64_t, std::string>& row_hashes) {
  std::string prev = kZeroHash;
  std::int64_t prev_seq = 0;
  std::map<std::string, std::int64_t> last_version;
  SQLite::Statement st(a.db, std::string("SELECT ") + kRowColumns + " FROM item_version ORDER BY seq");
  while (st.executeStep()) {
    ItemVersion r;
    r.seq = st.getColumn(0).getInt64();
    const std::string kind_text = st.getColumn(1).getString();
    r.name = st.getColumn(2).getString();
    const std::int64_t version = st.getColumn(3).getInt64();
    r.version = static_cast<int>(version);
    r.row_hash = st.getColumn(13).getString();
    row_hashes[r.seq] = r.row_hash;
    ++a.report.rows;
    auto kind = item_kind_from_name(kind_text);
    const std::string label = "item_version row seq " + std::to_string(r.seq) + " (" + shown(kind_text) + " " +
                              shown(r.name) + " version " + std::to_string(version) + ")";
    std::string wrong;
    std::int64_t& last = last_version[kind_text + ":" + r.name];
    if (!kind) {
      wrong = "its kind '" + shown(kind_text) + "' is not a kind this tool knows";
    } else {
      r = read_row(st);
      if (sha256_hex(r.source) != r.content_hash)
        wrong = "its source does not match its content_hash";
      else if (r.prev_hash != prev)
        wrong = prev_seq ? "its prev_hash is not the row_hash of the row before it (seq " + std::to_string(prev_seq) +
                               "): a row was altered, inserted or deleted"
                         : "it is the first row but its prev_hash is not 64 zeros";
      else if (row_hash(r) != r.row_hash)
        wrong = "its fields do not match its row_hash";
      else if (version != last + 1)
        wrong = "it is version " + std::to_string(version) + " but the previous version of the item is " +
                std::to_string(last);
      else if (r.hash_format != 1 && r.hash_format != 2)
        wrong = "its hash format " + std::to_string(r.hash_format) + " is not 1 or 2";
      else if (r.hash_format == 1 && (r.origin.file || r.origin.line))
        wrong = "it has hash format 1, which covers no origin, but records one";
      else if (r.retired && !r.source.empty())
        wrong = "it is retired but has a source";
    }
    if (!wrong.empty()) a.add(label + " was altered: " + wrong);
    last = version;
    prev = r.row_hash;
    prev_seq = r.seq;
  }
}

void audit_releases(Audit& a) {
  SQLite::Statement rel(a.db, "SELECT id, name, sealed, content_hash FROM release ORDER BY id");
  while (rel.executeStep()) {
    const std::int64_t id = rel.getColumn(0).getInt64();
    const std::string name = "release '" + shown(rel.getColumn(1).getString()) + "'";
    const std::string where = " (release id " + std::to_string(id) + ")";
    ++a.report.releases;
    if (rel.getColumn(2).getInt() != 1) {
      a.add(name + " was never sealed" + where);
      continue;
    }
    SQLite::Statement pins(a.db,
                           "SELECT v.kind, v.name, v.version, v.content_hash FROM release_item ri "
                           "JOIN item_version v ON v.seq = ri.version_seq WHERE ri.release_id = ?");
    pins.bind(1, static_cast<int64_t>(id));
    std::vector<std::string> lines;
    while (pins.executeStep()) {
      auto kind = item_kind_from_name(pins.getColumn(0).getString());
      if (kind)
        lines.push_back(release_hash_line(*kind, pins.getColumn(1).getString(), pins.getColumn(2).getInt(),
                                          pins.getColumn(3).getString()));
    }
    if (release_hash_of_lines(std::move(lines)) != rel.getColumn(3).getString())
      a.add(name + " was altered: its pinned versions do not match its content_hash" + where);
  }
}

// One ledger entry as the audit reads it.
struct Entry {
  std::int64_t seq = 0, ref = 0;
  std::string entry, body, prev, hash;
};

// The ledger: chain, entry hashes, bodies against their records, one entry
// per record, a possible order. Returns the entries in seq order.
std::vector<Entry> audit_ledger(Audit& a, const std::map<std::int64_t, std::string>& row_hashes) {
  std::vector<Entry> entries;
  {
    SQLite::Statement st(a.db, "SELECT seq, entry, ref, body_hash, prev_hash, entry_hash FROM ledger ORDER BY seq");
    while (st.executeStep())
      entries.push_back({st.getColumn(0).getInt64(), st.getColumn(2).getInt64(), st.getColumn(1).getString(),
                         st.getColumn(3).getString(), st.getColumn(4).getString(), st.getColumn(5).getString()});
  }
  std::map<std::int64_t, std::int64_t> item_at, release_at, run_at;  // record -> ledger seq
  std::string prev = kZeroHash;
  std::int64_t prev_seq = 0, last_item = 0;
  for (const Entry& e : entries) {
    const std::string label = "ledger seq " + std::to_string(e.seq) + " (" + shown(e.entry) + " " +
                              std::to_string(e.ref) + ")";
    ++a.report.entries;
    if (e.seq != prev_seq + 1)
      a.add(label + ": it follows seq " + std::to_string(prev_seq) + ": entries are missing");
    if (e.prev != prev)
      a.add(label + ": its prev_hash is not the entry_hash of the entry before it: an entry was altered, inserted "
                    "or deleted");
    else if (ledger_entry_hash(e.seq, e.entry, e.ref, e.body, e.prev) != e.hash)
      a.add(label + ": its fields do not match its entry_hash");
    if (e.entry == "item") {
      auto r = row_hashes.find(e.ref);
      if (r == row_hashes.end()) a.add(label + ": item_version row seq " + std::to_string(e.ref) + " is missing (deleted)");
      else if (r->second != e.body)
        a.add(label + ": its body_hash is not the row_hash of item_version row seq " + std::to_string(e.ref) +
              ": the row was rewritten");
      if (e.ref <= last_item)
        a.add(label + ": item_version row seq " + std::to_string(e.ref) + " is out of order in the ledger");
      last_item = std::max(last_item, e.ref);
      item_at[e.ref] = e.seq;
    } else if (e.entry == "release" || e.entry == "verify") {
      const bool release = e.entry == "release";
      SQLite::Statement exists(a.db, release ? "SELECT name FROM release WHERE id = ?" : "SELECT id FROM verify_run WHERE id = ?");
      exists.bind(1, static_cast<int64_t>(e.ref));
      const std::string record = (release ? "release id " : "verify_run id ") + std::to_string(e.ref);
      if (!exists.executeStep())
        a.add(label + ": " + record + " is missing (deleted)");
      else if ((release ? release_body(a.db, e.ref) : run_body(a.db, e.ref)) != e.body)
        a.add(label + ": " + record +
              (release ? " ('" + shown(exists.getColumn(0).getString()) +
                             "') was altered since it was sealed: its name, author, time, reason, hash or pins differ"
                       : " was altered since it was stored: the run, one of its results or one of its mutants differs"));
      (release ? release_at : run_at)[e.ref] = e.seq;
    } else {
      a.add(label + ": unknown entry kind '" + shown(e.entry) + "'");
    }
    prev = e.hash;
    prev_seq = e.seq;
  }
  for (const auto& [seq, hash] : row_hashes)
    if (!item_at.count(seq))
      a.add("item_version row seq " + std::to_string(seq) + " has no ledger entry (written behind the ledger's back)");
  {
    SQLite::Statement st(a.db, "SELECT id, name FROM release WHERE sealed = 1 ORDER BY id");
    while (st.executeStep()) {
      const std::int64_t id = st.getColumn(0).getInt64();
      auto at = release_at.find(id);
      const std::string name = "release '" + shown(st.getColumn(1).getString()) + "' (release id " + std::to_string(id) + ")";
      if (at == release_at.end()) {
        a.add(name + " has no ledger entry (written behind the ledger's back)");
        continue;
      }
      SQLite::Statement pins(a.db, "SELECT version_seq FROM release_item WHERE release_id = ?");
      pins.bind(1, static_cast<int64_t>(id));
      while (pins.executeStep()) {
        auto p = item_at.find(pins.getColumn(0).getInt64());
        if (p != item_at.end() && p->second > at->second)
          a.add(name + " pins item_version row seq " + pins.getColumn(0).getString() +
                ", whose ledger entry comes after the release's");
      }
    }
  }
  {
    SQLite::Statement st(a.db, "SELECT id, release_id FROM verify_run ORDER BY id");
    while (st.executeStep()) {
      const std::int64_t id = st.getColumn(0).getInt64();
      ++a.report.runs;
      auto at = run_at.find(id);
      if (at == run_at.end()) {
        a.add("verify_run id " + std::to_string(id) + " has no ledger entry (written behind the ledger's back)");
        continue;
      }
      if (!st.getColumn(1).isNull()) {
        auto r = release_at.find(st.getColumn(1).getInt64());
        if (r != release_at.end() && r->second > at->second)
          a.add("verify_run id " + std::to_string(id) + " checked a release whose ledger entry comes after the run's");
      }
    }
  }
  if (!entries.empty()) a.report.head_seq = entries.back().seq, a.report.head = entries.back().hash;
  else a.report.head = kZeroHash;
  return entries;
}

void audit_anchor(Audit& a, const std::vector<Entry>& entries) {
  if (!a.options.expect_head) return;
  std::string want = *a.options.expect_head;
  std::transform(want.begin(), want.end(), want.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const Entry& e : entries)
    if (e.hash.rfind(want, 0) == 0) return;
  a.add("the expected head " + shown(want) + " is not in the ledger (its newest entry is seq " +
        std::to_string(a.report.head_seq) + " " + a.report.head +
        "): entries were removed from its end, or history before it was rewritten");
}

void audit_signatures(Audit& a, const std::vector<Entry>& entries) {
  if (a.options.trusted.empty()) return;
  std::map<std::int64_t, const Entry*> release_entry;
  for (const Entry& e : entries)
    if (e.entry == "release") release_entry[e.ref] = &e;
  std::set<std::int64_t> valid;
  SQLite::Statement st(a.db,
                       "SELECT s.rowid, s.release_id, s.key_id, s.chain_head, s.signature, r.name FROM "
                       "release_signature s LEFT JOIN release r ON r.id = s.release_id ORDER BY s.rowid");
  while (st.executeStep()) {
    const std::string key_id = st.getColumn(2).getString();
    auto key = std::find_if(a.options.trusted.begin(), a.options.trusted.end(),
                            [&](const sign::Key& k) { return k.id == key_id; });
    if (key == a.options.trusted.end()) continue;  // a key nobody asked to trust proves nothing
    const std::int64_t id = st.getColumn(1).getInt64();
    const std::string head = st.getColumn(3).getString();
    const std::string label = "release_signature rowid " + st.getColumn(0).getString() + " (release id " +
                              std::to_string(id) + ", key " + sign::short_id(key_id) + ")";
    if (st.getColumn(5).isNull()) {
      a.add(label + ": the release is missing (deleted)");
      continue;
    }
    const std::string name = st.getColumn(5).getString();
    auto e = release_entry.find(id);
    if (e == release_entry.end() || e->second->hash != head)
      a.add(label + ": release '" + shown(name) + "' was signed at chain head " + shown(head) +
            ", but its ledger entry is now " + (e == release_entry.end() ? std::string("missing") : e->second->hash) +
            ": the history up to the release was rewritten");
    else if (!sign::verify(*key, release_signing_message(name, head), st.getColumn(4).getString()))
      a.add(label + ": the signature of release '" + shown(name) +
            "' does not verify: its name or chain head was altered, or the signature is forged");
    else valid.insert(id);
  }
  a.report.signed_releases = valid.size();
  SQLite::Statement newest(a.db, "SELECT id, name FROM release WHERE sealed = 1 ORDER BY id DESC LIMIT 1");
  if (!newest.executeStep()) {
    a.add("--trust: there is no release, so there is no signature to check");
    return;
  }
  if (!valid.count(newest.getColumn(0).getInt64()))
    a.add("release '" + shown(newest.getColumn(1).getString()) + "' (release id " + newest.getColumn(0).getString() +
          "), the newest, carries no valid signature by a trusted key, so nothing vouches for the history");
  std::int64_t signed_seq = 0;
  for (const Entry& e : entries)
    if (e.entry == "release" && valid.count(e.ref)) signed_seq = e.seq;
  a.report.after_signed = static_cast<std::size_t>(std::max<std::int64_t>(0, a.report.head_seq - signed_seq));
}

}  // namespace

Result<std::optional<StoredAnswer>> Store::cached_answer(const std::string& cache_key) {
  return guarded(path_, [&]() -> Result<std::optional<StoredAnswer>> {
    if (!answer_query_) {
      if (!has_table(*db_, "verify_answer")) return std::optional<StoredAnswer>{};
      answer_query_ = std::make_unique<SQLite::Statement>(
          *db_, "SELECT run_id, answer FROM verify_answer WHERE cache_key = ? ORDER BY run_id DESC");
    }
    SQLite::Statement& st = *answer_query_;
    st.reset();
    st.bind(1, cache_key);
    while (st.executeStep()) {
      const std::int64_t run = st.getColumn(0).getInt64();
      auto [at, fresh] = run_trusted_.try_emplace(run, false);
      if (fresh) at->second = run_matches_ledger(*db_, run);
      if (at->second) {
        StoredAnswer found{run, st.getColumn(1).getString()};
        st.reset();
        return std::optional<StoredAnswer>{std::move(found)};
      }
    }
    st.reset();
    return std::optional<StoredAnswer>{};
  });
}

std::vector<std::int64_t> Store::untrusted_runs() const {
  std::vector<std::int64_t> out;
  for (const auto& [run, trusted] : run_trusted_)
    if (!trusted) out.push_back(run);
  return out;
}

Result<AuditReport> Store::audit(const AuditOptions& options) {
  return guarded(path_, [&]() -> Result<AuditReport> {
    SQLite::Transaction snapshot(*db_);
    Audit a{*db_, options, {}, {}};
    try {
      audit_integrity(a);
      audit_schema(a);
      audit_types(a);
      std::map<std::int64_t, std::string> row_hashes;
      audit_items(a, row_hashes);
      audit_releases(a);
      std::vector<Entry> entries = audit_ledger(a, row_hashes);
      audit_anchor(a, entries);
      audit_signatures(a, entries);
    } catch (const SQLite::Exception& e) {
      a.add(std::string("the database could not be read to the end: ") + e.what());
    }
    if (a.findings.empty()) return a.report;
    constexpr std::size_t kShown = 50;
    std::vector<std::string> details(a.findings.begin(),
                                     a.findings.begin() + static_cast<long>(std::min(kShown, a.findings.size())));
    if (a.findings.size() > kShown) details.push_back("... and " + std::to_string(a.findings.size() - kShown) + " more");
    return error(StoreErrorKind::Finding,
                 "audit failed: " + std::to_string(a.findings.size()) +
                     (a.findings.size() == 1 ? " problem" : " problems") + " in " + path_,
                 std::move(details));
  });
}

}  // namespace kb
